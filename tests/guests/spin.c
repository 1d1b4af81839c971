// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that never yields: no hypercall, no fault, interrupts off (or,
 * with case=halt, one that halts for ever with nothing to wake it).
 * The launcher must still get it out of LGUEST_RUN with a signal, and
 * SIGKILL must end it (t_guests.c, SPIN_*).
 */
#include "rt/rt.h"

const char rt_guest_name[] = "spin";

void guest_main(void)
{
	/* case=halt: halt with interrupts off and no timer, for ever. */
	if (rt_case("halt")) {
		rt_events_init();
		for (;;)
			hcall0(LHCALL_HALT);
	}
	for (;;)
		asm volatile("" ::: "memory");
}
