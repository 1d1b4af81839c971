// SPDX-License-Identifier: GPL-2.0
/* The smallest guest: say hello on the console, then power off. */
#include "rt/rt.h"

const char rt_guest_name[] = "hello";

void guest_main(void)
{
	rt_printf("hello from ring 1\n");
	CHECK(1, "console output and checks work", "never");
}
