// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel loader on good and malformed ELF files, all generated here.
 * A refused file must leave guest memory exactly as it was.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "elfgen.h"
#include "internal.h"

#define MEM (64ULL << 20)

struct ctx {
	struct lg_mem mem;
	struct lg_vm *vm;
};

static int setup(void **state)
{
	struct ctx *x = calloc(1, sizeof(*x));

	x->mem.size = MEM;
	x->mem.base = malloc(MEM);
	memset(x->mem.base, 0x5a, MEM);
	x->vm = lg_vm_new();
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *x = *state;

	lg_vm_destroy(x->vm);
	free(x->mem.base);
	free(x);
	return 0;
}

static bool mem_untouched(const struct ctx *x)
{
	for (uint64_t i = 0; i < MEM; i += 8)
		if (*(uint64_t *)(x->mem.base + i) != 0x5a5a5a5a5a5a5a5aULL)
			return false;
	return true;
}

/* Loads @img and expects @err; on error memory must be untouched. */
static void expect(struct ctx *x, const uint8_t *img, size_t len, int err, const char *msg)
{
	struct lg_kernel k;

	assert_int_equal(lg_elf_load(x->vm, &x->mem, img, len, 0, 0, &k), err);
	if (err) {
		assert_true(mem_untouched(x));
		if (msg && !strstr(lg_vm_last_error(x->vm), msg))
			fail_msg("error '%s' does not mention '%s'", lg_vm_last_error(x->vm), msg);
	}
}

static void good_kernel_loads(void **state)
{
	struct ctx *x = *state;
	struct lg_kernel k;
	size_t len;
	uint8_t *img = eg_good_kernel(&len);

	assert_int_equal(lg_elf_load(x->vm, &x->mem, img, len, 0, 0, &k), 0);
	assert_int_equal(k.entry, EG_ENTRY);
	assert_int_equal(k.lo, EG_KBASE);
	assert_int_equal(k.hi, EG_KBASE + 0x3000);
	/* File bytes copied, the rest of memsz zeroed, nothing beyond touched. */
	assert_int_equal(x->mem.base[EG_KBASE], 0x90);
	assert_int_equal(x->mem.base[EG_KBASE + 0x1fff], 0x90);
	assert_int_equal(x->mem.base[EG_KBASE + 0x2000], 0);
	assert_int_equal(x->mem.base[EG_KBASE + 0x2fff], 0);
	assert_int_equal(x->mem.base[EG_KBASE + 0x3000], 0x5a);
	assert_int_equal(x->mem.base[EG_KBASE - 1], 0x5a);
	free(img);
}

static void not_elf_is_refused(void **state)
{
	struct ctx *x = *state;
	const uint8_t junk[] = "MZ\x90\x00 this is a bzImage, honest";
	uint8_t elf32[64] = { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, 1 };
	uint8_t be[64] = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2MSB, 1 };

	expect(x, junk, sizeof(junk), -ENOEXEC, "not an ELF");
	expect(x, junk, 0, -ENOEXEC, "not an ELF");
	expect(x, elf32, sizeof(elf32), -ENOEXEC, "64-bit");
	expect(x, be, sizeof(be), -ENOEXEC, "64-bit");
}

static void truncated_files_are_refused(void **state)
{
	struct ctx *x = *state;
	size_t len;
	uint8_t *img = eg_good_kernel(&len);

	/* Every cut shorter than the whole: the header, phdrs, notes or data are missing. */
	for (size_t cut = 1; cut < len; cut += cut < 256 ? 1 : 509) {
		struct lg_kernel k;

		assert_int_not_equal(lg_elf_load(x->vm, &x->mem, img, cut, 0, 0, &k), 0);
		assert_true(mem_untouched(x));
	}
	free(img);
}

static void wrong_machine_is_refused(void **state)
{
	struct ctx *x = *state;
	size_t len;
	uint8_t *img = eg_good_kernel(&len);

	((Elf64_Ehdr *)img)->e_machine = EM_AARCH64;
	expect(x, img, len, -ENOEXEC, "x86-64");
	((Elf64_Ehdr *)img)->e_machine = EM_X86_64;
	((Elf64_Ehdr *)img)->e_type = ET_DYN;
	expect(x, img, len, -ENOEXEC, "x86-64");
	free(img);
}

static const uint64_t good_entry = EG_ENTRY;

