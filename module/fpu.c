// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's FPU: x87, SSE, AVX and every other user state component the
 * host enables, kept in a buffer of our own and in the registers only for
 * the trip into the guest.
 *
 * Around each world switch we borrow the registers as any kernel code may:
 * kernel_fpu_begin_mask() puts the launcher's state away in its task (the
 * first time in an LGUEST_RUN; after that it is already there) and Linux
 * loads it again on the way back to user space.  In between we XRSTOR the
 * guest's state, run the guest and XSAVE it.  KVM instead makes the guest's
 * state the task's for a whole run, through functions that Linux 7.0 and
 * later export to KVM alone; a buffer of our own costs an XRSTOR and an
 * XSAVE per switch (docs/benchmarks.md) and needs nothing private.
 *
 * Left out: PKRU, which stays the launcher's (lg_switch() says why), and
 * AMX's tiles, which the guest is not offered (the host enables them per
 * process, and they would add 8 KiB to every switch).  Not offered is not
 * enough: a launcher that asked for tiles and used them runs with XFD
 * clear, and the guest would then read its tiles and lose its own at the
 * next exit.  So XFD keeps every dynamic component (Linux's
 * XFEATURE_MASK_USER_DYNAMIC) from the guest while it runs, and a guest
 * that touches one gets #UD: SIGILL to its process, as on a host that
 * refuses the component.
 */
#include <linux/log2.h>
#include <linux/slab.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/msr.h>
#include <asm/trapnr.h>
#include "compat.h"
#include "lg.h"

/* The components the guest's area holds (0: no XSAVE, FXSAVE's two). */
static u64 lg_xfeatures;
static unsigned int lg_fpu_size = sizeof(struct fxregs_state);
/* The dynamic components XFD keeps from the guest (0: no XFD). */
static u64 lg_xfd_mask;

void lg_fpu_setup(void)
{
	unsigned int i, size, offset, ecx, edx;

	/* The guest (lguest_xfeatures()) leaves out AMX: all that XFD arms. */
	BUILD_BUG_ON(XFEATURE_MASK_USER_DYNAMIC & ~XFEATURE_MASK_XTILE);

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return;
	lg_xfeatures = xgetbv(XCR_XFEATURE_ENABLED_MASK) &
		       ~(XFEATURE_MASK_PKRU | XFEATURE_MASK_XTILE);
	if (boot_cpu_has(X86_FEATURE_XFD))
		lg_xfd_mask = xgetbv(XCR_XFEATURE_ENABLED_MASK) & XFEATURE_MASK_USER_DYNAMIC;
	/* XSAVE's standard format: each component where CPUID puts it. */
	lg_fpu_size = sizeof(struct fxregs_state) + sizeof(struct xstate_header);
	for (i = 2; i < 64; i++) {
		if (!(lg_xfeatures & BIT_ULL(i)))
			continue;
		cpuid_count(CPUID_LEAF_XSTATE, i, &size, &offset, &ecx, &edx);
		lg_fpu_size = max(lg_fpu_size, offset + size);
	}
}

int lg_fpu_init(struct lg_vcpu *vcpu)
{
	struct fxregs_state *fx;

	/* XSAVE wants 64 bytes; kmalloc aligns a power of two to itself. */
	fx = kzalloc(roundup_pow_of_two(lg_fpu_size), GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!fx)
		return -ENOMEM;
	/* A CPU's state after reset (XSTATE_BV 0 puts the rest there too). */
	fx->cwd = 0x37f;
	fx->mxcsr = MXCSR_DEFAULT;
	vcpu->fpu = fx;
	return 0;
}

void lg_fpu_free(struct lg_vcpu *vcpu)
{
	kfree(vcpu->fpu);
	vcpu->fpu = NULL;
}

/* Before interrupts go off for the switch: the guest's state in the CPU. */
void lg_fpu_load(struct lg_vcpu *vcpu)
{
	u32 lo = lg_xfeatures, hi = lg_xfeatures >> 32;

	kernel_fpu_begin_mask(0);
	/* The launcher's XFD is Linux's business again in lg_fpu_put(). */
	if (lg_xfd_mask) {
		rdmsrq(MSR_IA32_XFD, vcpu->host_xfd);
		if ((vcpu->host_xfd & lg_xfd_mask) != lg_xfd_mask)
			wrmsrq(MSR_IA32_XFD, vcpu->host_xfd | lg_xfd_mask);
	}
	if (lg_xfeatures)
		asm volatile("xrstor64 %0" : : "m" (*vcpu->fpu), "a" (lo), "d" (hi) : "memory");
	else
		asm volatile("fxrstor64 %0" : : "m" (*vcpu->fpu) : "memory");
}

/* Straight after the switch, before anything else may use the FPU. */
void lg_fpu_save(struct lg_vcpu *vcpu)
{
	u32 lo = lg_xfeatures, hi = lg_xfeatures >> 32;

	/* XSAVEOPT skips what is unchanged since our XRSTOR from this area. */
	if (lg_xfeatures && boot_cpu_has(X86_FEATURE_XSAVEOPT))
		asm volatile("xsaveopt64 %0" : "+m" (*vcpu->fpu) : "a" (lo), "d" (hi) : "memory");
	else if (lg_xfeatures)
		asm volatile("xsave64 %0" : "+m" (*vcpu->fpu) : "a" (lo), "d" (hi) : "memory");
	else
		asm volatile("fxsave64 %0" : "+m" (*vcpu->fpu) : : "memory");

	/*
	 * A #NM is XFD's (the guest never has CR0.TS).  Its cause stays in
	 * XFD_ERR, where the host's next #NM would take it for its own
	 * (handle_xfd_event()): clear it, and give the guest the #UD of a
	 * CPU without the component.  The trap number is the guest's to
	 * forge; a forged #NM finds XFD_ERR clear and stays a #NM.
	 */
	if (lg_xfd_mask && lg_frame(vcpu)->trapnum == X86_TRAP_NM) {
		u64 xfd_err;

		rdmsrq(MSR_IA32_XFD_ERR, xfd_err);
		if (xfd_err) {
			wrmsrq(MSR_IA32_XFD_ERR, 0);
			lg_frame(vcpu)->trapnum = X86_TRAP_UD;
		}
	}
}

/* Once interrupts are back on: the registers are Linux's again. */
void lg_fpu_put(struct lg_vcpu *vcpu)
{
	if (lg_xfd_mask && (vcpu->host_xfd & lg_xfd_mask) != lg_xfd_mask)
		wrmsrq(MSR_IA32_XFD, vcpu->host_xfd);
	kernel_fpu_end();
}
