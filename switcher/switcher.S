/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Switcher: the only code that runs with the guest's page tables.
 *
 * It is assembled into read-only data, never run where it is: lg.ko
 * copies it into pages mapped in the hypervisor hole, in the guest's
 * shadow root and in the host's transition root alike, and runs it there.
 * So it is position independent: it reaches its regs and state pages
 * RIP-relative, at their fixed distance from the text (switcher.h).
 *
 * Entering: the host calls lg_sw_enter (interrupts off, CR3 already the
 * transition root).  It saves the host's stack, switches IDT, GDT and TSS
 * to ours, loads the guest's GS base and shadow root, pops the guest's
 * registers from the regs page and iretq's into ring 1 or 3.
 *
 * Leaving: anything the guest does that the CPU will not let it do, and
 * every host interrupt, arrives through our IDT on the regs page's stack
 * (TSS.RSP0).  lg_sw_common pushes the guest's registers beside the
 * CPU's frame, puts back the host's GDT, TSS, GS base and IDT, and
 * returns to the host's caller of lg_sw_enter, which restores CR3.
 *
 * NMIs and machine checks use IST stacks, because they can hit the
 * Switcher itself; there they are only noted (SP_NMI_SEEN) and the host
 * replays them once it is home (run.c).
 */
#include <linux/linkage.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <uapi/asm/debugreg.h>
#include "switcher.h"

#define REGS	(lg_switcher_start + SW_REGS_OFF)
#define STATE	(lg_switcher_start + SW_STATE_OFF)
#define HOST	(lg_switcher_start + SW_HOST_OFF)

/*
 * Clear the CPU's buffers before guest code runs, where the host needs it
 * (MDS and its kin: Linux does the same on every return to user mode).
 * VERW wants a writable data selector; lg.ko leaves 0 when it is not needed.
 */
.macro LG_CLEAR_CPU_BUFFERS
	cmpw	$0, STATE + SP_VERW_SEL(%rip)
	je	.Lno_verw_\@
	verw	STATE + SP_VERW_SEL(%rip)
.Lno_verw_\@:
.endm

	.section .rodata.lg_switcher, "a"
	.balign 4096
SYM_DATA_START(lg_switcher_start)

/*
 * The code starts a cache line into the hole.  An NMI backtrace or oops
 * at lg_sw_enter makes Linux's show_opcodes() read the 42 bytes before
 * RIP; from the hole's first byte on a 4-level host those are
 * non-canonical, and the #GP that copy_from_kernel_nofault() survives
 * still WARNs once, tainting the host.
 */
	.fill	SW_ENTER_OFF, 1, 0xcc

/* void lg_sw_enter(void): called by run.c on the transition root. */
SYM_INNER_LABEL(lg_sw_enter, SYM_L_GLOBAL)
	endbr64
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, HOST + HP_RSP(%rip)

	/*
	 * IDT first: from here an NMI lands in our handler, which only
	 * notes it.  (Until our TSS is loaded it runs on the host's IST.)
	 */
	lidt	STATE + SP_IDT_DESC(%rip)
	lgdt	STATE + SP_GDT_DESC(%rip)
	mov	$SW_TSS, %eax
	ltr	%ax

	/*
	 * CR4 as the guest's world wants it: no global pages (a global host
	 * translation would survive the CR3 load below and show the guest
	 * host memory; changing PGE flushes them all, in every PCID) and no
	 * protection keys (PKRU is the launcher's: the guest's WRPKRU must
	 * fault, as on a CPU whose kernel left keys off).  The exit puts the
	 * host's back before anything of the host's runs, so Linux's idea of
	 * CR4 is never wrong where Linux can look.
	 */
	mov	HOST + HP_GUEST_CR4(%rip), %rax
	mov	%rax, %cr4

	/*
	 * The guest's selectors, as it left them (lg_switch() allows only its
	 * own segments), then its FS and GS bases: loading a selector sets
	 * the base from the descriptor (a null one clears it on Intel CPUs),
	 * so the bases are written after.
	 */
	mov	REGS + RP_SEL(%rip), %ds
	mov	REGS + RP_SEL + 2(%rip), %es
	mov	REGS + RP_SEL + 4(%rip), %fs
	mov	REGS + RP_SEL + 6(%rip), %gs
	mov	$MSR_FS_BASE, %ecx
	mov	REGS + RP_FS_BASE(%rip), %eax
	mov	REGS + RP_FS_BASE + 4(%rip), %edx
	wrmsr
	mov	$MSR_GS_BASE, %ecx
	mov	REGS + RP_GS_BASE(%rip), %eax
	mov	REGS + RP_GS_BASE + 4(%rip), %edx
	wrmsr

	mov	HOST + HP_GUEST_CR3(%rip), %rax
	mov	%rax, %cr3

	lea	REGS + RP_FRAME(%rip), %rsp
	/* The guest's own CR2: the host's last fault address is none of its business. */
	mov	REGS + RP_CR2(%rip), %rax
	mov	%rax, %cr2
	/* An NMI during the switch: leave before the guest runs at all. */
	cmpq	$0, STATE + SP_NMI_SEEN(%rip)
	jne	.Lenter_abort
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* trapnum, errcode */
	LG_CLEAR_CPU_BUFFERS
	iretq
	/* The frame still holds the guest's registers, untouched. */