static void overlapping_segments_are_refused(void **state)
{
	struct ctx *x = *state;
	struct eg_seg s[2] = {
		{ .paddr = EG_KBASE, .vaddr = EG_KVIRT, .filesz = 0x2000, .memsz = 0x2000,
		  .flags = PF_R | PF_X },
		{ .paddr = EG_KBASE + 0x1000, .vaddr = EG_KVIRT + 0x1000, .filesz = 0x100,
		  .memsz = 0x2000, .flags = PF_R | PF_W },
	};
	struct eg_note n = { "Lguest", LG_NOTE_ENTRY, &good_entry, 8 };
	size_t len;
	uint8_t *img = eg_build(&len, s, 2, &n, 1);

	expect(x, img, len, -ENOEXEC, "overlaps");
	free(img);
}

static void out_of_range_segments_are_refused(void **state)
{
	struct ctx *x = *state;
	const uint64_t bad_paddr[] = { MEM - 0x1000, MEM, ~0ULL - 0xfff, 1ULL << 63 };
	struct eg_note n = { "Lguest", LG_NOTE_ENTRY, &good_entry, 8 };

	for (unsigned int i = 0; i < 4; i++) {
		struct eg_seg s = { .paddr = bad_paddr[i], .vaddr = EG_KVIRT, .filesz = 0x100,
				    .memsz = 0x2000, .flags = PF_R | PF_X };
		size_t len;
		uint8_t *img = eg_build(&len, &s, 1, &n, 1);

		expect(x, img, len, -E2BIG, "does not fit");
		free(img);
	}
}

static void segment_in_boot_area_is_refused(void **state)
{
	struct ctx *x = *state;
	struct eg_seg s = { .paddr = 0x1000, .vaddr = LG_KERNEL_MAP + 0x1000, .filesz = 0x100,
			    .memsz = 0x100, .flags = PF_R | PF_X };
	struct eg_note n = { "Lguest", LG_NOTE_ENTRY, &good_entry, 8 };
	size_t len;
	uint8_t *img = eg_build(&len, &s, 1, &n, 1);

	expect(x, img, len, -ENOEXEC, "boot data");
	free(img);
}

static void filesz_above_memsz_is_refused(void **state)
{
	struct ctx *x = *state;
	struct eg_seg s = { .paddr = EG_KBASE, .vaddr = EG_KVIRT, .filesz = 0x200, .memsz = 0x100,
			    .flags = PF_R | PF_X };
	struct eg_note n = { "Lguest", LG_NOTE_ENTRY, &good_entry, 8 };
	size_t len;
	uint8_t *img = eg_build(&len, &s, 1, &n, 1);

	expect(x, img, len, -ENOEXEC, "file size");
	free(img);
}

static void segment_past_file_end_is_refused(void **state)
{
	struct ctx *x = *state;
	size_t len;
	uint8_t *img = eg_good_kernel(&len);
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr));

	ph[0].p_offset = len - 0x100;	/* 0x2000 bytes from 0x100 before the end */
	expect(x, img, len, -ENOEXEC, "beyond the file");
	ph[0].p_offset = ~0ULL - 0x10;	/* and with an overflowing offset */
	expect(x, img, len, -ENOEXEC, "beyond the file");
	free(img);
}

static void missing_note_is_refused(void **state)
{
	struct ctx *x = *state;
	struct eg_seg s = { .paddr = EG_KBASE, .vaddr = EG_KVIRT, .filesz = 0x100, .memsz = 0x100,
			    .flags = PF_R | PF_X };
	struct eg_note other = { "Xen", 18, &good_entry, 8 };
	size_t len;
	uint8_t *img = eg_build(&len, &s, 1, NULL, 0);

	expect(x, img, len, -ENOEXEC, "not an lguest-capable kernel");
	free(img);
	img = eg_build(&len, &s, 1, &other, 1);
	expect(x, img, len, -ENOEXEC, "not an lguest-capable kernel");
	free(img);
}

