// SPDX-License-Identifier: GPL-2.0
/*
 * Exec: fork, exec this same static binary with "-exit" (which exits at
 * once), wait.  The fork is included; the fork row says what it costs.
 */
#include <sys/wait.h>

#include "bench.h"

static char *self;

static void execs(long iters)
{
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();

		if (pid < 0)
			vb_die("fork");
		if (pid == 0) {
			execl(self, self, "-exit", (char *)NULL);
			_exit(127);
		}
		int st;

		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			vb_die("exec");
	}
}

int main(int argc, char **argv)
{
	int reps = 5;
	long iters = 20;

	if (argc > 1 && !strcmp(argv[1], "-exit"))
		return 0;
	self = argv[0];
	vb_args(argc, argv, 1, &reps, &iters);
	vb_run("exec", "us", 1000, reps, iters, execs);
	return 0;
}
