#!/bin/bash
# The in-VM matrix: each reference host kernel, 5-level and 4-level
# paging, PTI on and off, booted under QEMU's software CPU with lg.ko and
# the in-VM tests in its initramfs.  Then the harness's own self-tests:
# a harness that cannot fail proves nothing.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$TOP"
st=vm
out=$BUILD/vm
mkdir -p "$out"

if ! make --no-print-directory vm-progs >"$out/progs-build.txt" 2>&1; then
	record $st FAIL "in-VM test programs build" "see $out/progs-build.txt"
	tail -n 20 "$out/progs-build.txt"
	exit 0
fi
P=$BUILD/vm/progs
TESTS=$(ls "$P"/t_* | grep -v t_selftest_)

# The Linux guest (t_linux): vmlinux from guest-patches/, built once per
# input and cached (minutes from nothing, seconds after), and its initrd.
GUEST=()
if vmlinux=$(tests/lib/guest-kernel.sh 2>"$out/guest-kernel.txt"); then
	record $st PASS "Linux guest kernel builds" "$vmlinux"
	GUEST=("$vmlinux" "$P/linux-initrd.cpio" "$P/linux-root.img" "$P/linux-net.cpio" "$P/linux-fs.cpio" "$P/run-init.cpio" \
		"$P/linux-userland.img" "$P/lguestctl" "$P/hostile" "$BUILD"/vm/x86-selftests/*_64)
else
	record $st FAIL "Linux guest kernel builds" "see $out/guest-kernel.txt"
	tail -n 20 "$out/guest-kernel.txt"
fi

# A Debian 12 root for t_userland's distro part (systemd, podman, gcc,
# python3, fio; tests/lib/mkdistro.sh), cached once per input.  It is
# the VM host's virtio disk on the entries in DISTRO_ENTRIES, which give
# the VM host 2 GiB: the guest has 768 MiB of it.
DISTRO_IMG=""
if DISTRO_IMG=$(tests/lib/mkdistro.sh 2>"$out/distro.txt"); then
	record $st PASS "a Debian root with systemd, podman, gcc, python3 and fio is made" "$DISTRO_IMG"
else
	DISTRO_IMG=""
	record $st FAIL "a Debian root with systemd, podman, gcc, python3 and fio is made" "see $out/distro.txt"
	tail -n 20 "$out/distro.txt"
fi

# initramfs KVER KO NAME PROGS...: build lg.ko's initramfs for one kernel.
initramfs() {
	local img=$out/$3.cpio.gz
	"$TOP/tests/vm/mkinitramfs.sh" "$img" "$2" "${@:4}" || return 1
	echo "$img"
}

# The newest kernel of trixie-backports, what users of this year run: its
# image from the archive, its lg.ko from the trixie chroot the static
# stage builds with (tests/lib/newer-kernels.sh), cached the same way.
# shellcheck disable=SC1091
. "$TOP/tests/lib/newer-kernels.sh"
KVER_NEW=""
if nk_chroot >"$out/chroot.txt" 2>&1; then
	KVER_NEW=${NK_KVERS[-1]}
	export LGTEST_RUST_VIRTIOFSD_ROOT=$NK_ROOT
else
	record $st FAIL "the newest kernel of trixie-backports is at hand" \
		"no trixie chroot: $(tail -n1 "$out/chroot.txt")"
fi

declare -A VMLINUZ IMG
for kver in "$KVER_61" "$KVER_612" $KVER_NEW; do
	if ! VMLINUZ[$kver]=$(host_vmlinuz "$kver"); then
		record $st FAIL "host kernel $kver available"
		continue
	fi
	if [ "$kver" = "$KVER_NEW" ]; then
		ko=$BUILD/newer/module/$kver/lg.ko
		nk_module "$kver" >"$out/module-$kver.txt" 2>&1
	else
		ko=$BUILD/module/$kver/lg.ko
		make --no-print-directory module KVER="$kver" >"$out/module-$kver.txt" 2>&1
	fi
	# shellcheck disable=SC2181 # either build, one verdict
	if [ $? -ne 0 ]; then
		record $st FAIL "lg.ko builds for $kver" "see $out/module-$kver.txt"
		continue
	fi
	IMG[$kver]=$(initramfs "$kver" "$ko" "test-$kver" "$P/lgexit" "$P/lgperfhold" $TESTS "$P"/*.bin "$BUILD"/vm/guests/*.elf "${GUEST[@]}" \
		$(host_test_modules "$kver") "$BUILD"/bench/progs/vb_*)
done

# ---- packaging: one matrix entry boots what the packages installed -----
# tests/stage-pkg.sh leaves the lg.ko DKMS built from lguest-dkms.deb for
# $KVER_612 in $BUILD/dkms/, and the vmlinux lguest-guest-kernel.deb
# installed in $BUILD/pkg-guest/.  When pkg ran in this same check.sh run,
# $DKMS_ENTRY boots that module, and its t_linux and t_lguestctl boot that
# guest kernel, instead of the make-built ones; run without pkg, it boots
# the make-built ones and says so (stale files are ignored).
DKMS_ENTRY=6.12-5level
dkms_ko=$BUILD/dkms/$KVER_612/lg.ko
pkg_vmlinux=$BUILD/pkg-guest/vmlinux
if [[ " ${LGUEST_STAGES:-} " == *" pkg "* ]]; then
	PKG_GUEST=("${GUEST[@]}")
	if [ ${#GUEST[@]} -gt 0 ] && [ -e "$pkg_vmlinux" ]; then
		PKG_GUEST[0]=$pkg_vmlinux
		record $st PASS "[$DKMS_ENTRY] uses the guest kernel lguest-guest-kernel.deb installed" "$pkg_vmlinux"
	else
		record $st FAIL "[$DKMS_ENTRY] uses the guest kernel lguest-guest-kernel.deb installed" \
			"the pkg stage left no $pkg_vmlinux"
	fi
	if [ -e "$dkms_ko" ] && IMG[dkms]=$(initramfs "$KVER_612" "$dkms_ko" "test-dkms-$KVER_612" \
		"$P/lgexit" "$P/lgperfhold" $TESTS "$P"/*.bin "$BUILD"/vm/guests/*.elf "${PKG_GUEST[@]}" \
		$(host_test_modules "$KVER_612") "$BUILD"/bench/progs/vb_*); then
		record $st PASS "[$DKMS_ENTRY] uses the lg.ko DKMS built" "$dkms_ko"
	else
		record $st FAIL "[$DKMS_ENTRY] uses the lg.ko DKMS built" "the pkg stage left no $dkms_ko"
	fi
else
	echo "  note: the pkg stage did not run: [$DKMS_ENTRY] boots the make-built lg.ko and guest kernel"
fi

# name kernel QEMU-CPU "append" "what the VM must report"
# (What depends least on the host kernel, its paging and PTI runs in full
# on the 6.1 and the newest kernel's entries, one 4-level and one
# 5-level, and shorter on the three 6.12 ones, to keep make check near
# half an hour: t_run's short form; t_userland's battery, endings,
# hostile and kselftest parts, not its pipelines, persistence, stress-ng
# and distro parts; t_fuzz for 20 s, not 40.  Each part left out is a SKIP
# with its reason.  Debian 6.1 keeps one entry, its 4-level one, on an
# Intel CPU model: Intel without ARCH_CAPABILITIES turns PTI on by
# itself, so it is also the PTI entry; the newest kernel's took the
# 5-level one's place, to keep make check near half an hour.  The two
# long entries start first, so the 6.12 ones fill the other core.)
SHORT=lgtest.run=short,lgtest.userland=battery+system+endings+hostile+kselftest,lgtest.fuzz_time=20
matrix=("6.1-4level-intel $KVER_61 max,vendor=GenuineIntel no5lvl paging=4-level pti=on vendor=GenuineIntel")
DISTRO_ENTRIES=6.1-4level-intel
if [ -n "$KVER_NEW" ]; then
	matrix+=("$(cut -d. -f1,2 <<<"$KVER_NEW")-5level $KVER_NEW max - paging=5-level pti=off preempt=lazy")
	DISTRO_ENTRIES+=" $(cut -d. -f1,2 <<<"$KVER_NEW")-5level"
fi
matrix+=(
	"6.12-5level   $KVER_612 max lgtest.syscall_numbering=1,$SHORT paging=5-level pti=off"
	"6.12-4level-full $KVER_612 max no5lvl,preempt=full,$SHORT paging=4-level pti=off preempt=full"
	"6.12-5level-pti $KVER_612 max pti=on,$SHORT paging=5-level pti=on"
)

# ---- the harness's own tests -------------------------------------------
# Each runs a VM that must be judged a failure, recorded under a stage of
# its own, and passes only if the harness said FAIL for the right reason.
harness_must_fail() {
	local what=$1 want=$2 name=$3 img=$4 append=$5 limit=$6 o
	o=$(STAGE=selftest EXPECT="${EXPECT:-}" "$TOP/tests/vm/run-vm.sh" "$name" "${VMLINUZ[$KVER_612]}" \
		"$img" "$append" "$limit" 2>&1)
	if [ $? -ne 0 ] && grep -q -- "$want" <<<"$o"; then
		record $st PASS "harness: $what is reported as a failure"
	else
		record $st FAIL "harness: $what is reported as a failure" \
			"harness said: $(grep 'VM run clean' <<<"$o")"
	fi
}
harness_selftests() {
	[ -n "${IMG[$KVER_612]:-}" ] || return 0
	sdir=$BUILD/selftest
	if make --no-print-directory module KVER="$KVER_612" BUILD="$sdir" \
		MODULE_FLAGS=CONFIG_LG_HARNESS_SELFTEST=y >"$out/selftest-build.txt" 2>&1; then
		simg=$(initramfs "$KVER_612" "$sdir/module/$KVER_612/lg.ko" selftest-oops \
			"$P/lgexit" "$P/t_version" "$P/t_selftest_oops")
		harness_must_fail "a host oops in lg.ko" "FAIL.*VM run clean" \
			selftest-oops "$simg" "" 120
		grep -q -a 'Oops\|BUG:' "$BUILD/vm/logs/selftest-oops.log" ||
			record $st FAIL "harness: selftest module really oopsed"
	else
		record $st FAIL "harness: selftest module builds" "see $out/selftest-build.txt"
	fi
	img=${IMG[$KVER_612]}
	harness_must_fail "a VM that exits without its result line" "no result line" \
		selftest-noresult "$img" "rdinit=/tests/lgexit -- 0x10" 120
	harness_must_fail "a VM that hangs" "timed out" \
		selftest-hang "$img" "rdinit=/bin/busybox -- sleep 1000" 20
	harness_must_fail "a VM whose host kernel panics" "not the pass code" \
		selftest-panic "$img" "rdinit=/nonexistent" 120
	EXPECT=paging=4-level harness_must_fail "a VM on the wrong matrix entry" "host is not" \
		selftest-expect "$img" "lgtest.tests=t_version" 120
	# Not the harness's: lg.ko must refuse a host that hands vector 0x80
	# (our hypercall's) to devices, and say why (module/core.c).
	name="lg.ko refuses a host booted with ia32_emulation=false, and says why"
	STAGE=selftest "$TOP/tests/vm/run-vm.sh" refuse-int80 "${VMLINUZ[$KVER_612]}" "$img" \
		"ia32_emulation=false lgtest.tests=t_version" 120 >"$out/refuse-int80.out" 2>&1
	if grep -q -a '^LGTEST FAIL module loads' "$BUILD/vm/logs/refuse-int80.log" &&
		grep -q -a 'lguest: needs vector 0x80 reserved' "$BUILD/vm/logs/refuse-int80.log"; then
		record $st PASS "$name"
	else
		record $st FAIL "$name" "see $BUILD/vm/logs/refuse-int80.log"
	fi
}

run_entry() {
	local name=$1 kver=$2 cpu=$3 append=$4
	shift 4
	[ "$append" = - ] && append=""
	local img=${IMG[$kver]:-}
	# packaging: the DKMS-built lg.ko, see above
	[ "$name" = "$DKMS_ENTRY" ] && [ -n "${IMG[dkms]:-}" ] && img=${IMG[dkms]}
	if [ -z "$img" ]; then
		record $st FAIL "[$name] VM run clean" "no initramfs for $kver"
		return
	fi
	local disk="" mem=1024
	if [[ " $DISTRO_ENTRIES " == *" $name "* ]] && [ -n "$DISTRO_IMG" ]; then
		disk=$DISTRO_IMG mem=2048 append+=,lgtest.distro=1
	fi
	# 2400 s: an entry's tests take 8-25 minutes under TCG with two VMs on
	# two cores, by the machine and the entry (the 6.1 entry: 685 s one
	# day, 1,083 s on a slower one, before the distro part); a hang still
	# ends here.
	EXPECT="$*" LGTEST_CPU=$cpu LGTEST_DISK=$disk LGTEST_MEM=$mem "$TOP/tests/vm/run-vm.sh" "$name" "${VMLINUZ[$kver]}" "$img" \
		"${append//,/ }" "${LGTEST_TIMEOUT:-2400}" >"$out/$name.out" 2>&1
}
# Two VMs at a time, one per core, each started as soon as a core is
# free; the harness's self-tests (short VMs) take the last free core.
running=0
for e in "${matrix[@]}" harness; do
	if (( running == 2 )); then
		wait -n
		running=1
	fi
	if [ "$e" = harness ]; then
		harness_selftests >"$out/harness.out" 2>&1 &
	else
		# shellcheck disable=SC2086
		run_entry $e &
	fi
	running=$((running + 1))
done
wait
for e in "${matrix[@]}"; do
	cat "$out/${e%% *}.out"
done
cat "$out/harness.out"

# The packaged guest kernel really booted to user space there: t_linux's
# checks all passed in that VM (a skip or a failure is not a boot).
if [ -n "${IMG[dkms]:-}" ] && [ "${PKG_GUEST[0]:-}" = "$pkg_vmlinux" ]; then
	dlog=$BUILD/vm/logs/$DKMS_ENTRY.log
	npass=$(grep -a -c '^LGTEST PASS linux' "$dlog" 2>/dev/null)
	nbad=$(grep -a -c '^LGTEST \(FAIL\|SKIP\) linux' "$dlog" 2>/dev/null)
	if [ "${npass:-0}" -gt 0 ] && [ "${nbad:-0}" -eq 0 ] &&
		grep -a -q '^LGTEST PASS linux.*init runs in user space' "$dlog"; then
		record $st PASS "[$DKMS_ENTRY] the packaged guest kernel boots to user space" "$npass t_linux checks"
	else
		record $st FAIL "[$DKMS_ENTRY] the packaged guest kernel boots to user space" \
			"t_linux: ${npass:-0} passed, ${nbad:-0} failed or skipped, see $dlog"
	fi
fi

