// SPDX-License-Identifier: GPL-2.0
/*
 * Demand paging of a large region: 32 MiB of 4 KiB pages, none mapped
 * until the guest's own #PF handler maps each on first touch.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "demand";

#define REGION	TEST_VA
#define SIZE	(32UL << 20)

static u64 faults, wrong;

static bool on_pf(struct rt_frame *f)
{
	u64 va = rt_data.cr2 & ~(PAGE_SIZE - 1);

	if (f->vector != X86_PF || va < REGION || va >= REGION + SIZE)
		return false;
	if (f->error_code & PF_P)
		wrong++;
	faults++;
	rt_map(va, rt_alloc_page(), PTE_W);
	return true;	/* no flush needed: it was not present */
}

void guest_main(void)
{
	u64 n = SIZE / PAGE_SIZE, bad = 0;

	rt_events_init();
	rt_on_event = on_pf;
	for (u64 i = 0; i < n; i++)
		*(volatile u64 *)(REGION + i * PAGE_SIZE + (i % 512) * 8) = i;
	CHECK(faults == n && !wrong, "one not-present fault per page of 32 MiB",
	      "%llu faults for %llu pages, %llu with P set", faults, n, wrong);
	for (u64 i = 0; i < n; i++)
		if (*(volatile u64 *)(REGION + i * PAGE_SIZE + (i % 512) * 8) != i)
			bad++;
	CHECK(!bad && faults == n, "every page kept its value, no second fault",
	      "%llu bad pages, %llu faults", bad, faults);
	rt_flush_all();
	for (u64 i = 0; i < n; i += 97)
		if (*(volatile u64 *)(REGION + i * PAGE_SIZE + (i % 512) * 8) != i)
			bad++;
	CHECK(!bad && faults == n, "after a full flush the pages are still there",
	      "%llu bad pages, %llu faults", bad, faults);
	rt_on_event = NULL;
}
