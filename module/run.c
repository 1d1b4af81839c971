// SPDX-License-Identifier: GPL-2.0
/*
 * Running the guest: the loop behind LGUEST_RUN, one trip through the
 * Switcher at a time, and what we do with each way the guest comes back.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
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

int lg_vcpu_init(struct lguest *lg)
{
	struct x86_hw_tss *tss;
	struct desc_ptr *dp;
	int err;

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
	STATE(lg, SP_GUEST_CR3, u64) = __pa(lg->shadow_root);
	STATE(lg, SP_SW_LSTAR, u64) = SW_ADDR(lg_sw_syscall - lg_switcher_start);
	return 0;
}

void lg_vcpu_free(struct lguest *lg)
{
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

/* One trip into the guest and back: interrupts off all the way. */
static void lg_enter(struct lguest *lg)
{
	struct lg_frame *f = frame(lg);
	struct lguest_regs *r = &lg->regs;
	u64 host_fs, host_lstar, host_cr3;
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
	f->rflags = (r->rflags & ~X86_EFLAGS_IOPL) | X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	f->cs = lg->user_mode ? LG_USER_CS : LG_KERNEL_CS;
	f->ss = lg->user_mode ? LG_USER_DS : LG_KERNEL_DS;
	REGS(lg, RP_GS_BASE, u64) = r->gs_base;

	local_irq_disable();
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
	REGS(lg, RP_NMI_SEEN, u64) = 0;
	/* Our last LTR marked our TSS busy; LTR wants it available. */
	STATE(lg, SP_GDT + SW_TSS + 5, u8) &= ~2;

	native_write_cr3(__pa(lg->trans_root));
	enter();
	native_write_cr3(host_cr3);

	wrmsrl(MSR_LSTAR, host_lstar);
	rdmsrl(MSR_FS_BASE, r->fs_base);
	wrmsrl(MSR_FS_BASE, host_fs);

	seen = REGS(lg, RP_NMI_SEEN, u64);
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

/*
 * A hypercall: rax is the number, rdi/rsi/rdx/r10/r8 the arguments.
 * Returns true when the launcher must see it.
 */
static bool do_hcall(struct lguest *lg)
{
	struct lguest_regs *r = &lg->regs;
	struct lguest_run *run = lg->run;

	switch (r->rax) {
	case LHCALL_CONSOLE_WRITE:
		run->exit_reason = LGUEST_EXIT_HCALL;
		run->hcall.nr = r->rax;
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
		lg_pt_flush(lg);
		r->rax = 0;
		return false;
	default:
		lg_kill(lg, "unknown hypercall %llu", r->rax);
		return true;
	}
}

long lg_run(struct lguest *lg)
{
	struct lguest_regs *r = &lg->regs;
	int ret;

	if (lg->dead)
		return -ESHUTDOWN;
	if (current->mm != lg->mm)
		return -EPERM;
	if (lg->pending_exit == LGUEST_EXIT_HCALL)
		r->rax = lg->run->hcall.ret;
	lg->pending_exit = 0;
	lg->run->exit_reason = LGUEST_EXIT_NONE;

	for (;;) {
		if (signal_pending(current))
			return -EINTR;
		cond_resched();

		lg_enter(lg);
		switch (frame(lg)->trapnum) {
		case X86_TRAP_PF:
			ret = lg_pt_fault(lg, r->cr2, frame(lg)->errcode);
			if (ret == 1)
				lg_kill(lg, "unhandled page fault at %#llx (rip %#llx)",
					r->cr2, r->rip);
			else if (ret == 2)
				lg_kill(lg, "MMIO access at %#llx is not supported yet", r->cr2);
			break;
		case LG_HCALL_VECTOR:
			if (lg->user_mode)
				lg_kill(lg, "hypercall from guest user mode");
			else if (do_hcall(lg))
				lg->pending_exit = lg->run->exit_reason;
			break;
		case X86_TRAP_NMI:
		case X86_TRAP_MC:
			break;
		default:
			if (frame(lg)->trapnum >= FIRST_EXTERNAL_VECTOR &&
			    frame(lg)->trapnum < 256)
				break;
			lg_kill(lg, "unhandled trap %llu at rip %#llx (error %#llx)",
				frame(lg)->trapnum, r->rip, frame(lg)->errcode);
		}
		if (lg->dead || lg->pending_exit)
			return 0;
	}
}
