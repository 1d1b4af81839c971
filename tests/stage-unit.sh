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
		# A test that cannot run here says why on the line before (cmocka's skip()).
		"ok "*"# SKIP"*) record $st SKIP "$name: ${line##*# SKIP }" \
			"$(grep -m1 '^SKIP ' "$t.tap" | sed 's/^SKIP [^:]*: //')"; n=$((n + 1)) ;;
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

# The library as others get it: exported symbols, pkg-config, make install.
if make --no-print-directory lib lguestctl examples >"$BUILD/lib-build.txt" 2>&1; then
	want=$(grep -o 'lg_[a-z_]*(' liblguest/include/liblguest.h | tr -d '(' | sort -u)
	have=$(nm -D --defined-only "$BUILD/lib/liblguest.so" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' | sort -u)
	if [ -n "$want" ] && [ "$want" = "$have" ]; then
		record $st PASS "liblguest.so exports exactly liblguest.h's functions"
	else
		record $st FAIL "liblguest.so exports exactly liblguest.h's functions" \
			"$(diff <(echo "$want") <(echo "$have") | grep '^[<>]' | tr '\n' ' ')"
	fi
	if objdump -p "$BUILD/lib/liblguest.so" | grep -q 'SONAME *liblguest.so.0$'; then
		record $st PASS "liblguest.so has soname liblguest.so.0"
	else
		record $st FAIL "liblguest.so has soname liblguest.so.0"
	fi
	# The example, built with pkg-config only, fails cleanly without a kernel.
	out=$(LGUEST_DEV=/nonexistent "$BUILD/examples/boot" /nonexistent/vmlinux 2>&1)
	if [ $? -eq 1 ] && [[ $out == *"/nonexistent/vmlinux: No such file"* ]]; then
		record $st PASS "example builds with pkg-config and reports errors"
	else
		record $st FAIL "example builds with pkg-config and reports errors" "$out"
	fi
	# make install into a staging root, then build the example against it.
	dest=$BUILD/install-test
	rm -rf "$dest"
	if make --no-print-directory install DESTDIR="$dest" PREFIX=/usr \
		LIBDIR=/usr/lib/x86_64-linux-gnu >"$BUILD/install-test.txt" 2>&1 &&
		for f in usr/bin/lguestctl usr/include/liblguest.h usr/share/man/man1/lguestctl.1 \
			usr/share/bash-completion/completions/lguestctl \
			usr/lib/x86_64-linux-gnu/liblguest.a usr/lib/x86_64-linux-gnu/liblguest.so.0; do
			[ -e "$dest/$f" ] || { echo "missing $f" >>"$BUILD/install-test.txt"; exit 1; }
		done &&
		PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$dest/usr/lib/x86_64-linux-gnu/pkgconfig \
			cc liblguest/examples/boot.c -o "$dest/boot" \
			$(PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$dest/usr/lib/x86_64-linux-gnu/pkgconfig \
				pkg-config --cflags --libs liblguest) >>"$BUILD/install-test.txt" 2>&1; then
		record $st PASS "make install DESTDIR= installs lib, headers, .pc, lguestctl, man page, completion"
	else
		record $st FAIL "make install DESTDIR= installs lib, headers, .pc, lguestctl, man page, completion" \
			"see $BUILD/install-test.txt"
	fi
else
	record $st FAIL "lib, lguestctl and examples build" "see $BUILD/lib-build.txt"
	tail -n 20 "$BUILD/lib-build.txt"
fi
