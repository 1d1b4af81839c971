// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the kernel loader on arbitrary bytes.  Whatever the
 * input, lg_elf_load() must return cleanly, and when it refuses a file it
 * must not have written guest memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define MEM (20ULL << 20)	/* room for a kernel at 16 MiB */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lg_mem mem;
	struct lg_kernel k;
	uint8_t *copy;
	int err;

	if (!mem.base) {
		mem.base = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem.base == MAP_FAILED)
			abort();
		mem.size = MEM;
	}
	/* An exact-size copy, so reading past the input is an ASan error. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	mem.base[LG_BOOT_END - 1] = 0xa5;	/* below where any kernel may go */
	err = lg_elf_load(NULL, &mem, copy, size, 0, 0, &k);
	if (mem.base[LG_BOOT_END - 1] != 0xa5)
		abort();	/* a segment landed in the boot area */
	if (!err && (k.lo < LG_BOOT_END || k.hi > MEM || k.lo >= k.hi))
		abort();	/* accepted something out of bounds */
	free(copy);
	return 0;
}
