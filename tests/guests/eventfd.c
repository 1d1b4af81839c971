// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications and interrupts through eventfds (LGUEST_IOEVENTFD and
 * LGUEST_IRQFD): the launcher (t_guests, F_EVENTFD) registered eventfds
 * for two values written to a QueueNotify-like register at +0x50 of its
 * device window and for any 8-byte write at +0x60, and bound an eventfd
 * to line 4.  The guest writes; the launcher counts what its eventfds and
 * LGUEST_GET_STATS saw.  "LGEVFD n" asks it to signal the irqfd n times.
 */
#include "rt/rt.h"
#include "mmio_spec.h"

const char rt_guest_name[] = "eventfd";

/* The launcher checks these counts (t_guests.c, F_EVENTFD). */
#define NOTIFIES	20000
#define WIDE		1000

static volatile u64 got, timeout;

static bool on_irq(struct rt_frame *f)
{
	if (f->vector == LGUEST_IRQ_BASE) {
		timeout = 1;
		return true;
	}
	if (f->vector != LGUEST_IRQ_BASE + 4)
		return false;
	got++;
	return true;
}

void guest_main(void)
{
	u64 base = TEST_VA + 0x400000;
	volatile u8 *b = (volatile u8 *)base;
	u32 r32;

	rt_map(base, MMIO_SPEC_GPA, PTE_W | PTE_PCD | PTE_PWT | PTE_NX);
	rt_flush_all();

	/* Each a notification that must not return from LGUEST_RUN. */
	for (u32 i = 0; i < NOTIFIES; i++)
		asm volatile("movl %k1, 0x50(%0)" : : "r"(b), "r"(i & 1) : "memory");
	for (u64 i = 0; i < WIDE; i++)
		asm volatile("movq %1, 0x60(%0)" : : "r"(b), "r"(i) : "memory");
	/* A value no eventfd wants, and a read: both still exit. */
	asm volatile("movl %k1, 0x50(%0)" : : "r"(b), "r"(7) : "memory");
	asm volatile("movl 0x50(%1), %0" : "=r"(r32) : "r"(b) : "memory");
	CHECK(r32 == 0x5eed, "a read of a register with ioeventfds still exits to the launcher",
	      "%#x", r32);
	rt_printf("LGEVFD done\n");

	rt_events_init();
	rt_on_event = on_irq;
	irq_enable();
	rt_printf("LGEVFD 5\n");
	hcall1(LHCALL_SET_CLOCKEVENT, 5000000000ULL);	/* give up after 5 s */
	while (got < 5 && !timeout)
		hcall0(LHCALL_HALT);
	hcall1(LHCALL_SET_CLOCKEVENT, 0);
	CHECK(got == 5, "each of 5 writes to an irqfd wakes the halted guest with line 4",
	      "%llu interrupts (timeout %llu)", got, timeout);
	irq_disable();
	rt_on_event = NULL;
}
