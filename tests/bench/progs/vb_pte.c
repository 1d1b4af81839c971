// SPDX-License-Identifier: GPL-2.0
/*
 * Two PTE updates: mremap() one page between two addresses, back and
 * forth.  Each move clears one PTE and sets another (virtbench's
 * "two PTE updates").
 */
#include <sys/mman.h>

#include "bench.h"

static char *a, *b;

static void moves(long iters)
{
	for (long i = 0; i < iters; i++) {
		char *from = i % 2 ? b : a, *to = i % 2 ? a : b;

		if (mremap(from, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
			vb_die("mremap");
	}
}

int main(int argc, char **argv)
{
	int reps = 5;
	long iters = 2000;

	vb_args(argc, argv, 1, &reps, &iters);
	/* Two pages reserved; the first mapped and present, the second free. */
	a = mmap(NULL, 2UL * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		vb_die("mmap");
	b = a + 4096;
	munmap(b, 4096);
	*a = 1;
	/* An even count leaves the page where it started. */
	vb_run("pte", "ns", 1, reps, iters + iters % 2, moves);
	return 0;
}
