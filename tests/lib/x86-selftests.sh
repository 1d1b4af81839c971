#!/bin/bash
# x86-selftests.sh OUTDIR: the host kernel's own x86 selftests, 64-bit,
# static, from Debian's linux-source-6.12 (tests/lib/common.sh's
# kernel_source unpacks it into the cache), for t_kselftest to run on the
# VM host with a Linux guest beside them.  Built with the flags of
# tools/testing/selftests/x86/Makefile, plus -static (the VM host's
# initramfs has no libc), against the build machine's kernel headers.
#
# The chosen ones exercise what lguest's Switcher and world switch touch
# on the host: FS/GS bases, segments, the LDT and GDT, sigreturn,
# syscall/sysret, single-stepping and debug traps, the FPU and xstate,
# iopl/ioperm (the TSS), vsyscall and the vDSO.  Left out: amx, lam and
# test_shadow_stack (hardware QEMU's software CPU lacks); syscall_numbering
# (minutes under QEMU, and it is the syscall table, not the switch);
# sysret_ss_attrs (its call32_from_64 does an lretq, which QEMU 7.2's
# software CPU turns into a SMAP fault that oopses the VM host kernel
# with no guest at all); sigaltstack and
# nx_stack (not what lguest touches).
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ $# -eq 1 ] || { echo "usage: x86-selftests.sh OUTDIR" >&2; exit 2; }
out=$1
TESTS="fsgsbase fsgsbase_restore ldt_gdt sigreturn single_step_syscall sigtrap_loop
	mov_ss_trap sysret_rip syscall_nt syscall_arg_fault ptrace_syscall
	check_initial_reg_state corrupt_xstate_header iopl ioperm test_vsyscall test_mremap_vdso"

src=$(kernel_source)/tools/testing/selftests/x86
rm -rf "$out" && mkdir -p "$out"
for t in $TESTS; do
	extra=()
	case $t in
	sysret_ss_attrs) extra=(thunks.S) ;;
	fsgsbase_restore | sysret_rip) extra=(clang_helpers_64.S) ;;
	check_initial_reg_state) extra=("-Wl,-ereal_start") ;;
	esac
	(cd "$src" && ${CC:-gcc} -m64 -static -O2 -g -std=gnu99 -pthread -Wall -no-pie \
		-DCAN_BUILD_64 -o "$out/${t}_64.tmp" "$t.c" "${extra[@]}" -lrt -ldl) \
		>"$out/$t.log" 2>&1 ||
		{ echo "x86-selftests: $t does not build:" >&2; tail -n 20 "$out/$t.log" >&2; exit 1; }
	mv "$out/${t}_64.tmp" "$out/${t}_64"
done
