// SPDX-License-Identifier: GPL-2.0
/*
 * An interrupt injected from user space: the launcher raises line 3
 * with LGUEST_IRQ from another thread (asked with "LGIRQ 5 3" on the
 * console) while the guest halts; it arrives as vector 35.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "irq";

static volatile u64 got, timeout, odd;

static bool on_irq(struct rt_frame *f)
{
	if (f->vector == LGUEST_IRQ_BASE) {
		timeout = 1;
		return true;
	}
	if (f->vector != LGUEST_IRQ_BASE + 3)
		return false;
	if (f->error_code || f->cs != LGUEST_KERNEL_CS)
		odd++;
	got++;
	return true;
}

void guest_main(void)
{
	rt_events_init();
	rt_on_event = on_irq;
	irq_enable();
	rt_printf("LGIRQ 5 3\n");
	hcall1(LHCALL_SET_CLOCKEVENT, 5000000000ULL);	/* give up after 5 s */
	while (got < 5 && !timeout)
		hcall0(LHCALL_HALT);
	hcall1(LHCALL_SET_CLOCKEVENT, 0);
	CHECK(got >= 1 && !odd, "line 3 raised from another thread arrives as vector 35",
	      "%llu interrupts (timeout %llu)", got, timeout);
	CHECK(got == 5, "each of 5 raises 20 ms apart wakes the halted guest",
	      "%llu interrupts", got);
	irq_disable();
	rt_on_event = NULL;
}
