// SPDX-License-Identifier: GPL-2.0
/*
 * The TSC's rate in kHz, measured against CLOCK_MONOTONIC over half a
 * second: the VM host runs this once and gives the figure to every
 * guest as VB_TSC_KHZ (see bench.h).
 */
#include "bench.h"

int main(void)
{
	uint64_t c0 = vb_clock_ns(), t0 = vb_rdtsc(), c1, t1;

	usleep(500000);
	c1 = vb_clock_ns();
	t1 = vb_rdtsc();
	printf("%llu\n", (unsigned long long)((t1 - t0) * 1000000ULL / (c1 - c0)));
	return 0;
}
