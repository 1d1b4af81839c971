// SPDX-License-Identifier: GPL-2.0
/*
 * Non-canonical addresses.  The guest always runs 4-level paging, so any
 * address whose bits 63..47 are not all equal must raise #GP in the
 * guest -- also on a 5-level host, where the CPU itself would accept
 * some of them (0xff00000000000000 is the Switcher's hole there, and
 * 0x0001000000400000 would alias the guest's own low mappings).
 */
#include "rt/rt.h"

const char rt_guest_name[] = "noncanon";

u64 nc_load(u64 va);
asm(".text\nnc_load: mov (%rdi), %rax\n\tret\n");

static void expect_gp(u64 va)
{
	char check[96];
	long v = RT_TRY(nc_load(va));

	rt_snprintf(check, sizeof(check), "read at %#llx: #GP", va);
	CHECK(v == X86_GP, check, "vector %ld error %#llx cr2 %#llx", v, rt_last.error_code,
	      rt_data.cr2);
}

void guest_main(void)
{
	rt_events_init();
	rt_map(USER_VA, rt_alloc_page(), PTE_W);
	rt_flush_all();
	expect_gp(0x0000800000000000UL);
	expect_gp(0xffff7ffffffff000UL);
	expect_gp(0x0001000000400000UL);	/* bits 47..0 = USER_VA, mapped */
	expect_gp(0x00ff800000000000UL);
	/*
	 * The hole on 5-level hosts: the Switcher is mapped there in the
	 * guest's own shadow, so the CPU does not fault and the guest reads
	 * the Switcher's text, as it can at 0xffff800000000000 on 4-level
	 * hosts (by design: ring 1 is supervisor).  #GP on 4-level hosts.
	 */
	{
		long v = RT_TRY(nc_load(0xff00000000000000UL));

		rt_printf("noncanon: 0xff00000000000000: %s\n",
			  v == -1 ? "readable (a 5-level host's hole)" : "faults");
		CHECK(v == X86_GP || v == -1, "read at 0xff00000000000000: #GP, or the hole",
		      "vector %ld", v);
	}
	expect_gp(0x8000000000000000UL);
}
