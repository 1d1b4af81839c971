// SPDX-License-Identifier: GPL-2.0
/*
 * Running the guest: the loop behind LGUEST_RUN, one trip through the
 * Switcher at a time, and what we do with each way the guest comes back.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/io.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>
#include <asm/traps.h>
#include "lg.h"

typedef void (*lg_sw_fn)(void);

#define SW_ADDR(off)	(lg_switcher_va + (off))

static struct lg_frame *frame(struct lguest *lg)
{
	return lg->regs_page + RP_FRAME;
}

#define STATE(lg, off, type)	(*(type *)((lg)->state_page + (off)))
#define REGS(lg, off, type)	(*(type *)((lg)->regs_page + (off)))

/* The guest's GDT: ring-0 Switcher, ring-1 guest kernel, ring-3 user. */
static const u64 lg_gdt[SW_GDT_ENTRIES - 2] = {
	[SW_CS >> 3]		= 0x00af9b000000ffffULL,
	[SW_DS >> 3]		= 0x00cf93000000ffffULL,
	[LG_USER_DS >> 3]	= 0x00cff3000000ffffULL,
	[LG_USER_CS >> 3]	= 0x00affb000000ffffULL,
	[LG_KERNEL_CS >> 3]	= 0x00afbb000000ffffULL,
	[LG_KERNEL_DS >> 3]	= 0x00cfb3000000ffffULL,
};

static enum hrtimer_restart lg_clockevent(struct hrtimer *timer);

int lg_vcpu_init(struct lguest *lg)
{
	/* The Switcher's view of the guest's ABI must match the header's. */
	BUILD_BUG_ON(LG_TRAP_SYSCALL != LGUEST_EVENT_SYSCALL);
	BUILD_BUG_ON(LG_NR_ASIDS != LGUEST_NR_ASIDS);
	BUILD_BUG_ON(sizeof(struct lguest_data) != PAGE_SIZE);
	BUILD_BUG_ON(LG_HCALL_VECTOR != LGUEST_HCALL_VECTOR);
	BUILD_BUG_ON(LG_KERNEL_CS != LGUEST_KERNEL_CS || LG_USER_CS != LGUEST_USER_CS);
	BUILD_BUG_ON(LG_KERNEL_DS != LGUEST_KERNEL_DS || LG_USER_DS != LGUEST_USER_DS);
	BUILD_BUG_ON(offsetof(struct lguest_data, irq_enabled) != LD_IRQ_ENABLED);
	BUILD_BUG_ON(offsetof(struct lguest_data, kernel_gs) != LD_KERNEL_GS);
	BUILD_BUG_ON(offsetof(struct lguest_data, user_gs) != LD_USER_GS);

	hrtimer_init(&lg->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	lg->timer.function = lg_clockevent;

	struct x86_hw_tss *tss;
	struct desc_ptr *dp;
	int err;

	lg->fpu_ready = fpu_alloc_guest_fpstate(&lg->fpu);
	if (!lg->fpu_ready)
		return -ENOMEM;
	lg->regs_page = (void *)get_zeroed_page(GFP_KERNEL);
	lg->state_page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!lg->regs_page || !lg->state_page)
		return -ENOMEM;
	err = lg_pt_init(lg);
	if (err)
		return err;

	memcpy(lg->state_page + SP_GDT, lg_gdt, sizeof(lg_gdt));
	tss = lg->state_page + SP_TSS;
	set_tssldt_descriptor(lg->state_page + SP_GDT + SW_TSS, SW_ADDR(SW_STATE_OFF + SP_TSS),
			      DESC_TSS, sizeof(*tss) - 1);
	tss->sp0 = SW_ADDR(SW_REGS_OFF + PAGE_SIZE);
	tss->ist[0] = SW_ADDR(SW_REGS_OFF + RP_NMI_STACK_TOP);
	tss->ist[1] = SW_ADDR(SW_REGS_OFF + RP_DF_STACK_TOP);
	tss->ist[2] = SW_ADDR(SW_REGS_OFF + RP_MC_STACK_TOP);
	/* No I/O bitmap: every port is refused to rings 1 and 3. */
	tss->io_bitmap_base = sizeof(*tss);

	dp = lg->state_page + SP_GDT_DESC;
	dp->size = SW_GDT_ENTRIES * 8 - 1;
	dp->address = SW_ADDR(SW_STATE_OFF + SP_GDT);
	dp = lg->state_page + SP_IDT_DESC;
	dp->size = 256 * 16 - 1;
	dp->address = SW_ADDR(SW_IDT_OFF);
	STATE(lg, SP_TRANS_CR3, u64) = __pa(lg->trans_root);
	STATE(lg, SP_GUEST_CR3, u64) = lg_pt_root(lg);
	STATE(lg, SP_SW_LSTAR, u64) = SW_ADDR(lg_sw_syscall - lg_switcher_start);
	return 0;
}

