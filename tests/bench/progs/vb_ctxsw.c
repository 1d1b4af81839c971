// SPDX-License-Identifier: GPL-2.0
/*
 * Context switch via pipe: two processes pass one byte back and forth,
 * so each round trip is two switches.
 */
#include <signal.h>
#include <sys/wait.h>

#include "bench.h"

static int ping[2], pong[2];

static void round_trips(long iters)
{
	char c = 'x';

	for (long i = 0; i < iters; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			vb_die("pipe");
}

int main(int argc, char **argv)
{
	int reps = 5;
	long iters = 1000;
	char c;
	pid_t pid;

	vb_args(argc, argv, 1, &reps, &iters);
	if (pipe(ping) || pipe(pong))
		vb_die("pipe");
	pid = fork();
	if (pid < 0)
		vb_die("fork");
	if (pid == 0) {
		/* The echo: until the parent closes its end. */
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	/* Two switches per round trip. */
	vb_ops_per_iter = 2;
	vb_run("ctxsw", "ns", 2, reps, iters, round_trips);
	close(ping[1]);
	waitpid(pid, NULL, 0);
	return 0;
}
