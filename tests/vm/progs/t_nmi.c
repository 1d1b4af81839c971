// SPDX-License-Identifier: GPL-2.0
/*
 * An NMI that arrives while a guest runs is taken by the Switcher, which
 * leaves for the host; the host then raises it again with "int $2"
 * (module/replay.S) so that its own NMI handler runs, in kernel mode, as
 * for any NMI.  Here the host asks every CPU for a backtrace by NMI
 * (sysrq l) while a guest spins on CPU 1, until one backtrace of CPU 1
 * shows that path (lg_replay_2).  The guest must keep running.
 *
 * Those backtraces print "Call Trace" on purpose: the console is quieted
 * meanwhile, and tests/vm/init allows that one phrase between the
 * LGTEST-NMI markers (any BUG, WARNING or Oops there still fails).
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <time.h>

#include "flatguest.h"
#include "lgtest.h"

#define GUEST_CPU 1

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	int ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* The kernel log after the last begin marker, NUL-terminated, or NULL. */
static char *log_since_marker(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *at;
	int n;

	if (size <= 0)
		return NULL;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return NULL;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	buf[n > 0 ? n : 0] = '\0';
	at = buf;
	for (char *p = strstr(buf, "LGTEST-NMI begin"); p; p = strstr(p + 1, "LGTEST-NMI begin"))
		at = p;
	memmove(buf, at, strlen(at) + 1);
	return buf;
}

/* Did a backtrace of @cpu come through the replay of a guest-world NMI? */
static int replayed_backtrace(const char *log, int cpu)
{
	char head[64];
	const char *p = log;

	snprintf(head, sizeof(head), "NMI backtrace for cpu %d\n", cpu);
	while ((p = strstr(p, head))) {
		const char *next, *rip;

		p += strlen(head);
		next = strstr(p, "NMI backtrace for cpu");
		rip = strstr(p, "lg_replay_2");
		if (rip && (!next || rip < next))
			return 1;
	}
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	long long before, after;
	int status, attempts, found = 0, console_level;
	char *log = NULL, level[16];
	struct timespec t0, t1;
	FILE *f;
	pid_t child;

	if (sysconf(_SC_NPROCESSORS_ONLN) <= GUEST_CPU) {
		printf("LGTEST SKIP nmi: needs a second CPU\n");
		return 0;
	}
	/* The guest spins on its CPU until SIGUSR1 gets it out with EINTR. */
	sigaction(SIGUSR1, &sa, NULL);
	child = fork();
	if (child == 0) {
		struct flatguest g = { .fd = -1 };

		pin(GUEST_CPU);
		if (flatguest_start(&g, "/tests/loop.bin"))
			_exit(2);
		if (ioctl(g.fd, LGUEST_RUN, 0) == -1 && errno == EINTR)
			_exit(0);
		_exit(3);
	}
	pin(0);
	sleep(1);
	before = lgtest_nmi_count(GUEST_CPU);

	f = fopen("/proc/sys/kernel/printk", "r");
	if (!f || fscanf(f, "%d", &console_level) != 1)
		console_level = 5;
	if (f)
		fclose(f);
	snprintf(level, sizeof(level), "%d", console_level);
	write_file("/proc/sys/kernel/printk", "1");
	write_file("/dev/kmsg", "LGTEST-NMI begin\n");
	/* A CPU that does not answer costs sysrq 10 s: give up after 30. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (attempts = 1; attempts <= 20 && !found; attempts++) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec > 30)
			break;
		write_file("/proc/sysrq-trigger", "l");
		usleep(300000);
		free(log);
		log = log_since_marker();
		found = log && replayed_backtrace(log, GUEST_CPU);
	}
	write_file("/dev/kmsg", "LGTEST-NMI end\n");
	write_file("/proc/sys/kernel/printk", level);
	after = lgtest_nmi_count(GUEST_CPU);

	CHECK(before >= 0 && after > before, "nmi: NMIs reach the guest's CPU",
	      "NMI count of cpu %d: %lld then %lld", GUEST_CPU, before, after);
	CHECK(found, "nmi: an NMI taken while the guest ran reaches the host's own handler",
	      "no backtrace of cpu %d through lg_replay_2 in %d tries", GUEST_CPU, attempts - 1);
	if (found)
		printf("nmi: %d tries\n", attempts - 1);

	kill(child, SIGUSR1);
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "nmi: the guest was still running, and a signal still gets it out",
	      "launcher status %#x", status);
	free(log);
	return lgtest_failed;
}
