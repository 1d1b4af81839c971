// SPDX-License-Identifier: GPL-2.0
/*
 * The hypercall ring in lguest_data: TLB flushes queued in slots run, in
 * order, before the next hypercall of any kind (or LHCALL_FLUSH_ASYNC),
 * and each slot is handed back (status 0xff).
 */
#include "rt/rt.h"

const char rt_guest_name[] = "ring";

static unsigned int next;

static void queue(u64 nr, u64 arg)
{
	unsigned int i = next;

	if (rt_data.ring_status[i] != 0xff)
		rt_panic("ring slot %u is still busy", i);
	rt_data.ring[i].nr = nr;
	rt_data.ring[i].args[0] = arg;
	asm volatile("" ::: "memory");
	rt_data.ring_status[i] = 0;
	next = (i + 1) % LGUEST_RING_SIZE;
}

static bool all_free(void)
{
	for (int i = 0; i < LGUEST_RING_SIZE; i++)
		if (rt_data.ring_status[i] != 0xff)
			return false;
	return true;
}

void guest_main(void)
{
	u64 a = rt_alloc_page(), b = rt_alloc_page();
	volatile u64 *p = (volatile u64 *)TEST_VA;
	int bad = -1;

	rt_events_init();
	CHECK(all_free(), "LHCALL_INIT leaves every ring slot empty (0xff)", "no");
	*(u64 *)__va(a) = 0xaaaa;
	*(u64 *)__va(b) = 0xbbbb;
	rt_map(TEST_VA, a, PTE_W);
	rt_flush_one(TEST_VA);
	CHECK(*p == 0xaaaa, "mapped to frame a", "read %#llx", *p);

	rt_map(TEST_VA, b, PTE_W);
	queue(LHCALL_FLUSH_TLB_ONE, TEST_VA);
	hcall0(LHCALL_FLUSH_ASYNC);
	CHECK(*p == 0xbbbb && all_free(), "a queued FLUSH_TLB_ONE runs at FLUSH_ASYNC",
	      "read %#llx", *p);

	rt_map(TEST_VA, a, PTE_W);
	queue(LHCALL_FLUSH_TLB, 0);
	rt_printf("ring: any hypercall runs the queue\n");
	CHECK(*p == 0xaaaa && all_free(), "a queued FLUSH_TLB runs before any other hypercall",
	      "read %#llx", *p);

	/* 200 remaps of 50 pages, queued across the ring's end. */
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 50; i++) {
			u64 pa = rt_alloc_page();

			*(u64 *)__va(pa) = (u64)(round * 100 + i);
			rt_map(TEST_VA + 0x100000 + (u64)i * PAGE_SIZE, pa, PTE_W);
			queue(LHCALL_FLUSH_TLB_ONE, TEST_VA + 0x100000 + (u64)i * PAGE_SIZE);
		}
		hcall0(LHCALL_FLUSH_ASYNC);
		for (int i = 0; i < 50; i++)
			if (*(volatile u64 *)(TEST_VA + 0x100000 + (u64)i * PAGE_SIZE) !=
			    (u64)(round * 100 + i))
				bad = round * 100 + i;
	}
	CHECK(bad < 0 && all_free(), "4 rounds of 50 queued flushes, wrapping the ring",
	      "page %d", bad);

	if (rt_case("bad")) {
		/* Only flushes may be queued. */
		queue(LHCALL_SHUTDOWN, 0);
		hcall0(LHCALL_FLUSH_ASYNC);
		rt_fail("a queued SHUTDOWN is refused", "the guest lives");
	}
}
