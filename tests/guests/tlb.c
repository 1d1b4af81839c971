// SPDX-License-Identifier: GPL-2.0
/*
 * TLB flush semantics: after the guest changes a mapping and flushes
 * (everything: case=full; one page: case=one) it sees the new mapping,
 * and an unmapped page is gone.  case=global: a global page's translation
 * outlives what a CPU's would and no more (docs/abi.md).
 */
#include "rt/rt.h"

const char rt_guest_name[] = "tlb";

static void global(void)
{
	u64 va = TEST_VA + 0x7000, a = rt_alloc_page(), b = rt_alloc_page();
	volatile u64 *p = (volatile u64 *)va;

	*(u64 *)__va(a) = 0xaaaa;
	*(u64 *)__va(b) = 0xbbbb;
	rt_map(va, a, PTE_W | PTE_G);
	rt_flush_all();
	CHECK(*p == 0xaaaa, "global: a new global mapping is seen", "read %#llx", *p);
	/* Remapped without the flush a global page needs. */
	rt_map(va, b, PTE_W | PTE_G);
	hcall1(LHCALL_FLUSH_TLB, 0);
	CHECK(*p == 0xaaaa, "global: FLUSH_TLB 0 leaves a global translation, as a CR3 reload",
	      "read %#llx", *p);
	hcall2(LHCALL_NEW_PGTABLE, rt_cr3, 0);
	CHECK(*p == 0xaaaa, "global: so does NEW_PGTABLE without NOFLUSH, as a CR3 load",
	      "read %#llx", *p);
	rt_flush_one(va);
	CHECK(*p == 0xbbbb, "global: FLUSH_TLB_ONE drops it, as invlpg", "read %#llx", *p);
	rt_map(va, a, PTE_W | PTE_G);
	hcall1(LHCALL_FLUSH_TLB, LGUEST_FLUSH_ALL);
	CHECK(*p == 0xaaaa, "global: FLUSH_TLB 1 drops it, as a CR4.PGE toggle", "read %#llx",
	      *p);
	/* The same page not global: a CR3 load forgets it. */
	rt_map(va, b, PTE_W);
	rt_flush_one(va);
	CHECK(*p == 0xbbbb, "global: remapped not global", "read %#llx", *p);
	rt_map(va, a, PTE_W);
	hcall2(LHCALL_NEW_PGTABLE, rt_cr3, 0);
	CHECK(*p == 0xaaaa, "global: a non-global translation does not outlive a CR3 load",
	      "read %#llx", *p);
}

void guest_main(void)
{
	bool one = rt_case("one");
	u64 va = TEST_VA + 0x5000, a = rt_alloc_page(), b = rt_alloc_page();
	u64 other = TEST_VA + 0x9000;
	volatile u64 *p = (volatile u64 *)va;
	const char *how = one ? "FLUSH_TLB_ONE" : "FLUSH_TLB";
	char check[128];

	if (rt_case("global")) {
		global();
		return;
	}
	*(u64 *)__va(a) = 0xaaaa;
	*(u64 *)__va(b) = 0xbbbb;
	rt_map(va, a, PTE_W);
	rt_map(other, a, PTE_W);
	if (one)
		rt_flush_one(va);
	else
		rt_flush_all();
	CHECK(*p == 0xaaaa, "a new mapping is seen", "read %#llx", *p);

	/* Remap to b and flush: the old frame must not show through. */
	rt_map(va, b, PTE_W);
	if (one)
		rt_flush_one(va);
	else
		rt_flush_all();
	rt_snprintf(check, sizeof(check), "remapped and %s: the new frame is seen", how);
	CHECK(*p == 0xbbbb, check, "read %#llx", *p);
	*p = 0xb0b0;
	CHECK(*(volatile u64 *)__va(b) == 0xb0b0 && *(volatile u64 *)__va(a) == 0xaaaa,
	      "a write lands in the new frame only", "a %#llx b %#llx",
	      *(volatile u64 *)__va(a), *(volatile u64 *)__va(b));

	/* Back to the first frame, flushed. */
	rt_map(va, a, PTE_W);
	if (one)
		rt_flush_one(va);
	else
		rt_flush_all();
	for (int i = 0; i < 100; i++)
		CHECK(*p == 0xaaaa, "remapped back: stable over 100 reads", "read %#llx", *p);
	rt_snprintf(check, sizeof(check), "%s of one page leaves another page's mapping", how);
	CHECK(*(volatile u64 *)other == 0xaaaa, check, "read %#llx",
	      *(volatile u64 *)other);

	/* Many pages remapped at once, then one flush. */
	for (int i = 0; i < 64; i++) {
		u64 pa = rt_alloc_page();

		*(u64 *)__va(pa) = (u64)i;
		rt_map(TEST_VA + 0x100000 + i * PAGE_SIZE, pa, PTE_W);
	}
	for (int i = 0; i < 64; i++)
		if (one)
			rt_flush_one(TEST_VA + 0x100000 + i * PAGE_SIZE);
	if (!one)
		rt_flush_all();
	{
		int bad = -1;

		for (int i = 0; i < 64; i++)
			if (*(volatile u64 *)(TEST_VA + 0x100000 + i * PAGE_SIZE) != (u64)i)
				bad = i;
		CHECK(bad < 0, "64 fresh mappings each show their own frame", "page %d", bad);
	}
}