void lg_vcpu_free(struct lguest *lg)
{
	if (lg->fpu_ready)
		fpu_free_guest_fpstate(&lg->fpu);
	if (lg->timer.function)
		hrtimer_cancel(&lg->timer);
	if (lg->pt_pages.next)
		lg_pt_free(lg);
	free_page((unsigned long)lg->regs_page);
	free_page((unsigned long)lg->state_page);
}

void lg_kill(struct lguest *lg, const char *fmt, ...)
{
	va_list ap;

	if (lg->dead)
		return;
	va_start(ap, fmt);
	lg->run->exit_reason = LGUEST_EXIT_KILLED;
	vsnprintf(lg->run->killed.reason, sizeof(lg->run->killed.reason), fmt, ap);
	va_end(ap);
	lg->dead = true;
}

/* Hand a host interrupt that arrived in the guest to the host (replay.S). */
extern void (*const lg_replay_table[256])(void);

static void replay_vector(unsigned int vec)
{
	lg_replay_table[vec]();
}

static bool lg_user_shstk(void)
{
#ifdef X86_FEATURE_USER_SHSTK
	return cpu_feature_enabled(X86_FEATURE_USER_SHSTK);
#else
	return false;
#endif
}

/* One trip into the guest and back: interrupts off all the way. */
static void lg_enter(struct lguest *lg)
{
	struct lg_frame *f = frame(lg);
	struct lguest_regs *r = &lg->regs;
	u64 host_fs, host_lstar, host_cr3, host_sysenter_cs = 0, host_u_cet = 0;
	bool host_dr7 = false;
	bool intel = boot_cpu_data.x86_vendor == X86_VENDOR_INTEL;
	unsigned long cr4;
	lg_sw_fn enter = (lg_sw_fn)SW_ADDR(lg_sw_enter - lg_switcher_start);
	u64 seen;

	f->r15 = r->r15; f->r14 = r->r14; f->r13 = r->r13; f->r12 = r->r12;
	f->r11 = r->r11; f->r10 = r->r10; f->r9 = r->r9; f->r8 = r->r8;
	f->rbp = r->rbp; f->rdi = r->rdi; f->rsi = r->rsi; f->rdx = r->rdx;
	f->rcx = r->rcx; f->rbx = r->rbx; f->rax = r->rax;
	f->rip = r->rip;
	f->rsp = r->rsp;
	/* The guest always runs with the real IF on and IOPL 0. */
	f->rflags = (r->rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_VIF |
				   X86_EFLAGS_VIP)) | X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	f->cs = lg->user_mode ? LG_USER_CS : LG_KERNEL_CS;
	f->ss = lg->user_mode ? LG_USER_DS : LG_KERNEL_DS;
	REGS(lg, RP_GS_BASE, u64) = r->gs_base;

	local_irq_disable();
	/* The guest's FPU state must be in the registers, not just saved. */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	/*
	 * A global TLB entry of the host's would survive our CR3 loads and
	 * show host memory to the guest: no global pages while we run here.
	 */
	cr4 = __read_cr4();
	if (cr4 & X86_CR4_PGE)
		cr4_clear_bits_irqsoff(X86_CR4_PGE);

	host_cr3 = __native_read_cr3();
	if (cr4 & X86_CR4_PCIDE)
		host_cr3 |= X86_CR3_PCID_NOFLUSH;
	native_store_gdt(lg->state_page + SP_HOST_GDT_DESC);
	store_idt(lg->state_page + SP_HOST_IDT_DESC);
	STATE(lg, SP_HOST_GDT_RW_DESC, u16) = STATE(lg, SP_HOST_GDT_DESC, u16);
	STATE(lg, SP_HOST_GDT_RW_DESC + 2, u64) = (u64)get_cpu_gdt_rw(smp_processor_id());
	STATE(lg, SP_HOST_TR, u16) = GDT_ENTRY_TSS * 8;
	savesegment(ds, STATE(lg, SP_HOST_DS, u16));
	savesegment(es, STATE(lg, SP_HOST_ES, u16));
	savesegment(fs, STATE(lg, SP_HOST_FS, u16));
	savesegment(gs, STATE(lg, SP_HOST_GS, u16));
	rdmsrl(MSR_GS_BASE, STATE(lg, SP_HOST_GS_BASE, u64));
	rdmsrl(MSR_FS_BASE, host_fs);
	rdmsrl(MSR_LSTAR, host_lstar);
	wrmsrl(MSR_FS_BASE, r->fs_base);
	wrmsrl(MSR_LSTAR, STATE(lg, SP_SW_LSTAR, u64));
	/*
	 * Intel CPUs allow sysenter in 64-bit mode: with SYSENTER_CS 0 it
	 * raises #GP instead of jumping to the host's entry on a stack the
	 * guest's page tables do not map.
	 */
	if (intel) {
		rdmsrl(MSR_IA32_SYSENTER_CS, host_sysenter_cs);
		wrmsrl(MSR_IA32_SYSENTER_CS, 0);
	}
	/* The host's hardware breakpoints must not fire on guest accesses. */
	if (hw_breakpoint_active()) {
		host_dr7 = true;
		set_debugreg(0, 7);
	}
	/* Nor may the launcher's user shadow stack govern guest ring 3. */
	if (lg_user_shstk()) {
		rdmsrl(MSR_IA32_U_CET, host_u_cet);
		if (host_u_cet)
			wrmsrl(MSR_IA32_U_CET, 0);
	}
	STATE(lg, SP_NMI_SEEN, u64) = 0;
	/* Our last LTR marked our TSS busy; LTR wants it available. */
	STATE(lg, SP_GDT + SW_TSS + 5, u8) &= ~2;

	native_write_cr3(__pa(lg->trans_root));
	enter();
	native_write_cr3(host_cr3);

	wrmsrl(MSR_LSTAR, host_lstar);
	if (intel)
		wrmsrl(MSR_IA32_SYSENTER_CS, host_sysenter_cs);
	if (host_u_cet)
		wrmsrl(MSR_IA32_U_CET, host_u_cet);
	if (host_dr7)
		hw_breakpoint_restore();
	/* A guest's #DB left its status in DR6: the host's next must not see it. */
	if (f->trapnum == X86_TRAP_DB)
		set_debugreg(DR6_RESERVED, 6);
	rdmsrl(MSR_FS_BASE, r->fs_base);
	wrmsrl(MSR_FS_BASE, host_fs);

	seen = STATE(lg, SP_NMI_SEEN, u64);
	if (seen & 1)
		replay_vector(X86_TRAP_NMI);
	if (seen & 2)
		replay_vector(X86_TRAP_MC);
	if (f->trapnum == X86_TRAP_NMI || f->trapnum == X86_TRAP_MC ||
	    (f->trapnum >= FIRST_EXTERNAL_VECTOR && f->trapnum < 256 &&
	     f->trapnum != LG_HCALL_VECTOR))
		replay_vector(f->trapnum);
	local_irq_enable();

	r->r15 = f->r15; r->r14 = f->r14; r->r13 = f->r13; r->r12 = f->r12;
	r->r11 = f->r11; r->r10 = f->r10; r->r9 = f->r9; r->r8 = f->r8;
	r->rbp = f->rbp; r->rdi = f->rdi; r->rsi = f->rsi; r->rdx = f->rdx;
	r->rcx = f->rcx; r->rbx = f->rbx; r->rax = f->rax;
	r->rip = f->rip;
	r->rsp = f->rsp;
	r->rflags = f->rflags & ~(X86_EFLAGS_IF | X86_EFLAGS_IOPL);
	r->gs_base = REGS(lg, RP_GS_BASE, u64);
	r->cr2 = REGS(lg, RP_CR2, u64);
	lg->user_mode = (f->cs & 3) == 3;
}

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

