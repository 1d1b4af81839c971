// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's life from the launcher's side: guests come and go without
 * leaking, the launcher may change CPUs between runs, a signal interrupts
 * LGUEST_RUN with EINTR, SIGKILL ends a launcher whose guest never
 * yields, and lg.ko stays loaded while any guest exists (then unloads and
 * loads again, as the init script loaded it).
 */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
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
		if (!flatguest_hello_step(&g))
			break;
	}
	ok = flatguest_powered_off(&g);
	close(g.fd);
	munmap(g.run, 4096);
	munmap(g.mem, FG_MEM);
	return ok;
}

/* Runs @g (hello.bin) on to its poweroff: 1 if it got there. */
static int run_to_poweroff(struct flatguest *g)
{
	for (int i = 0; i < 100 && flatguest_hello_step(g); i++)
		;
	return flatguest_powered_off(g);
}

/* rmmod lg, as rmmod does it: never wait for the users to go. */
static long unload_lg(void)
{
	return syscall(SYS_delete_module, "lg", O_NONBLOCK);
}

static long load_lg(void)
{
	int fd = open("/lib/lg.ko", O_RDONLY | O_CLOEXEC);
	long ret = syscall(SYS_finit_module, fd, "", 0);

	close(fd);
	return ret;
}

/* An unload that must be refused; should it happen, load lg.ko again. */
static void unload_refused(const char *check)
{
	long ret = unload_lg();
	int err = errno;

	CHECK(ret == -1 && err == EWOULDBLOCK, check, "delete_module returned %ld errno %d (%s)",
	      ret, err, strerror(err));
	if (ret == 0)
		load_lg();	/* for the tests after this one */
}

/*
 * Every open file of /dev/lguest, and every mapping of its run page,
 * holds lg.ko: the Switcher and the guest's state live there.
 */
static void unload_while_guest(void)
{
	struct flatguest g = { .fd = -1 };
	long ret;
	int err;

	CHECK(flatguest_start(&g, "/tests/hello.bin") == 0,
	      "lifecycle: a guest for the unload checks starts", "%s", strerror(errno));
	if (g.run == MAP_FAILED)
		return;
	unload_refused("lifecycle: lg.ko cannot be unloaded while a guest exists");
	CHECK(access("/dev/lguest", F_OK) == 0 && run_to_poweroff(&g),
	      "lifecycle: the guest runs to poweroff after the refused unload", "exit %u",
	      g.run->exit_reason);

	close(g.fd);
	unload_refused("lifecycle: nor while only the closed guest's run page is mapped");
	munmap(g.run, 4096);
	munmap(g.mem, FG_MEM);

	ret = unload_lg();
	err = errno;
	CHECK(ret == 0 && access("/dev/lguest", F_OK) == -1 && errno == ENOENT,
	      "lifecycle: lg.ko unloads once the last guest is gone",
	      "delete_module returned %ld errno %d (%s)", ret, err, strerror(err));
	ret = load_lg();
	err = errno;
	CHECK(ret == 0 && run_hello(0), "lifecycle: lg.ko loads again and runs a guest",
	      "finit_module returned %ld errno %d (%s)", ret, err, strerror(err));
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
	munmap(g.run, 4096);
	munmap(g.mem, FG_MEM);

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

	unload_while_guest();
	return lgtest_failed;
}
