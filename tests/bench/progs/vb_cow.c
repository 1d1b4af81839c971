// SPDX-License-Identifier: GPL-2.0
/*
 * One copy-on-write fault: touch ITERS private pages, fork a child that
 * just waits (so every page is shared), then write one byte to each page
 * in the parent: each write copies one page.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "bench.h"

int main(int argc, char **argv)
{
	int reps = 5;
	long iters = 256;
	double v[VB_MAX_REPS] = { 0 };

	vb_args(argc, argv, 1, &reps, &iters);
	for (int r = 0; r <= reps; r++) {
		long psz = sysconf(_SC_PAGESIZE);
		size_t len = (size_t)(iters * psz);
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int hold[2];
		char c;
		pid_t pid;
		uint64_t t0;

		if (p == MAP_FAILED)
			vb_die("mmap");
		memset(p, 1, len);
		if (pipe(hold))
			vb_die("pipe");
		pid = fork();
		if (pid < 0)
			vb_die("fork");
		if (pid == 0) {
			close(hold[1]);
			(void)!read(hold[0], &c, 1);
			_exit(0);
		}
		if (r)
			vb_mark("cow", "start", 0);
		t0 = vb_now_ns();
		for (long i = 0; i < iters; i++)
			p[i * psz] = 2;
		/* Repetition 0 warms up. */
		if (r) {
			v[r - 1] = (double)(vb_now_ns() - t0) / (double)iters;
			vb_mark("cow", "end", iters);
		}
		close(hold[1]);
		close(hold[0]);
		waitpid(pid, NULL, 0);
		munmap(p, len);
	}
	vb_report("cow", "ns", v, reps);
	return 0;
}
