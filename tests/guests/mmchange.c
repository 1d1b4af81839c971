// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory is the launcher's ordinary memory, not pinned: what the
 * launcher does to its mapping, the guest sees at once.  The launcher
 * (t_guests, F_MM) obeys two lines:
 *
 *   LGMM replace GPA	it must see our write there; it discards the page
 *			(MADV_DONTNEED) and writes a new value in its place
 *   LGMM unmap GPA LEN	it unmaps that much of guest memory, which we had
 *			touched, and the host must get the memory back
 *
 * Then we touch the unmapped memory: the guest must die for it, with a
 * reason, rather than keep using pages the launcher gave up.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "mmchange";

#define SPOT	(80ULL << 20)
#define GONE	(96ULL << 20)
#define GONE_LEN (32ULL << 20)

void guest_main(void)
{
	volatile u64 *spot = __va(SPOT);
	u64 pa;

	*spot = 0x1111;
	rt_printf("LGMM replace %#llx\n", SPOT);
	CHECK(*spot == 0x2222, "after the launcher replaced a page, the guest reads the new one",
	      "read %#llx", *spot);

	for (pa = GONE; pa < GONE + GONE_LEN; pa += 4096)
		*(volatile u64 *)__va(pa) = pa;
	rt_printf("LGMM unmap %#llx %#llx\n", GONE, GONE_LEN);
	(void)*(volatile u64 *)__va(GONE + (4ULL << 20));
	CHECK(0, "touching memory the launcher unmapped kills the guest", "still alive");
}
