#!/bin/bash
# run-vm.sh NAME VMLINUZ INITRAMFS APPEND [TIMEOUT]
#
# Boot one VM host under QEMU's software CPU and judge it.  QEMU exits 0
# even when the kernel panics, so a run passes only when all of these hold:
#   - QEMU left through isa-debug-exit with the pass code (0x10 -> 33);
#   - the console has the VM's own "LGTEST RESULT passed=N failed=0", N > 0;
#   - the console shows no oops, BUG, WARNING, lockup or stall;
#   - it finished before the timeout.
# The console is kept in build/vm/logs/NAME.log; on failure its tail is
# printed.  Each in-VM test line is recorded as "[NAME] test".
# EXPECT="paging=4-level pti=on" makes the run fail unless the VM reports
# that host configuration, so a matrix entry cannot silently test another.
# LGTEST_MEM is the VM host's RAM in MiB (1024), LGTEST_SMP its CPUs (2),
# LGTEST_CPU QEMU's CPU model (max; e.g. max,vendor=GenuineIntel).
# LGTEST_DISK an image the VM host sees as its virtio disk /dev/vda,
# copy-on-write (snapshot=on: the image itself is never written).
# LGUEST_ACCEL=kvm runs the VM host on the real CPU (-accel kvm -cpu host)
# where /dev/kvm is there, for PCID, PKU, CET and real MSRs; make check
# never needs it, and without /dev/kvm it says so and uses TCG.
set -uo pipefail
. "$(dirname "$0")/../lib/common.sh"

name=$1 kernel=$2 initrd=$3 append=$4 limit=${5:-${LGTEST_TIMEOUT:-300}}
stage=${STAGE:-vm}
logdir=$BUILD/vm/logs
log=$logdir/$name.log
mkdir -p "$logdir"

accel=(-accel tcg -cpu "${LGTEST_CPU:-max}")
if [ "${LGUEST_ACCEL:-tcg}" = kvm ]; then
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		accel=(-accel kvm -cpu host)
	else
		echo "run-vm.sh: LGUEST_ACCEL=kvm, but /dev/kvm is not usable here: QEMU's software CPU" >&2
	fi
fi

disk=()
[ -n "${LGTEST_DISK:-}" ] && disk=(-drive "file=$LGTEST_DISK,if=virtio,format=raw,snapshot=on")

start=$(date +%s)
timeout -k 10 "$limit" qemu-system-x86_64 \
	"${accel[@]}" -smp "${LGTEST_SMP:-2}" -m "${LGTEST_MEM:-1024}" \
	-display none -monitor none -serial stdio -no-reboot -nic none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	"${disk[@]}" -kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 loglevel=5 log_buf_len=16M $append" \
	</dev/null >"$log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))

why=""
result=$(grep -a -o 'LGTEST RESULT passed=[0-9]* failed=[0-9]*' "$log" | tail -n1)
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	why="timed out after ${limit}s"
elif [ $rc -ne 33 ]; then
	why="QEMU exit status $rc, not the pass code 33"
elif [ -z "$result" ]; then
	why="no result line on the console"
elif ! [[ $result =~ passed=[1-9][0-9]*\ failed=0$ ]]; then
	why="in-VM tests: ${result#LGTEST RESULT }"
fi
begin=$(grep -a -m1 '^LGTEST BEGIN' "$log" | tr -d '\r')
for e in ${EXPECT:-}; do
	if [ -z "$why" ] && ! [[ " $begin " == *" $e "* ]]; then
		why="host is not $e ($begin)"
	fi
done
bad=$(grep -a -v -E -f <(grep -v '^#' "$(dirname "$0")/host-log-allowed") "$log" |
	grep -a -E -m1 'BUG:|WARNING:|Oops|Kernel panic|Call Trace|lockup|rcu.*stall|blocked for more than')
if [ -z "$why" ] && [ -n "$bad" ]; then
	why="host kernel complained: $bad"
fi

# Each in-VM check counts on its own, under the matrix entry's name.
grep -a -E '^LGTEST (PASS|FAIL|SKIP) ' "$log" | tr -d '\r' | while read -r _ v rest; do
	t=${rest%%: *}
	d=""; [ "$rest" != "$t" ] && d=${rest#*: }
	record "$stage" "$v" "[$name] $t" "$d"
done

if [ -z "$why" ]; then
	record "$stage" PASS "[$name] VM run clean" "${secs}s"
	exit 0
fi
record "$stage" FAIL "[$name] VM run clean" "$why"
echo "---- last console lines of $name ($log) ----"
tail -n 40 "$log" | tr -d '\r' | sed 's/^/    | /'
echo "----"
exit 1
