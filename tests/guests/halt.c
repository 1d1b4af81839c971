// SPDX-License-Identifier: GPL-2.0
/*
 * LHCALL_HALT: sleeps until an interrupt is pending, returns at once if
 * one already is, and with interrupts disabled wakes without delivering;
 * with LGUEST_HALT_STI it is "sti; hlt" and delivers the wake-up.
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

	/*
	 * "sti; hlt": checked with interrupts off, the line raised before the
	 * halt is still delivered when it wakes, and interrupts are on.
	 */
	irq_disable();
	hcall1(LHCALL_SET_CLOCKEVENT, 5000000);
	while (!(*(volatile u64 *)&rt_data.irq_pending & 1))
		;
	hcall1(LHCALL_HALT, LGUEST_HALT_STI);
	CHECK(ticks == 3 && rt_data.irq_enabled,
	      "HALT_STI with a line already raised delivers it and leaves interrupts on",
	      "ticks %llu enabled %u", ticks, (unsigned int)rt_data.irq_enabled);

	/* And from sleep: the timer wakes it and its interrupt is delivered. */
	irq_disable();
	hcall1(LHCALL_SET_CLOCKEVENT, 5000000);
	hcall1(LHCALL_HALT, LGUEST_HALT_STI);
	CHECK(ticks == 4, "HALT_STI sleeps until the timer and delivers it", "ticks %llu",
	      ticks);
	irq_disable();
	rt_on_event = NULL;
}