.Lenter_abort:
	movq	$LG_TRAP_NONE, REGS + RP_FRAME + LGF_TRAPNUM(%rip)
	jmp	.Lregs_saved

/*
 * Every trap, interrupt and hypercall from the guest ends up here, on the
 * regs page's stack with the vector and error code just pushed.  Anything
 * else is an exception in the Switcher itself on a stack that is not ours
 * (only a guest could have arranged that): then the frame in the regs page
 * is whatever the guest wrote there, so it must not be believed -- the
 * guest dies, and no vector of its choosing is replayed on the host.
 */
lg_sw_common:
	cmp	STATE + SP_EXIT_RSP(%rip), %rsp
	jne	.Lforeign_stack
	/*
	 * The CPU kept the guest's DF, AC and ID: the host's C code must run
	 * with DF and AC clear.  (The guest's RFLAGS is safe in the frame.)
	 */
	pushq	$X86_EFLAGS_FIXED
	popfq
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.Lregs_saved:
	mov	%cr2, %rax
	mov	%rax, REGS + RP_CR2(%rip)
	/* Before the host's selectors clobber them. */
	mov	$MSR_FS_BASE, %ecx
	rdmsr
	mov	%eax, REGS + RP_FS_BASE(%rip)
	mov	%edx, REGS + RP_FS_BASE + 4(%rip)
	mov	$MSR_GS_BASE, %ecx
	rdmsr
	mov	%eax, REGS + RP_GS_BASE(%rip)
	mov	%edx, REGS + RP_GS_BASE + 4(%rip)
	mov	%ds, REGS + RP_SEL(%rip)
	mov	%es, REGS + RP_SEL + 2(%rip)
	mov	%fs, REGS + RP_SEL + 4(%rip)
	mov	%gs, REGS + RP_SEL + 6(%rip)

	mov	STATE + SP_TRANS_CR3(%rip), %rax
	mov	%rax, %cr3
	/* The host's CR4: global pages again (flushing the guest's), keys on. */
	mov	HOST + HP_CR4(%rip), %rax
	mov	%rax, %cr4

	/*
	 * The host's TSS descriptor is still marked busy, and LTR wants it
	 * available: clear the bit through the GDT's writable alias (the
	 * GDT the host runs on is a read-only mapping), then load it.
	 */
	mov	HOST + HP_GDT_RW_BASE(%rip), %rax
	movzwl	HOST + HP_TR(%rip), %ecx
	andl	$~7, %ecx
	andb	$~2, DESC_TYPE_BYTE(%rax, %rcx)
	lgdt	HOST + HP_GDT_RW_DESC(%rip)
	ltr	%cx
	lgdt	HOST + HP_GDT_DESC(%rip)

	/* Host selectors, then the GS base that loading %gs clobbered. */
	mov	HOST + HP_DS(%rip), %ds
	mov	HOST + HP_ES(%rip), %es
	mov	HOST + HP_FS(%rip), %fs
	mov	HOST + HP_GS(%rip), %gs
	/*
	 * The interrupt that brought us here left SS null; the kernel's
	 * SS, as Linux keeps it for AMD's SYSRET quirk (X86_BUG_SYSRET_SS_ATTRS).
	 */
	mov	$__KERNEL_DS, %eax
	mov	%eax, %ss
	mov	$MSR_GS_BASE, %ecx
	mov	HOST + HP_GS_BASE(%rip), %eax
	mov	HOST + HP_GS_BASE + 4(%rip), %edx
	wrmsr

	/*
	 * From here host NMIs go to the host's own handler.  The host's own
	 * CR3 does not map us: the caller loads it once we have returned.
	 */
	lidt	HOST + HP_IDT_DESC(%rip)
	mov	HOST + HP_RSP(%rip), %rsp
	/*
	 * The guest's calls left their return addresses in the CPU's return
	 * stack buffer, and ring 1 counts as supervisor to the predictors:
	 * our ret below could be predicted to a guest-chosen address, which
	 * in the transition root may be host kernel text.  Overwrite the
	 * buffer before the first ret, as KVM does after a VM exit.  This is
	 * the kernel's __FILL_RETURN_BUFFER without its objtool annotation
	 * and call-depth accounting, which cannot follow code lg.ko copies.
	 */
	mov	$(RSB_CLEAR_LOOPS / 2), %eax
