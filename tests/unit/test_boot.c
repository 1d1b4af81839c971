// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The boot layout: the zero page the guest's early code reads, and the
 * page tables it starts on, checked by walking them as the MMU would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <asm/bootparam.h>
#include <asm/e820.h>

#include "internal.h"

static struct lg_mem mk_mem(uint64_t size)
{
	struct lg_mem m = { .base = calloc(1, size), .size = size };

	return m;
}

/* A 4-level walk through guest memory; returns the physical address or ~0. */
static uint64_t walk(const struct lg_mem *m, uint64_t cr3, uint64_t va)
{
	uint64_t table = cr3;

	for (int level = 3; level >= 0; level--) {
		unsigned int idx = (va >> (12 + 9 * level)) & 511;
		uint64_t e;

		if (table + 4096 > m->size)
			return ~0ULL;
		e = ((uint64_t *)(m->base + table))[idx];
		if (!(e & 1))
			return ~0ULL;
		if (level == 1 && (e & 0x80))	/* a 2 MiB page */
			return (e & 0x000fffffffe00000ULL) + (va & 0x1fffff);
		if (level == 0)
			return (e & 0x000ffffffffff000ULL) + (va & 0xfff);
		table = e & 0x000ffffffffff000ULL;
	}
	return ~0ULL;
}

static void zero_page_layout(void **state)
{
	struct lg_mem m = mk_mem(64ULL << 20);
	struct lg_boot b = { .entry = 0xffffffff81000100ULL, .cmdline = "console=hvc0 quiet",
			     .initrd_gpa = 0x3f00000, .initrd_size = 0x12345 };
	struct lguest_regs r;
	struct boot_params *bp;

	(void)state;
	assert_int_equal(lg_boot_setup(NULL, &m, &b, &r), 0);
	/* The registers the guest starts with. */
	assert_int_equal(r.rip, b.entry);
	assert_int_equal(r.rsi, LG_BOOT_PARAMS_GPA);
	assert_int_equal(r.cr3, LG_PGTABLE_GPA);
	assert_int_equal(r.rsp, LG_DIRECT_MAP + LG_STACK_TOP_GPA);

	bp = (struct boot_params *)(m.base + r.rsi);
	/* Offsets are the x86 boot protocol's (Documentation/arch/x86/zero-page.rst). */
	assert_int_equal(offsetof(struct boot_params, e820_entries), 0x1e8);
	assert_int_equal(offsetof(struct boot_params, hdr), 0x1f1);
	assert_int_equal(offsetof(struct boot_params, e820_table), 0x2d0);
	assert_int_equal(bp->hdr.boot_flag, 0xAA55);
	assert_int_equal(bp->hdr.header, 0x53726448);
	assert_int_equal(bp->hdr.hardware_subarch, 1);	/* X86_SUBARCH_LGUEST */
	assert_int_equal(bp->e820_entries, 1);
	assert_int_equal(bp->e820_table[0].addr, 0);
	assert_int_equal(bp->e820_table[0].size, 64ULL << 20);
	assert_int_equal(bp->e820_table[0].type, E820_RAM);
	assert_int_equal(bp->hdr.cmd_line_ptr | ((uint64_t)bp->ext_cmd_line_ptr << 32),
			 LG_CMDLINE_GPA);
	assert_string_equal((char *)m.base + LG_CMDLINE_GPA, "console=hvc0 quiet");
	assert_int_equal(bp->hdr.ramdisk_image | ((uint64_t)bp->ext_ramdisk_image << 32), 0x3f00000);
	assert_int_equal(bp->hdr.ramdisk_size, 0x12345);
	free(m.base);
}

