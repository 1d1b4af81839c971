// SPDX-License-Identifier: GPL-2.0
/*
 * LHCALL_HALT: sleeps until an interrupt is pending, returns at once if
 * one already is, and with interrupts disabled wakes without delivering.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "halt";

static volatile u64 ticks;

static bool on_timer(struct rt_frame *f)
{
	if (f->vector != LGUEST_IRQ_BASE)
		return false;
	ticks++;
	return true;
}

void guest_main(void)
{
	u64 t0, ns;

	rt_events_init();
	rt_on_event = on_timer;

	/* Interrupts on, timer in 30 ms: HALT sleeps until it fires. */
	irq_enable();
	t0 = rdtsc();
	hcall1(LHCALL_SET_CLOCKEVENT, 30000000);
	while (!ticks)
		hcall0(LHCALL_HALT);
	ns = rt_tsc_to_ns(rdtsc() - t0);
	CHECK(ticks == 1, "HALT returns with the timer's interrupt delivered", "%llu", ticks);
	if (rt_data.tsc_khz)
		CHECK(ns >= 30000000, "HALT slept at least the 30 ms until the timer",
		      "%llu ns", ns);

	/* Interrupts off: HALT wakes for the pending line, nothing delivered. */
	irq_disable();
	hcall1(LHCALL_SET_CLOCKEVENT, 5000000);
	hcall0(LHCALL_HALT);
	CHECK(ticks == 1 && (rt_data.irq_pending & 1),
	      "with interrupts disabled HALT wakes, the line stays pending",
	      "ticks %llu pending %#llx", ticks, rt_data.irq_pending);

	/* One pending: HALT returns at once. */
	t0 = rdtsc();
	hcall0(LHCALL_HALT);
	CHECK(ticks == 1, "HALT with a line pending returns at once", "%llu", ticks);

	/* Enabling with one pending: SEND_INTERRUPTS delivers it. */
	irq_enable();
	CHECK(ticks == 2 && !(rt_data.irq_pending & 1),
	      "enabling interrupts delivers the pending line", "ticks %llu pending %#llx",
	      ticks, rt_data.irq_pending);
	irq_disable();
	rt_on_event = NULL;
}
