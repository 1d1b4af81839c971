// SPDX-License-Identifier: GPL-2.0
/*
 * Accessed and dirty bits: the host sets them in the guest's own page
 * tables exactly as the CPU would, on 4 KiB and 2 MiB pages, again after
 * the guest clears them and flushes.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "ad";

static u64 *table_entry(u64 va, int level)
{
	u64 *t = __va(rt_cr3);

	for (int l = 4; l > level; l--)
		t = __va(t[(va >> (12 + 9 * (l - 1))) & 511] & PTE_ADDR);
	return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

static void ad_case(const char *what, u64 va, u64 *e)
{
	char check[128];
	volatile u64 *p = (volatile u64 *)va;
	u64 v;

	*e &= ~(PTE_A | PTE_D);
	rt_flush_all();
	rt_snprintf(check, sizeof(check), "%s: untouched: neither A nor D", what);
	CHECK(!(*e & (PTE_A | PTE_D)), check, "entry %#llx", *e);

	v = *p;
	(void)v;
	rt_snprintf(check, sizeof(check), "%s: a read sets A, not D", what);
	CHECK((*e & PTE_A) && !(*e & PTE_D), check, "entry %#llx", *e);

	*p = 42;
	rt_snprintf(check, sizeof(check), "%s: a write after the read sets D", what);
	CHECK((*e & (PTE_A | PTE_D)) == (PTE_A | PTE_D), check, "entry %#llx", *e);

	/* Cleared and flushed: the next write must set both again. */
	*e &= ~(PTE_A | PTE_D);
	rt_flush_all();
	*p = 43;
	rt_snprintf(check, sizeof(check), "%s: cleared and flushed, a write sets A and D", what);
	CHECK((*e & (PTE_A | PTE_D)) == (PTE_A | PTE_D) && *p == 43, check, "entry %#llx", *e);
}

void guest_main(void)
{
	u64 va = TEST_VA, pa = rt_alloc_page();
	u64 va2m = TEST_VA + (1UL << 30), pa2m = rt_alloc_hpage();
	u64 *pml4e, *pdpte, *pde;
	volatile u64 v;

	rt_map(va, pa, PTE_W);
	rt_map_2m(va2m, pa2m, PTE_W);
	pml4e = table_entry(va, 4);
	pdpte = table_entry(va, 3);
	pde = table_entry(va, 2);
	*pml4e &= ~PTE_A;
	*pdpte &= ~PTE_A;
	*pde &= ~PTE_A;
	rt_flush_all();
	v = *(volatile u64 *)va;
	(void)v;
	CHECK((*pml4e & PTE_A) && (*pdpte & PTE_A) && (*pde & PTE_A),
	      "the walk sets A in the PML4, PDPT and PD entries",
	      "PML4E %#llx PDPTE %#llx PDE %#llx", *pml4e, *pdpte, *pde);
	CHECK(!(*pde & PTE_D), "D is never set in a table entry", "PDE %#llx", *pde);

	ad_case("4K page", va, rt_pte(va, false, NULL));
	ad_case("2M page", va2m, rt_pte(va2m, false, NULL));
	CHECK(*(volatile u64 *)__va(pa) == 43 && *(volatile u64 *)__va(pa2m) == 43,
	      "the writes went to the right frames", "%llu %llu",
	      *(volatile u64 *)__va(pa), *(volatile u64 *)__va(pa2m));

	/* A read-only mapping: the read sets A; D stays clear. */
	rt_map(va + PAGE_SIZE, pa, 0);
	rt_flush_all();
	v = *(volatile u64 *)(va + PAGE_SIZE);
	CHECK(v == 43 && (*rt_pte(va + PAGE_SIZE, false, NULL) & (PTE_A | PTE_D)) == PTE_A,
	      "a read-only mapping of the same frame: read sets A only",
	      "value %llu entry %#llx", v, *rt_pte(va + PAGE_SIZE, false, NULL));
}
