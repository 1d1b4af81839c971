// SPDX-License-Identifier: GPL-2.0
/*
 * A hypercall flood: many hypercalls in a row, and the guest goes on.
 * case=console: only the console writes (t_guests' CR2 check wants many
 * exits to the launcher, not the in-kernel ones).
 */
#include "rt/rt.h"

const char rt_guest_name[] = "flood";

void guest_main(void)
{
	u64 t0 = rdtsc();
	volatile u64 *p = __va(rt_alloc_page());
	int i;

	if (!rt_case("console")) {
		for (i = 0; i < 20000; i++) {
			hcall0(LHCALL_FLUSH_TLB);
			*p = (u64)i;	/* a page to fault back in each time */
		}
		CHECK(*p == 19999, "20000 FLUSH_TLB hypercalls, each followed by a fault, and on",
		      "%llu", *p);
	}
	for (i = 0; i < 200; i++)
		rt_printf("flood %d\n", i);
	CHECK(1, "200 console writes through the launcher", "no");
	rt_printf("flood: %llu TSC ticks\n", rdtsc() - t0);
}
