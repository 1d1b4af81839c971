#!/bin/bash
# Unit tests: cmocka, built with AddressSanitizer and UBSan.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$TOP"
st=unit

if ! make --no-print-directory unit-build >"$BUILD/unit-build.txt" 2>&1; then
	record $st FAIL "unit tests build" "see $BUILD/unit-build.txt"
	tail -n 20 "$BUILD/unit-build.txt"
	exit 0
fi
for t in "$BUILD"/unit/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	# TAP output: one "ok N - name" or "not ok N - name" line per test.
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$t.tap" 2>&1
	rc=$?
	n=0
	while read -r line; do
		case $line in
		"not ok "*) record $st FAIL "$name: ${line#not ok * - }"; n=$((n + 1)) ;;
		"ok "*) record $st PASS "$name: ${line#ok * - }"; n=$((n + 1)) ;;
		esac
	done <"$t.tap"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$t.tap"; then
		record $st FAIL "$name" "exit status $rc (sanitizer report?)"
		tail -n 20 "$t.tap"
	elif [ $n -eq 0 ]; then
		record $st FAIL "$name" "ran no test"
	elif [ $rc -ne 0 ]; then
		sed -n '/^not ok/,/^ok/p' "$t.tap" | head -n 20
	fi
done
