// SPDX-License-Identifier: GPL-2.0
/*
 * The hostile guest: one misdeed per run, chosen by case= on the command
 * line.  Most must get the guest killed with a reason (the launcher,
 * t_guests.c, checks LGUEST_EXIT_KILLED and the reason); a guest that is
 * still alive afterwards says so with a FAIL line.
 */
#include "rt/rt.h"
/* The Switcher's page layout, to aim at its pages from the guest. */
#include "../../switcher/switcher.h"

const char rt_guest_name[] = "hostile";

/*
 * Where the Switcher's pages are, seen from the guest: the hole is PML4
 * slot 256 on 4-level hosts; on 5-level hosts it is PML5 slot 256,
 * 0xff00000000000000, which a 4-level guest should not be able to reach
 * (non-canonical for it) -- see noncanon.c.
 */
static u64 switcher_base(void)
{
	long v = RT_TRY((void)*(volatile u64 *)0xff00000000000000UL);

	return v == -1 ? 0xff00000000000000UL : HOLE;
}

/*
 * The regs page is writable from ring 1 by design (brief, section 2):
 * scribble all of it between exits.  Nothing the host trusts may live
 * there (it once held the "an NMI or #MC hit the Switcher" flags).
 */
static void regs_page(u64 pattern)
{
	u64 sw = switcher_base();
	volatile u64 *page = (volatile u64 *)(sw + SW_REGS_OFF);
	char check[96];

	rt_printf("switcher at %#llx\n", sw);
	for (int i = 0; i < 100; i++) {
		for (int j = 0; j < 512; j++)
			page[j] = pattern;
		hcall0(LHCALL_FLUSH_TLB);
	}
	/* The launcher checks that the host's NMI and MCE counts did not follow. */
	rt_snprintf(check, sizeof(check), "filled the regs page with %#llx 100 times and lived",
		    pattern);
	rt_pass(check);
}

static void survived(const char *what)
{
	rt_fail("the host stopped it", "%s and lived", what);
}

/*
 * ---- The Switcher's own pages, where they really are --------------------
 *
 * Ring 1 is supervisor, so the guest kernel can read the Switcher's
 * pages in its shadow (by design, docs/design.md).  It must not write
 * them, run anything there but the text (which only runs into faults),
 * and its ring 3 must not touch them at all.  How a refusal looks
 * depends on the host: on a 4-level host the hole is a canonical
 * address the guest was told to keep out of, and touching it in a way
 * that faults kills the guest ("hypervisor hole"); on a 5-level host it
 * is non-canonical to the guest's 4-level paging, so the guest gets the
 * #GP a 4-level CPU would raise.  The launcher (REFUSED) accepts the
 * kill; here we check the #GP, and that a 4-level host did kill.
 */
extern char rt_event_entry[];

static bool five_level(u64 sw)
{
	return sw != HOLE;
}

/* The handler of IDT vector @n, read from the IDT page (ring 1 may). */
static u64 idt_target(u64 sw, unsigned int n)
{
	const volatile u8 *g = (const volatile u8 *)(sw + SW_IDT_OFF + n * 16);

	return (u64)(g[0] | g[1] << 8) | (u64)(g[6] | g[7] << 8) << 16 |
	       (u64)(g[8] | g[9] << 8 | g[10] << 16 | (u32)g[11] << 24) << 32;
}

/* lg_sw_common: where vector 0's stub (endbr64; push $0; push $0; jmp) goes. */
static u64 sw_common(u64 sw)
{
	const volatile u8 *p = (const volatile u8 *)idt_target(sw, 0) + 4;

	while (*p == 0x6a)	/* push $imm8 */
		p += 2;
	if (*p == 0xeb)
		return (u64)p + 2 + (int8_t)p[1];
	if (*p != 0xe9)
		rt_panic("vector 0's stub does not end in a jmp (%#x)", *p);
	return (u64)p + 5 + (int32_t)(p[1] | p[2] << 8 | p[3] << 16 | (u32)p[4] << 24);
}

/*
 * Call @target with @above twice on the stack above the return address,
 * where the Switcher's NMI and #DF stubs look for the interrupted CS.
 */
