// SPDX-License-Identifier: GPL-2.0
/*
 * Built only with CONFIG_LG_HARNESS_SELFTEST=y, for the test that proves
 * the in-VM harness reports a host oops as a failure.
 */
#include "lg.h"

static int *lg_selftest_ptr;

long lg_selftest_oops(void)
{
	/* READ_ONCE keeps the compiler from proving the pointer NULL. */
	return *READ_ONCE(lg_selftest_ptr);
}
