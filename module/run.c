// SPDX-License-Identifier: GPL-2.0
/*
 * Running the guest: the loop behind LGUEST_RUN, and what we do with each
 * way the guest comes back.  The story goes on in switch.c (the trip
 * itself), page_tables.c (faults), events.c, hypercalls.c and mmio.c.
 */
#include <linux/sched/signal.h>
#include <asm/fpu/api.h>
#include <asm/trap_pf.h>
#include <asm/traps.h>
#include "compat.h"
#include "lg.h"

/*
 * Kill the guest, the whole VM: no vCPU of it runs again.  The reason goes
 * to the launcher in the run page of @vcpu, the one that found it.
 */
void lg_kill(struct lg_vcpu *vcpu, const char *fmt, ...)
{
	struct lguest *lg = vcpu->lg;
	va_list ap;

	if (lg->dead)
		return;
	va_start(ap, fmt);
	vcpu->run->exit_reason = LGUEST_EXIT_KILLED;
	vsnprintf(vcpu->run->killed.reason, sizeof(vcpu->run->killed.reason), fmt, ap);
	va_end(ap);
	lg->dead = true;
}

/*
 * rdmsr and wrmsr fault in ring 1, and the guest kernel reaches MSRs
 * through its paravirt hooks (hypercalls.c), except for one read Linux
 * makes with the native instruction on Intel CPUs: the microcode
 * revision (early_init_intel(), via intel_get_microcode_revision(),
 * writes 0 to MSR 0x8b and reads it back).  The guest's CPU runs the
 * host's microcode, which is none of its business: it reads 0, as on a
 * CPU that never loaded any, and its writes do nothing.  True if the #GP
 * was that, now done.
 */
static bool lg_emulate_ucode_rev(struct lg_vcpu *vcpu)
{
	struct lguest_regs *r = &vcpu->regs;
	u8 insn[2];

	if (vcpu->user_mode || (u32)r->rcx != MSR_IA32_UCODE_REV ||
	    lg_read_guest(vcpu, r->rip, insn, sizeof(insn)) || insn[0] != 0x0f)
		return false;
	if (insn[1] == 0x32) {		/* rdmsr */
		r->rax = 0;
		r->rdx = 0;
	} else if (insn[1] != 0x30) {	/* wrmsr */
		return false;
	}
	r->rip += sizeof(insn);
	return true;
}

/* What the guest did that made it leave; false when it must stop. */
static void handle_trap(struct lg_vcpu *vcpu)
{
	struct lguest_regs *r = &vcpu->regs;
	u64 trap = lg_frame(vcpu)->trapnum, err = lg_frame(vcpu)->errcode, gpa;
	u32 pf_err;
	int ret;

	switch (trap) {
	case X86_TRAP_PF:
		/*
		 * On a 5-level host, addresses the guest's 4-level paging would
		 * call non-canonical are canonical to the CPU: make them #GP.
		 */
		if (!lg_canonical(r->cr2)) {
			lg_deliver_event(vcpu, X86_TRAP_GP, 0);
			return;
		}
		/*
		 * Ring 3's own supervisor accesses (to descriptor tables, all in
		 * the Switcher's pages) never fault on a CPU.  QEMU 7.2's software
		 * CPU, though, pops iret's and lret's stack and pushes lcall's as
		 * supervisor accesses, which SMAP refuses on user pages, and
		 * Linux oopses on a supervisor fault from user mode.  The guest
		 * gets the #GP that a far return it may not make gives.
		 */
		if (vcpu->user_mode && !(err & X86_PF_USER)) {
			lg_deliver_event(vcpu, X86_TRAP_GP, 0);
			return;
		}
		pf_err = err;
		ret = lg_pt_fault(vcpu, r->cr2, &pf_err, &gpa);
		if (ret == 0) {
			lg_count(&vcpu->stats.shadow_faults);
		} else if (ret == 1) {
			lg_deliver_event(vcpu, trap, pf_err);
		} else if (ret == 2) {
			ret = lg_mmio_exit(vcpu, gpa);
			if (ret == 0) {
				lg_count(&vcpu->stats.mmio_exits);
				vcpu->pending_exit = LGUEST_EXIT_MMIO;
			} else if (ret == 1) {
				lg_count(&vcpu->stats.mmio_eventfds);
			}
		}
		return;
	case LG_HCALL_VECTOR:
		if (vcpu->user_mode)
			lg_kill(vcpu, "hypercall from guest user mode");
		else if (lg_do_hcall(vcpu))
			vcpu->pending_exit = vcpu->run->exit_reason;
		return;
	case LG_TRAP_SYSCALL:
		lg_count(&vcpu->stats.slow_syscalls);
		lg_deliver_event(vcpu, LGUEST_EVENT_SYSCALL, 0);
		return;
	case X86_TRAP_GP:
		if (!lg_emulate_ucode_rev(vcpu))
			lg_deliver_event(vcpu, trap, err);
		return;
	case X86_TRAP_NMI:
	case X86_TRAP_MC:
		lg_count(&vcpu->stats.host_irqs);
		return;
	case X86_TRAP_DF:
		lg_kill(vcpu, "double fault at rip %#llx", r->rip);
		return;
	case LG_TRAP_BAD:
		lg_kill(vcpu, "exception in the Switcher on the guest's stack");
		return;
	case LG_TRAP_COMPAT:
		lg_kill(vcpu, "compatibility-mode syscall");
		return;
	}
	if (trap >= FIRST_EXTERNAL_VECTOR) {
		lg_count(&vcpu->stats.host_irqs);	/* already handled */
		return;
	}
	lg_deliver_event(vcpu, trap, err);
}

/*
 * Has the scheduler asked this task to give up the CPU?  cond_resched()
 * does nothing when the kernel preempts by itself (full or lazy), and a
 * lazy request is not acted on at preempt_enable(): unless we look at the
 * request ourselves, a spinning guest owns the CPU until the next tick
 * upgrades it.
 */
static bool lg_resched_asked(void)
{
	return test_thread_flag(TIF_NEED_RESCHED) ||
	       test_thread_flag(TIF_NEED_RESCHED_LAZY);
}

static long lg_run_loop(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;

	for (;;) {
		if (signal_pending(current))
			return -EINTR;
		if (lg_resched_asked())
			schedule();
		if (vcpu->halted) {
			lg_halt(vcpu);
			continue;
		}
		if (READ_ONCE(vcpu->mm_changed))
			lg_pt_resync(vcpu);
		lg_deliver_interrupts(vcpu);
		if (lg->dead)
			return 0;

		/* False: guest memory changed, or a line came, at the last moment. */
		if (!lg_switch(vcpu))
			continue;
		lg_count(&vcpu->stats.world_switches);
		handle_trap(vcpu);
		if (lg->dead || vcpu->pending_exit)
			return 0;
	}
}

long lg_run(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	struct lguest_regs *r = &vcpu->regs;
	long ret;

	if (lg->dead)
		return -ESHUTDOWN;
	if (current->mm != lg->mm)
		return -EPERM;
	if (vcpu->pending_exit == LGUEST_EXIT_HCALL)
		r->rax = vcpu->run->hcall.ret;
	else if (vcpu->pending_exit == LGUEST_EXIT_MMIO)
		lg_mmio_complete(vcpu);
	vcpu->pending_exit = 0;
	vcpu->run->exit_reason = LGUEST_EXIT_NONE;

	ret = lg_run_loop(vcpu);
	lg_count(&vcpu->stats.user_exits);
	return ret;
}

