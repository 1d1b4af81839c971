#!/bin/bash
# deps.sh PACKAGE: unpack Debian's PACKAGE into the cache once, without
# installing it, and print where (unpack_deb in tests/lib/common.sh).
# make bench takes user-mode-linux (the UML kernel, /usr/bin/linux.uml)
# and tcc (the compiler of the "kernel compile" row) this way: they run
# inside the VM host, not on the build machine.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
unpack_deb "$1" bench
