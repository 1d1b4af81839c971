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
/* lg_sw_enter, a cache line into the text (switcher.S says why). */
#define SW_ENTER_OFF		0x0040
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
/* As Linux's __CPUNODE_SEG: getcpu()'s LSL reads CPU and node in its limit. */
#define LG_CPUNODE_SEL		0x7b
#define SW_GDT_ENTRIES		16

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

/*
 * The three per-vCPU pages are C structures (below); the Switcher reaches
 * their fields by these offsets, which the static_asserts below keep equal
 * to the structures'.
 */

/* The regs page: the guest can write all of it, so nothing in it is trusted. */
#define RP_NMI_STACK_TOP	0x400	/* IST1 */
#define RP_DF_STACK_TOP		0x800	/* IST2 */
#define RP_MC_STACK_TOP		0xc00	/* IST3 */
#define RP_CR2			0xc00
#define RP_FS_BASE		0xc08
#define RP_GS_BASE		0xc10
#define RP_SYSCALL_RSP		0xc18
#define RP_SCRATCH		0xc20	/* three words */
#define RP_SEL			0xc38	/* the guest's DS, ES, FS, GS */
#define RP_DB_STACK_TOP		0xd40	/* IST4 */
/* struct lg_frame lives at the very top, so RSP0 = page end. */
#define LG_FRAME_SIZE		(22 * 8)
#define RP_FRAME		(0x1000 - LG_FRAME_SIZE)
/* In struct lg_frame: where the vector, and the CPU's own frame, start. */
#define LGF_TRAPNUM		(15 * 8)
#define LGF_RIP			(17 * 8)

/* The state page: the guest can read it; only the transition root writes it. */
#define SP_GDT			0x000	/* SW_GDT_ENTRIES * 8 */
#define SP_GDT_DESC		0x080
#define SP_IDT_DESC		0x090
#define SP_TSS			0x0a0
#define SP_TRANS_CR3		0x110
/* The syscall fast path: where its frame goes (0: no fast path). */
#define SP_FAST_FRAME_ALIAS	0x118	/* in the hole, over the stack page */
#define SP_FAST_FRAME_VA	0x120	/* the same bytes, as the guest sees them */
#define SP_EVENT_ENTRY		0x128
/* An NMI (1), machine check (2) or double fault (4) hit the Switcher. */
#define SP_NMI_SEEN		0x130
/* Where RSP is when lg_sw_common starts an honest exit (&frame.trapnum). */
#define SP_EXIT_RSP		0x138
/* What LSTAR holds while the guest runs: the Switcher's syscall entry. */
#define SP_SW_LSTAR		0x140
/* A writable data selector for VERW, or 0 when the CPU needs no clearing. */
#define SP_VERW_SEL		0x148

/* The host page: only the transition root maps it. */
#define HP_RSP			0x000
#define HP_CR4			0x008	/* the host's, as Linux believes it is */
#define HP_GUEST_CR4		0x010	/* the same less PGE and PKE */
#define HP_GUEST_CR3		0x018	/* the guest's shadow root */
#define HP_GS_BASE		0x020
#define HP_DS			0x028
#define HP_ES			0x02a
#define HP_FS			0x02c
#define HP_GS			0x02e
#define HP_TR			0x030
#define HP_GDT_DESC		0x040	/* as sgdt stored it */
#define HP_IDT_DESC		0x050
#define HP_GDT_RW_DESC		0x060	/* the host GDT's writable alias */
#define HP_GDT_RW_BASE		(HP_GDT_RW_DESC + 2)
/* The type byte of a descriptor in a GDT: bit 1 of a TSS's is "busy". */
#define DESC_TYPE_BYTE		5

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

/* The rest is lg.ko's (hostile test guests include this file for the offsets). */
#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <asm/desc_defs.h>
#include <asm/processor.h>

/* A descriptor-table pointer as lgdt/sgdt see it, in 16 bytes. */
struct lg_desc_ptr {
	struct desc_ptr d;
	u8 pad[6];
};

struct lg_regs_page {
	u8 nmi_stack[0x400];
	u8 df_stack[0x400];
	u8 mc_stack[0x400];
	/* The guest's CR2, FS and GS bases while it is away. */
	u64 cr2, fs_base, gs_base;
	/* The syscall stub's: guest user RSP, and room for two registers. */
	u64 syscall_rsp;
	u64 scratch[3];
	/* The guest's data selectors while it is away (lg_switch() vets them). */
	u16 ds, es, fs, gs;
	u8 db_stack[0x100];
	/* Trap entry (TSS.RSP0) pushes below the page's end, into the frame. */
	u8 stack[RP_FRAME - RP_DB_STACK_TOP];
	struct lg_frame frame;
};