static bool canonical(u64 addr)
{
	return ((s64)addr << 16 >> 16) == (s64)addr;
}

/* The shared page: it lives in guest memory, which is the launcher's. */
static struct lguest_data __user *lgdata(struct lguest *lg)
{
	return (struct lguest_data __user *)(lg->mem_uaddr + lg->data_gpa);
}

/*
 * Deliver an event FRED-style: push a struct lguest_event_frame on the
 * guest kernel's stack and enter its event entry in ring 1 with virtual
 * interrupts off.  A guest that cannot take the event (no entry yet, a
 * stack it cannot write) dies: there is nobody else to tell.
 */
static void deliver_event(struct lguest *lg, u64 vector, u64 errcode)
{
	struct lguest_regs *r = &lg->regs;
	struct lguest_event_frame ev;
	u8 irq_on = 0;
	u64 sp;

	if (!lg->event_entry) {
		lg_kill(lg, "event %llu (rip %#llx) before LHCALL_INIT", vector, r->rip);
		return;
	}
	if (get_user(irq_on, &lgdata(lg)->irq_enabled) ||
	    (vector == X86_TRAP_PF && put_user(r->cr2, &lgdata(lg)->cr2))) {
		lg_kill(lg, "shared page unreadable");
		return;
	}
	ev.vector = vector;
	ev.error_code = errcode;
	ev.rip = r->rip;
	ev.cs = lg->user_mode ? LG_USER_CS : LG_KERNEL_CS;
	ev.rflags = (r->rflags & ~X86_EFLAGS_IF) | (irq_on ? X86_EFLAGS_IF : 0);
	ev.rsp = r->rsp;
	ev.ss = lg->user_mode ? LG_USER_DS : LG_KERNEL_DS;

	sp = ((lg->user_mode ? lg->kernel_stack : r->rsp) & ~15ULL) - sizeof(ev);
	if (!canonical(sp) || lg_write_guest(lg, sp, &ev, sizeof(ev))) {
		lg_kill(lg, "cannot deliver event %llu: kernel stack %#llx not writable",
			vector, sp);
		return;
	}
	if (put_user(0, &lgdata(lg)->irq_enabled)) {
		lg_kill(lg, "shared page unwritable");
		return;
	}
	/* Leaving ring 3 swaps GS, as swapgs would. */
	if (lg->user_mode) {
		u64 kgs;

		if (put_user(r->gs_base, &lgdata(lg)->user_gs) ||
		    get_user(kgs, &lgdata(lg)->kernel_gs) || !canonical(kgs)) {
			lg_kill(lg, "shared page unusable");
			return;
		}
		r->gs_base = kgs;
	}
	r->rip = lg->event_entry;
	r->rsp = sp;
	r->rflags = X86_EFLAGS_FIXED;
	lg->user_mode = false;
}

