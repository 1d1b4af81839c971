// SPDX-License-Identifier: GPL-2.0
/* One system call: getpid() through syscall(), so libc cannot cache it. */
#include <sys/syscall.h>

#include "bench.h"

static void getpids(long iters)
{
	for (long i = 0; i < iters; i++)
		syscall(SYS_getpid);
}

int main(int argc, char **argv)
{
	int reps = 5;
	long iters = 10000;

	vb_args(argc, argv, 1, &reps, &iters);
	vb_run("syscall", "ns", 1, reps, iters, getpids);
	return 0;
}