1:	call	2f
	int3
2:	call	3f
	int3
3:	add	$16, %rsp
	dec	%eax
	jnz	1b
	lfence
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
	int3

.Lforeign_stack:
	/*
	 * Guest code that jumped here in ring 1 takes its #GP now, on its own
	 * stack; in ring 0 this only costs the dying guest its RAX.
	 */
	mov	%cr0, %rax
	lea	REGS + RP_FRAME + LGF_RIP(%rip), %rsp
	push	$0
	push	$LG_TRAP_BAD
	jmp	lg_sw_common

/*
 * An NMI or machine check, on its IST stack.  From the guest it is an
 * exit like any other: move the CPU's frame to where lg_sw_common wants
 * it.  In the Switcher itself, note it and go back to what we were doing.
 */
.macro IST_FROM_GUEST vec
	push	%rax
	.irp n, 5, 4, 3, 2, 1
	mov	\n * 8(%rsp), %rax
	mov	%rax, REGS + RP_FRAME + LGF_RIP + (\n - 1) * 8(%rip)
	.endr
	pop	%rax
	lea	REGS + RP_FRAME + LGF_RIP(%rip), %rsp
	push	$0
	push	$\vec
	jmp	lg_sw_common
.endm

.macro IST_ENTRY vec, bit
	testb	$3, 8(%rsp)
	jz	1f
	IST_FROM_GUEST \vec
	/*
	 * In the Switcher.  The note goes in the state page, which the guest
	 * cannot write (it could forge anything in the regs page): through
	 * the transition root, whichever root we interrupted.
	 */
1:	push	%rax
	push	%rbx
	mov	%cr3, %rax
	mov	STATE + SP_TRANS_CR3(%rip), %rbx
	mov	%rbx, %cr3
	orq	$\bit, STATE + SP_NMI_SEEN(%rip)
	mov	%rax, %cr3
	pop	%rbx
	pop	%rax
	iretq
.endm

lg_sw_nmi:
	IST_ENTRY 2, 1
/* A double fault: only a guest's can be survived (the guest dies). */
lg_sw_df:
	add	$8, %rsp		/* the error code, always 0 */
	IST_ENTRY 8, 4
lg_sw_mce:
	IST_ENTRY 18, 2

/*
 * A debug exception, on its own IST stack.  At CPL 0 it can only be the
 * single step a guest armed with MOV SS (or POP SS) just before syscall,
 * delivered on the first instruction of lg_sw_syscall while RSP is still
 * the guest's (CVE-2018-8897): without the IST the CPU would push its
 * frame there and lg_sw_common would run on a stack of the guest's.
 * Linux drops such a #DB in its own entry code; so do we, leaving DR6 clean.
 */
lg_sw_db:
	testb	$3, 8(%rsp)
	jz	1f
	IST_FROM_GUEST 1
1:	push	%rax
	mov	$DR6_RESERVED, %eax
	mov	%rax, %db6
	pop	%rax
	iretq

/*
 * syscall from guest user.  The CPU left RSP as the guest's, so take the
 * regs page's stack before anything else.
 *
 * The fast path delivers the system call to the guest kernel without
 * leaving the guest's page tables: it writes the event frame straight
 * onto the guest kernel's stack, through the alias of that page lg.ko
 * keeps in the hole (SW_STACK_OFF), does what the host would do to
 * lguest_data (SW_DATA_OFF: virtual IF off, GS swapped) and iretq's to
 * the event entry in ring 1.  Everything it trusts comes from the state
 * page, which the guest cannot write.  If an NMI arrived meanwhile, it
 * leaves for the host instead, as if at the event entry's first
 * instruction, so the host can replay it.
 */
#define DATA	(lg_switcher_start + SW_DATA_OFF)

