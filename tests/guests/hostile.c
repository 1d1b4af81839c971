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

void guest_main(void)
{
	const char *c = rt_arg("case");
	volatile u64 v = 0;

	if (!c)
		rt_panic("no case= on the command line");

	if (!strcmp(c, "hole_read")) {
		/* Nothing of the Switcher is this far into the hole. */
		v = *(volatile u64 *)(HOLE + 0x100000);
		survived("read the hypervisor hole");
	} else if (!strcmp(c, "hole_write")) {
		/* The Switcher's text, where the guest may see it at all. */
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