/* Deliver the lowest pending line if the guest has interrupts on. */
static void deliver_interrupts(struct lguest *lg)
{
	unsigned long pending = READ_ONCE(lg->irq_pending);
	u8 irq_on;
	int irq;

	if (!lg->data_gpa)
		return;
	if (put_user(pending, &lgdata(lg)->irq_pending) ||
	    get_user(irq_on, &lgdata(lg)->irq_enabled)) {
		lg_kill(lg, "shared page unusable");
		return;
	}
	if (!pending || !irq_on)
		return;
	irq = __ffs(pending);
	clear_bit(irq, &lg->irq_pending);
	deliver_event(lg, LGUEST_IRQ_BASE + irq, 0);
}

/* Wake the guest if it sleeps; make it leave the guest if it runs. */
void lg_raise_irq(struct lguest *lg, unsigned int irq)
{
	struct task_struct *task;

	set_bit(irq, &lg->irq_pending);
	rcu_read_lock();
	task = READ_ONCE(lg->task);
	if (task) {
		wake_up_process(task);
		kick_process(task);
	}
	rcu_read_unlock();
}

static enum hrtimer_restart lg_clockevent(struct hrtimer *timer)
{
	lg_raise_irq(container_of(timer, struct lguest, timer), 0);
	return HRTIMER_NORESTART;
}

