#!/bin/bash
# check.sh [STAGE...]: the whole test suite, or some stages of it.
#
#   static  checkpatch --strict on the kernel code, cppcheck and clang-tidy
#           on user space, lg.ko built warning-free (W=1) for each host
#   unit    cmocka unit tests of user space, under ASan and UBSan
#   pkg     make dist/deb/rpm, lintian, lguest-dkms installed here so DKMS
#           builds lg.ko for each host kernel, then purged; liblguest0,
#           liblguest-dev and lguestctl installed and used, then purged
#   fuzz    libFuzzer on the ELF loader and the virtqueue parser, about a
#           minute each (LGUEST_FUZZ_TIME)
#   vm      the in-VM matrix on real Debian host kernels, and the
#           harness's own self-tests (it must be able to fail)
#
# Every test adds one PASS/FAIL/SKIP line; the last line of output is
# "N passed, N failed" (", N skipped" when something could not run), and
# the exit status is non-zero when anything failed.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$TOP"

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(static unit fuzz pkg vm)
# The vm stage boots the DKMS-built lg.ko only if pkg ran in this same run.
export LGUEST_STAGES="${stages[*]}"

"$TOP/tests/lib/install-deps.sh" || { echo "error: installing dependencies failed" >&2; exit 1; }
# common.sh read the kernel versions before the headers were installed.
. "$TOP/tests/lib/common.sh"
for s in "${stages[@]}"; do rm -f "$RESULTS/$s.txt"; done

T0=$(date +%s)
for s in "${stages[@]}"; do
	echo "== $s"
	t=$(date +%s)
	case $s in
	static | unit | fuzz | pkg | vm) "$TOP/tests/stage-$s.sh" ;;
	*) echo "error: unknown stage '$s' (static, unit, fuzz, pkg, vm)" >&2; exit 2 ;;
	esac
	# Where make check's time goes, stage by stage.
	echo "== $s took $(( $(date +%s) - t ))s"
done

np=0 nf=0 ns=0
for s in "${stages[@]}"; do
	f=$RESULTS/$s.txt
	[ -e "$f" ] || { record "$s" FAIL "stage $s" "recorded no result"; }
	np=$((np + $(grep -c '^PASS ' "$f")))
	nf=$((nf + $(grep -c '^FAIL ' "$f")))
	ns=$((ns + $(grep -c '^SKIP ' "$f")))
done
files=()
for s in "${stages[@]}"; do files+=("$RESULTS/$s.txt"); done
if [ "$nf" -gt 0 ]; then
	echo "== failures"
	grep -h '^FAIL' "${files[@]}"
fi
if [ "$ns" -gt 0 ]; then
	echo "== skipped (not counted as passed)"
	grep -h '^SKIP' "${files[@]}"
fi
echo "== took $(( $(date +%s) - T0 ))s"
if [ "$ns" -gt 0 ]; then
	echo "$np passed, $nf failed, $ns skipped"
else
	echo "$np passed, $nf failed"
fi
[ "$nf" -eq 0 ]
