#!/bin/bash
# Static checks: kernel style, user-space analysers, warning-free builds.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$TOP"
st=static
out=$BUILD/static
mkdir -p "$out"

# The newer kernels' chroots (below) are mostly downloading and
# unpacking: let them be made from the start, beside the checks that need
# the CPU.
# shellcheck disable=SC1091
. "$TOP/tests/lib/newer-kernels.sh"
(nk_chroot && nk_use sid && nk_chroot) >"$out/chroot-early.txt" 2>&1 &
nk_early=$!

# checkpatch.pl --strict is the judge of kernel style (from linux-source).
src=$(kernel_source) || { record $st FAIL "checkpatch" "no kernel source"; src=""; }
kfiles=$(ls module/*.[chS] switcher/*.[chS])
if [ -n "$src" ]; then
	for f in $kfiles; do
		if "$src/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
			-f "$f" >"$out/checkpatch.txt" 2>&1; then
			record $st PASS "checkpatch --strict $f"
		else
			record $st FAIL "checkpatch --strict $f" "$(head -n3 "$out/checkpatch.txt" | tr '\n' ' ')"
		fi
	done
fi

# The guest series, each patch as it would be sent, checked from inside
# the kernel source (checkpatch reads the tree for some checks).  The one
# allowance: cpufeatures.h and disabled-features.h lines written in those
# files' own "( 8*32+23)" and "(A|B)" style, which checkpatch flags
# everywhere in them (docs/guest.md).
if [ -n "$src" ]; then
	mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' guest-patches/series)
	for p in "${series[@]}"; do
		f=$TOP/guest-patches/$p
		(cd "$src" && scripts/checkpatch.pl --strict --terse "$f" 2>/dev/null) |
			grep -v '^total:' >"$out/checkpatch-series.txt"
		bad=$(while IFS=: read -r _ line rest; do
			text=$(sed -n "${line}p" "$f")
			[[ $text =~ ^\+#define\ (X86_FEATURE_[A-Z0-9_]+[[:space:]]+\(\ *[0-9]+\*32\+\ *[0-9]+\)|DISABLED_MASK[0-9]+[[:space:]]+\() ]] ||
				echo "$line:$rest"
		done <"$out/checkpatch-series.txt")
		if [ -s "$f" ] && [ -z "$bad" ]; then
			record $st PASS "checkpatch --strict guest-patches/$p"
		else
			record $st FAIL "checkpatch --strict guest-patches/$p" "$(head -n3 <<<"$bad" | tr '\n' ' ')"
		fi
	done
fi

# User space: every C file we ship or run.
ufiles=$(ls liblguest/src/*.c liblguest/examples/*.c lguestctl/*.c \
	tests/unit/*.c tests/vm/progs/*.c tests/guests/linux/netinit.c tests/guests/linux/fsinit.c \
	tests/guests/linux/battery.c tests/guests/linux/hostile.c tests/guests/linux/kselftest.c \
	tests/guests/linux/sysfeat.c \
	tests/bench/progs/*.c 2>/dev/null)
if cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
	--std=c11 --inline-suppr -D__x86_64__ -Iinclude/uapi -Iliblguest/src -Iliblguest/include -Ilguestctl -Itests/vm/progs \
	--suppress=missingIncludeSystem $ufiles >"$out/cppcheck.txt" 2>&1; then
	record $st PASS "cppcheck on user space"
else
	record $st FAIL "cppcheck on user space" "$(head -n3 "$out/cppcheck.txt" | tr '\n' ' ')"
fi
if clang-tidy --quiet $ufiles -- -std=c11 -D_GNU_SOURCE -Iinclude/uapi -Iliblguest/src -Ilguestctl -Itests/vm/progs \
	-Iliblguest/include >"$out/clang-tidy.txt" 2>&1 &&
	! grep -q 'warning:\|error:' "$out/clang-tidy.txt"; then
	record $st PASS "clang-tidy on user space"
else
	record $st FAIL "clang-tidy on user space" "$(grep -m3 'warning:\|error:' "$out/clang-tidy.txt" | tr '\n' ' ')"
fi

# lg.ko for each reference host kernel, with W=1, and not one warning.
for kver in "$KVER_61" "$KVER_612"; do
	if make --no-print-directory module KVER="$kver" >"$out/module-$kver.txt" 2>&1; then
		if grep -q 'warning:' "$out/module-$kver.txt"; then
			record $st FAIL "lg.ko builds warning-free (W=1) for $kver" \
				"$(grep -m1 'warning:' "$out/module-$kver.txt")"
		else
			record $st PASS "lg.ko builds warning-free (W=1) for $kver"
		fi
	else
		record $st FAIL "lg.ko builds warning-free (W=1) for $kver" "build failed: see $out/module-$kver.txt"
		tail -n 20 "$out/module-$kver.txt"
	fi
done

# lg.ko for kernels newer than Debian 12 has: trixie's own and the newest
# of trixie-backports, built in a cached trixie chroot, then sid's newest,
# with sid's newer compiler, in a sid chroot (tests/lib/newer-kernels.sh).
# Build only; and lg.ko may not need a symbol that kernel exports to KVM
# alone, which modpost would refuse.
newer_builds() {
	local kver name log kvm
	if ! nk_chroot >"$out/chroot-$NK_BASE.txt" 2>&1; then
		record $st FAIL "lg.ko builds for the kernels of $NK_BASE" \
			"no $NK_BASE chroot: $(tail -n1 "$out/chroot-$NK_BASE.txt")"
		return
	fi
	for kver in "${NK_KVERS[@]}"; do
		name="lg.ko builds warning-free (W=1) for $kver ($NK_GCC)"
		log=$out/module-$kver.txt
		if nk_module "$kver" >"$log" 2>&1; then
			if grep -q 'warning:' "$log"; then
				record $st FAIL "$name" "$(grep -m1 'warning:' "$log")"
			else
				record $st PASS "$name"
			fi
		else
			record $st FAIL "$name" "build failed: $(grep -m1 'error\|ERROR' "$log")"
			tail -n 20 "$log"
			continue
		fi
		name="lg.ko needs no KVM-only symbol of $kver"
		kvm=$(nk_kvm_only "$kver" "$BUILD/newer/module/$kver/lg.ko" | sort | tr '\n' ' ')
		if [ -z "$kvm" ]; then
			record $st PASS "$name"
		else
			record $st FAIL "$name" "exported to KVM only: $kvm"
		fi
	done
}
wait "$nk_early"
newer_builds
nk_use sid
newer_builds