/* A guest asking for faster than this gets this: it cannot flood us. */
#define LG_MIN_CLOCKEVENT_NS	10000

/* Give the Switcher a view of a guest page, for the syscall fast path. */
static void set_alias(struct lguest *lg, unsigned int off, struct page *page)
{
	lg->hole_pt[off >> PAGE_SHIFT] = page ? page_to_phys(page) | _PAGE_PRESENT | _PAGE_RW |
					 _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX : 0;
}

/*
 * The fast path writes the syscall's event frame through an alias of
 * the kernel stack's top page: find that page again whenever the stack
 * or the guest's mappings change.  No alias, no fast path (the slow path
 * does the same work in C).  It needs wrgsbase in ring 0.
 */
static void update_fast_path(struct lguest *lg)
{
	u64 frame = (lg->kernel_stack & ~15ULL) - sizeof(struct lguest_event_frame), gfn;
	struct page *page;

	STATE(lg, SP_FAST_FRAME_ALIAS, u64) = 0;
	set_alias(lg, SW_STACK_OFF, NULL);
	if (!lg->kernel_stack || !lg->data_gpa || !boot_cpu_has(X86_FEATURE_FSGSBASE))
		return;
	if ((frame ^ (frame + sizeof(struct lguest_event_frame) - 1)) & PAGE_MASK)
		return;
	if (lg_va_to_gfn(lg, frame, X86_PF_WRITE, &gfn))
		return;
	page = lg_guest_page(lg, gfn);
	if (!page)
		return;
	set_alias(lg, SW_STACK_OFF, page);
	STATE(lg, SP_FAST_FRAME_VA, u64) = frame;
	STATE(lg, SP_FAST_FRAME_ALIAS, u64) = SW_ADDR(SW_STACK_OFF) + (frame & ~PAGE_MASK);
}

static const u8 lg_empty_ring[LGUEST_RING_SIZE] = {
	[0 ... LGUEST_RING_SIZE - 1] = 0xff
};

/* Flush hypercalls: from a register, or queued in the ring. */
static bool do_flush(struct lguest *lg, u64 nr, u64 arg)
{
	if (nr == LHCALL_FLUSH_TLB_ONE) {
		lg_pt_flush_one(lg, arg);
	} else if (arg == LGUEST_FLUSH_ALL) {
		lg_pt_flush_all(lg);
	} else if (!arg) {
		lg_pt_flush(lg);
	} else {
		lg_kill(lg, "bad flush scope %llu", arg);
		return false;
	}
	return true;
}

/*
 * Run what the guest queued in lguest_data's ring, in order: batched
 * flushes cost one world switch instead of one each.
 */
static void run_ring(struct lguest *lg)
{
	struct lguest_data __user *d = lgdata(lg);
	struct lguest_hcall_slot slot;
	bool flushed = false;
	unsigned int n;
	u8 status;

	for (n = 0; n < LGUEST_RING_SIZE; n++) {
		unsigned int i = lg->ring_next;

		if (get_user(status, &d->ring_status[i])) {
			lg_kill(lg, "shared page unreadable");
			return;
		}
		if (status == 0xff)
			break;
		if (copy_from_user(&slot, &d->ring[i], sizeof(slot))) {
			lg_kill(lg, "shared page unreadable");
			return;
		}
		if (slot.nr != LHCALL_FLUSH_TLB && slot.nr != LHCALL_FLUSH_TLB_ONE) {
			lg_kill(lg, "hypercall %llu may not be queued", slot.nr);
			return;
		}
		if (!do_flush(lg, slot.nr, slot.args[0]))
			return;
		flushed = true;
		if (put_user(0xff, &d->ring_status[i])) {
			lg_kill(lg, "shared page unwritable");
			return;
		}
		lg->ring_next = (i + 1) % LGUEST_RING_SIZE;
	}
	if (flushed)
		update_fast_path(lg);
}

