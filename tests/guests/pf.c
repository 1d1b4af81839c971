// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults the guest handles itself: not present (read, write, from
 * ring 1 and ring 3), write to read-only; with case=present, faults on
 * present pages the guest never touched before (2M read-only, no-execute,
 * ring 3 on a supervisor page); with case=around, the same on pages the
 * host filled around another page's fault.  Each must arrive as vector 14
 * with the CPU's error code, CR2 in lguest_data and the faulting RIP in
 * the frame.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "pf";

/* The faulting instructions, at known addresses. */
u64 load_at(u64 va);
u64 store_at(u64 va);
extern char load_insn[], store_insn[];
asm(".text\n"
    "load_at: load_insn: mov (%rdi), %rax\n\tret\n"
    "store_at: store_insn: movq $1, (%rdi)\n\tret\n");

static void expect_pf(const char *check, long v, u64 err, u64 cr2, u64 rip)
{
	CHECK(v == X86_PF && rt_last.error_code == err && rt_last_cr2 == cr2 &&
	      rt_data.cr2 == cr2 && rt_last.rip == rip && rt_last.cs == LGUEST_KERNEL_CS,
	      check, "vector %ld error %#llx (want %#llx) cr2 %#llx (want %#llx) rip %#llx"
	      " (want %#llx) cs %#llx", v, rt_last.error_code, err, rt_last_cr2, cr2,
	      rt_last.rip, rip, rt_last.cs);
}

/* A user program: read the address in rdi (a supervisor page). */
extern char user_read[], user_read_end[];
asm(".text\n"
    "user_read: mov (%rdi), %rax\n\tud2\n"
    "user_read_end:\n");

static bool user_fault(struct rt_frame *f)
{
	if ((f->cs & 3) != 3)
		return false;
	rt_user_return(f->vector << 16 | f->error_code);
}

/*
 * Faults on pages the guest maps but has never touched: the host has no
 * shadow entry yet, and must still report P (the guest's entry is
 * present), as the CPU would.
 */
static void present_case(u64 ro2m, u64 nx, u64 code)
{
	u64 r;
	long v;

	rt_map_2m(ro2m, rt_alloc_hpage(), 0);
	rt_flush_all();
	v = RT_TRY(store_at(ro2m + 0x1234 * 8));
	expect_pf("write to an untouched read-only 2 MiB page: #PF, error P|W", v,
		  PF_P | PF_W, ro2m + 0x1234 * 8, (u64)store_insn);

	/* Code in a no-execute page: the fetch faults with I/D set. */
	rt_map(nx, rt_alloc_page(), PTE_NX);
	*(u8 *)__va(*rt_pte(nx, false, NULL) & PTE_ADDR) = 0xc3;	/* ret */
	rt_flush_all();
	v = RT_TRY(((void (*)(void))nx)());
	CHECK(v == X86_PF && rt_last.error_code == (PF_P | PF_I) && rt_last_cr2 == nx &&
	      rt_last.rip == nx, "execute of an untouched no-execute page: #PF, error P|I/D",
	      "vector %ld error %#llx cr2 %#llx rip %#llx", v, rt_last.error_code,
	      rt_last_cr2, rt_last.rip);

	/* Map page 0 as supervisor: now it is present but not the user's. */
	(void)code;
	rt_map(0, rt_alloc_page(), PTE_W);
	rt_flush_all();
	rt_on_event = user_fault;
	r = rt_run_user(USER_VA, USER_VA + 0x11000);
	rt_on_event = NULL;
	CHECK(r >> 16 == X86_PF && (r & 0xffff) == (PF_U | PF_P) && rt_last_cr2 == 0,
	      "ring 3 reading an untouched supervisor page: #PF, error P|U",
	      "result %#llx cr2 %#llx", r, rt_last_cr2);
	rt_unmap(0);
	rt_flush_all();
}

/*
 * The host fills the shadow around a fault with the neighbours the guest
 * marked accessed (docs/design.md); each must still behave as its own
 * entry says.  One page of each 64 KiB block is touched by ring 1 first.
 */
