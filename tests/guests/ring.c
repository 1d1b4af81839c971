// SPDX-License-Identifier: GPL-2.0
/*
 * The hypercall ring in lguest_data: TLB flushes, page-table switches and
 * kernel stacks queued in slots run, in order, before the next hypercall
 * of any kind (or LHCALL_FLUSH_ASYNC), and each slot is handed back
 * (status 0xff).  With case=bad, =bad_pgtable or =bad_stack, a slot the
 * host must refuse.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "ring";

static unsigned int next;

static void queue2(u64 nr, u64 arg0, u64 arg1)
{
	unsigned int i = next;

	if (rt_data.ring_status[i] != 0xff)
		rt_panic("ring slot %u is still busy", i);
	rt_data.ring[i].nr = nr;
	rt_data.ring[i].args[0] = arg0;
	rt_data.ring[i].args[1] = arg1;
	asm volatile("" ::: "memory");
	rt_data.ring_status[i] = 0;
	next = (i + 1) % LGUEST_RING_SIZE;
}

static void queue(u64 nr, u64 arg)
{
	queue2(nr, arg, 0);
}

static bool all_free(void)
{
	for (int i = 0; i < LGUEST_RING_SIZE; i++)
		if (rt_data.ring_status[i] != 0xff)
			return false;
	return true;
}

/*
 * A context switch's CR3 load, queued: with TEST_VA's entry changed
 * and not flushed, id 0 still sees frame a (as a TLB would), a fresh id 1
 * sees b, and a queued switch back to id 0 without a flush sees a again.
 */
static void queued_switch(u64 a, u64 b)
{
	volatile u64 *p = (volatile u64 *)TEST_VA;
	u64 seen[3];

	rt_map(TEST_VA, a, PTE_W);
	rt_flush_all();
	seen[0] = *p;
	rt_map(TEST_VA, b, PTE_W);
	queue2(LHCALL_NEW_PGTABLE, rt_cr3, 1);
	hcall0(LHCALL_FLUSH_ASYNC);
	seen[1] = *p;
	queue2(LHCALL_NEW_PGTABLE, rt_cr3, 0 | LGUEST_PGTABLE_NOFLUSH);
	hcall0(LHCALL_FLUSH_ASYNC);
	seen[2] = *p;
	CHECK(seen[0] == 0xaaaa && seen[1] == 0xbbbb && seen[2] == 0xaaaa && all_free(),
	      "queued NEW_PGTABLEs switch shadows in order, at FLUSH_ASYNC",
	      "read %#llx, %#llx, %#llx", seen[0], seen[1], seen[2]);
	rt_flush_all();
}

/* A system call from ring 3 lands on a kernel stack given in the ring. */
extern char u_sys[], u_sys_end[];
asm(".text\nu_sys: mov $60, %eax\n\tmov $7, %edi\n\tsyscall\n\tud2\nu_sys_end:\n");
extern char rt_event_stack_top[];
static u64 frame_at;

static bool on_sys(struct rt_frame *f)
{
	if ((f->cs & 3) != 3)
		return false;
	frame_at = (u64)f;
	rt_user_return(f->vector == LGUEST_EVENT_SYSCALL ? f->rdi : 0x100 + f->vector);
}

static void queued_stack(void)
{
	u64 code = rt_alloc_page(), top = (u64)__va(rt_alloc_page()) + PAGE_SIZE, r;

	memcpy(__va(code), u_sys, (size_t)(u_sys_end - u_sys));
	rt_map(USER_VA, code, PTE_U);
	rt_map(USER_VA + 0x10000, rt_alloc_page(), PTE_U | PTE_W);
	rt_flush_all();
	rt_on_event = on_sys;
	queue(LHCALL_SET_STACK, top);
	hcall0(LHCALL_FLUSH_ASYNC);
	r = rt_run_user(USER_VA, USER_VA + 0x11000);
	CHECK(r == 7 && frame_at < top && frame_at >= top - PAGE_SIZE && all_free(),
	      "a queued SET_STACK is where the next system call from ring 3 lands",
	      "exit %#llx, frame at %#llx, stack top %#llx", r, frame_at, top);
	hcall1(LHCALL_SET_STACK, (u64)rt_event_stack_top);
	rt_on_event = NULL;
}

void guest_main(void)
{
	u64 a = rt_alloc_page(), b = rt_alloc_page();
	volatile u64 *p = (volatile u64 *)TEST_VA;
	int bad = -1;

	rt_events_init();
	CHECK(all_free(), "LHCALL_INIT leaves every ring slot empty (0xff)", "no");
	*(u64 *)__va(a) = 0xaaaa;
	*(u64 *)__va(b) = 0xbbbb;
	rt_map(TEST_VA, a, PTE_W);
	rt_flush_one(TEST_VA);
	CHECK(*p == 0xaaaa, "mapped to frame a", "read %#llx", *p);

	rt_map(TEST_VA, b, PTE_W);
	queue(LHCALL_FLUSH_TLB_ONE, TEST_VA);
	hcall0(LHCALL_FLUSH_ASYNC);
	CHECK(*p == 0xbbbb && all_free(), "a queued FLUSH_TLB_ONE runs at FLUSH_ASYNC",
	      "read %#llx", *p);

	rt_map(TEST_VA, a, PTE_W);
	queue(LHCALL_FLUSH_TLB, 0);
	rt_printf("ring: any hypercall runs the queue\n");
	CHECK(*p == 0xaaaa && all_free(), "a queued FLUSH_TLB runs before any other hypercall",
	      "read %#llx", *p);

	/* 200 remaps of 50 pages, queued across the ring's end. */
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 50; i++) {
			u64 pa = rt_alloc_page();

			*(u64 *)__va(pa) = (u64)(round * 100 + i);
			rt_map(TEST_VA + 0x100000 + (u64)i * PAGE_SIZE, pa, PTE_W);
			queue(LHCALL_FLUSH_TLB_ONE, TEST_VA + 0x100000 + (u64)i * PAGE_SIZE);
		}
		hcall0(LHCALL_FLUSH_ASYNC);
		for (int i = 0; i < 50; i++)
			if (*(volatile u64 *)(TEST_VA + 0x100000 + (u64)i * PAGE_SIZE) !=
			    (u64)(round * 100 + i))
				bad = round * 100 + i;
	}
	CHECK(bad < 0 && all_free(), "4 rounds of 50 queued flushes, wrapping the ring",
	      "page %d", bad);

	queued_switch(a, b);
	queued_stack();

	if (rt_case("bad")) {
		/* Only what a flush or a context switch makes may be queued. */
		queue(LHCALL_SHUTDOWN, 0);
		hcall0(LHCALL_FLUSH_ASYNC);
		rt_fail("a queued SHUTDOWN is refused", "the guest lives");
	}
	if (rt_case("bad_pgtable")) {
		queue2(LHCALL_NEW_PGTABLE, rt_cr3 + 8, 0);
		hcall0(LHCALL_FLUSH_ASYNC);
		rt_fail("a queued NEW_PGTABLE with a bad root is refused", "the guest lives");
	}
	if (rt_case("bad_stack")) {
		queue(LHCALL_SET_STACK, 0x8000000000000000UL);
		hcall0(LHCALL_FLUSH_ASYNC);
		rt_fail("a queued non-canonical SET_STACK is refused", "the guest lives");
	}
}
