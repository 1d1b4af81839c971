// SPDX-License-Identifier: GPL-2.0
/*
 * Exceptions reflected into the guest: #DE, #UD, #BP, #GP and #DB
 * single-step, each with the right vector, error code (DR6 for #DB) and RIP.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "traps";

void do_div0(void), do_ud2(void), do_int3(void), do_int81(void), do_step(void);
extern char div_insn[], ud2_insn[], int3_after[], int81_insn[], step_b[], step_c[];
asm(".text\n"
    "do_div0: xor %ecx, %ecx\n\tmov $1, %eax\n\txor %edx, %edx\n"
    "div_insn: div %rcx\n\tret\n"
    "do_ud2: ud2_insn: ud2\n\tret\n"
    "do_int3: int3\nint3_after: ret\n"
    "do_int81: int81_insn: int $0x81\n\tret\n"
    /* Set TF with popf: the CPU traps after each following instruction. */
    "do_step: pushf\n\torq $0x100, (%rsp)\n\tpopf\n"
    "step_a: nop\nstep_b: nop\nstep_c: pushf\n\tandq $~0x100, (%rsp)\n\tpopf\n\tret\n");

static u64 steps[8], nsteps, no_bs;

static bool on_db(struct rt_frame *f)
{
	if (f->vector != X86_DB)
		return false;
	/* TF stays set in the frame: stepping goes on until popf clears it. */
	if (nsteps < 8)
		steps[nsteps++] = f->rip;
	/* The error code is DR6 as FRED gives it: BS for a single step. */
	if (!(f->error_code & 0x4000))
		no_bs++;
	return true;
}

void guest_main(void)
{
	long v;

	rt_events_init();

	v = RT_TRY(do_div0());
	CHECK(v == X86_DE && rt_last.rip == (u64)div_insn && rt_last.error_code == 0,
	      "div by zero: #DE at the div", "vector %ld rip %#llx", v, rt_last.rip);
	v = RT_TRY(do_ud2());
	CHECK(v == X86_UD && rt_last.rip == (u64)ud2_insn, "ud2: #UD at the ud2",
	      "vector %ld rip %#llx", v, rt_last.rip);
	v = RT_TRY(do_int3());
	CHECK(v == X86_BP && rt_last.rip == (u64)int3_after, "int3: #BP, RIP after the int3",
	      "vector %ld rip %#llx", v, rt_last.rip);
	v = RT_TRY(do_int81());
	/*
	 * The CPU says (vector << 3) | IDT; QEMU's TCG says (vector << 4) | IDT
	 * in long mode (the byte offset of the 16-byte gate): both are the CPU's.
	 */
	CHECK(v == X86_GP && rt_last.rip == (u64)int81_insn &&
	      (rt_last.error_code == (0x81 << 3 | 2) || rt_last.error_code == (0x81 << 4 | 2)),
	      "int $0x81 from ring 1: #GP with the IDT error code",
	      "vector %ld error %#llx rip %#llx", v, rt_last.error_code, rt_last.rip);
	v = RT_TRY(asm volatile("hlt"));
	CHECK(v == X86_GP && rt_last.error_code == 0, "hlt in ring 1: #GP(0)",
	      "vector %ld error %#llx", v, rt_last.error_code);
	CHECK(rt_last.cs == LGUEST_KERNEL_CS && rt_last.ss == LGUEST_KERNEL_DS,
	      "the frame has the guest kernel's selectors", "cs %#llx ss %#llx",
	      rt_last.cs, rt_last.ss);

	rt_on_event = on_db;
	do_step();
	rt_on_event = NULL;
	/* The trap comes after the instruction that follows the popf. */
	CHECK(nsteps >= 3 && steps[0] == (u64)step_b && steps[1] == (u64)step_c,
	      "single-step: #DB after each instruction, RIP of the next",
	      "%llu steps: %#llx %#llx (want %p %p)", nsteps, steps[0], steps[1],
	      step_b, step_c);
	CHECK(!no_bs, "each single-step #DB has DR6.BS in its error code",
	      "%llu without", no_bs);
	CHECK(rt_event_count[X86_DB] == nsteps, "no #DB once TF is clear",
	      "%llu #DB events, %llu recorded", rt_event_count[X86_DB], nsteps);
}
