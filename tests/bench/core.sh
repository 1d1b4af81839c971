#!/bin/bash
# make bench-core: per-operation costs of the hypervisor core, beside the
# native operation they stand in for, measured in one boot of the VM host
# (Debian's 6.12 kernel under QEMU's software CPU, 5-level paging).
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
cd "$TOP"

"$TOP/tests/lib/install-deps.sh"
. "$TOP/tests/lib/common.sh"
kver=$KVER_612
make --no-print-directory -s module KVER="$kver" >/dev/null
make --no-print-directory -s vm-progs >/dev/null
img=$BUILD/vm/bench-core.cpio.gz
tests/vm/mkinitramfs.sh "$img" "$BUILD/module/$kver/lg.ko" \
	"$BUILD/vm/progs/lgexit" "$BUILD/vm/progs/t_bench_core" "$BUILD/vm/progs/bench.bin"
STAGE=bench tests/vm/run-vm.sh bench-core "$(host_vmlinuz "$kver")" "$img" \
	"lgtest.tests=t_bench_core" 600 >/dev/null || {
	echo "bench-core: the VM run failed; see $BUILD/vm/logs/bench-core.log" >&2
	exit 1
}
echo "lguest core operations, $(date -u +%Y-%m-%d), host kernel $kver under QEMU TCG (-cpu max)"
grep -a '^BENCH' "$BUILD/vm/logs/bench-core.log" | tr -d '\r' | sed 's/^BENCH //'
