// SPDX-License-Identifier: GPL-2.0
/*
 * Hypercalls: what the guest kernel asks of the host with int $0x80, and
 * the ring in lguest_data where it queues the ones that can wait.  The
 * table is in include/uapi/linux/lguest.h and docs/abi.md.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/io.h>
#include <asm/trap_pf.h>
#include <asm/tsc.h>
#include "lg.h"

/* Copy a NUL-terminated message out of guest memory, bounded. */
static void guest_string(struct lguest *lg, u64 gpa, char *buf, size_t len)
{
	size_t n = len - 1;

	buf[0] = '\0';
	if (gpa >= lg->mem_size)
		return;
	n = min_t(u64, n, lg->mem_size - gpa);
	if (copy_from_user(buf, (void __user *)(lg->mem_uaddr + gpa), n))
		n = 0;
	buf[n] = '\0';
}

/* A guest asking for faster than this gets this: it cannot flood us. */
#define LG_MIN_CLOCKEVENT_NS	10000

/*
 * Give the Switcher a view of a guest page, for the syscall fast path
 * (NULL: none).  Like a shadow entry it holds no reference to the page:
 * false if the launcher's memory changed since @seq, and then the vCPU
 * makes the aliases again before the guest runs (lg_pt_resync()).
 */
static bool set_alias(struct lg_vcpu *vcpu, unsigned int off, struct page *page,
		      unsigned long seq)
{
	unsigned long *pte = &vcpu->hole_pt[off >> PAGE_SHIFT];

	if (!page) {
		*pte = 0;
		return true;
	}
	return lg_pt_install(vcpu->lg, pte, page, _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
			     _PAGE_DIRTY | _PAGE_NX, seq);
}

/*
 * The fast path writes the syscall's event frame through an alias of
 * the kernel stack's top page: find that page again whenever the stack
 * or the guest's mappings change.  No alias, no fast path (the slow path
 * does the same work in C).  It needs wrgsbase in ring 0.
 */
static void update_fast_path(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	u64 frame = (vcpu->kernel_stack & ~15ULL) - sizeof(struct lguest_event_frame), gfn;
	unsigned long seq = lg_pt_seq(lg);
	struct page *page;

	vcpu->state_page->fast_frame_alias = 0;
	set_alias(vcpu, SW_STACK_OFF, NULL, 0);
	if (!vcpu->kernel_stack || !lg->data_gpa || !boot_cpu_has(X86_FEATURE_FSGSBASE))
		return;
	if ((frame ^ (frame + sizeof(struct lguest_event_frame) - 1)) & PAGE_MASK)
		return;
	if (lg_va_to_gfn(vcpu, frame, X86_PF_WRITE, &gfn))
		return;
	page = lg_get_guest_page(lg, gfn);
	if (!page || !set_alias(vcpu, SW_STACK_OFF, page, seq))
		return;
	vcpu->state_page->fast_frame_va = frame;
	vcpu->state_page->fast_frame_alias = SW_ADDR(SW_STACK_OFF) + (frame & ~PAGE_MASK);
}

static const u8 lg_empty_ring[LGUEST_RING_SIZE] = {
	[0 ... LGUEST_RING_SIZE - 1] = 0xff
};

/*
 * The hypercalls that may also be queued in the ring: the TLB's, and the
 * two a context switch makes (the CR3 load and the kernel stack), which
 * the guest sends together.  False if the guest had to die.
 */