struct lg_state_page {
	u64 gdt[SW_GDT_ENTRIES];
	struct lg_desc_ptr gdt_desc, idt_desc;
	struct x86_hw_tss tss;
	u8 pad1[SP_TRANS_CR3 - SP_TSS - sizeof(struct x86_hw_tss)];
	u64 trans_cr3;
	u64 fast_frame_alias, fast_frame_va;
	u64 event_entry;
	u64 nmi_seen;
	u64 exit_rsp;
	u64 sw_lstar;
	u16 verw_sel;
};

struct lg_host_page {
	u64 rsp;
	u64 cr4, guest_cr4;
	u64 guest_cr3;
	u64 gs_base;
	u16 ds, es, fs, gs, tr;
	u16 pad[7];
	struct lg_desc_ptr gdt_desc, idt_desc, gdt_rw_desc;
};

#define LG_CHECK(type, field, off) static_assert(offsetof(struct type, field) == (off))
LG_CHECK(lg_frame, trapnum, LGF_TRAPNUM);
LG_CHECK(lg_frame, rip, LGF_RIP);
static_assert(sizeof(struct lg_frame) == LG_FRAME_SIZE);
LG_CHECK(lg_regs_page, df_stack, RP_NMI_STACK_TOP);
LG_CHECK(lg_regs_page, mc_stack, RP_DF_STACK_TOP);
LG_CHECK(lg_regs_page, cr2, RP_CR2);
LG_CHECK(lg_regs_page, fs_base, RP_FS_BASE);
LG_CHECK(lg_regs_page, gs_base, RP_GS_BASE);
LG_CHECK(lg_regs_page, syscall_rsp, RP_SYSCALL_RSP);
LG_CHECK(lg_regs_page, scratch, RP_SCRATCH);
LG_CHECK(lg_regs_page, ds, RP_SEL);
LG_CHECK(lg_regs_page, stack, RP_DB_STACK_TOP);
LG_CHECK(lg_regs_page, frame, RP_FRAME);
static_assert(sizeof(struct lg_regs_page) == 0x1000);
LG_CHECK(lg_state_page, gdt, SP_GDT);
LG_CHECK(lg_state_page, gdt_desc, SP_GDT_DESC);
LG_CHECK(lg_state_page, idt_desc, SP_IDT_DESC);
LG_CHECK(lg_state_page, tss, SP_TSS);
LG_CHECK(lg_state_page, trans_cr3, SP_TRANS_CR3);
LG_CHECK(lg_state_page, fast_frame_alias, SP_FAST_FRAME_ALIAS);
LG_CHECK(lg_state_page, fast_frame_va, SP_FAST_FRAME_VA);
LG_CHECK(lg_state_page, event_entry, SP_EVENT_ENTRY);
LG_CHECK(lg_state_page, nmi_seen, SP_NMI_SEEN);
LG_CHECK(lg_state_page, exit_rsp, SP_EXIT_RSP);
LG_CHECK(lg_state_page, sw_lstar, SP_SW_LSTAR);
LG_CHECK(lg_state_page, verw_sel, SP_VERW_SEL);
static_assert(sizeof(struct lg_state_page) <= 0x1000);
LG_CHECK(lg_host_page, rsp, HP_RSP);
LG_CHECK(lg_host_page, cr4, HP_CR4);
LG_CHECK(lg_host_page, guest_cr4, HP_GUEST_CR4);
LG_CHECK(lg_host_page, guest_cr3, HP_GUEST_CR3);
LG_CHECK(lg_host_page, gs_base, HP_GS_BASE);
LG_CHECK(lg_host_page, ds, HP_DS);
LG_CHECK(lg_host_page, es, HP_ES);
LG_CHECK(lg_host_page, fs, HP_FS);
LG_CHECK(lg_host_page, gs, HP_GS);
LG_CHECK(lg_host_page, tr, HP_TR);
LG_CHECK(lg_host_page, gdt_desc, HP_GDT_DESC);
LG_CHECK(lg_host_page, idt_desc, HP_IDT_DESC);
LG_CHECK(lg_host_page, gdt_rw_desc, HP_GDT_RW_DESC);
LG_CHECK(lg_host_page, gdt_rw_desc.d.address, HP_GDT_RW_BASE);
static_assert(sizeof(struct lg_host_page) <= 0x1000);
#undef LG_CHECK

extern const char lg_switcher_start[], lg_switcher_end[];
extern const char lg_sw_enter[], lg_sw_vectors[], lg_sw_syscall[], lg_sw_cstar[];
#endif /* __KERNEL__ */
#endif /* __ASSEMBLY__ */

#endif /* _LG_SWITCHER_H */
