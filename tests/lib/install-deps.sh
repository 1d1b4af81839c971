#!/bin/bash
# Install what building and testing lguest needs, from Debian's archive.
# Idempotent and quiet: when everything is present it does nothing.
set -euo pipefail

pkgs=(
	build-essential pkg-config perl python3 cpio xz-utils kmod
	# the two reference host kernels: headers to build lg.ko against
	linux-headers-amd64 linux-headers-6.12-amd64
	# the VM host we test in, and what its initramfs is made of
	qemu-system-x86 busybox-static
	# the trixie chroot the newer kernels' lg.ko builds run in
	mmdebstrap
	# kernel style (checkpatch.pl ships in the kernel source)
	linux-source-6.12
	# the Linux guest kernel build (make guest-kernel)
	bc bison flex libssl-dev libelf-dev zlib1g-dev
	# the Linux guest's ext4 root images (mke2fs -d; tests/lib/mkrootfs.sh
	# also needs apt-get, dpkg-deb and readelf, from essential packages and
	# build-essential's binutils)
	e2fsprogs
	# user space: libraries, unit tests, static checkers
	libelf-dev liburing-dev libcap-ng-dev libcmocka-dev
	cppcheck clang-tidy
	# packaging: the .deb (dh_dkms), lintian, DKMS itself, the .rpm
	git debhelper dh-dkms dkms lintian fakeroot rpm
	# packaging tests: the installed man page is looked up with man -w
	man-db
	# fuzzing: clang with libFuzzer and the sanitizer runtimes
	clang libclang-rt-14-dev
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=600
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends \
	"${missing[@]}" >/dev/null
