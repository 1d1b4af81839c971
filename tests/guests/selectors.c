// SPDX-License-Identifier: GPL-2.0
/*
 * Loading every GDT selector, at every RPL, into DS: only the null
 * selector and the guest's own segments (CPUNODE's for getcpu() too) may load, everything else (the
 * Switcher's ring-0 segments, the TSS, empty and out-of-range slots) must
 * raise #GP (or #NP) in the guest.  Then far transfers to ring 0.
 */
#include "rt/rt.h"
#include "../../switcher/switcher.h"

const char rt_guest_name[] = "selectors";

static bool may_load(u16 sel)
{
	u16 idx = sel & ~3, rpl = sel & 3;

	if (idx == 0)
		return true;	/* the null selector, any RPL */
	if (idx == (LGUEST_USER_DS & ~3) || idx == (LGUEST_USER_CS & ~3) ||
	    idx == (LG_CPUNODE_SEL & ~3))
		return true;	/* DPL 3: any RPL */
	if (idx == (LGUEST_KERNEL_DS & ~3) || idx == (LGUEST_KERNEL_CS & ~3))
		return rpl <= 1;
	return false;
}

/* iretq to @cs:@rip with @ss: must fault, never arrive. */
static void iret_to(u16 cs, u16 ss)
{
	asm volatile("mov %%rsp, %%rax\n\t"
		     "push %q1\n\t"
		     "push %%rax\n\t"
		     "pushf\n\t"
		     "push %q0\n\t"
		     "lea 1f(%%rip), %%rax\n\t"
		     "push %%rax\n\t"
		     "iretq\n"
		     "1:"
		     : : "r"((u64)cs), "r"((u64)ss) : "rax", "memory");
}

void guest_main(void)
{
	volatile unsigned int wrong = 0, loaded = 0;
	char check[96];
	long v;

	rt_events_init();
	for (u16 sel = 0; sel < 0x80; sel++) {
		v = RT_TRY(asm volatile("mov %w0, %%ds" : : "r"(sel)));
		asm volatile("mov %w0, %%ds" : : "r"(0));
		if (v == -1)
			loaded++;
		if (may_load(sel) ? v != -1 : (v != X86_GP && v != 11)) {
			if (!wrong++)
				rt_printf("selector %#x: %s (vector %ld)\n", sel,
					  v == -1 ? "loaded" : "refused", v);
		}
	}
	CHECK(!wrong, "DS loads of selectors 0..0x7f: only the guest's own segments load",
	      "%u wrong (%u loaded)", wrong, loaded);

	/* A ring-0 SS or CS, whatever the way in. */
	v = RT_TRY(asm volatile("mov %w0, %%ss" : : "r"(0x18)));
	CHECK(v == X86_GP, "mov of the Switcher's data selector to SS: #GP", "vector %ld", v);
	v = RT_TRY(iret_to(0x10, LGUEST_KERNEL_DS));
	CHECK(v == X86_GP, "iretq to CS 0x10 (ring 0): #GP", "vector %ld", v);
	v = RT_TRY(iret_to(0x13, LGUEST_KERNEL_DS));
	CHECK(v == X86_GP, "iretq to CS 0x13 (ring-0 code, RPL 3): #GP", "vector %ld", v);
	v = RT_TRY(iret_to(LGUEST_KERNEL_CS, 0x18));
	CHECK(v == X86_GP, "iretq with SS 0x18 (ring 0): #GP", "vector %ld", v);
	v = RT_TRY(iret_to(0x48, LGUEST_KERNEL_DS));
	CHECK(v == X86_GP, "iretq to the TSS selector: #GP", "vector %ld", v);
	for (volatile u16 cs = 0x08; cs < 0x58; cs += 8) {
		u64 far[2] = { 0, (u64)cs };

		if (cs == (LGUEST_KERNEL_CS & ~3) || cs == (LGUEST_USER_CS & ~3))
			continue;
		v = RT_TRY(asm volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, (%0)\n\t"
					"rex64 ljmp *(%0)\n1:" : : "r"(far) : "rax", "memory"));
		rt_snprintf(check, sizeof(check), "far jump to selector %#x: #GP", (unsigned int)cs);
		CHECK(v == X86_GP || v == 11, check, "vector %ld", v);
	}
	/* Still in ring 1 with our own selectors. */
	{
		u16 cs, ss;

		asm volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
		CHECK(cs == LGUEST_KERNEL_CS && (ss == LGUEST_KERNEL_DS || ss == 0),
		      "still in ring 1 with the guest's selectors", "cs %#x ss %#x", cs, ss);
	}
}
