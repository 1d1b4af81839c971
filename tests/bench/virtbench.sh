#!/bin/bash
# make bench: virtbench revisited (docs/benchmarks.md).  Boots the VM host
# once (Debian's 6.12 kernel under QEMU's software CPU, 5-level paging)
# and runs the same static programs (tests/bench/progs/) natively, in
# lguest guests and in User-Mode Linux guests there; prints one table and
# writes it as JSON to build/bench/virtbench.json.
# VB_ONLY=native,lguest,uml runs only those (while working on one);
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
	"$BUILD/vm/progs/lgexit" "$BUILD/vm/progs/lguestctl" "$vmlinux" tests/bench/t_virtbench

start=$(date +%s)
ok=1
# One CPU, like the paper's UP host: the guests are UP, and on two
# vCPUs a pipe's wake-up waits for the other vCPU to leave its idle loop.
LGTEST_SMP=1 LGTEST_MEM=2048 STAGE=bench tests/vm/run-vm.sh virtbench "$vmlinuz" "$img" \
	"lgtest.tests=t_virtbench${VB_ONLY:+ vb.only=$VB_ONLY}${VB_ARGS:+ $VB_ARGS}" 1500 >/dev/null || ok=0
cp "$BUILD/vm/logs/virtbench.log" "$out/virtbench.log"
python3 tests/bench/report.py "$out/virtbench.log" "$out/virtbench.json" \
	"host kernel $kver under QEMU TCG (-cpu max), VM run $(($(date +%s) - start)) s"
if [ $ok = 0 ]; then
	echo "virtbench: the VM host run was not clean; see $out/virtbench.log" >&2
	exit 1
fi