static void page_tables_map_ram_twice(void **state)
{
	struct lg_mem m = mk_mem(1ULL << 30);	/* 1 GiB, and then some below */
	struct lg_boot b = { .entry = 0xffffffff81000000ULL, .cmdline = "" };
	struct lguest_regs r;

	(void)state;
	assert_int_equal(lg_boot_setup(NULL, &m, &b, &r), 0);
	/* The direct map covers all RAM, and nothing beyond. */
	assert_int_equal(walk(&m, r.cr3, LG_DIRECT_MAP), 0);
	assert_int_equal(walk(&m, r.cr3, LG_DIRECT_MAP + 0x1234567), 0x1234567);
	assert_int_equal(walk(&m, r.cr3, LG_DIRECT_MAP + (1ULL << 30) - 1), (1ULL << 30) - 1);
	assert_int_equal(walk(&m, r.cr3, LG_DIRECT_MAP + (1ULL << 30)), ~0ULL);
	/* The kernel map: 0xffffffff80000000 is physical 0. */
	assert_int_equal(walk(&m, r.cr3, 0xffffffff81000000ULL), 0x1000000);
	assert_int_equal(walk(&m, r.cr3, 0xffffffffbfffffffULL), 0x3fffffff);
	assert_int_equal(walk(&m, r.cr3, 0xffffffffc0000000ULL), ~0ULL);
	/* No identity map, and never the hypervisor hole. */
	assert_int_equal(walk(&m, r.cr3, 0x1000000), ~0ULL);
	assert_int_equal(walk(&m, r.cr3, 0xffff800000000000ULL), ~0ULL);
	/* The stack RSP points at is mapped. */
	assert_int_equal(walk(&m, r.cr3, r.rsp - 8), LG_STACK_TOP_GPA - 8);
	free(m.base);
}

static void page_tables_for_odd_sizes(void **state)
{
	const uint64_t sizes[] = { 2ULL << 20, 130ULL << 20, (3ULL << 30) + (6ULL << 20) };

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		struct lg_mem m = mk_mem(sizes[i]);
		struct lg_boot b = { .entry = 0, .cmdline = "" };
		struct lguest_regs r;

		assert_int_equal(lg_boot_setup(NULL, &m, &b, &r), 0);
		assert_int_equal(walk(&m, r.cr3, LG_DIRECT_MAP + sizes[i] - 1), sizes[i] - 1);
		assert_int_equal(walk(&m, r.cr3, LG_DIRECT_MAP + sizes[i]), ~0ULL);
		assert_int_equal(lg_boot_virt_to_phys(sizes[i], LG_DIRECT_MAP + sizes[i]), ~0ULL);
		free(m.base);
	}
}

static void boot_refuses_what_does_not_fit(void **state)
{
	struct lg_mem m = mk_mem(4ULL << 20);
	char *longline = malloc(LG_CMDLINE_MAX + 1);
	struct lg_boot b = { .cmdline = longline };
	struct lguest_regs r;

	(void)state;
	memset(longline, 'x', LG_CMDLINE_MAX);
	longline[LG_CMDLINE_MAX] = 0;
	assert_int_equal(lg_boot_setup(NULL, &m, &b, &r), -E2BIG);
	longline[LG_CMDLINE_MAX - 1] = 0;	/* 2047 characters fit */
	assert_int_equal(lg_boot_setup(NULL, &m, &b, &r), 0);
	b.cmdline = "";
	b.initrd_gpa = (4ULL << 20) - 0x1000;
	b.initrd_size = 0x2000;
	assert_int_equal(lg_boot_setup(NULL, &m, &b, &r), -EINVAL);
	free(longline);
	free(m.base);
}

static void virt_to_phys_matches_the_tables(void **state)
{
	(void)state;
	assert_int_equal(lg_boot_virt_to_phys(64ULL << 20, 0xffffffff81000000ULL), 0x1000000);
	assert_int_equal(lg_boot_virt_to_phys(64ULL << 20, 0xffffffff84000000ULL), ~0ULL);
	assert_int_equal(lg_boot_virt_to_phys(4ULL << 30, 0xffffffffc0000000ULL), ~0ULL);
	assert_int_equal(lg_boot_virt_to_phys(4ULL << 30, LG_DIRECT_MAP + (3ULL << 30)), 3ULL << 30);
	assert_int_equal(lg_boot_virt_to_phys(4ULL << 30, 0x1000), ~0ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_page_layout),
		cmocka_unit_test(page_tables_map_ram_twice),
		cmocka_unit_test(page_tables_for_odd_sizes),
		cmocka_unit_test(boot_refuses_what_does_not_fit),
		cmocka_unit_test(virt_to_phys_matches_the_tables),
	};

	return cmocka_run_group_tests_name("boot", tests, NULL, NULL);
}
