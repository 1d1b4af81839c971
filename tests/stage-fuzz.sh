#!/bin/bash
# Fuzzing: libFuzzer (clang, ASan, UBSan) on the parsers that read what a
# guest or a user hands us -- the ELF kernel loader and the split
# virtqueue parser -- for a bounded time each (LGUEST_FUZZ_TIME seconds,
# default 60).  The seed corpus lives in tests/fuzz/corpus/NAME; what the
# fuzzer finds goes to build/fuzz/corpus-NAME, and a crashing input to
# build/fuzz/crash-* (replay it: build/fuzz/fuzz_NAME FILE).
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$TOP"
st=fuzz
secs=${LGUEST_FUZZ_TIME:-60}

if ! make --no-print-directory fuzz-build >"$BUILD/fuzz-build.txt" 2>&1; then
	record $st FAIL "fuzzers build" "see $BUILD/fuzz-build.txt"
	tail -n 20 "$BUILD/fuzz-build.txt"
	exit 0
fi
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	corpus=${name#fuzz_}
	bin=$BUILD/fuzz/$name
	out=$BUILD/fuzz/corpus-$corpus
	log=$BUILD/fuzz/$name.log
	mkdir -p "$out"
	if [ ! -d "tests/fuzz/corpus/$corpus" ]; then
		record $st FAIL "$name" "no seed corpus tests/fuzz/corpus/$corpus"
		continue
	fi
	# One job, one worker: the machine is shared.
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$BUILD/fuzz/crash-$corpus-" -print_final_stats=1 \
		"$out" "tests/fuzz/corpus/$corpus" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		record $st PASS "$name for ${secs}s" "${runs:-?} inputs"
	else
		record $st FAIL "$name" "$(grep -m1 -E 'ERROR|runtime error|deadly' "$log"); see $log"
		grep -A 15 -m1 -E 'ERROR|runtime error' "$log" | head -n 20
	fi
done
