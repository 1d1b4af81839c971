// SPDX-License-Identifier: GPL-2.0
/*
 * One LHCALL_FLUSH_TLB_ONE (invlpg) on any address of a 2 MiB page drops
 * the whole page's translation, as Linux assumes when it unmaps a huge
 * page with one invlpg: after the guest remaps or unmaps the PDE and
 * flushes one address, every 4 KiB piece shows the new mapping or
 * faults; none shows the old frame.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "hugeflush";

#define VA	(TEST_VA + (4UL << 30))

static void fill(u64 pa, u64 tag)
{
	for (u64 off = 0; off < HPAGE_SIZE; off += PAGE_SIZE)
		*(u64 *)__va(pa + off) = tag | off;
}

/* How many of the 512 pieces read @tag's values; *@first the first that does not. */
static int reads(u64 tag, int *first)
{
	int n = 0;

	*first = -1;
	for (u64 off = 0; off < HPAGE_SIZE; off += PAGE_SIZE) {
		if (*(volatile u64 *)(VA + off) == (tag | off))
			n++;
		else if (*first < 0)
			*first = (int)(off >> 12);
	}
	return n;
}

static u64 *pde;

/* The PDE for VA, made 2 MiB at @pa (0: not present), then one flush at @at. */
static void set_pde(u64 pa, u64 at)
{
	*pde = pa ? pa | PTE_P | PTE_W | PTE_PS : 0;
	if (rt_case("ring")) {
		/* The same flush queued in lguest_data's ring, run on the next hypercall. */
		static unsigned int next;
		struct lguest_hcall_slot *s = &rt_data.ring[next];

		s->nr = LHCALL_FLUSH_TLB_ONE;
		s->args[0] = at;
		asm volatile("" ::: "memory");
		rt_data.ring_status[next] = 0;
		next = (next + 1) % LGUEST_RING_SIZE;
		hcall0(LHCALL_FLUSH_ASYNC);
	} else {
		rt_flush_one(at);
	}
}

void guest_main(void)
{
	u64 a = rt_alloc_hpage(), b = rt_alloc_hpage(), c = rt_alloc_hpage();
	u64 ta = 0xaaULL << 32, tb = 0xbbULL << 32, tc = 0xccULL << 32;
	int n, first, faults = 0, first_ok = -1;

	rt_events_init();
	fill(a, ta);
	fill(b, tb);
	fill(c, tc);
	rt_map_2m(VA, a, PTE_W);
	pde = rt_pte(VA, false, NULL);
	rt_flush_all();
	n = reads(ta, &first);
	CHECK(n == 512, "all 512 pieces of the 2 MiB page read frame a", "%d (first bad %d)", n,
	      first);

	/* Remapped elsewhere, one flush in the middle. */
	set_pde(b, VA + 0x37000);
	n = reads(tb, &first);
	CHECK(n == 512, "remapped, one FLUSH_TLB_ONE mid-page: every piece reads the new frame",
	      "%d of 512 (piece %d still reads the old one)", n, first);

	/* Again, flushing the last piece: the writes land in the new frame. */
	set_pde(c, VA + HPAGE_SIZE - 1);
	for (u64 off = 0; off < HPAGE_SIZE; off += PAGE_SIZE)
		*(volatile u64 *)(VA + off + 8) = 0x5a5a;
	n = 0;
	for (u64 off = 0; off < HPAGE_SIZE; off += PAGE_SIZE)
		n += *(u64 *)__va(c + off + 8) == 0x5a5a && *(u64 *)__va(b + off + 8) == 0;
	CHECK(n == 512, "remapped, flushed at the last byte: every write lands in the new frame",
	      "%d of 512", n);

	/* Unmapped, one flush at the first piece: every piece faults. */
	set_pde(0, VA);
	for (u64 off = 0; off < HPAGE_SIZE; off += PAGE_SIZE) {
		long v = RT_TRY((void)*(volatile u64 *)(VA + off));

		if (v == X86_PF)
			faults++;
		else if (first_ok < 0)
			first_ok = (int)(off >> 12);
	}
	CHECK(faults == 512, "unmapped, one FLUSH_TLB_ONE: every piece faults",
	      "%d of 512 (piece %d did not)", faults, first_ok);

	/* Mapped again: the page is back, whole. */
	set_pde(a, VA + 0x1000);
	n = reads(ta, &first);
	CHECK(n == 512, "mapped again: every piece reads frame a", "%d (first bad %d)", n, first);
}
