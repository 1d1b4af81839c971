// SPDX-License-Identifier: GPL-2.0
/*
 * The timer: LHCALL_SET_CLOCKEVENT raises line 0 (vector 32) once after
 * the delta, never early; re-armed from the handler it ticks at the
 * requested rate; 0 cancels it.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "timer";

#define PERIOD_NS	2000000ULL	/* 2 ms */
#define TICKS		25

static volatile u64 ticks, early, last_tsc, first_tsc, wrong_frame;

static bool on_timer(struct rt_frame *f)
{
	u64 now = rdtsc();

	if (f->vector != LGUEST_IRQ_BASE)
		return false;
	if (f->error_code || f->cs != LGUEST_KERNEL_CS)
		wrong_frame++;
	if (ticks && rt_data.tsc_khz && rt_tsc_to_ns(now - last_tsc) < PERIOD_NS)
		early++;
	if (!ticks)
		first_tsc = now;
	last_tsc = rdtsc();
	if (++ticks < TICKS)
		hcall1(LHCALL_SET_CLOCKEVENT, PERIOD_NS);
	return true;
}

void guest_main(void)
{
	u64 t0, spin;

	rt_events_init();
	rt_on_event = on_timer;
	irq_enable();
	/* The launcher times these two lines with its own clock (F_TIME). */
	rt_printf("LGTIME begin\n");
	last_tsc = rdtsc();
	hcall1(LHCALL_SET_CLOCKEVENT, PERIOD_NS);
	while (ticks < TICKS)
		hcall0(LHCALL_HALT);
	rt_printf("LGTIME end %d %llu\n", TICKS, PERIOD_NS);
	CHECK(ticks == TICKS && !wrong_frame, "25 ticks arrive as vector 32, error 0, from ring 1",
	      "%llu ticks, %llu odd frames", ticks, wrong_frame);
	if (rt_data.tsc_khz) {
		u64 ns = rt_tsc_to_ns(last_tsc - first_tsc);

		CHECK(!early, "no tick earlier than the 2 ms asked for", "%llu early", early);
		/* TCG is slow: only a generous upper bound. */
		CHECK(ns >= (TICKS - 1) * PERIOD_NS && ns < (TICKS - 1) * PERIOD_NS * 20,
		      "24 periods of 2 ms take about 48 ms", "%llu ns", ns);
	}
	/* Without tsc_khz only the launcher's clock judges the rate. */

	/* Armed for 50 ms, cancelled at once: nothing comes in the next 100 ms. */
	hcall1(LHCALL_SET_CLOCKEVENT, 50000000);
	hcall1(LHCALL_SET_CLOCKEVENT, 0);
	t0 = rdtsc();
	for (spin = 0; spin < 50000000 && (!rt_data.tsc_khz || rt_tsc_to_ns(rdtsc() - t0) < 100000000);
	     spin++)
		asm volatile("pause");
	CHECK(ticks == TICKS, "SET_CLOCKEVENT 0 cancels the timer", "%llu ticks", ticks);
	irq_disable();
	rt_on_event = NULL;
}
