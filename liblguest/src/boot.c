// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the guest finds when it wakes up (docs/abi.md tells the guest's
 * side of this).
 *
 * A bootloader would start Linux in 16- or 32-bit mode and let it build
 * its own page tables.  An lguest guest never runs without paging: the
 * Switcher enters it in long mode, ring 1, at the entry point from its ELF
 * note.  So we build the page tables it starts on: all of RAM at the
 * kernel's direct map, 0xffff888000000000, and the first GiB again at
 * 0xffffffff80000000 where vmlinux is linked, both with 2 MiB pages.  The
 * guest replaces them with its own as soon as it can.
 *
 * RSI points to a Linux zero page (struct boot_params) as the x86 boot
 * protocol defines it, so the guest's early code is the kernel's own:
 * an e820 map with one RAM entry, the command line, the initrd.
 */
#include <errno.h>
#include <string.h>

#include <asm/bootparam.h>
#include <asm/e820.h>

#include "internal.h"

#define PTE_P 0x001ULL
#define PTE_RW 0x002ULL
#define PTE_PS 0x080ULL
#define GIB (1ULL << 30)
#define MIB2 (2ULL << 20)

#define PML4_GPA LG_PGTABLE_GPA
#define PDPT_DIRECT_GPA (LG_PGTABLE_GPA + 0x1000)
#define PDPT_KERNEL_GPA (LG_PGTABLE_GPA + 0x2000)
#define PD_GPA(i) (LG_PGTABLE_GPA + 0x3000 + (uint64_t)(i) * 0x1000)

/* X86_SUBARCH_LGUEST: the guest's early code dispatches on it. */
#define LG_SUBARCH 1

uint64_t lg_boot_virt_to_phys(uint64_t mem_size, uint64_t va)
{
	uint64_t top = mem_size < LG_KERNEL_MAP_SIZE ? mem_size : LG_KERNEL_MAP_SIZE;

	if (va >= LG_KERNEL_MAP && va - LG_KERNEL_MAP < top)
		return va - LG_KERNEL_MAP;
	if (va >= LG_DIRECT_MAP && va - LG_DIRECT_MAP < mem_size)
		return va - LG_DIRECT_MAP;
	return UINT64_MAX;
}

static void build_page_tables(const struct lg_mem *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem->base + PML4_GPA);
	uint64_t *direct = (uint64_t *)(mem->base + PDPT_DIRECT_GPA);
	uint64_t *kernel = (uint64_t *)(mem->base + PDPT_KERNEL_GPA);
	uint64_t gibs = (mem->size + GIB - 1) / GIB;

	memset(pml4, 0, PD_GPA(gibs) - PML4_GPA);
	pml4[(LG_DIRECT_MAP >> 39) & 511] = PDPT_DIRECT_GPA | PTE_P | PTE_RW;
	pml4[(LG_KERNEL_MAP >> 39) & 511] = PDPT_KERNEL_GPA | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < gibs; g++) {
		uint64_t *pd = (uint64_t *)(mem->base + PD_GPA(g));

		direct[g] = PD_GPA(g) | PTE_P | PTE_RW;
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t pa = g * GIB + j * MIB2;

			if (pa < mem->size)	/* RAM is a multiple of 2 MiB */
				pd[j] = pa | PTE_P | PTE_RW | PTE_PS;
		}
	}
	/* The kernel map shares the direct map's first PD: same first GiB. */
	kernel[(LG_KERNEL_MAP >> 30) & 511] = PD_GPA(0) | PTE_P | PTE_RW;
}

int lg_boot_setup(struct lg_vm *vm, const struct lg_mem *mem, const struct lg_boot *b,
		  struct lguest_regs *regs)
{
	struct boot_params *bp;
	size_t cl = strlen(b->cmdline);

	if (mem->size < LG_BOOT_END || mem->size > LGUEST_MAX_MEM)
		return lg_err(vm, -EINVAL, "boot: %llu bytes of memory cannot hold the boot data",
			      (unsigned long long)mem->size);
	if (cl >= LG_CMDLINE_MAX)
		return lg_err(vm, -E2BIG, "boot: command line of %zu bytes, at most %u with the"
			      " device entries", cl, LG_CMDLINE_MAX - 1);
	if (b->initrd_size && !lg_mem_range(mem, b->initrd_gpa, b->initrd_size))
		return lg_err(vm, -EINVAL, "boot: initrd outside guest memory");

	memset(mem->base + LG_BOOT_PARAMS_GPA, 0, sizeof(*bp));
	bp = (struct boot_params *)(mem->base + LG_BOOT_PARAMS_GPA);
	bp->hdr.boot_flag = 0xAA55;
	bp->hdr.header = 0x53726448;	/* "HdrS" */
	bp->hdr.version = 0x020f;
	bp->hdr.type_of_loader = 0xff;	/* "undefined" bootloader */
	bp->hdr.loadflags = LOADED_HIGH;
	bp->hdr.hardware_subarch = LG_SUBARCH;
	bp->hdr.cmd_line_ptr = (uint32_t)LG_CMDLINE_GPA;
	bp->ext_cmd_line_ptr = (uint32_t)(LG_CMDLINE_GPA >> 32);
	bp->hdr.cmdline_size = LG_CMDLINE_MAX - 1;
	if (b->initrd_size) {
		bp->hdr.ramdisk_image = (uint32_t)b->initrd_gpa;
		bp->ext_ramdisk_image = (uint32_t)(b->initrd_gpa >> 32);
		bp->hdr.ramdisk_size = (uint32_t)b->initrd_size;
		bp->ext_ramdisk_size = (uint32_t)(b->initrd_size >> 32);
	}
	bp->e820_entries = 1;
	bp->e820_table[0].addr = 0;
	bp->e820_table[0].size = mem->size;
	bp->e820_table[0].type = E820_RAM;

	memset(mem->base + LG_CMDLINE_GPA, 0, LG_CMDLINE_MAX);
	memcpy(mem->base + LG_CMDLINE_GPA, b->cmdline, cl);

	build_page_tables(mem);

	memset(regs, 0, sizeof(*regs));
	regs->rip = b->entry;
	regs->rsi = LG_BOOT_PARAMS_GPA;
	regs->rsp = LG_DIRECT_MAP + LG_STACK_TOP_GPA;
	regs->cr3 = PML4_GPA;
	regs->rflags = 0x2;	/* the always-one bit; IF is virtual */
	return 0;
}
