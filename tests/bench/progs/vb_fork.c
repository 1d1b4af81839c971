// SPDX-License-Identifier: GPL-2.0
/* One fork, the child's exit, and the parent's wait. */
#include <sys/wait.h>

#include "bench.h"

static void forks(long iters)
{
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();

		if (pid < 0)
			vb_die("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid)
			vb_die("waitpid");
	}
}

int main(int argc, char **argv)
{
	int reps = 5;
	long iters = 50;

	vb_args(argc, argv, 1, &reps, &iters);
	vb_run("fork", "us", 1000, reps, iters, forks);
	return 0;
}