static bool do_queueable(struct lg_vcpu *vcpu, u64 nr, u64 arg0, u64 arg1)
{
	switch (nr) {
	case LHCALL_FLUSH_TLB_ONE:
		lg_pt_flush_one(vcpu, arg0);
		return true;
	case LHCALL_FLUSH_TLB:
		if (arg0 == LGUEST_FLUSH_ALL) {
			lg_pt_flush_all(vcpu);
		} else if (!arg0) {
			lg_pt_flush(vcpu);
		} else {
			lg_kill(vcpu, "bad flush scope %llu", arg0);
			return false;
		}
		return true;
	case LHCALL_NEW_PGTABLE:
		if (!PAGE_ALIGNED(arg0) || arg0 >= vcpu->lg->mem_size ||
		    (arg1 & ~LGUEST_PGTABLE_NOFLUSH) >= LGUEST_NR_ASIDS) {
			lg_kill(vcpu, "bad page table root %#llx (asid %#llx)", arg0, arg1);
			return false;
		}
		vcpu->regs.cr3 = arg0;
		lg_pt_switch(vcpu, arg1 & ~LGUEST_PGTABLE_NOFLUSH,
			     !(arg1 & LGUEST_PGTABLE_NOFLUSH));
		vcpu->host_page->guest_cr3 = lg_pt_root(vcpu);
		return true;
	case LHCALL_SET_STACK:
		if (!lg_canonical(arg0)) {
			lg_kill(vcpu, "non-canonical kernel stack %#llx", arg0);
			return false;
		}
		vcpu->kernel_stack = arg0;
		return true;
	}
	lg_kill(vcpu, "hypercall %llu may not be queued", nr);
	return false;
}

/*
 * Run what the guest queued in lguest_data's ring, in order: batched
 * flushes cost one world switch instead of one each.
 */
static void run_ring(struct lg_vcpu *vcpu)
{
	struct lguest_data __user *d = lgdata(vcpu->lg);
	struct lguest_hcall_slot slot;
	bool ran = false;
	unsigned int n;
	u8 status;

	for (n = 0; n < LGUEST_RING_SIZE; n++) {
		unsigned int i = vcpu->ring_next;

		if (get_user(status, &d->ring_status[i])) {
			lg_kill(vcpu, "shared page unreadable");
			return;
		}
		if (status == 0xff)
			break;
		if (copy_from_user(&slot, &d->ring[i], sizeof(slot))) {
			lg_kill(vcpu, "shared page unreadable");
			return;
		}
		if (!do_queueable(vcpu, slot.nr, slot.args[0], slot.args[1]))
			return;
		lg_count(&vcpu->stats.ring_hcalls);
		lg_count(&vcpu->stats.hcall[slot.nr]);
		ran = true;
		if (put_user(0xff, &d->ring_status[i])) {
			lg_kill(vcpu, "shared page unwritable");
			return;
		}
		vcpu->ring_next = (i + 1) % LGUEST_RING_SIZE;
	}
	if (ran)
		update_fast_path(vcpu);
}

/*
 * The guest reads the host's TSC (rdtsc works in ring 1).  Offer it as a
 * clocksource whenever the host itself has not marked it unstable: QEMU's
 * TCG reports no constant_tsc, yet its TSC is what the host keeps time
 * with.
 */
static u64 lg_guest_tsc_khz(void)
{
	if (!boot_cpu_has(X86_FEATURE_TSC) || check_tsc_unstable())
		return 0;
	return tsc_khz;
}

/* lguest_data's alias, for the fast path: only the vCPU changes it. */
static int set_data_alias(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	unsigned long seq = lg_pt_seq(lg);
	struct page *data = lg_get_guest_page(lg, lg->data_gpa >> PAGE_SHIFT);

	if (!data) {
		lg_kill(vcpu, "shared page %#llx is not the launcher's writable memory",
			lg->data_gpa);
		return -EFAULT;
	}
	set_alias(vcpu, SW_DATA_OFF, data, seq);
	return 0;
}

/* After guest memory changed (lg_pt_resync()): both aliases anew. */
void lg_set_aliases(struct lg_vcpu *vcpu)
{
	vcpu->state_page->fast_frame_alias = 0;
	set_alias(vcpu, SW_DATA_OFF, NULL, 0);
	if (vcpu->lg->data_gpa && !set_data_alias(vcpu))
		update_fast_path(vcpu);
}

