#!/bin/bash
# make bench: virtbench revisited (docs/benchmarks.md).  Boots the VM host
# once (Debian's 6.12 kernel under QEMU's software CPU, 5-level paging)
# and runs the same static programs (tests/bench/progs/) natively, in
# lguest guests and in User-Mode Linux guests there; prints one table and
# writes it as JSON to build/bench/virtbench.json.
# VB_ONLY=native,lguest,uml,qemu runs only those (while working on one);
# VB_ARGS adds to the VM host's command line (see t_virtbench).
# VB_VMLINUX=FILE boots that guest kernel instead of make guest-kernel's.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
cd "$TOP"
out=$BUILD/bench
mkdir -p "$out"

"$TOP/tests/lib/install-deps.sh"
. "$TOP/tests/lib/common.sh"
kver=$KVER_612
make --no-print-directory -s module KVER="$kver" >/dev/null
make --no-print-directory -s vm-progs bench-progs >/dev/null
vmlinux=${VB_VMLINUX:-$(tests/lib/guest-kernel.sh)}
uml=$(tests/bench/deps.sh user-mode-linux)
vmlinuz=$(host_vmlinuz "$kver")
mods=$(dirname "$(dirname "$vmlinuz")")/lib/modules/$kver/kernel
tests/bench/mkroot.sh "$out"

# What the VM host gets beyond the usual initramfs: the same userland
# tree, the guests' root image, UML, and the two modules it needs.
v=$out/vmroot
rm -rf "$v" && cp -a "$out/tree" "$v"
cp "$out/root.img" "$v/bench/"
mkdir -p "$v/bench/uml" "$v/bench/mod"
cp "$uml/usr/bin/linux.uml" "$v/bench/uml/linux"
xz -dc "$mods/drivers/net/tun.ko.xz" >"$v/bench/mod/tun.ko"
xz -dc "$mods/drivers/block/loop.ko.xz" >"$v/bench/mod/loop.ko"
img=$out/virtbench.cpio.gz
LGTEST_EXTRA_ROOT=$v tests/vm/mkinitramfs.sh "$img" "$BUILD/module/$kver/lg.ko" \
	"$BUILD/vm/progs/lgexit" "$BUILD/vm/progs/lguestctl" "$vmlinux" "$BUILD/vm/progs/run-init.cpio" \
	tests/bench/t_virtbench

start=$(date +%s)
ok=1
# One CPU, like the paper's UP host: the guests are UP, and on two
# vCPUs a pipe's wake-up waits for the other vCPU to leave its idle loop.
LGTEST_SMP=1 LGTEST_MEM=2048 STAGE=bench tests/vm/run-vm.sh virtbench "$vmlinuz" "$img" \
	"lgtest.tests=t_virtbench${VB_ONLY:+ vb.only=$VB_ONLY}${VB_ARGS:+ $VB_ARGS}" 2400 >/dev/null || ok=0
cp "$BUILD/vm/logs/virtbench.log" "$out/virtbench.log"
# The boot row's QEMU, if this machine has it: not in the VM host, where
# QEMU's software CPU would run on QEMU's software CPU (tried: the nested
# guest's kernel hit BUGs and panics at random), but here, on the real
# CPU, booting the VM host's own kernel as virtme-ng boots the running
# kernel without KVM, with vb_boot as its init (an initramfs, no
# virtio-fs).  So QEMU has the real CPU and lguest the software one: the
# row bounds lguest's lead from below.
if want_qemu=$(command -v qemu-system-x86_64) && { [ -z "${VB_ONLY:-}" ] ||
	[[ ",$VB_ONLY," == *,qemu,* ]]; }; then
	q=$out/qemu
	rm -rf "$q" && mkdir -p "$q/root/bin"
	cp "$BUILD/bench/progs/vb_boot" "$q/root/init"
	cp /bin/busybox "$q/root/bin/" && ln -s busybox "$q/root/bin/true"
	(cd "$q/root" && find . | cpio -o -H newc --quiet) >"$q/true.cpio"
	# QEMU's default CPU model for TCG, as a user without KVM gets it;
	# the init reports success on the isa-debug-exit port: exit status 85.
	VB_TSC_KHZ="" "$BUILD/bench/progs/vb_boot" -s 85 boot_true 3 "$want_qemu" -accel tcg -m 256 \
		-nodefaults -display none -no-reboot -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$vmlinuz" -initrd "$q/true.cpio" \
		-append "console=ttyS0 quiet panic=-1" </dev/null >"$q/run.log" 2>&1 || true
	sed -n 's/^VB /VBR qemu /p; s/^VBFAIL /VBFAIL qemu /p' "$q/run.log" >>"$out/virtbench.log"
fi
python3 tests/bench/report.py "$out/virtbench.log" "$out/virtbench.json" \
	"host kernel $kver under QEMU TCG (-cpu max), VM run $(($(date +%s) - start)) s"
if [ $ok = 0 ]; then
	echo "virtbench: the VM host run was not clean; see $out/virtbench.log" >&2
	exit 1
fi