static void around_case(u64 code)
{
	u64 base = TEST_VA + 0x40000, *clean, r;
	long v;

	rt_map(base, rt_alloc_page(), PTE_W | PTE_A | PTE_D);
	rt_map(base + 0x1000, rt_alloc_page(), PTE_A);			/* read-only */
	rt_map(base + 0x2000, rt_alloc_page(), PTE_W | PTE_A);		/* clean */
	rt_map(base + 0x3000, rt_alloc_page(), PTE_W | PTE_A | PTE_D | PTE_NX);
	*(u8 *)__va(*rt_pte(base + 0x3000, false, NULL) & PTE_ADDR) = 0xc3;	/* ret */
	rt_flush_all();
	(void)load_at(base);
	v = RT_TRY(store_at(base + 0x1000));
	expect_pf("around a fault: a read-only neighbour faults on a write", v, PF_P | PF_W,
		  base + 0x1000, (u64)store_insn);
	clean = rt_pte(base + 0x2000, false, NULL);
	v = RT_TRY(store_at(base + 0x2000));
	CHECK(v == -1 && (*clean & PTE_D), "around a fault: a clean neighbour is dirty after a write",
	      "vector %ld pte %#llx", v, *clean);
	v = RT_TRY(((void (*)(void))(base + 0x3000))());
	CHECK(v == X86_PF && rt_last.error_code == (PF_P | PF_I) && rt_last_cr2 == base + 0x3000,
	      "around a fault: a no-execute neighbour faults on a fetch",
	      "vector %ld error %#llx cr2 %#llx", v, rt_last.error_code, rt_last_cr2);

	/* Page 0 supervisor, filled around ring 1's read of the user's page 1. */
	(void)code;
	rt_map(0, rt_alloc_page(), PTE_W | PTE_A | PTE_D);
	rt_map(0x1000, rt_alloc_page(), PTE_U | PTE_A);
	rt_flush_all();
	(void)load_at(0x1000);
	rt_on_event = user_fault;
	r = rt_run_user(USER_VA, USER_VA + 0x11000);
	rt_on_event = NULL;
	CHECK(r >> 16 == X86_PF && (r & 0xffff) == (PF_U | PF_P) && rt_last_cr2 == 0,
	      "around a fault: ring 3 reading a supervisor neighbour: #PF, error P|U",
	      "result %#llx cr2 %#llx", r, rt_last_cr2);
	rt_unmap(0);
	rt_unmap(0x1000);
	rt_flush_all();
}

void guest_main(void)
{
	u64 missing = TEST_VA + 0x10000, ro = TEST_VA + 0x20000, nx = TEST_VA + 0x30000;
	u64 ro2m = TEST_VA + (1UL << 30), code = rt_alloc_page(), r;
	long v;

	rt_events_init();
	CHECK(1, "LHCALL_INIT and LHCALL_SET_STACK accepted", "no");

	v = RT_TRY(load_at(missing));
	expect_pf("read of a not-present page: #PF, error 0, CR2, RIP", v, 0, missing,
		  (u64)load_insn);
	v = RT_TRY(store_at(missing + 8));
	expect_pf("write to a not-present page: #PF, error W", v, PF_W, missing + 8,
		  (u64)store_insn);

	rt_map(ro, rt_alloc_page(), 0);
	rt_flush_all();
	v = RT_TRY(load_at(ro));
	CHECK(v == -1, "read of a read-only page works", "vector %ld", v);
	v = RT_TRY(store_at(ro + 16));
	expect_pf("write to a read-only page: #PF, error P|W", v, PF_P | PF_W, ro + 16,
		  (u64)store_insn);


	/* After the fault, mapping the page makes the retry work. */
	rt_map(missing, rt_alloc_page(), PTE_W);
	rt_flush_all();
	v = RT_TRY(store_at(missing + 8));
	CHECK(v == -1 && load_at(missing + 8) == 1, "mapped after the fault: the access works",
	      "vector %ld", v);

	/* Ring 3 reading a supervisor page. */
	memcpy(__va(code), user_read, (size_t)(user_read_end - user_read));
	rt_map(USER_VA, code, PTE_U);
	rt_map(USER_VA + 0x10000, rt_alloc_page(), PTE_U | PTE_W);
	rt_flush_all();
	rt_on_event = user_fault;
	/* rt_run_user clears the registers: the user program reads at 0. */
	r = rt_run_user(USER_VA, USER_VA + 0x11000);
	rt_on_event = NULL;
	CHECK(r >> 16 == X86_PF && (r & 0xffff) == PF_U && rt_last_cr2 == 0 &&
	      rt_last.rip == USER_VA && rt_last.cs == LGUEST_USER_CS,
	      "ring 3 reading an unmapped page: #PF, error U, from user CS",
	      "result %#llx cr2 %#llx rip %#llx cs %#llx", r, rt_last_cr2, rt_last.rip,
	      rt_last.cs);
	if (rt_case("present"))
		present_case(ro2m, nx, code);
	if (rt_case("around"))
		around_case(code);
}
