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

	/*
	 * FLUSH_TLB_ONE is invlpg, which also drops global (kernel)
	 * translations cached for other PCIDs: a page of the shared kernel
	 * half, remapped and flushed in one address-space id, must not show
	 * its old frame in another id kept with NOFLUSH.
	 */
	{
		u64 c = rt_alloc_page(), d = rt_alloc_page(), slot = (TEST_VA >> 39) & 511;
		volatile u64 *q = (volatile u64 *)(TEST_VA + 0x200000);

		new[slot] = old[slot];
		*(u64 *)__va(c) = 0xcccc;
		*(u64 *)__va(d) = 0xdddd;
		rt_map((u64)q, c, PTE_W);
		rt_flush_all();
		hcall2(LHCALL_NEW_PGTABLE, boot, 1);
		CHECK(*q == 0xcccc, "id 1: a shared kernel page reads frame c", "read %#llx", *q);
		hcall2(LHCALL_NEW_PGTABLE, other, 2);
		CHECK(*q == 0xcccc, "id 2: the same page through the other root", "read %#llx", *q);
		rt_map((u64)q, d, PTE_W);
		rt_flush_one((u64)q);
		CHECK(*q == 0xdddd, "id 2: remapped and flushed, frame d", "read %#llx", *q);
		hcall2(LHCALL_NEW_PGTABLE, boot, 1 | LGUEST_PGTABLE_NOFLUSH);
		CHECK(*q == 0xdddd, "id 1 kept with NOFLUSH: FLUSH_TLB_ONE in id 2 reached it too",
		      "read %#llx", *q);
		hcall1(LHCALL_NEW_PGTABLE, boot);
	}
}
