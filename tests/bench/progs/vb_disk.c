// SPDX-License-Identifier: GPL-2.0
/*
 * Disk reads with O_DIRECT, so every read reaches the (virtual) disk:
 * "disk4k", the latency of one 4 KiB read at a random aligned offset,
 * and "disk256k", one 256 KiB read, sequentially through the disk.
 *
 *	vb_disk [-b] DEVICE [reps [4k reads per rep]]
 *
 * -b reads through the page cache instead: only for the smoke test
 * (t_virtbench_smoke), whose VM host has no disk, and whose tmpfs
 * refuses O_DIRECT on older kernels.
 */
#include <fcntl.h>

#include "bench.h"

#define BIG (256L * 1024)

static int fd;
static off_t size;
static char *buf;

static void small_reads(long iters)
{
	static uint64_t seed = 12345;

	for (long i = 0; i < iters; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		off_t off = (off_t)((seed >> 20) % (uint64_t)(size / 4096)) * 4096;

		if (pread(fd, buf, 4096, off) != 4096)
			vb_die("pread 4k");
	}
}

static void big_reads(long iters)
{
	static off_t off;

	for (long i = 0; i < iters; i++) {
		if (off + BIG > size)
			off = 0;
		if (pread(fd, buf, BIG, off) != BIG)
			vb_die("pread 256k");
		off += BIG;
	}
}

int main(int argc, char **argv)
{
	int reps = 5, direct = O_DIRECT;
	long iters = 200;

	if (argc > 1 && !strcmp(argv[1], "-b")) {
		direct = 0;
		argc--;
		argv++;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: vb_disk [-b] DEVICE [reps [reads]]\n");
		return 2;
	}
	vb_args(argc, argv, 2, &reps, &iters);
	fd = open(argv[1], O_RDONLY | direct);
	if (fd < 0)
		vb_die(argv[1]);
	size = lseek(fd, 0, SEEK_END);
	if (size < BIG)
		vb_die("disk smaller than 256 KiB");
	if (posix_memalign((void **)&buf, 4096, BIG))
		vb_die("posix_memalign");
	vb_run("disk4k", "us", 1000, reps, iters, small_reads);
	vb_run("disk256k", "us", 1000, reps, iters / 8 + 1, big_reads);
	return 0;
}