void sw_call(u64 target, u64 above);
asm(".text\nsw_call:\n\tpush %rsi\n\tpush %rsi\n\tcall *%rdi\n\tadd $16, %rsp\n\tret\n");

/* sw_call under RT_TRY: the vector it faulted with, or -1. */
static __attribute__((noinline)) long try_call(u64 target, u64 above)
{
	return RT_TRY(sw_call(target, above));
}

static bool in_text(u64 sw, u64 rip)
{
	return rip >= sw + SW_TEXT_OFF && rip < sw + SW_TEXT_OFF + SW_TEXT_PAGES * PAGE_SIZE;
}

/* A ring-1 write to one of the Switcher's read-only pages. */
static void sw_write(u64 off, const char *what)
{
	u64 sw, before, after;
	char check[96];
	long v;

	rt_events_init();
	sw = switcher_base();
	before = *(volatile u64 *)(sw + off);
	v = RT_TRY(*(volatile u64 *)(sw + off) = ~before);
	after = *(volatile u64 *)(sw + off);
	rt_snprintf(check, sizeof(check), "a ring-1 write to the Switcher's %s at %#llx faults",
		    what, sw + off);
	if (!five_level(sw))
		rt_fail(check, "a 4-level host let the guest live (vector %ld)", v);
	else
		CHECK(v == X86_GP && after == before, check, "vector %ld, %#llx became %#llx",
		      v, before, after);
}

/* Ring 1 runs a page of the Switcher that is not text: NX must stop it. */
static void sw_exec_nx(u64 off, const char *what)
{
	u64 sw, target;
	char check[96];
	long v;

	rt_events_init();
	sw = switcher_base();
	target = sw + off;
	if (off == SW_REGS_OFF)		/* the one page ring 1 can write: a ret */
		*(volatile u8 *)(target += 0x100) = 0xc3;
	v = try_call(target, 0);
	rt_snprintf(check, sizeof(check), "ring 1 cannot run the Switcher's %s", what);
	if (!five_level(sw))
		rt_fail(check, "a 4-level host let the guest live (vector %ld)", v);
	else
		CHECK(v == X86_GP && rt_last.rip == target, check, "vector %ld at rip %#llx", v,
		      rt_last.rip);
}

/*
 * Ring 1 jumps into the Switcher's text where it only meets privileged
 * instructions: the stubs and lg_sw_common push on the guest's own stack
 * and reach mov %cr2 (or, for the NMI/#DF/#MC stubs when they think they
 * interrupted the Switcher, mov %cr3), which faults in ring 1.
 */
static void sw_exec_stubs(void)
{
	static const unsigned int vecs[] = { 0, 2, 6, 8, 13, 14, 18, 32, 0x80, 255 };
	u64 sw, target;
	char check[96];
	long v;

	rt_events_init();
	sw = switcher_base();
	for (unsigned int i = 0; i <= sizeof(vecs) / sizeof(vecs[0]); i++) {
		if (i < sizeof(vecs) / sizeof(vecs[0])) {
			target = idt_target(sw, vecs[i]);
			rt_snprintf(check, sizeof(check),
				    "ring 1 at vector %u's stub (%#llx): #GP in the Switcher",
				    vecs[i], target);
		} else {
			target = sw_common(sw);
			rt_snprintf(check, sizeof(check),
				    "ring 1 at lg_sw_common (%#llx): #GP in the Switcher", target);
		}
		if (!in_text(sw, target)) {
			rt_fail(check, "the target is not in the Switcher's text");
			continue;
		}
		v = try_call(target, 0);
		CHECK(v == X86_GP && in_text(sw, rt_last.rip) && rt_last.cs == LGUEST_KERNEL_CS,
		      check, "vector %ld at rip %#llx cs %#llx", v, rt_last.rip, rt_last.cs);
	}
}

static volatile bool want_syscall_event;

