// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that leaves for the host as often as it can: hypercalls in a
 * row, for ever (t_shadow's NMI storm runs beside it, so that NMIs land
 * while the host switches worlds; a signal to the launcher ends it).
 */
#include "rt/rt.h"

const char rt_guest_name[] = "exitloop";

void guest_main(void)
{
	for (;;)
		hcall0(LHCALL_FLUSH_ASYNC);
}