static int hcall_init(struct lg_vcpu *vcpu, u64 data_gpa, u64 entry)
{
	struct lguest *lg = vcpu->lg;

	if (lg->data_gpa) {
		lg_kill(vcpu, "LHCALL_INIT called twice");
		return -EINVAL;
	}
	/*
	 * Zero is no answer for either: data_gpa and event_entry being zero
	 * are how the rest of lg.ko knows LHCALL_INIT has not been made, so
	 * a zero here would let the guest run half-initialised, and call
	 * LHCALL_INIT again.
	 */
	if (!data_gpa || !PAGE_ALIGNED(data_gpa) || data_gpa >= lg->mem_size ||
	    !entry || !lg_canonical(entry)) {
		lg_kill(vcpu, "bad LHCALL_INIT arguments (%#llx, %#llx)", data_gpa, entry);
		return -EINVAL;
	}
	lg->data_gpa = data_gpa;
	if (set_data_alias(vcpu)) {
		lg->data_gpa = 0;
		return -EFAULT;
	}
	lg->tsc_khz = lg_guest_tsc_khz();
	lg->event_entry = entry;
	vcpu->state_page->event_entry = entry;
	if (clear_user(lgdata(lg), sizeof(struct lguest_data)) ||
	    copy_to_user(lgdata(lg)->ring_status, lg_empty_ring, LGUEST_RING_SIZE) ||
	    put_user(lg->tsc_khz, &lgdata(lg)->tsc_khz) ||
	    put_user(ktime_get_real_ns(), &lgdata(lg)->wallclock_ns)) {
		lg_kill(vcpu, "shared page unwritable");
		return -EFAULT;
	}
	return 0;
}

/*
 * A hypercall: rax is the number, rdi/rsi/rdx/r10/r8 the arguments.
 * Returns true when the launcher must see it.
 */
bool lg_do_hcall(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	struct lguest_regs *r = &vcpu->regs;
	struct lguest_run *run = vcpu->run;
	u64 nr = r->rax;

	lg_count(&vcpu->stats.hcalls);
	if (nr < LGUEST_STATS_NR_HCALLS)
		lg_count(&vcpu->stats.hcall[nr]);
	r->rax = 0;
	if (lg->data_gpa) {
		run_ring(vcpu);
		if (lg->dead)
			return true;
	}
	switch (nr) {
	case LHCALL_CONSOLE_WRITE:
		run->exit_reason = LGUEST_EXIT_HCALL;
		run->hcall.nr = nr;
		run->hcall.args[0] = r->rdi;
		run->hcall.args[1] = r->rsi;
		run->hcall.args[2] = r->rdx;
		run->hcall.args[3] = r->r10;
		run->hcall.args[4] = r->r8;
		run->hcall.ret = 0;
		return true;
	case LHCALL_SHUTDOWN:
		if (r->rdi > LGUEST_SHUTDOWN_PANIC) {
			lg_kill(vcpu, "bad shutdown kind %llu", r->rdi);
			return true;
		}
		run->exit_reason = LGUEST_EXIT_SHUTDOWN;
		run->shutdown.kind = r->rdi;
		guest_string(lg, r->rsi, run->shutdown.msg, sizeof(run->shutdown.msg));
		lg->dead = true;
		return true;
	case LHCALL_FLUSH_TLB:
	case LHCALL_FLUSH_TLB_ONE:
	case LHCALL_NEW_PGTABLE:
	case LHCALL_SET_STACK:
		if (!do_queueable(vcpu, nr, r->rdi, r->rsi))
			return true;
		update_fast_path(vcpu);
		return false;
	case LHCALL_FLUSH_ASYNC:
		return false;
	case LHCALL_INIT:
		return hcall_init(vcpu, r->rdi, r->rsi) != 0;
	case LHCALL_HALT:
		if (r->rdi & ~(u64)LGUEST_HALT_STI) {
			lg_kill(vcpu, "bad halt flags %#llx", r->rdi);
			return true;
		}
		/* "sti; hlt": on before we sleep, so the wake-up is delivered. */
		if ((r->rdi & LGUEST_HALT_STI) && lg->data_gpa &&
		    put_user(1, &lgdata(lg)->irq_enabled)) {
			lg_kill(vcpu, "shared page unwritable");
			return true;
		}
		vcpu->halted = true;
		return false;
	case LHCALL_SET_CLOCKEVENT:
		if (!r->rdi)
			hrtimer_cancel(&vcpu->timer);
		else
			hrtimer_start(&vcpu->timer,
				      ns_to_ktime(max_t(u64, r->rdi, LG_MIN_CLOCKEVENT_NS)),
				      HRTIMER_MODE_REL);
		return false;
	case LHCALL_SEND_INTERRUPTS:
		return false;
	default:
		lg_kill(vcpu, "unknown hypercall %llu", nr);
		return true;
	}
}
