// SPDX-License-Identifier: GPL-2.0
/*
 * The world switch: this vCPU's Switcher pages, and one trip through the
 * Switcher into the guest and back (switcher/switcher.S does the part
 * that runs in the hole).
 */
#include <linux/mm.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/tlbflush.h>
#include <asm/traps.h>
#include "compat.h"
#include "lg.h"

typedef void (*lg_sw_fn)(void);

/* The guest's GDT: ring-0 Switcher, ring-1 guest kernel, ring-3 user. */
static const u64 lg_gdt[SW_GDT_ENTRIES] = {
	[SW_CS >> 3]		= 0x00af9b000000ffffULL,
	[SW_DS >> 3]		= 0x00cf93000000ffffULL,
	[LG_USER_DS >> 3]	= 0x00cff3000000ffffULL,
	[LG_USER_CS >> 3]	= 0x00affb000000ffffULL,
	[LG_KERNEL_CS >> 3]	= 0x00afbb000000ffffULL,
	[LG_KERNEL_DS >> 3]	= 0x00cfb3000000ffffULL,
	/* Read-only data, DPL 3, limit (node << 12 | CPU): CPU 0, node 0. */
	[LG_CPUNODE_SEL >> 3]	= 0x0040f50000000000ULL,
};

/*
 * Does this CPU want its buffers cleared (VERW) before less privileged
 * code runs?  Linux says so per return to user mode and (kernels since
 * the 2025 TSA fixes, stable ones included) separately per VM entry; a
 * guest entry is both.
 */
static bool lg_clear_cpu_buffers(void)
{
	bool clear = false;

#ifdef X86_FEATURE_CLEAR_CPU_BUF
	clear |= cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF);
#endif
#ifdef X86_FEATURE_CLEAR_CPU_BUF_VM
	clear |= cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF_VM);
#endif
	return clear;
}

/* The vCPU that last ran on each CPU, by lg_vcpu.id (one per guest today). */
static DEFINE_PER_CPU(u64, lg_last_guest);

int lg_vcpu_init(struct lg_vcpu *vcpu)
{
	static atomic64_t ids;

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

	struct lg_state_page *sp;
	struct x86_hw_tss *tss;
	int err;

	vcpu->id = atomic64_inc_return(&ids);
	lg_events_init(vcpu);
	err = lg_fpu_init(vcpu);
	if (err)
		return err;
	vcpu->regs_page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	vcpu->state_page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	vcpu->host_page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!vcpu->regs_page || !vcpu->state_page || !vcpu->host_page)
		return -ENOMEM;
	err = lg_pt_init(vcpu);
	if (err)
		return err;

	sp = vcpu->state_page;
	memcpy(sp->gdt, lg_gdt, sizeof(lg_gdt));
	tss = &sp->tss;
	set_tssldt_descriptor(&sp->gdt[SW_TSS / 8], SW_ADDR(SW_STATE_OFF + SP_TSS), DESC_TSS,
			      sizeof(*tss) - 1);
	tss->sp0 = SW_ADDR(SW_REGS_OFF + PAGE_SIZE);
	tss->ist[0] = SW_ADDR(SW_REGS_OFF + RP_NMI_STACK_TOP);
	tss->ist[1] = SW_ADDR(SW_REGS_OFF + RP_DF_STACK_TOP);
	tss->ist[2] = SW_ADDR(SW_REGS_OFF + RP_MC_STACK_TOP);
	tss->ist[3] = SW_ADDR(SW_REGS_OFF + RP_DB_STACK_TOP);
	/* No I/O bitmap: every port is refused to rings 1 and 3. */
	tss->io_bitmap_base = sizeof(*tss);

	sp->gdt_desc.d.size = sizeof(sp->gdt) - 1;
	sp->gdt_desc.d.address = SW_ADDR(SW_STATE_OFF + SP_GDT);
	sp->idt_desc.d.size = 256 * sizeof(gate_desc) - 1;
	sp->idt_desc.d.address = SW_ADDR(SW_IDT_OFF);
	sp->trans_cr3 = __pa(vcpu->trans_root);
	sp->exit_rsp = SW_ADDR(SW_REGS_OFF + RP_FRAME + LGF_TRAPNUM);
	sp->sw_lstar = SW_ADDR(lg_sw_syscall - lg_switcher_start);
	/* What Linux does on every return to user mode, before guest code runs. */
	if (lg_clear_cpu_buffers())
		sp->verw_sel = SW_DS;
	vcpu->host_page->guest_cr3 = lg_pt_root(vcpu);
	return 0;
}

