// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's life from the launcher's side: guests come and go without
 * leaking, the launcher may change CPUs between runs, a signal interrupts
 * LGUEST_RUN with EINTR, and SIGKILL ends a launcher whose guest never
 * yields.
 */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "flatguest.h"
#include "lgtest.h"

static long mem_available_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Run hello.bin to its poweroff, moving to the other CPU before each run. */
static int run_hello(int migrate)
{
	struct flatguest g = { .fd = -1 };
	int i, cpu = 0, ok;

	if (flatguest_start(&g, "/tests/hello.bin"))
		return 0;
	for (i = 0; i < 100; i++) {
		if (migrate) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			cpu ^= 1;
		}
		if (ioctl(g.fd, LGUEST_RUN, 0))
			break;
		if (g.run->exit_reason == LGUEST_EXIT_MMIO && !g.run->mmio.is_write)
			g.run->mmio.data = 0x55aa55aa;	/* what hello.S expects */
		else if (g.run->exit_reason != LGUEST_EXIT_HCALL &&
			 g.run->exit_reason != LGUEST_EXIT_MMIO)
			break;
	}
	ok = g.run->exit_reason == LGUEST_EXIT_SHUTDOWN &&
	     g.run->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF;
	close(g.fd);
	munmap(g.run, 4096);
	munmap(g.mem, FG_MEM);
	return ok;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct flatguest g = { .fd = -1 };
	struct timespec t0, t1;
	long before, after;
	int i, ok = 1, status;
	pid_t child;

	/* Warm up once, so first-use allocations are not counted as leaks. */
	run_hello(0);
	before = mem_available_kb();
	for (i = 0; i < 200 && ok; i++)
		ok = run_hello(0);
	after = mem_available_kb();
	printf("lifecycle: MemAvailable %ld kB before, %ld kB after 200 guests\n", before, after);
	CHECK(ok, "lifecycle: 200 guests run to poweroff one after another", "guest %d failed", i);
	CHECK(before - after < 4096, "lifecycle: no memory leaked by 200 guests",
	      "MemAvailable fell by %ld kB", before - after);

	CHECK(run_hello(1), "lifecycle: the launcher changes CPU before every run",
	      "the guest did not power off");

	/* A guest that never yields: a signal still gets us out. */
	CHECK(flatguest_start(&g, "/tests/loop.bin") == 0, "lifecycle: spinning guest starts",
	      "%s", strerror(errno));
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	CHECK_ERRNO(ioctl(g.fd, LGUEST_RUN, 0), EINTR,
		    "lifecycle: a signal interrupts a spinning guest with EINTR");
	close(g.fd);

	/* SIGKILL ends a launcher whose guest spins, promptly. */
	child = fork();
	if (child == 0) {
		struct flatguest c = { .fd = -1 };

		if (flatguest_start(&c, "/tests/loop.bin") == 0)
			ioctl(c.fd, LGUEST_RUN, 0);
		_exit(1);
	}
	sleep(1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && t1.tv_sec - t0.tv_sec < 5,
	      "lifecycle: SIGKILL ends a launcher whose guest never yields",
	      "status %#x after %lds", status, (long)(t1.tv_sec - t0.tv_sec));
	return lgtest_failed;
}
