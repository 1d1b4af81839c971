#!/bin/bash
# deps.sh PACKAGE: unpack Debian's PACKAGE (the archive's candidate
# version) into the cache once, without installing it, and print where.
# make bench takes user-mode-linux (the UML kernel, /usr/bin/linux.uml)
# and tcc (the compiler of the "kernel compile" row) this way: they run
# inside the VM host, not on the build machine.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
pkg=$1
ver=$(apt-cache policy "$pkg" | sed -n 's/ *Candidate: //p')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	echo "error: $pkg is not in the archive (apt-get update?)" >&2
	exit 1
fi
dir=$CACHE/bench/$pkg-$ver
if [ ! -e "$dir/.done" ]; then
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null &&
		dpkg-deb -x ./*.deb . && rm -f ./*.deb && touch .done)
fi
echo "$dir"
