#!/bin/bash
# run-one.sh KVER-MAJOR APPEND TESTS...: a quick single VM for development.
#   tests/vm/run-one.sh 6.12 "" t_linux t_guests
#   tests/vm/run-one.sh 6.1 "no5lvl pti=on" t_virtio
#   tests/vm/run-one.sh new "" t_guests     (trixie-backports' newest kernel)
# Builds lg.ko for that host kernel, the in-VM programs, the guest kernel,
# and an initramfs holding only the named t_* programs (plus what they
# use), then boots it with tests/vm/run-vm.sh (log: build/vm/logs/one.log;
# LGTEST_NAME=NAME names it NAME instead, for two at once).
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
cd "$TOP"
ko=""
# shellcheck disable=SC1091
. tests/lib/newer-kernels.sh
# The trixie chroot: the newest kernel, and the Rust virtiofsd (t_run).
nk_chroot >&2
export LGTEST_RUST_VIRTIOFSD_ROOT=$NK_ROOT
case $1 in
6.1) kver=$KVER_61 ;;
6.12) kver=$KVER_612 ;;
new)
	kver=${NK_KVERS[-1]}
	nk_module "$kver" >&2
	ko=$BUILD/newer/module/$kver/lg.ko
	;;
*) echo "run-one.sh: host kernel 6.1, 6.12 or new, not '$1'" >&2; exit 2 ;;
esac
append=$2
shift 2
[ $# -gt 0 ] || { echo "run-one.sh: name at least one t_* program" >&2; exit 2; }
P=$BUILD/vm/progs
if [ -z "$ko" ]; then
	make --no-print-directory -s module KVER="$kver" >&2
	ko=$BUILD/module/$kver/lg.ko
fi
make --no-print-directory -s vm-progs >&2
vmlinux=$(tests/lib/guest-kernel.sh)
progs=()
for t in "$@"; do progs+=("$P/$t"); done
name=${LGTEST_NAME:-one}
img=$BUILD/vm/$name.cpio.gz
tests/vm/mkinitramfs.sh "$img" "$ko" "$P/lgexit" "$P/lgperfhold" "${progs[@]}" \
	"$P"/*.bin "$BUILD"/vm/guests/*.elf "$vmlinux" "$P/linux-initrd.cpio" \
	"$P/linux-root.img" "$P/linux-net.cpio" "$P/linux-fs.cpio" "$P/run-init.cpio" "$P/linux-userland.img" "$P/lguestctl" "$P/hostile" \
	"$BUILD"/vm/x86-selftests/*_64 \
	$(host_test_modules "$kver") "$BUILD"/bench/progs/vb_*
exec tests/vm/run-vm.sh "$name" "$(host_vmlinuz "$kver")" "$img" "$append"