/* The syscall entry's fast path, run from ring 1, forges a syscall event. */
static bool on_forged_syscall(struct rt_frame *f)
{
	struct rt_jmp *j = rt_trap_jmp;

	if (!want_syscall_event || f->vector != LGUEST_EVENT_SYSCALL || !j)
		return false;
	rt_trap_jmp = NULL;
	rt_event_depth--;
	rt_longjmp(j, LGUEST_EVENT_SYSCALL + 1);
}

/*
 * Ring 1 at the syscall entry (LSTAR, read from the state page).  With
 * the fast path it writes a syscall event frame on the guest's own
 * kernel stack and enters the guest's event entry: nothing the guest
 * could not have done itself.  Without it, lg_sw_common faults with the
 * stack in the regs page, where no event can be delivered: a kill.
 */
static void sw_exec_syscall(bool fast)
{
	u64 sw, target;
	long v;

	if (fast) {
		rt_events_init();
	} else {
		/* No kernel stack: no alias of it, no fast path. */
		hcall2(LHCALL_INIT, __pa(&rt_data), (u64)rt_event_entry);
	}
	sw = switcher_base();
	target = *(volatile u64 *)(sw + SW_STATE_OFF + SP_SW_LSTAR);
	rt_printf("syscall entry at %#llx\n", target);
	if (!in_text(sw, target)) {
		rt_fail("the syscall entry is in the Switcher's text", "%#llx", target);
		return;
	}
	rt_on_event = on_forged_syscall;
	want_syscall_event = true;
	v = try_call(target, 0);
	want_syscall_event = false;
	rt_printf("the syscall entry from ring 1: %s\n",
		  v == LGUEST_EVENT_SYSCALL ? "a syscall event (the fast path)" : "a fault");
	if (!fast)
		survived("ran the syscall entry without a fast path");
	else
		CHECK(v == LGUEST_EVENT_SYSCALL || v == X86_GP,
		      "ring 1 at the syscall entry: a syscall event to itself, or #GP",
		      "vector %ld at rip %#llx", v, rt_last.rip);
}

/* ---- Ring 3 and the Switcher: every access a fault for the guest kernel. */
void u_sw_read(void), u_sw_write(void), u_sw_exec(void), u_sw_end(void);
asm(".text\n"
    "u_sw_read: mov 0x410000, %rax\n\tmov (%rax), %rax\n\tud2\n"
    "u_sw_write: mov 0x410000, %rax\n\tmovq $0, (%rax)\n\tud2\n"
    "u_sw_exec: mov 0x410000, %rax\n\tjmp *%rax\n"
    "u_sw_end:\n");

static bool on_user_fault(struct rt_frame *f)
{
	if ((f->cs & 3) != 3)
		return false;
	rt_user_return(f->vector << 16 | f->error_code);
}

static void sw_user(void)
{
	static const struct { u64 off; const char *what; } pages[] = {
		{ SW_TEXT_OFF, "text" }, { SW_TEXT_OFF + PAGE_SIZE, "text's second page" },
		{ SW_IDT_OFF, "IDT" }, { SW_REGS_OFF, "regs page" }, { SW_STATE_OFF, "state page" },
	};
	static const char *const how[] = { "reads", "writes", "runs" };
	void (*const code[])(void) = { u_sw_read, u_sw_write, u_sw_exec };
	u64 code_pa = rt_alloc_page(), data_pa = rt_alloc_page(), sw;

	rt_events_init();
	rt_on_event = on_user_fault;
	sw = switcher_base();
	memcpy(__va(code_pa), (const void *)u_sw_read, (u64)u_sw_end - (u64)u_sw_read);
	rt_map(USER_VA, code_pa, PTE_U);
	rt_map(USER_VA + 0x10000, data_pa, PTE_U | PTE_W);
	rt_flush_all();
	for (unsigned int p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
		for (unsigned int k = 0; k < 3; k++) {
			u64 target = sw + pages[p].off + 0x40, r, vec, err;
			char check[96];
			bool ok;

			*(volatile u64 *)__va(data_pa) = target;
			rt_last_cr2 = 0;
			r = rt_run_user(USER_VA + ((u64)code[k] - (u64)u_sw_read),
					USER_VA + 0x11000);
			vec = r >> 16;
			err = r & 0xffff;
			rt_snprintf(check, sizeof(check), "ring 3 %s the Switcher's %s: %s", how[k],
				    pages[p].what, five_level(sw) ? "#GP" : "#PF");
			if (five_level(sw))
				ok = vec == X86_GP && err == 0;
			else
				ok = vec == X86_PF && (err & PF_U) && !(err & PF_P) &&
				     !!(err & PF_W) == (k == 1) && (k != 2 || (err & PF_I)) &&
				     rt_last_cr2 == target;
			CHECK(ok, check, "vector %llu error %#llx cr2 %#llx", vec, err, rt_last_cr2);
		}
	}
}