/*
 * Undo lg_vcpu_init(), all or the part it did, and forget it: a failed
 * LGUEST_INIT calls this and may be retried, and nothing of the first
 * try may be freed twice.
 */
void lg_vcpu_free(struct lg_vcpu *vcpu)
{
	lg_fpu_free(vcpu);
	if (vcpu->timer.function)
		hrtimer_cancel(&vcpu->timer);
	if (vcpu->pt_pages.next)
		lg_pt_free(vcpu);
	free_page((unsigned long)vcpu->regs_page);
	free_page((unsigned long)vcpu->state_page);
	free_page((unsigned long)vcpu->host_page);
	vcpu->regs_page = NULL;
	vcpu->state_page = NULL;
	vcpu->host_page = NULL;
}

/* Hand a host interrupt that arrived in the guest to the host (replay.S). */
extern void (*const lg_replay_table[256])(void);

static void replay_vector(unsigned int vec)
{
	lg_replay_table[vec]();
}

/*
 * A selector the Switcher may load for the guest: one of its own segments
 * at an RPL its DPL allows, else null.  Each came from the CPU at the last
 * exit, so this only keeps a forged one from faulting in the Switcher.
 */
static u16 lg_guest_sel(u16 sel)
{
	switch (sel & ~3) {
	case LG_USER_DS & ~3:
	case LG_USER_CS & ~3:
	case LG_CPUNODE_SEL & ~3:
		return sel;
	case LG_KERNEL_DS & ~3:
	case LG_KERNEL_CS & ~3:
		return (sel & 3) <= 1 ? sel : 0;
	}
	return 0;
}

/* The LDT register, as KVM keeps it: a launcher's LDT must not follow the guest. */
static inline u16 lg_read_ldt(void)
{
	u16 ldt;

	asm volatile("sldt %0" : "=g"(ldt));
	return ldt;
}

static inline void lg_load_ldt(u16 sel)
{
	asm volatile("lldt %0" : : "rm"(sel));
}

static bool lg_user_shstk(void)
{
#ifdef X86_FEATURE_USER_SHSTK
	return cpu_feature_enabled(X86_FEATURE_USER_SHSTK);
#else
	return false;
#endif
}

/*
 * One trip into the guest and back: interrupts off all the way.  False
 * if guest memory changed since the run loop last looked (the shadow may
 * then hold pages the launcher no longer has, page_tables.c), or a line
 * was raised that the guest has not been shown.
 */
