// SPDX-License-Identifier: GPL-2.0
/*
 * Events into the guest: exceptions it must handle itself, system calls
 * from its ring 3 and its virtual interrupt lines, all delivered the one
 * FRED-style way; its timer; and halting until a line is raised.
 */
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/traps.h>
#include "lg.h"
#include "compat.h"

/*
 * Deliver an event FRED-style: push a struct lguest_event_frame on the
 * guest kernel's stack and enter its event entry in ring 1 with virtual
 * interrupts off.  A guest that cannot take the event (no entry yet, a
 * stack it cannot write) dies: there is nobody else to tell.
 */
void lg_deliver_event(struct lg_vcpu *vcpu, u64 vector, u64 errcode)
{
	struct lguest *lg = vcpu->lg;
	struct lguest_regs *r = &vcpu->regs;
	struct lguest_event_frame ev;
	u8 irq_on = 0;
	u64 sp;

	if (!lg->event_entry) {
		lg_kill(vcpu, "event %llu (rip %#llx) before LHCALL_INIT", vector, r->rip);
		return;
	}
	if (get_user(irq_on, &lgdata(lg)->irq_enabled) ||
	    (vector == X86_TRAP_PF && put_user(r->cr2, &lgdata(lg)->cr2))) {
		lg_kill(vcpu, "shared page unreadable");
		return;
	}
	ev.vector = vector;
	ev.error_code = errcode;
	ev.rip = r->rip;
	ev.cs = vcpu->user_mode ? LG_USER_CS : LG_KERNEL_CS;
	ev.rflags = (r->rflags & ~X86_EFLAGS_IF) | (irq_on ? X86_EFLAGS_IF : 0);
	ev.rsp = r->rsp;
	ev.ss = vcpu->user_mode ? LG_USER_DS : LG_KERNEL_DS;

	sp = ((vcpu->user_mode ? vcpu->kernel_stack : r->rsp) & ~15ULL) - sizeof(ev);
	if (!lg_canonical(sp) || lg_write_guest(vcpu, sp, &ev, sizeof(ev))) {
		lg_kill(vcpu, "cannot deliver event %llu at %#llx: kernel stack %#llx not writable",
			vector, r->rip, sp);
		return;
	}
	if (put_user(0, &lgdata(lg)->irq_enabled)) {
		lg_kill(vcpu, "shared page unwritable");
		return;
	}
	/* Leaving ring 3 swaps GS, as swapgs would. */
	if (vcpu->user_mode) {
		u64 kgs;

		if (put_user(r->gs_base, &lgdata(lg)->user_gs) ||
		    get_user(kgs, &lgdata(lg)->kernel_gs) || !lg_canonical(kgs)) {
			lg_kill(vcpu, "shared page unusable");
			return;
		}
		r->gs_base = kgs;
	}
	r->rip = lg->event_entry;
	r->rsp = sp;
	r->rflags = X86_EFLAGS_FIXED;
	vcpu->user_mode = false;
	if (vector < LGUEST_STATS_NR_TRAPS)
		lg_count(&vcpu->stats.traps[vector]);
}

/*
 * Before every entry: show the guest its pending lines (and the time), and
 * deliver the lowest if it has interrupts on.
 */
void lg_deliver_interrupts(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	unsigned long pending = READ_ONCE(vcpu->irq_pending);
	u8 irq_on;
	int irq;

	vcpu->irq_shown = pending;
	if (!lg->data_gpa)
		return;
	/* Without a TSC, the guest's clock is the one we write here. */
	if (put_user(pending, &lgdata(lg)->irq_pending) ||
	    get_user(irq_on, &lgdata(lg)->irq_enabled) ||
	    (!lg->tsc_khz && put_user(ktime_get_ns(), &lgdata(lg)->clock_ns))) {
		lg_kill(vcpu, "shared page unusable");
		return;
	}
	if (!pending || !irq_on)
		return;
	irq = __ffs(pending);
	clear_bit(irq, &vcpu->irq_pending);
	lg_deliver_event(vcpu, LGUEST_IRQ_BASE + irq, 0);
	if (!lg->dead)
		lg_count(&vcpu->stats.irqs);
}

/* Wake the guest if it sleeps; make it leave the guest if it runs. */
void lg_raise_irq(struct lg_vcpu *vcpu, unsigned int irq)
{
	struct task_struct *task;

	set_bit(irq, &vcpu->irq_pending);
	rcu_read_lock();
	task = READ_ONCE(vcpu->task);
	if (task) {
		wake_up_process(task);
		kick_process(task);
	}
	rcu_read_unlock();
}

static enum hrtimer_restart lg_clockevent(struct hrtimer *timer)
{
	lg_raise_irq(container_of(timer, struct lg_vcpu, timer), 0);
	return HRTIMER_NORESTART;
}

void lg_events_init(struct lg_vcpu *vcpu)
{
	hrtimer_setup(&vcpu->timer, lg_clockevent, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
}

/* Sleep in LHCALL_HALT until a line is raised or a signal comes. */
void lg_halt(struct lg_vcpu *vcpu)
{
	set_current_state(TASK_INTERRUPTIBLE);
	if (!READ_ONCE(vcpu->irq_pending) && !signal_pending(current))
		schedule();
	__set_current_state(TASK_RUNNING);
	if (READ_ONCE(vcpu->irq_pending))
		vcpu->halted = false;
}
