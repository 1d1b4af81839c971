// SPDX-License-Identifier: GPL-2.0
/*
 * GS across ring 3 events (struct lguest_data): an event from ring 3
 * stores the user's GS base in user_gs and loads kernel_gs; the kernel
 * puts the user's back with wrgsbase before iretq.  The FS base, which
 * nobody swaps, survives exits to the host in both rings.  Needs FSGSBASE.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "gs";

#define KGS	0xffffc90012340000ULL
#define UGS	0x0000123456789000ULL

#define KFS	0xffffc90056780000ULL

/*
 * User: set GS and FS bases, syscall, check both are back, exit with 1
 * if so.  (FS is user space's thread pointer; the host must keep it.)
 */
extern char u_gs[], u_gs_end[];
asm(".text\n"
    "u_gs: mov $0x0000123456789000, %rbx\n\t"
    "wrgsbase %rbx\n\t"
    "lea 0x1000(%rbx), %r12\n\t"
    "wrfsbase %r12\n\t"
    "mov $500, %eax\n\t"
    "syscall\n\t"
    "xor %edi, %edi\n\t"
    "rdgsbase %rcx\n\t"
    "cmp %rbx, %rcx\n\t"
    "jne 1f\n\t"
    "rdfsbase %rcx\n\t"
    "cmp %r12, %rcx\n\t"
    "sete %dil\n"
    "1: mov $60, %eax\n\t"
    "syscall\n\t"
    "ud2\n"
    "u_gs_end:\n");

static u64 seen_kgs = 1, seen_ugs = 1;

static bool on_user(struct rt_frame *f)
{
	u64 gs;

	if ((f->cs & 3) != 3 || f->vector != LGUEST_EVENT_SYSCALL)
		return false;
	asm volatile("rdgsbase %0" : "=r"(gs));
	if (f->rax == RT_SYS_EXIT)
		rt_user_return(f->rdi);
	seen_kgs = gs;
	seen_ugs = rt_data.user_gs;
	/* Back to ring 3: its GS base, as swapgs would. */
	asm volatile("wrgsbase %0" : : "r"(rt_data.user_gs));
	return true;
}

void guest_main(void)
{
	u64 code = rt_alloc_page(), r;
	long v;

	rt_events_init();
	v = RT_TRY(asm volatile("rdgsbase %%rax" ::: "rax"));
	if (v != -1) {
		rt_skip("GS swap", "no FSGSBASE on this host (rdgsbase raised an exception)");
		CHECK(v == X86_UD, "rdgsbase without FSGSBASE: #UD", "vector %ld", v);
		return;
	}
	/* The FS base survives exits to the host (here a hypercall). */
	{
		u64 fs;

		asm volatile("wrfsbase %0" : : "r"(KFS));
		rt_flush_all();
		asm volatile("rdfsbase %0" : "=r"(fs));
		CHECK(fs == KFS, "the FS base survives a hypercall", "FS base %#llx", fs);
	}
	rt_data.kernel_gs = KGS;
	memcpy(__va(code), u_gs, (size_t)(u_gs_end - u_gs));
	rt_map(USER_VA, code, PTE_U);
	rt_map(USER_VA + 0x10000, rt_alloc_page(), PTE_U | PTE_W);
	rt_flush_all();
	rt_on_event = on_user;
	r = rt_run_user(USER_VA, USER_VA + 0x11000);
	rt_on_event = NULL;
	CHECK(seen_kgs == KGS, "an event from ring 3 runs the kernel on kernel_gs",
	      "GS base %#llx", seen_kgs);
	CHECK(seen_ugs == UGS, "and stores the user's GS base in user_gs", "user_gs %#llx",
	      seen_ugs);
	CHECK(r == 1, "the user's GS and FS bases are back after the syscall", "exit %llu", r);

	if (rt_case("bad")) {
		/* A non-canonical kernel_gs: the host cannot load it. */
		rt_data.kernel_gs = 0x8000000000000000ULL;
		rt_on_event = on_user;
		rt_run_user(USER_VA, USER_VA + 0x11000);
		rt_fail("a non-canonical kernel_gs is refused", "the guest lives");
	}
}
