// SPDX-License-Identifier: GPL-2.0
/*
 * Address spaces: LHCALL_NEW_PGTABLE switches to another PML4 (as a CR3
 * load), each with its own mapping of the same address, back and forth,
 * and the host's shadows never mix them up.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "pgtable";

void guest_main(void)
{
	u64 boot = rt_cr3, other = rt_alloc_page(), a = rt_alloc_page(), b = rt_alloc_page();
	u64 *old = __va(boot), *new = __va(other);
	volatile u64 *p = (volatile u64 *)TEST_VA;
	int bad = -1;

	/* The kernel half is shared (the same PDPTs), TEST_VA differs. */
	for (int i = 256; i < 512; i++)
		new[i] = old[i];
	*(u64 *)__va(a) = 0xaaaa;
	*(u64 *)__va(b) = 0xbbbb;
	rt_map(TEST_VA, a, PTE_W);		/* in the boot tables */
	rt_cr3 = other;
	new[(TEST_VA >> 39) & 511] = 0;		/* its own slot, not the boot one */
	rt_map(TEST_VA, b, PTE_W);
	rt_cr3 = boot;
	rt_flush_all();

	CHECK(*p == 0xaaaa, "the boot tables map TEST_VA to frame a", "read %#llx", *p);
	hcall1(LHCALL_NEW_PGTABLE, other);
	CHECK(*p == 0xbbbb, "NEW_PGTABLE: the other tables map it to frame b", "read %#llx", *p);
	hcall1(LHCALL_NEW_PGTABLE, boot);
	CHECK(*p == 0xaaaa, "NEW_PGTABLE back: frame a again", "read %#llx", *p);

	for (int i = 0; i < 200; i++) {
		u64 root = i & 1 ? other : boot;

		hcall1(LHCALL_NEW_PGTABLE, root);
		*p += 1;
		if (*p != (i & 1 ? 0xbbbb : 0xaaaa) + (u64)(i / 2) + 1)
			bad = i;
	}
	hcall1(LHCALL_NEW_PGTABLE, boot);
	CHECK(bad < 0 && *(u64 *)__va(a) == 0xaaaa + 100 && *(u64 *)__va(b) == 0xbbbb + 100,
	      "200 switches, a write in each: every write in its own address space",
	      "switch %d, a %#llx b %#llx", bad, *(u64 *)__va(a), *(u64 *)__va(b));

	/* A change made while the other space is not loaded is seen on return. */
	rt_cr3 = other;
	rt_map(TEST_VA, a, PTE_W);
	rt_cr3 = boot;
	hcall1(LHCALL_NEW_PGTABLE, other);
	CHECK(*p == 0xaaaa + 100, "an entry changed while switched away: seen after the switch",
	      "read %#llx", *p);
	hcall1(LHCALL_NEW_PGTABLE, boot);
}
