#!/bin/bash
# make demo: set everything up, boot a VM host (Debian's 6.12 kernel under
# QEMU's software CPU), load lg.ko, show it answering, run two small
# guests, then boot Linux with lguestctl and run a few commands in it.
# DEMO_SHELL=1 drops into the Linux guest's shell instead (and, when it
# exits, a shell in the VM host).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$TOP"

"$TOP/tests/lib/install-deps.sh"
. "$TOP/tests/lib/common.sh"
kver=$KVER_612
echo "== building lg.ko for $kver"
make --no-print-directory -s module KVER="$kver" >/dev/null
make --no-print-directory -s vm-progs >/dev/null
echo "== the Linux guest kernel (make guest-kernel: minutes the first time, cached after)"
vmlinux=$(tests/lib/guest-kernel.sh)
img=$BUILD/vm/demo.cpio.gz
tests/vm/mkinitramfs.sh "$img" "$BUILD/module/$kver/lg.ko" \
	"$BUILD/vm/progs/lgexit" "$BUILD/vm/progs/demo" "$BUILD/vm/progs/hello.bin" \
	"$BUILD/vm/progs/user.bin" "$vmlinux" "$BUILD/vm/progs/linux-userland.img" \
	"$BUILD/vm/progs/lguestctl"
kernel=$(host_vmlinuz "$kver")
mode=demo
[ "${DEMO_SHELL:-0}" = 1 ] && mode=shell
echo "== booting the VM host (Debian $kver, qemu -accel tcg -cpu max)"
set +e
qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 \
	-display none -monitor none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$kernel" -initrd "$img" \
	-append "console=ttyS0 panic=-1 quiet lgtest.mode=$mode"
rc=$?
set -e
[ $rc -eq 33 ] && { echo "== demo done"; exit 0; }
echo "== demo failed (QEMU exit status $rc)" >&2
exit 1