bool lg_switch(struct lg_vcpu *vcpu)
{
	struct lg_regs_page *rp = vcpu->regs_page;
	struct lg_state_page *sp = vcpu->state_page;
	struct lg_host_page *hp = vcpu->host_page;
	struct lg_frame *f = &rp->frame;
	struct lguest_regs *r = &vcpu->regs;
	u64 host_fs, host_lstar, host_cstar, host_cr3, host_sysenter_cs, host_u_cet = 0;
	u64 host_tsc_aux = 0;
	unsigned long host_dr7 = 0;
	bool pku = cpu_feature_enabled(X86_FEATURE_OSPKE);
	u32 host_pkru = 0;
	u16 host_ldt;
	unsigned long cr4;
	lg_sw_fn enter = (lg_sw_fn)SW_ADDR(lg_sw_enter - lg_switcher_start);
	u64 seen;

	f->r15 = r->r15; f->r14 = r->r14; f->r13 = r->r13; f->r12 = r->r12;
	f->r11 = r->r11; f->r10 = r->r10; f->r9 = r->r9; f->r8 = r->r8;
	f->rbp = r->rbp; f->rdi = r->rdi; f->rsi = r->rsi; f->rdx = r->rdx;
	f->rcx = r->rcx; f->rbx = r->rbx; f->rax = r->rax;
	f->rip = r->rip;
	f->rsp = r->rsp;
	/*
	 * The guest always runs with the real IF on and IOPL 0.  Ring 1 is
	 * supervisor mode, so the host's SMAP applies to it, and stac/clac
	 * trap outside ring 0: the guest kernel enters with RFLAGS.AC set,
	 * which opens its user memory as stac would (and checks alignment
	 * only in ring 3).  A guest that clears AC faults on its own user
	 * pages; nothing of the host's is mapped here either way.
	 */
	f->rflags = (r->rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_VIF |
				   X86_EFLAGS_VIP)) | X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	if (!vcpu->user_mode)
		f->rflags |= X86_EFLAGS_AC;
	f->cs = vcpu->user_mode ? LG_USER_CS : LG_KERNEL_CS;
	f->ss = vcpu->user_mode ? LG_USER_DS : LG_KERNEL_DS;
	rp->ds = lg_guest_sel(vcpu->ds);
	rp->es = lg_guest_sel(vcpu->es);
	rp->fs = lg_guest_sel(vcpu->fs);
	rp->gs = lg_guest_sel(vcpu->gs);
	rp->fs_base = r->fs_base;
	rp->gs_base = r->gs_base;
	rp->cr2 = r->cr2;

	lg_fpu_load(vcpu);
	local_irq_disable();
	/* Announce where we run, then look for a change: lg_pt_kick() pairs. */
	WRITE_ONCE(vcpu->guest_cpu, smp_processor_id());
	smp_mb();	/* guest_cpu before mm_changed; lg_pt_kick() the other way */
	/*
	 * A line raised since lg_deliver_interrupts() by an interrupt on this
	 * CPU (the guest's own timer, an irqfd) sent no IPI, for we were not
	 * in the guest: go round again rather than leave it for the next exit.
	 */
	if (READ_ONCE(vcpu->mm_changed) || (READ_ONCE(vcpu->irq_pending) & ~vcpu->irq_shown)) {
		WRITE_ONCE(vcpu->guest_cpu, -1);
		local_irq_enable();
		lg_fpu_put(vcpu);
		return false;
	}
	/*
	 * The Switcher turns global pages and protection keys off for the
	 * guest's world and back on for ours (switcher.S says why): Linux's
	 * CR4 stays exactly as Linux believes it is.
	 */
	cr4 = __read_cr4();
	hp->cr4 = cr4;
	hp->guest_cr4 = cr4 & ~(X86_CR4_PGE | X86_CR4_PKE);

	host_cr3 = __native_read_cr3();
	if (cr4 & X86_CR4_PCIDE)
		host_cr3 |= X86_CR3_PCID_NOFLUSH;
	native_store_gdt(&hp->gdt_desc.d);
	store_idt(&hp->idt_desc.d);
	hp->gdt_rw_desc.d.size = hp->gdt_desc.d.size;
	hp->gdt_rw_desc.d.address = (unsigned long)get_cpu_gdt_rw(smp_processor_id());
	hp->tr = GDT_ENTRY_TSS * 8;
	savesegment(ds, hp->ds);
	savesegment(es, hp->es);
	savesegment(fs, hp->fs);
	savesegment(gs, hp->gs);
	rdmsrq(MSR_GS_BASE, hp->gs_base);
	/* The Switcher loads the guest's FS base (after its null selector). */
	rdmsrq(MSR_FS_BASE, host_fs);
	rdmsrq(MSR_LSTAR, host_lstar);
	wrmsrq(MSR_LSTAR, sp->sw_lstar);
	rdmsrq(MSR_CSTAR, host_cstar);
	wrmsrq(MSR_CSTAR, SW_ADDR(lg_sw_cstar - lg_switcher_start));
	/*
	 * Intel, Centaur and Zhaoxin CPUs allow sysenter in 64-bit mode: with
	 * SYSENTER_CS 0 it raises #GP instead of jumping to the host's entry
	 * on a stack the guest's page tables do not map.  Every vendor, so no
	 * CPU we did not think of is left out.
	 */
	rdmsrq(MSR_IA32_SYSENTER_CS, host_sysenter_cs);
	wrmsrq(MSR_IA32_SYSENTER_CS, 0);
	/*
	 * A launcher that called modify_ldt() has LDTR pointing at a host
	 * address, which descriptor loads would read through the guest's
	 * page tables, where the guest decides what is there.  No LDT while
	 * the guest runs; the launcher's comes back below.
	 */
	host_ldt = lg_read_ldt();
	if (host_ldt)
		lg_load_ldt(0);
	/*
	 * PKRU is the launcher's (the guest-FPU swap leaves it out).  The guest
	 * cannot use it (no CR4.PKE in its world), but XRSTOR from guest user
	 * mode can still load it: the launcher gets its own back below.  (It
	 * could also read it with XSAVE: a mask of key permissions, Linux's
	 * default in most launchers.  Hiding it would take a WRPKRU each way,
	 * which QEMU's software CPU pays for with a TLB flush: see security.md.)
	 */
	if (pku)
		host_pkru = rdpkru();
	/* The host's hardware breakpoints must not fire on guest accesses. */
	if (hw_breakpoint_active()) {
		host_dr7 = this_cpu_read(cpu_dr7);
		set_debugreg(0, 7);
	}
	/* Nor may the launcher's user shadow stack govern guest ring 3. */
	if (lg_user_shstk()) {
		rdmsrq(MSR_IA32_U_CET, host_u_cet);
		if (host_u_cet)
			wrmsrq(MSR_IA32_U_CET, 0);
	}
	/*
	 * RDTSCP and RDPID, which the guest's user space runs directly, read
	 * TSC_AUX: Linux keeps its CPU (and node) number there for getcpu().
	 * The guest's is CPU 0; ours would say where it runs.
	 */
	if (boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID)) {
		rdmsrq(MSR_TSC_AUX, host_tsc_aux);
		if (host_tsc_aux)
			wrmsrq(MSR_TSC_AUX, 0);
	}
	/*
	 * Ring 1 is supervisor mode to the branch predictors, so a guest
	 * kernel trains them as the host kernel would: between two guests
	 * on a CPU, in one launcher process or two, a barrier, as KVM does
	 * between VMs (a no-op on CPUs without IBPB or with it turned off).
	 */
	if (this_cpu_read(lg_last_guest) != vcpu->id) {
		if (cpu_feature_enabled(LG_FEATURE_IBPB))
			wrmsrq(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		this_cpu_write(lg_last_guest, vcpu->id);
	}
	sp->nmi_seen = 0;
	/* Our last LTR marked our TSS busy; LTR wants it available. */
	((struct ldttss_desc *)&sp->gdt[SW_TSS / 8])->type = DESC_TSS;

	native_write_cr3(__pa(vcpu->trans_root));
	enter();
	native_write_cr3(host_cr3);
	lg_fpu_save(vcpu);
	WRITE_ONCE(vcpu->guest_cpu, -1);

	wrmsrq(MSR_LSTAR, host_lstar);
	wrmsrq(MSR_CSTAR, host_cstar);
	wrmsrq(MSR_IA32_SYSENTER_CS, host_sysenter_cs);
	if (host_ldt)
		lg_load_ldt(host_ldt);
	if (pku && rdpkru() != host_pkru)
		wrpkru(host_pkru);
	if (host_u_cet)
		wrmsrq(MSR_IA32_U_CET, host_u_cet);
	if (host_tsc_aux)
		wrmsrq(MSR_TSC_AUX, host_tsc_aux);
	/* The guest cannot write DR0-3 (ring 1): DR7 alone brings them back. */
	if (host_dr7)
		set_debugreg(host_dr7, 7);
	/*
	 * A guest's #DB left its status in DR6: it goes to the guest as the
	 * error code (positive polarity, as FRED's event data), and the
	 * host's next #DB must not see it.
	 */
	if (f->trapnum == X86_TRAP_DB) {
		unsigned long dr6;

		get_debugreg(dr6, 6);
		f->errcode = dr6 ^ DR6_RESERVED;
		set_debugreg(DR6_RESERVED, 6);
	}
	wrmsrq(MSR_FS_BASE, host_fs);

	seen = sp->nmi_seen;
	/*
	 * An NMI or #MC in lg_sw_enter, still on the host's stack, left the
	 * host's RSP and RBX in its IST frame, in the regs page the guest
	 * reads; such an entry always aborts, so wipe them before the next.
	 */
	if (seen)
		memset(rp, 0, offsetof(struct lg_regs_page, cr2));
	if (seen & 1)
		replay_vector(X86_TRAP_NMI);
	if (seen & 2)
		replay_vector(X86_TRAP_MC);
	if (f->trapnum == X86_TRAP_NMI || f->trapnum == X86_TRAP_MC)
		replay_vector(f->trapnum);
	/*
	 * A host interrupt is replayed where interrupts are on, as it found
	 * the CPU (the guest never turns them off).  Linux finishes some of
	 * an interrupt's work only on its way back to such code: since 7.x
	 * the timer is re-armed there (TIF_HRTIMER_REARM; replayed with
	 * interrupts off, the CPU's timer stayed silent until the launcher
	 * went back to user space).
	 *
	 * But on this CPU: until its handler's EOI, the interrupt is in
	 * service in this CPU's local APIC, blocking all of its priority or
	 * lower.  Preempted and moved in between (kernel_fpu_end() is a
	 * preemption point under full or lazy preemption), we would replay
	 * it elsewhere and leave this CPU without a timer.  So preemption
	 * waits for the replay; preempt_enable() is then where it happens.
	 */
	preempt_disable();
	local_irq_enable();
	lg_fpu_put(vcpu);
	if (f->trapnum >= FIRST_EXTERNAL_VECTOR && f->trapnum < 256 &&
	    f->trapnum != LG_HCALL_VECTOR)
		replay_vector(f->trapnum);
	preempt_enable();

	r->r15 = f->r15; r->r14 = f->r14; r->r13 = f->r13; r->r12 = f->r12;
	r->r11 = f->r11; r->r10 = f->r10; r->r9 = f->r9; r->r8 = f->r8;
	r->rbp = f->rbp; r->rdi = f->rdi; r->rsi = f->rsi; r->rdx = f->rdx;
	r->rcx = f->rcx; r->rbx = f->rbx; r->rax = f->rax;
	r->rip = f->rip;
	r->rsp = f->rsp;
	r->rflags = f->rflags & ~(X86_EFLAGS_IF | X86_EFLAGS_IOPL);
	vcpu->ds = rp->ds;
	vcpu->es = rp->es;
	vcpu->fs = rp->fs;
	vcpu->gs = rp->gs;
	r->fs_base = rp->fs_base;
	r->gs_base = rp->gs_base;
	/* CR2 is news only after a page fault; otherwise it is what we loaded. */
	if (f->trapnum == X86_TRAP_PF)
		r->cr2 = rp->cr2;
	vcpu->user_mode = (f->cs & 3) == 3;
	return true;
}
