# Shared by the test scripts: where things are, and how results are kept.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
# Slow, input-keyed artefacts (extracted host kernels, kernel source) live
# outside the tree so a fresh checkout reuses them; delete it to rebuild.
CACHE=${LGUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lguest}
RESULTS=$BUILD/results
mkdir -p "$BUILD" "$CACHE" "$RESULTS"

# record STAGE VERDICT NAME [DETAIL]: one line per test, summed at the end.
record() {
	local stage=$1 verdict=$2 name=$3 detail=${4:-}
	printf '%s %s%s\n' "$verdict" "$name" "${detail:+: $detail}" >>"$RESULTS/$stage.txt"
	printf '  %-4s %s%s\n' "$verdict" "$name" "${detail:+: $detail}"
}

# The host kernels we test against: the release each Debian headers
# metapackage points at, e.g. 6.1.0-56-amd64 and 6.12.117+deb12-amd64.
# Empty when the metapackage is not installed (as in a package build, which
# sources this file for kernel_source only).
host_kver() {
	{ dpkg-query -W -f '${Depends}' "$1" 2>/dev/null || true; } | tr ',' '\n' |
		sed -n 's/^ *linux-headers-\([^ ]*-amd64\).*/\1/p' | head -n1
}
KVER_61=$(host_kver linux-headers-amd64)
KVER_612=$(host_kver linux-headers-6.12-amd64)

# unpack_deb PACKAGE SUBDIR: Debian's PACKAGE, the archive's candidate
# version, unpacked (not installed) into $CACHE/SUBDIR/PACKAGE-VERSION
# once; prints that directory.
unpack_deb() {
	local pkg=$1 ver dir
	ver=$(apt-cache policy "$pkg" | sed -n 's/ *Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		echo "error: $pkg is not in the archive (apt-get update?)" >&2
		return 1
	fi
	dir=$CACHE/$2/$pkg-$ver
	if [ ! -d "$dir" ]; then
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		(cd "$dir.tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null &&
			dpkg-deb -x ./*.deb . && rm -f ./*.deb) || return 1
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# host_vmlinuz KVER: the Debian kernel image for KVER (and, beside it,
# its modules), unpacked into the cache once per package version.
# Kernels newer than Debian 12's come from trixie-backports through
# tests/lib/newer-kernels.sh's nk_host, when the caller sourced it.
host_vmlinuz() {
	local dir
	if [ "$1" = "$KVER_61" ] || [ "$1" = "$KVER_612" ]; then
		dir=$(unpack_deb "linux-image-$1" hosts) || return 1
		echo "$dir/boot/vmlinuz-$1"
	else
		dir=$(nk_host "$1") || return 1
		echo "$dir/usr/lib/modules/$1/vmlinuz"
	fi
}

# debian_mirror: the Debian mirror this machine's apt uses (its sources),
# else deb.debian.org; LGUEST_DEBIAN_MIRROR overrides both.
debian_mirror() {
	local m=${LGUEST_DEBIAN_MIRROR:-}
	[ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n -e 's,^URIs: *\(https\?://[^ ]*/debian\)/* *$,\1,p' \
			-e 's,^deb \(\[[^]]*\] \)\?\(https\?://[^ ]*/debian\)/* .*,\2,p' | head -n1 || true)
	echo "${m:-http://deb.debian.org/debian}"
}

# host_test_modules KVER: the host kernel's tun and bridge modules (t_net),
# msr (t_msr) and virtio_blk (t_userland's distro part), from the package
# host_vmlinuz unpacked.
host_test_modules() {
	local m
	m=$(dirname "$(host_vmlinuz "$1")") || return 1
	# Debian 12: boot/vmlinuz-KVER beside lib/modules/KVER; 7.x:
	# usr/lib/modules/KVER/vmlinuz.
	if [ -d "$m/../lib/modules/$1/kernel" ]; then
		m=$m/../lib/modules/$1/kernel
	else
		m=$m/kernel
	fi
	ls "$m"/drivers/net/tun.ko* "$m"/net/llc/llc.ko* "$m"/net/802/stp.ko* \
		"$m"/net/bridge/bridge.ko* "$m"/arch/x86/kernel/msr.ko* "$m"/drivers/block/virtio_blk.ko*
	# virtio's core, where the kernel has it as modules (6.1's; 6.12
	# builds it in): the Debian image t_userland's distro part boots.
	ls "$m"/drivers/virtio/virtio{,_ring,_pci,_pci_legacy_dev,_pci_modern_dev}.ko* 2>/dev/null || true
}

# The kernel source tree (for checkpatch.pl now, the guest kernel later),
# unpacked once per version of Debian's linux-source-6.12.
kernel_source() {
	local ver dir
	ver=$(dpkg-query -W -f '${Version}' linux-source-6.12)
	dir=$CACHE/linux-source-6.12-$ver
	if [ ! -e "$dir/Makefile" ]; then
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		tar -xf /usr/src/linux-source-6.12.tar.xz -C "$dir.tmp" --strip-components=1 ||
			return 1
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}