static int hcall_init(struct lguest *lg, u64 data_gpa, u64 entry)
{
	struct page *data;

	if (lg->data_gpa) {
		lg_kill(lg, "LHCALL_INIT called twice");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(data_gpa) || data_gpa >= lg->mem_size || !canonical(entry)) {
		lg_kill(lg, "bad LHCALL_INIT arguments (%#llx, %#llx)", data_gpa, entry);
		return -EINVAL;
	}
	data = lg_guest_page(lg, data_gpa >> PAGE_SHIFT);
	if (!data) {
		lg_kill(lg, "shared page %#llx cannot be pinned", data_gpa);
		return -EFAULT;
	}
	set_alias(lg, SW_DATA_OFF, data);
	lg->data_gpa = data_gpa;
	lg->event_entry = entry;
	STATE(lg, SP_EVENT_ENTRY, u64) = entry;
	if (clear_user(lgdata(lg), sizeof(struct lguest_data)) ||
	    copy_to_user(lgdata(lg)->ring_status, lg_empty_ring, LGUEST_RING_SIZE) ||
	    put_user(boot_cpu_has(X86_FEATURE_CONSTANT_TSC) ? tsc_khz : 0,
		     &lgdata(lg)->tsc_khz)) {
		lg_kill(lg, "shared page unwritable");
		return -EFAULT;
	}
	return 0;
}

/*
 * A hypercall: rax is the number, rdi/rsi/rdx/r10/r8 the arguments.
 * Returns true when the launcher must see it.
 */
static bool do_hcall(struct lguest *lg)
{
	struct lguest_regs *r = &lg->regs;
	struct lguest_run *run = lg->run;
	u64 nr = r->rax;

	r->rax = 0;
	if (lg->data_gpa) {
		run_ring(lg);
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
			lg_kill(lg, "bad shutdown kind %llu", r->rdi);
			return true;
		}
		run->exit_reason = LGUEST_EXIT_SHUTDOWN;
		run->shutdown.kind = r->rdi;
		guest_string(lg, r->rsi, run->shutdown.msg, sizeof(run->shutdown.msg));
		lg->dead = true;
		return true;
	case LHCALL_FLUSH_TLB:
	case LHCALL_FLUSH_TLB_ONE:
		if (!do_flush(lg, nr, r->rdi))
			return true;
		update_fast_path(lg);
		return false;
	case LHCALL_FLUSH_ASYNC:
		return false;
	case LHCALL_INIT:
		return hcall_init(lg, r->rdi, r->rsi) != 0;
	case LHCALL_SET_STACK:
		if (!canonical(r->rdi)) {
			lg_kill(lg, "non-canonical kernel stack %#llx", r->rdi);
			return true;
		}
		lg->kernel_stack = r->rdi;
		update_fast_path(lg);
		return false;
	case LHCALL_HALT:
		lg->halted = true;
		return false;
	case LHCALL_SET_CLOCKEVENT:
		if (!r->rdi)
			hrtimer_cancel(&lg->timer);
		else
			hrtimer_start(&lg->timer, ns_to_ktime(max_t(u64, r->rdi,
								    LG_MIN_CLOCKEVENT_NS)),
				      HRTIMER_MODE_REL);
		return false;
	case LHCALL_SEND_INTERRUPTS:
		return false;
	case LHCALL_NEW_PGTABLE:
		if (!PAGE_ALIGNED(r->rdi) || r->rdi >= lg->mem_size ||
		    (r->rsi & ~LGUEST_PGTABLE_NOFLUSH) >= LGUEST_NR_ASIDS) {
			lg_kill(lg, "bad page table root %#llx (asid %#llx)", r->rdi, r->rsi);
			return true;
		}
		r->cr3 = r->rdi;
		lg_pt_switch(lg, r->rsi & ~LGUEST_PGTABLE_NOFLUSH,
			     !(r->rsi & LGUEST_PGTABLE_NOFLUSH));
		STATE(lg, SP_GUEST_CR3, u64) = lg_pt_root(lg);
		update_fast_path(lg);
		return false;
	default:
		lg_kill(lg, "unknown hypercall %llu", nr);
		return true;
	}
}

