// SPDX-License-Identifier: GPL-2.0
/*
 * The timer: LHCALL_SET_CLOCKEVENT raises line 0 (vector 32) once after
 * the delta, never early; re-armed from the handler it ticks at the
 * requested rate; 0 cancels it.  Judged by the TSC, or, where the host
 * offers none, by the clock it writes into lguest_data.clock_ns.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "timer";

#define PERIOD_NS	2000000ULL	/* 2 ms */
#define TICKS		25

static volatile u64 ticks, early, last_ns, first_ns, wrong_frame;

/* Nanoseconds by the guest's clock (the launcher's own clock judges too). */
static u64 now_ns(void)
{
	if (rt_data.tsc_khz)
		return rt_tsc_to_ns(rdtsc());
	return *(volatile u64 *)&rt_data.clock_ns;
}

static bool on_timer(struct rt_frame *f)
{
	u64 now = now_ns();

	if (f->vector != LGUEST_IRQ_BASE)
		return false;
	if (f->error_code || f->cs != LGUEST_KERNEL_CS)
		wrong_frame++;
	if (ticks && now - last_ns < PERIOD_NS)
		early++;
	if (!ticks)
		first_ns = now;
	last_ns = now_ns();
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
	last_ns = now_ns();
	hcall1(LHCALL_SET_CLOCKEVENT, PERIOD_NS);
	while (ticks < TICKS)
		hcall0(LHCALL_HALT);
	rt_printf("LGTIME end %d %llu\n", TICKS, PERIOD_NS);
	CHECK(ticks == TICKS && !wrong_frame, "25 ticks arrive as vector 32, error 0, from ring 1",
	      "%llu ticks, %llu odd frames", ticks, wrong_frame);
	{
		u64 ns = last_ns - first_ns;
		const char *clock = rt_data.tsc_khz ? "TSC" : "clock_ns";

		rt_printf("timer: judged by %s\n", clock);
		CHECK(!early, "no tick earlier than the 2 ms asked for", "%llu early by %s", early,
		      clock);
		/* TCG is slow: only a generous upper bound. */
		CHECK(ns >= (TICKS - 1) * PERIOD_NS && ns < (TICKS - 1) * PERIOD_NS * 20,
		      "24 periods of 2 ms take about 48 ms", "%llu ns by %s", ns, clock);
	}

	/* Armed for 50 ms, cancelled at once: nothing comes in the next 100 ms. */
	hcall1(LHCALL_SET_CLOCKEVENT, 50000000);
	hcall1(LHCALL_SET_CLOCKEVENT, 0);
	t0 = now_ns();
	for (spin = 0; spin < 50000000 && now_ns() - t0 < 100000000; spin++)
		asm volatile("pause");
	CHECK(ticks == TICKS, "SET_CLOCKEVENT 0 cancels the timer", "%llu ticks", ticks);
	irq_disable();
	rt_on_event = NULL;
}
