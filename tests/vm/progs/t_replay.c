// SPDX-License-Identifier: GPL-2.0
/*
 * A host interrupt that arrives while a guest runs is taken by the
 * Switcher and replayed by the host afterwards (module/switch.c).  Until
 * the replay, the interrupt is "in service" in this CPU's local APIC,
 * which blocks every interrupt of its priority or lower; the replayed
 * handler's EOI ends that.  So the replay must happen on the CPU the
 * interrupt arrived on: replayed on another (the launcher preempted and
 * moved between the exit and the replay), the first CPU's timer stays
 * blocked, and with it its scheduler, for as long as nobody else sends it
 * an EOI; the host reports a soft lockup, or hangs.
 *
 * Here launchers of spinning guests are moved between CPUs, hundreds of
 * times a second, as sched_setaffinity() moves a running task: the
 * stopper thread preempts it, which interrupts the guest.  Every CPU's
 * local timer must keep ticking throughout, and every guest keep running.
 */
#include <sched.h>
#include <signal.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <time.h>

#include "flatguest.h"
#include "lgtest.h"

#define NGUESTS		3
#define SECONDS		5
#define SAMPLE_MS	250
#define MAXCPU		64

static void on_usr1(int sig)
{
	(void)sig;
}

/* Each CPU's local timer interrupt count ("LOC:" in /proc/interrupts). */
static int timer_counts(long long *count, int ncpu)
{
	char line[4096];
	FILE *f = fopen("/proc/interrupts", "r");
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		while (*p == ' ')
			p++;
		if (strncmp(p, "LOC:", 4) != 0)
			continue;
		p += 4;
		for (n = 0; n < ncpu; n++) {
			count[n] = strtoll(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		break;
	}
	fclose(f);
	return n == ncpu ? 0 : -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Does the kernel log since our marker mention @what? */
static int log_has(const char *what)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *at, *p;
	int n, found;

	if (size <= 0)
		return 0;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return 0;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	buf[n > 0 ? n : 0] = '\0';
	at = buf;
	for (p = strstr(buf, "LGTEST-REPLAY begin"); p; p = strstr(p + 1, "LGTEST-REPLAY begin"))
		at = p;
	found = strstr(at, what) != NULL;
	free(buf);
	return found;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	long long before[MAXCPU] = { 0 }, last[MAXCPU] = { 0 }, cur[MAXCPU] = { 0 };
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int stalls = 0, stalled_cpu = -1, samples = 0, ended = 0, ok = 1, fd;
	unsigned long moves = 0;
	int turn = 0;
	pid_t child[NGUESTS];
	double t0, next;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ncpu < 2 || ncpu > MAXCPU) {
		printf("LGTEST SKIP replay: needs 2 to %d CPUs, this host has %d\n", MAXCPU, ncpu);
		return 0;
	}
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "LGTEST-REPLAY begin\n", 20) != 20)
			perror("/dev/kmsg");
		close(fd);
	}
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < NGUESTS; i++) {
		child[i] = fork();
		if (child[i] == 0) {
			struct flatguest g = { .fd = -1 };

			if (flatguest_start(&g, "/tests/loop.bin"))
				_exit(2);
			if (ioctl(g.fd, LGUEST_RUN, 0) == -1 && errno == EINTR)
				_exit(0);
			_exit(3);
		}
	}
	sleep(1);
	if (timer_counts(before, ncpu)) {
		printf("LGTEST FAIL replay: cannot read LOC in /proc/interrupts\n");
		ok = 0;
	}
	memcpy(last, before, sizeof(last));
	t0 = now();
	next = t0 + SAMPLE_MS / 1000.0;
	while (ok && now() < t0 + SECONDS) {
		/* Spread over all CPUs, so that each keeps a guest (and its tick). */
		for (int i = 0; i < NGUESTS; i++) {
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET((turn + i) % ncpu, &one);
			if (!sched_setaffinity(child[i], sizeof(one), &one))
				moves++;
		}
		turn++;
		usleep(1000);
		if (now() < next)
			continue;
		next = now() + SAMPLE_MS / 1000.0;
		if (timer_counts(cur, ncpu))
			break;
		samples++;
		for (int c = 0; c < ncpu; c++)
			if (cur[c] == last[c]) {
				stalls++;
				stalled_cpu = c;
			}
		memcpy(last, cur, sizeof(last));
	}
	printf("replay: %lu moves in %d s, %d samples; timer interrupts per CPU:", moves, SECONDS,
	       samples);
	for (int c = 0; c < ncpu; c++)
		printf(" %lld", last[c] - before[c]);
	printf("\n");
	CHECK(ok && samples >= SECONDS * 1000 / SAMPLE_MS / 2 && moves > 100,
	      "replay: spinning guests' launchers moved between CPUs",
	      "%lu moves, %d samples", moves, samples);
	CHECK(ok && stalls == 0, "replay: every CPU's timer ticks while its guests are moved away",
	      "%d %d ms windows without a timer interrupt (last on cpu %d)", stalls, SAMPLE_MS,
	      stalled_cpu);
	CHECK(!log_has("No irq handler") && !log_has("soft lockup"),
	      "replay: no interrupt was replayed where it has no handler",
	      "the kernel log says \"No irq handler\" or \"soft lockup\"");
	for (int i = 0; i < NGUESTS; i++) {
		int status = 0;

		kill(child[i], SIGUSR1);
		waitpid(child[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("replay: launcher %d: status %#x\n", i, status);
			ended++;
		}
	}
	CHECK(ended == 0, "replay: every guest ran until a signal got it out",
	      "%d of %d launchers ended otherwise", ended, NGUESTS);
	return lgtest_failed;
}