/*
 * Forms that touch memory but are not the accessors' plain movs: the
 * host must refuse them rather than guess (docs/abi.md).
 */
static bool mmio_refused(const char *form)
{
	u64 va = TEST_VA, out = 0;

	rt_map(TEST_VA, MMIO_GPA, PTE_W | PTE_PCD);
	rt_flush_all();
	if (!strcmp(form, "movzx"))
		asm volatile("movzbl (%1), %k0" : "=r"(out) : "r"(va) : "memory");
	else if (!strcmp(form, "movsx"))
		asm volatile("movswq (%1), %0" : "=r"(out) : "r"(va) : "memory");
	else if (!strcmp(form, "seg"))		/* %fs base 0: the same address */
		asm volatile("movl %%fs:(%1), %k0" : "=r"(out) : "r"(va) : "memory");
	else if (!strcmp(form, "xchg"))
		asm volatile("xchgl %k0, (%1)" : "+r"(out) : "r"(va) : "memory");
	else if (!strcmp(form, "add"))
		asm volatile("addl %k0, (%1)" : : "r"(out), "r"(va) : "memory");
	else if (!strcmp(form, "rex_66"))	/* REX not next to the opcode: movw */
		asm volatile(".byte 0x48, 0x66, 0x89, 0x07" : : "D"(va), "a"(out) : "memory");
	else if (!strcmp(form, "rep"))		/* f3 89: a mov, but with a prefix */
		asm volatile(".byte 0xf3, 0x89, 0x07" : : "D"(va), "a"(out) : "memory");
	else
		return false;
	(void)out;
	return true;
}

