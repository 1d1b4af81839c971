/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Switcher's layout, shared by switcher.S and the module's C code.
 *
 * The Switcher lives in the hypervisor hole (PML4 slot 256 on 4-level
 * hosts, PML5 slot 256 on 5-level ones).  Seen from there:
 *
 *   +0x0000  text, two pages          read-only, executable, shared
 *   +0x2000  IDT                      read-only, shared
 *   +0x3000  this vCPU's regs page    read-write: saved guest registers and
 *                                     the stacks the CPU uses on a trap
 *   +0x4000  this vCPU's state page   GDT, TSS, what the Switcher needs in
 *                                     the guest's world: read-only there,
 *                                     writable only in the transition root
 *   +0x5000  the guest's lguest_data  (guest pages, aliased here for the
 *   +0x6000  top of its kernel stack   syscall fast path; absent until set)
 *   +0x7000  this vCPU's host page    the host's stack, GDT, IDT and GS
 *                                     base: only in the transition root
 *
 * Every guest's shadow root maps its own vCPU's pages at the same
 * addresses, so the Switcher's code is the same for all of them.  Ring 1
 * can read what its root maps, so the host's addresses (which would
 * undo its KASLR) stay in the host page, which the guest's root lacks.
 */
#ifndef _LG_SWITCHER_H
#define _LG_SWITCHER_H

#define SW_TEXT_OFF		0x0000
#define SW_TEXT_PAGES		2
#define SW_IDT_OFF		0x2000
#define SW_REGS_OFF		0x3000
#define SW_STATE_OFF		0x4000
#define SW_DATA_OFF		0x5000
#define SW_STACK_OFF		0x6000
#define SW_HOST_OFF		0x7000

/* Our GDT: ring-0 CS/DS where the host's STAR puts them (0x10, 0x18). */
#define SW_CS			0x10
#define SW_DS			0x18
#define LG_USER_DS		0x2b	/* ring 3, as Linux's __USER_DS */
#define LG_USER_CS		0x33	/* ring 3, as Linux's __USER_CS */
#define LG_KERNEL_CS		0x39	/* ring 1 */
#define LG_KERNEL_DS		0x41	/* ring 1 */
#define SW_TSS			0x48
#define SW_GDT_ENTRIES		11

/* The hypercall: int $LG_HCALL_VECTOR from ring 1 (DPL 1). */
#define LG_HCALL_VECTOR		0x80
/* trapnum of an exit by the syscall instruction. */
#define LG_TRAP_SYSCALL		0x100
/* trapnum of an exit with nothing to handle (an NMI was noted). */
#define LG_TRAP_NONE		0x101
/* trapnum of an exception the Switcher took on a stack not its own. */
#define LG_TRAP_BAD		0x102
/* trapnum of a compatibility-mode syscall (CSTAR): never a guest's to make. */
#define LG_TRAP_COMPAT		0x103

/* Offsets in struct lguest_data (checked against the C struct). */
#define LD_IRQ_ENABLED		0
#define LD_KERNEL_GS		24
#define LD_USER_GS		32

/* The regs page (offsets): stacks first, the trap frame at its top. */
#define RP_NMI_STACK_TOP	0x400	/* IST1 */
#define RP_DF_STACK_TOP		0x800	/* IST2 */
#define RP_MC_STACK_TOP		0xc00	/* IST3 */
#define RP_CR2			0xc08
#define RP_FS_BASE		0xc10
#define RP_GS_BASE		0xc18
#define RP_SYSCALL_RSP		0xc20
#define RP_SCRATCH		0xc28	/* three words */
#define RP_DB_STACK_TOP		0xd40	/* IST4, from 0xc40 */
/* struct lg_frame lives at the very top, so RSP0 = page end. */
#define RP_FRAME		(0x1000 - LG_FRAME_SIZE)
#define LG_FRAME_SIZE		(22 * 8)

/* The state page (offsets). */
#define SP_GDT			0x000	/* SW_GDT_ENTRIES * 8 */
#define SP_GDT_DESC		0x060	/* limit (2 bytes) + base (8) */
#define SP_IDT_DESC		0x070
#define SP_TSS			0x080	/* 104 bytes */
#define SP_GUEST_CR3		0x100
#define SP_TRANS_CR3		0x108
#define SP_SW_LSTAR		0x170
/* The syscall fast path: where its frame goes (0: no fast path). */
#define SP_FAST_FRAME_ALIAS	0x178	/* in the hole, over the stack page */
#define SP_FAST_FRAME_VA	0x180	/* the same bytes, as the guest sees them */
#define SP_EVENT_ENTRY		0x188
/* An NMI (1), machine check (2) or double fault (4) hit the Switcher. */
#define SP_NMI_SEEN		0x190
/* A writable data selector for VERW, or 0 when the CPU needs no clearing. */
#define SP_VERW_SEL		0x198
/* Where RSP is when lg_sw_common starts an honest exit (&frame.trapnum). */
#define SP_EXIT_RSP		0x1a0

/* The host page (offsets), read and written on the transition root only. */
#define HP_RSP			0x000
#define HP_GDT_DESC		0x010	/* as sgdt stored it */
#define HP_IDT_DESC		0x020
#define HP_GDT_RW_DESC		0x030	/* the host GDT's writable alias */
#define HP_TR			0x03c
#define HP_GS_BASE		0x040
#define HP_DS			0x048
#define HP_ES			0x04a
#define HP_FS			0x04c
#define HP_GS			0x04e
#define HP_CR4			0x050	/* the host's, as Linux believes it is */
#define HP_GUEST_CR4		0x058	/* the same less PGE and PKE */

#ifndef __ASSEMBLY__
#include <linux/types.h>

/*
 * A trap frame, as the Switcher leaves it at the top of the regs page:
 * general registers it pushed, the vector and error code, and what the
 * CPU pushed.  Entering the guest pops it in the reverse order.
 */
struct lg_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 trapnum, errcode;
	u64 rip, cs, rflags, rsp, ss;
};

extern const char lg_switcher_start[], lg_switcher_end[];
extern const char lg_sw_enter[], lg_sw_vectors[], lg_sw_syscall[], lg_sw_cstar[];
#endif

#endif /* _LG_SWITCHER_H */