static void bad_notes_are_refused(void **state)
{
	struct ctx *x = *state;
	struct eg_seg s = { .paddr = EG_KBASE, .vaddr = EG_KVIRT, .filesz = 0x200, .memsz = 0x200,
			    .flags = PF_R | PF_X };
	const uint32_t abi_bad = 99;
	struct eg_note short_entry = { "Lguest", LG_NOTE_ENTRY, &good_entry, 4 };
	struct eg_note two[2] = { { "Lguest", LG_NOTE_ENTRY, &good_entry, 8 },
				  { "Lguest", LG_NOTE_ENTRY, &good_entry, 8 } };
	struct eg_note wrong_abi[2] = { { "Lguest", LG_NOTE_ENTRY, &good_entry, 8 },
					{ "Lguest", LG_NOTE_ABI, &abi_bad, 4 } };
	size_t len;
	uint8_t *img;

	img = eg_build(&len, &s, 1, &short_entry, 1);
	expect(x, img, len, -ENOEXEC, "not 8");
	free(img);
	img = eg_build(&len, &s, 1, two, 2);
	expect(x, img, len, -ENOEXEC, "two lguest entry notes");
	free(img);
	img = eg_build(&len, &s, 1, wrong_abi, 2);
	expect(x, img, len, -ENOEXEC, "ABI 99");
	free(img);

	/* A note whose size runs past its segment. */
	img = eg_build(&len, &s, 1, &two[0], 1);
	((Elf64_Nhdr *)(img + sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr)))->n_descsz = 0x10000;
	expect(x, img, len, -ENOEXEC, NULL);
	free(img);
}

static void entry_outside_code_is_refused(void **state)
{
	struct ctx *x = *state;
	struct eg_seg s[2] = {
		{ .paddr = EG_KBASE, .vaddr = EG_KVIRT, .filesz = 0x100, .memsz = 0x100,
		  .flags = PF_R | PF_X },
		{ .paddr = EG_KBASE + 0x1000, .vaddr = EG_KVIRT + 0x1000, .filesz = 0x100,
		  .memsz = 0x100, .flags = PF_R | PF_W },
	};
	const uint64_t bad[] = {
		EG_KVIRT + 0x1000,	/* in a data segment */
		EG_KVIRT + 0x200,	/* past the text segment */
		0x1000000,		/* a physical address, as e_entry is */
		0xffff800000000000ULL,	/* the hypervisor hole */
	};

	for (unsigned int i = 0; i < 4; i++) {
		struct eg_note n = { "Lguest", LG_NOTE_ENTRY, &bad[i], 8 };
		size_t len;
		uint8_t *img = eg_build(&len, s, 2, &n, 1);

		expect(x, img, len, -ENOEXEC, "entry point");
		free(img);
	}
}

static void entry_through_direct_map_is_accepted(void **state)
{
	struct ctx *x = *state;
	const uint64_t e = LG_DIRECT_MAP + EG_KBASE + 0x10;
	struct eg_seg s = { .paddr = EG_KBASE, .vaddr = LG_DIRECT_MAP + EG_KBASE, .filesz = 0x100,
			    .memsz = 0x100, .flags = PF_R | PF_X };
	struct eg_note n = { "Lguest", LG_NOTE_ENTRY, &e, 8 };
	struct lg_kernel k;
	size_t len;
	uint8_t *img = eg_build(&len, &s, 1, &n, 1);

	assert_int_equal(lg_elf_load(x->vm, &x->mem, img, len, 0, 0, &k), 0);
	assert_int_equal(k.entry, e);
	free(img);
}

static void initrd_overlap_is_refused(void **state)
{
	struct ctx *x = *state;
	struct lg_kernel k;
	size_t len;
	uint8_t *img = eg_good_kernel(&len);

	assert_int_equal(lg_elf_load(x->vm, &x->mem, img, len, EG_KBASE + 0x2000,
				     EG_KBASE + 0x100000, &k), -E2BIG);
	assert_true(mem_untouched(x));
	free(img);
}

static void too_many_phdrs_are_refused(void **state)
{
	struct ctx *x = *state;
	size_t len;
	uint8_t *img = eg_good_kernel(&len);

	((Elf64_Ehdr *)img)->e_phnum = 0;
	expect(x, img, len, -ENOEXEC, "program headers");
	((Elf64_Ehdr *)img)->e_phnum = 1000;
	expect(x, img, len, -ENOEXEC, NULL);
	free(img);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(good_kernel_loads),
		T(not_elf_is_refused),
		T(truncated_files_are_refused),
		T(wrong_machine_is_refused),
		T(overlapping_segments_are_refused),
		T(out_of_range_segments_are_refused),
		T(segment_in_boot_area_is_refused),
		T(filesz_above_memsz_is_refused),
		T(segment_past_file_end_is_refused),
		T(missing_note_is_refused),
		T(bad_notes_are_refused),
		T(entry_outside_code_is_refused),
		T(entry_through_direct_map_is_accepted),
		T(initrd_overlap_is_refused),
		T(too_many_phdrs_are_refused),
	};

	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