void guest_main(void)
{
	const char *c = rt_arg("case");
	volatile u64 v = 0;

	if (!c)
		rt_panic("no case= on the command line");

	/*
	 * hole_*: the guest's own PML4 slot 256, kept out of its reach on
	 * both kinds of host.  On a 4-level host the Switcher is there; on a
	 * 5-level one it is not (see the sw_* cases, aimed at switcher_base()).
	 */
	if (!strcmp(c, "hole_read")) {
		/* Nothing of the Switcher is this far into the hole. */
		v = *(volatile u64 *)(HOLE + 0x100000);
		survived("read the hypervisor hole");
	} else if (!strcmp(c, "hole_write")) {
		/* The Switcher's text on a 4-level host; nothing on a 5-level one. */
		*(volatile u64 *)HOLE = 0xcc;
		survived("wrote the hypervisor hole");
	} else if (!strcmp(c, "hole_exec")) {
		((void (*)(void))(HOLE + 0x100000))();
		survived("ran code in the hypervisor hole");
	} else if (!strcmp(c, "hole_pte")) {
		/* The guest's own tables may never map the hole. */
		rt_map(HOLE + 0x200000, rt_alloc_page(), PTE_W);
		rt_flush_all();
		v = *(volatile u64 *)(HOLE + 0x200000);
		survived("mapped and read the hypervisor hole");
	} else if (!strcmp(c, "pte_outside")) {
		/* A frame 4 TiB up: far outside our 128 MiB. */
		rt_map(TEST_VA, 1UL << 42, PTE_W);
		rt_flush_all();
		v = *(volatile u64 *)TEST_VA;
		survived("read a frame outside its memory");
	} else if (!strcmp(c, "pte_write_outside")) {
		/* A write: the host must not set D anywhere for this PTE. */
		rt_map(TEST_VA, 1UL << 42, PTE_W);
		rt_flush_all();
		*(volatile u64 *)TEST_VA = 1;
		survived("wrote a frame outside its memory");
	} else if (!strcmp(c, "pte2m_outside")) {
		rt_map_2m(TEST_VA, 1UL << 40, PTE_W);
		rt_flush_all();
		v = *(volatile u64 *)(TEST_VA + 0x1000);
		survived("read a 2 MiB page outside its memory");
	} else if (!strcmp(c, "table_outside")) {
		/* A PML4 entry naming a page table far outside guest memory. */
		u64 *pml4 = __va(rt_cr3);

		pml4[(TEST_VA >> 39) & 511] = (1UL << 41) | PTE_P | PTE_W;
		rt_flush_all();
		v = *(volatile u64 *)TEST_VA;
		survived("used a page table outside its memory");
	} else if (!strcmp(c, "gb_page")) {
		u64 *pml4 = __va(rt_cr3), pdpt = rt_alloc_page();

		pml4[(TEST_VA >> 39) & 511] = pdpt | PTE_P | PTE_W;
		((u64 *)__va(pdpt))[0] = PTE_P | PTE_W | PTE_PS;	/* 1 GiB at 0 */
		rt_flush_all();
		v = *(volatile u64 *)TEST_VA;
		survived("used a 1 GiB page");
	} else if (!strcmp(c, "hcall_unknown")) {
		hcall0(9999);
		survived("made hypercall 9999");
	} else if (!strcmp(c, "hcall_zero")) {
		hcall0(0);
		survived("made hypercall 0");
	} else if (!strcmp(c, "hcall_neg")) {
		hcall0(~0ULL);
		survived("made hypercall -1");
	} else if (!strcmp(c, "halt_flags")) {
		hcall1(LHCALL_HALT, 2);
		survived("halted with flags 2");
	} else if (!strcmp(c, "shutdown_kind")) {
		hcall2(LHCALL_SHUTDOWN, 7, 0);
		survived("shut down with kind 7");
	} else if (!strcmp(c, "init_outside")) {
		hcall2(LHCALL_INIT, 1UL << 40, (u64)guest_main);
		survived("gave LHCALL_INIT an lguest_data outside its memory");
	} else if (!strcmp(c, "regs_page_ones")) {
		rt_events_init();
		regs_page(~0ULL);
	} else if (!strcmp(c, "regs_page_flags")) {
		/* 1 and 2: what the NMI and #MC flags meant. */
		rt_events_init();
		regs_page(3);
	} else if (!strcmp(c, "state_page")) {
		/* The state page (GDT, TSS, host state, NMI flags) is read-only. */
		u64 sw;
		long v;

		rt_events_init();
		sw = switcher_base();
		v = RT_TRY(*(volatile u64 *)(sw + SW_STATE_OFF + SP_NMI_SEEN) = 3);
		CHECK(v == X86_GP || v == X86_PF, "a write to the Switcher's state page is refused",
		      "vector %ld", v);
	} else if (!strcmp(c, "sw_read_host")) {
		/*
		 * The host's stack, GDT, IDT and GS base would undo its KASLR:
		 * they live in a page the guest's root does not map at all.
		 */
		volatile u64 seen = 0;
		u64 sw;
		long v;

		rt_events_init();
		sw = switcher_base();
		v = RT_TRY(seen = *(volatile u64 *)(sw + SW_HOST_OFF + HP_RSP));
		if (!five_level(sw))
			rt_fail("ring 1 cannot read the host's addresses", "read %#llx and lived", seen);
		else
			CHECK(v == X86_GP, "ring 1 cannot read the host's addresses",
			      "vector %ld, read %#llx", v, seen);
	} else if (!strcmp(c, "sw_write_text")) {
		sw_write(SW_TEXT_OFF, "text");
	} else if (!strcmp(c, "sw_write_idt")) {
		sw_write(SW_IDT_OFF, "IDT");
	} else if (!strcmp(c, "sw_write_state")) {
		sw_write(SW_STATE_OFF + SP_EVENT_ENTRY, "state page");
	} else if (!strcmp(c, "sw_exec_enter")) {
		/* lg_sw_enter's first store is to the host page. */
		u64 sw;
		long v;

		rt_events_init();
		sw = switcher_base();
		v = try_call(sw + SW_TEXT_OFF + SW_ENTER_OFF, 0);
		if (!five_level(sw))
			rt_fail("ring 1 at lg_sw_enter faults", "a 4-level host let it live");
		else
			CHECK(v == X86_GP && in_text(sw, rt_last.rip), "ring 1 at lg_sw_enter faults",
			      "vector %ld at rip %#llx", v, rt_last.rip);
	} else if (!strcmp(c, "sw_exec_stubs")) {
		sw_exec_stubs();
	} else if (!strcmp(c, "sw_exec_ist")) {
		/* The NMI stub, told it interrupted ring 3: it moves to the regs page. */
		u64 sw;

		rt_events_init();
		sw = switcher_base();
		(void)try_call(idt_target(sw, 2), 3);
		survived("ran the NMI stub as if from ring 3");
	} else if (!strcmp(c, "sw_exec_syscall")) {
		sw_exec_syscall(true);
	} else if (!strcmp(c, "sw_exec_syscall_slow")) {
		sw_exec_syscall(false);
	} else if (!strcmp(c, "sw_exec_regs")) {
		sw_exec_nx(SW_REGS_OFF, "regs page");
	} else if (!strcmp(c, "sw_exec_idt")) {
		sw_exec_nx(SW_IDT_OFF, "IDT");
	} else if (!strcmp(c, "sw_exec_state")) {
		sw_exec_nx(SW_STATE_OFF, "state page");
	} else if (!strcmp(c, "sw_user")) {
		sw_user();
	} else if (!strcmp(c, "init_twice")) {
		rt_events_init();
		hcall2(LHCALL_INIT, __pa(&rt_data), (u64)rt_event_entry);
		survived("made LHCALL_INIT twice");
	} else if (!strcmp(c, "init_zero")) {
		/* Page 0 is RAM, but zero is what "no LHCALL_INIT yet" looks like. */
		hcall2(LHCALL_INIT, 0, (u64)rt_event_entry);
		hcall2(LHCALL_INIT, __pa(&rt_data), (u64)rt_event_entry);
		survived("made LHCALL_INIT at gpa 0, then again");
	} else if (!strcmp(c, "init_unaligned")) {
		hcall2(LHCALL_INIT, __pa(&rt_data) + 8, (u64)rt_event_entry);
		survived("gave LHCALL_INIT an unaligned lguest_data");
	} else if (!strcmp(c, "init_end")) {
		/* The launcher gives us 128 MiB: the first page past it. */
		hcall2(LHCALL_INIT, 128UL << 20, (u64)rt_event_entry);
		survived("gave LHCALL_INIT the page just past its memory");
	} else if (!strcmp(c, "init_entry_noncanon")) {
		hcall2(LHCALL_INIT, __pa(&rt_data), 0x0000800000000000UL);
		survived("gave LHCALL_INIT a non-canonical event entry");
	} else if (!strcmp(c, "init_entry_zero")) {
		hcall2(LHCALL_INIT, __pa(&rt_data), 0);
		survived("gave LHCALL_INIT a null event entry");
	} else if (!strcmp(c, "flush_scope")) {
		hcall1(LHCALL_FLUSH_TLB, 2);
		survived("flushed with scope 2");
	} else if (!strcmp(c, "flush_scope_ring")) {
		/* The same, queued in the ring. */
		rt_events_init();
		rt_data.ring[0].nr = LHCALL_FLUSH_TLB;
		rt_data.ring[0].args[0] = 2;
		asm volatile("" ::: "memory");
		rt_data.ring_status[0] = 0;
		hcall0(LHCALL_FLUSH_ASYNC);
		survived("queued a flush with scope 2");
	} else if (!strcmp(c, "pgtable_asid")) {
		/* The last good id first: the limit is exactly LGUEST_NR_ASIDS. */
		hcall2(LHCALL_NEW_PGTABLE, rt_cr3, LGUEST_NR_ASIDS - 1);
		rt_pass("address-space id 7 is accepted");
		hcall2(LHCALL_NEW_PGTABLE, rt_cr3, LGUEST_NR_ASIDS);
		survived("switched to address-space id 8");
	} else if (!strcmp(c, "pgtable_asid_noflush")) {
		hcall2(LHCALL_NEW_PGTABLE, rt_cr3, LGUEST_PGTABLE_NOFLUSH | LGUEST_NR_ASIDS);
		survived("switched to address-space id 8 without a flush");
	} else if (!strcmp(c, "pgtable_flags")) {
		/* A flag bit that does not exist, beside a good id. */
		hcall2(LHCALL_NEW_PGTABLE, rt_cr3, 1UL << 62);
		survived("switched page tables with flag bit 62");
	} else if (!strcmp(c, "pgtable_outside")) {
		hcall1(LHCALL_NEW_PGTABLE, 1UL << 40);
		survived("switched to a PML4 outside its memory");
	} else if (!strcmp(c, "pgtable_unaligned")) {
		hcall1(LHCALL_NEW_PGTABLE, BOOT_PML4 + 8);
		survived("switched to an unaligned PML4");
	} else if (!strcmp(c, "stack_noncanon")) {
		hcall1(LHCALL_SET_STACK, 0x0000800000000000UL);
		survived("set a non-canonical kernel stack");
	} else if (!strcmp(c, "bad_stack")) {
		/* An event from ring 3 with the kernel stack unmapped. */
		static const u8 code[] = { 0x0f, 0x05, 0x0f, 0x0b };	/* syscall; ud2 */
		u64 pa = rt_alloc_page();

		rt_events_init();
		hcall1(LHCALL_SET_STACK, TEST_VA + 0x100000);	/* nothing there */
		memcpy(__va(pa), code, sizeof(code));
		rt_map(USER_VA, pa, PTE_U);
		rt_flush_all();
		rt_run_user(USER_VA, USER_VA + 0x1000);
		survived("took an event on an unmapped kernel stack");
	} else if (!strcmp(c, "bad_entry")) {
		/* The event entry is not mapped: each event faults again, deeper. */
		u64 stack = TEST_VA + 0x200000;

		rt_map(stack, rt_alloc_page(), PTE_W);
		rt_flush_all();
		hcall2(LHCALL_INIT, __pa(&rt_data), TEST_VA + 0x300000);
		asm volatile("mov %0, %%rsp\n\tud2" : : "r"(stack + PAGE_SIZE));
		survived("took events at an unmapped entry point");
	} else if (!strcmp(c, "mmio_imm")) {
		/* movl $imm, (mem): not one of the accessors' forms. */
		rt_map(TEST_VA, MMIO_GPA, PTE_W | PTE_PCD);
		rt_flush_all();
		asm volatile("movl $0x12345678, (%0)" : : "r"(TEST_VA) : "memory");
		survived("stored an immediate to MMIO");
	} else if (!strncmp(c, "mmio_", 5) && mmio_refused(c + 5)) {
		survived("made an MMIO access the host cannot decode");
	} else if (!strcmp(c, "mmio_string")) {
		/* rep movsb into the device window. */
		u64 src = (u64)rt_guest_name, dst = TEST_VA, n = 4;

		rt_map(TEST_VA, MMIO_GPA, PTE_W | PTE_PCD);
		rt_flush_all();
		asm volatile("rep movsb" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
		survived("rep movsb into MMIO");
	} else if (!strcmp(c, "console_bad")) {
		/* Bad console buffers: the launcher refuses them, the guest goes on. */
		u64 r1 = hcall2(LHCALL_CONSOLE_WRITE, 1UL << 40, 16);
		u64 r2 = hcall2(LHCALL_CONSOLE_WRITE, (128UL << 20) - 4, 16);
		u64 r3 = hcall2(LHCALL_CONSOLE_WRITE, 0x1000, ~0ULL);

		CHECK(r1 && r2 && r3, "console writes outside memory are refused, the guest lives",
		      "results %#llx %#llx %#llx", r1, r2, r3);
	} else {
		rt_panic("unknown case %s", c);
	}
	(void)v;
}
