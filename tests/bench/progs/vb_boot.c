// SPDX-License-Identifier: GPL-2.0
/*
 * A throwaway machine's cost: vb_boot KEY REPS COMMAND [ARGS...] runs
 * COMMAND REPS times, one after another, and reports the wall time of
 * each, start to exit, in milliseconds: "lguestctl run -- /bin/true",
 * a QEMU or UML guest that runs /bin/true and powers off, or natively
 * just /bin/true.  The command must exit 0 each time, or with the
 * status "-s STATUS" (before KEY) names.
 *
 * As PID 1 it is that guest's init: it runs /bin/true and powers off.
 * In QEMU it first says how it went on the isa-debug-exit port, since
 * QEMU -no-reboot exits 0 after a guest's panic too: writing V there
 * makes QEMU exit with (V << 1) | 1, so 85 after BOOT_OK.
 */
#include <sys/io.h>
#include <sys/reboot.h>
#include <sys/wait.h>

#include "bench.h"

static int run(char **argv)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		vb_die("fork");
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		vb_die("waitpid");
	return st;
}

#define DEBUG_EXIT_PORT 0xf4
#define BOOT_OK 42

static int guest_init(void)
{
	char *argv[] = { "/bin/true", NULL };
	int st = run(argv);

	if (st)
		printf("VBFAIL boot_true: /bin/true in the guest: wait status %#x\n", st);
	fflush(stdout);
	if (!st && ioperm(DEBUG_EXIT_PORT, 1, 1) == 0)
		outb(BOOT_OK, DEBUG_EXIT_PORT);
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}

int main(int argc, char **argv)
{
	double v[VB_MAX_REPS];
	long unused = 0;
	int reps = 1, want = 0;

	if (getpid() == 1)
		return guest_init();
	if (argc > 2 && !strcmp(argv[1], "-s")) {
		want = (int)vb_num(argv[2], "status", 0, 255);
		argc -= 2;
		argv += 2;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: vb_boot [-s STATUS] KEY REPS COMMAND [ARGS...]\n");
		return 2;
	}
	vb_args(1, argv, 1, &reps, &unused);	/* the clock only */
	reps = (int)vb_num(argv[2], "reps", 1, VB_MAX_REPS);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = vb_now_ns();
		int st = run(argv + 3);

		if (!WIFEXITED(st) || WEXITSTATUS(st) != want) {
			printf("VBFAIL %s: %s: wait status %#x, not exit status %d\n", argv[1], argv[3],
			       st, want);
			return 1;
		}
		v[r] = (double)(vb_now_ns() - t0) / 1e6;
	}
	vb_report(argv[1], "ms", v, reps);
	return 0;
}