SYM_INNER_LABEL(lg_sw_syscall, SYM_L_GLOBAL)
	endbr64
	mov	%rsp, REGS + RP_SYSCALL_RSP(%rip)
	lea	REGS + RP_FRAME + LG_FRAME_SIZE(%rip), %rsp
	cmpq	$0, STATE + SP_FAST_FRAME_ALIAS(%rip)
	je	.Lslow_syscall

	mov	%rax, REGS + RP_SCRATCH(%rip)
	mov	%rdx, REGS + RP_SCRATCH + 8(%rip)
	/*
	 * The kernel's GS base must be canonical, or wrgsbase would fault.
	 * Read it once: the guest owns that page and could change it between
	 * a check and a second read.
	 */
	mov	DATA + LD_KERNEL_GS(%rip), %rax
	mov	%rax, %rdx
	shl	$16, %rdx
	sar	$16, %rdx
	cmp	%rax, %rdx
	jne	.Lfast_abort
	mov	%rax, REGS + RP_SCRATCH + 16(%rip)

	mov	STATE + SP_FAST_FRAME_ALIAS(%rip), %rdx
	movq	$LG_TRAP_SYSCALL, (%rdx)
	movq	$0, 8(%rdx)
	mov	%rcx, 16(%rdx)
	movq	$LG_USER_CS, 24(%rdx)
	mov	%r11, %rax
	and	$~X86_EFLAGS_IF, %rax
	cmpb	$0, DATA + LD_IRQ_ENABLED(%rip)
	je	1f
	or	$X86_EFLAGS_IF, %rax
1:	mov	%rax, 32(%rdx)
	mov	REGS + RP_SYSCALL_RSP(%rip), %rax
	mov	%rax, 40(%rdx)
	movq	$LG_USER_DS, 48(%rdx)
	movb	$0, DATA + LD_IRQ_ENABLED(%rip)

	/* As swapgs: ring 3's GS base to lguest_data, the kernel's in. */
	rdgsbase %rax
	mov	%rax, DATA + LD_USER_GS(%rip)
	mov	REGS + RP_SCRATCH + 16(%rip), %rax
	wrgsbase %rax

	/* The iretq frame, where an exit would want it; AC as lg_switch() sets it. */
	push	$LG_KERNEL_DS
	push	STATE + SP_FAST_FRAME_VA(%rip)
	push	$(X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_AC)
	push	$LG_KERNEL_CS
	push	STATE + SP_EVENT_ENTRY(%rip)
	mov	REGS + RP_SCRATCH(%rip), %rax
	mov	REGS + RP_SCRATCH + 8(%rip), %rdx
	cmpq	$0, STATE + SP_NMI_SEEN(%rip)
	jne	2f
	LG_CLEAR_CPU_BUFFERS
	iretq
2:	push	$0
	push	$LG_TRAP_NONE
	jmp	lg_sw_common

.Lfast_abort:
	mov	REGS + RP_SCRATCH(%rip), %rax
	mov	REGS + RP_SCRATCH + 8(%rip), %rdx
.Lslow_syscall:
	push	$LG_USER_DS
	push	REGS + RP_SYSCALL_RSP(%rip)
	push	%r11
	push	$LG_USER_CS
	push	%rcx
	push	$0
	push	$LG_TRAP_SYSCALL
	jmp	lg_sw_common

/*
 * A compatibility-mode syscall (CSTAR).  The guest has no 32-bit code
 * segment to make one from (our GDT holds none and its LDT is null), so
 * this cannot happen; if a CPU ever finds a way, the guest dies rather
 * than reach the host's compat entry on its own stack.
 */
SYM_INNER_LABEL(lg_sw_cstar, SYM_L_GLOBAL)
	endbr64
	mov	%cr0, %rax		/* as .Lforeign_stack: ring 1 faults here */
	lea	REGS + RP_FRAME + LGF_RIP(%rip), %rsp
	push	$0
	push	$LG_TRAP_COMPAT
	jmp	lg_sw_common

/*
 * One 16-byte stub per vector; lg.ko points IDT entry N at stub N.  The
 * longest (endbr64, push $0, push $imm32, jmp rel32) is exactly 16 bytes.
 */
	.balign 16
SYM_INNER_LABEL(lg_sw_vectors, SYM_L_GLOBAL)
	vector = 0
	.rept 256
	.balign 16
	endbr64				/* event delivery is an indirect branch under IBT */
	.if vector == 1
	jmp	lg_sw_db
	.elseif vector == 2
	jmp	lg_sw_nmi
	.elseif vector == 8
	jmp	lg_sw_df
	.elseif vector == 18
	jmp	lg_sw_mce
	.else
	.if vector != 8 && vector != 10 && vector != 11 && vector != 12 && \
	    vector != 13 && vector != 14 && vector != 17 && vector != 21 && \
	    vector != 29 && vector != 30
	push	$0
	.endif
	push	$vector
	jmp	lg_sw_common
	.endif
	vector = vector + 1
	.endr

SYM_INNER_LABEL(lg_switcher_end, SYM_L_GLOBAL)
SYM_DATA_END(lg_switcher_start)
