// SPDX-License-Identifier: GPL-2.0
/* mmap 64 MiB, write one byte to every page, munmap. */
#include <sys/mman.h>

#include "bench.h"

#define LEN (64UL << 20)

static void rounds(long iters)
{
	for (long i = 0; i < iters; i++) {
		char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			vb_die("mmap");
		for (size_t off = 0; off < LEN; off += 4096)
			p[off] = 1;
		munmap(p, LEN);
	}
}

int main(int argc, char **argv)
{
	int reps = 5;
	long iters = 1;

	vb_args(argc, argv, 1, &reps, &iters);
	vb_run("mmap64", "ms", 1e6, reps, iters, rounds);
	return 0;
}
