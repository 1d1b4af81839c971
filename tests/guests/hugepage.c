// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB guest pages: every 4 KiB piece of one maps to the right frame,
 * neighbours keep to their own, and a 2 MiB page replaced by 4 KiB ones
 * is forgotten after a flush.  (Faults on them are in pf.c.)
 */
#include "rt/rt.h"

const char rt_guest_name[] = "hugepage";

void guest_main(void)
{
	u64 va = TEST_VA + (2UL << 30), pa = rt_alloc_hpage();
	u64 va2 = va + HPAGE_SIZE, pa2 = rt_alloc_hpage();
	bool huge;
	int bad = -1;

	for (u64 off = 0; off < HPAGE_SIZE; off += PAGE_SIZE)
		*(u64 *)__va(pa + off) = pa + off;
	rt_map_2m(va, pa, PTE_W);
	rt_flush_all();
	CHECK(rt_pte(va, false, &huge) && huge, "the mapping is a 2 MiB PDE", "no");
	for (u64 off = 0; off < HPAGE_SIZE; off += PAGE_SIZE)
		if (*(volatile u64 *)(va + off) != pa + off)
			bad = (int)(off >> 12);
	CHECK(bad < 0, "each of the 512 pieces of a 2 MiB page maps its own frame",
	      "piece %d", bad);

	/* Writes through the 2 MiB page reach the frames (seen via the direct map). */
	*(volatile u64 *)(va + HPAGE_SIZE - 8) = 0x2222;
	CHECK(*(volatile u64 *)__va(pa + HPAGE_SIZE - 8) == 0x2222,
	      "a write at the page's last word lands in the frame", "no");

	/* Unaligned-in-frame use: a second 2 MiB page right after, its own frame. */
	rt_map_2m(va2, pa2, PTE_W);
	rt_flush_all();
	*(volatile u64 *)va2 = 0x3333;
	CHECK(*(volatile u64 *)__va(pa2) == 0x3333 && *(volatile u64 *)va == pa,
	      "two neighbouring 2 MiB pages keep to their frames", "%#llx %#llx",
	      *(volatile u64 *)__va(pa2), *(volatile u64 *)va);

	/* Replace the 2 MiB page by 4 KiB pages and flush: the new ones are used. */
	{
		u64 *pde = rt_pte(va, false, NULL);
		u64 small = rt_alloc_page();

		*pde = 0;
		*(u64 *)__va(small) = 0x4444;
		rt_map(va + 0x3000, small, PTE_W);
		rt_flush_all();
		CHECK(*(volatile u64 *)(va + 0x3000) == 0x4444,
		      "a 2 MiB page split into 4 KiB pages, flushed: the new page is seen",
		      "read %#llx", *(volatile u64 *)(va + 0x3000));
	}
	/* The kernel's own 2 MiB boot mapping is still fine. */
	CHECK(*(volatile u64 *)__va(pa + PAGE_SIZE) == pa + PAGE_SIZE,
	      "the boot direct map (2 MiB pages) still reads the frames", "read %#llx, want %#llx",
	      *(volatile u64 *)__va(pa + PAGE_SIZE), pa + PAGE_SIZE);
}
