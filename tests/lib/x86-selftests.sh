#!/bin/bash
# x86-selftests.sh OUTDIR: the host kernel's own x86 selftests, 64-bit,
# static, from Debian's linux-source-6.12 (tests/lib/common.sh's
# kernel_source unpacks it into the cache).  Built with the flags of
# tools/testing/selftests/x86/Makefile, plus -static (the VM host's
# initramfs has no libc), against the build machine's kernel headers,
# and with stdout line-buffered (linebuf.c below), so a test that dies
# of a signal has said everything it printed up to there.
#
# Two uses, one directory (the VM host gets every *_64 in /tests/x86):
#
# HOST: t_kselftest runs these on the VM host with a Linux guest beside
# them.  They exercise what lguest's Switcher and world switch touch on
# the host: FS/GS bases, segments, the LDT and GDT, sigreturn,
# syscall/sysret, single-stepping and debug traps, the FPU and xstate,
# iopl/ioperm (the TSS), vsyscall and the vDSO.
#
# GUEST_ONLY: these too run inside the Linux guest (t_userland kselftest,
# every test of both lists, each compared with its native run on the VM
# host; docs/guest.md), but not in t_kselftest (its list of the ones to
# leave out must name them): sysret_ss_attrs (its call32_from_64 does
# an lretq, which QEMU 7.2's software CPU turns into a SMAP fault that
# oopses the VM host kernel with no guest at all: the guest runs it, the
# VM host never does); sigaltstack and nx_stack (not what lguest touches
# on the host; in the guest they are signal delivery and the NX bit of
# the shadow page tables); amx, lam and test_shadow_stack (hardware
# QEMU's software CPU lacks: they skip, and must skip in the guest too);
# syscall_numbering (tens of thousands of system calls, most under
# ptrace: about 35 s under QEMU each way, so t_userland runs it on one
# matrix entry only, and t_kselftest never).
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ $# -eq 1 ] || { echo "usage: x86-selftests.sh OUTDIR" >&2; exit 2; }
out=$1
HOST="fsgsbase fsgsbase_restore ldt_gdt sigreturn single_step_syscall sigtrap_loop
	mov_ss_trap sysret_rip syscall_nt syscall_arg_fault ptrace_syscall
	check_initial_reg_state corrupt_xstate_header iopl ioperm test_vsyscall test_mremap_vdso"
GUEST_ONLY="sysret_ss_attrs sigaltstack nx_stack amx lam test_shadow_stack syscall_numbering"

src=$(kernel_source)/tools/testing/selftests/x86
rm -rf "$out" && mkdir -p "$out"
# Line-buffered stdout from the start (the tests' own output goes to a
# file, fully buffered, and a death by signal would lose it).
cat >"$out/linebuf.c" <<'EOC'
#include <stdio.h>
__attribute__((constructor)) static void lguest_linebuf(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}
EOC
for t in $HOST $GUEST_ONLY; do
	extra=()
	case $t in
	sysret_ss_attrs) extra=(thunks.S) ;;
	fsgsbase_restore | sysret_rip) extra=(clang_helpers_64.S) ;;
	check_initial_reg_state) extra=("-Wl,-ereal_start") ;;
	nx_stack) extra=("-Wl,-z,noexecstack") ;;
	esac
	(cd "$src" && ${CC:-gcc} -m64 -static -O2 -g -std=gnu99 -pthread -Wall -no-pie \
		-DCAN_BUILD_64 -o "$out/${t}_64.tmp" "$t.c" "$out/linebuf.c" "${extra[@]}" -lrt -ldl) \
		>"$out/$t.log" 2>&1 ||
		{ echo "x86-selftests: $t does not build:" >&2; tail -n 20 "$out/$t.log" >&2; exit 1; }
	mv "$out/${t}_64.tmp" "$out/${t}_64"
done
