// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that never yields: no hypercall, no fault, interrupts off.
 * The launcher must still get it out of LGUEST_RUN with a signal, and
 * SIGKILL must end it (t_guests.c, SPIN_*).
 */
#include "rt/rt.h"

const char rt_guest_name[] = "spin";

void guest_main(void)
{
	for (;;)
		asm volatile("" ::: "memory");
}