/* Sleep in LHCALL_HALT until a line is raised or a signal comes. */
static void lg_halt(struct lguest *lg)
{
	set_current_state(TASK_INTERRUPTIBLE);
	if (!READ_ONCE(lg->irq_pending) && !signal_pending(current))
		schedule();
	__set_current_state(TASK_RUNNING);
	if (READ_ONCE(lg->irq_pending))
		lg->halted = false;
}

/* What the guest did that made it leave; false when it must stop. */
static void handle_trap(struct lguest *lg)
{
	struct lguest_regs *r = &lg->regs;
	u64 trap = frame(lg)->trapnum, err = frame(lg)->errcode, gpa;
	u32 pf_err;
	int ret;

	switch (trap) {
	case X86_TRAP_PF:
		/*
		 * On a 5-level host, addresses the guest's 4-level paging would
		 * call non-canonical are canonical to the CPU: make them #GP.
		 */
		if (!canonical(r->cr2)) {
			deliver_event(lg, X86_TRAP_GP, 0);
			return;
		}
		pf_err = err;
		ret = lg_pt_fault(lg, r->cr2, &pf_err, &gpa);
		if (ret == 1)
			deliver_event(lg, trap, pf_err);
		else if (ret == 2 && !lg_mmio_exit(lg, gpa))
			lg->pending_exit = LGUEST_EXIT_MMIO;
		return;
	case LG_HCALL_VECTOR:
		if (lg->user_mode)
			lg_kill(lg, "hypercall from guest user mode");
		else if (do_hcall(lg))
			lg->pending_exit = lg->run->exit_reason;
		return;
	case LG_TRAP_SYSCALL:
		deliver_event(lg, LGUEST_EVENT_SYSCALL, 0);
		return;
	case X86_TRAP_NMI:
	case X86_TRAP_MC:
		return;
	case X86_TRAP_DF:
		lg_kill(lg, "double fault at rip %#llx", r->rip);
		return;
	}
	if (trap >= FIRST_EXTERNAL_VECTOR)
		return;		/* a host interrupt: already handled */
	deliver_event(lg, trap, err);
}

static long lg_run_loop(struct lguest *lg)
{
	for (;;) {
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
		if (lg->halted) {
			lg_halt(lg);
			continue;
		}
		deliver_interrupts(lg);
		if (lg->dead)
			return 0;

		lg_enter(lg);
		handle_trap(lg);
		if (lg->dead || lg->pending_exit)
			return 0;
	}
}

long lg_run(struct lguest *lg)
{
	struct lguest_regs *r = &lg->regs;
	long ret;

	if (lg->dead)
		return -ESHUTDOWN;
	if (current->mm != lg->mm)
		return -EPERM;
	if (lg->pending_exit == LGUEST_EXIT_HCALL)
		r->rax = lg->run->hcall.ret;
	else if (lg->pending_exit == LGUEST_EXIT_MMIO)
		lg_mmio_complete(lg);
	lg->pending_exit = 0;
	lg->run->exit_reason = LGUEST_EXIT_NONE;

	/*
	 * For the whole run the task's FPU state is the guest's: context
	 * switches save and restore it, and the launcher's stays untouched.
	 */
	fpu_swap_kvm_fpstate(&lg->fpu, true);
	ret = lg_run_loop(lg);
	fpu_swap_kvm_fpstate(&lg->fpu, false);
	return ret;
}
