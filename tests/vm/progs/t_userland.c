// SPDX-License-Identifier: GPL-2.0
/*
 * A Debian user land in the Linux guest, run exactly as a user would:
 *
 *   lguestctl run --mem 128 --disk linux-userland.img vmlinux root=/dev/vda rw lgt=WHAT
 *
 * The image (tests/lib/mkrootfs.sh) holds busybox-static, stress-ng with
 * its libraries, the battery (tests/guests/linux/battery.c) and an init
 * script (tests/guests/linux/rootfs-init) that does what lgt= says:
 *
 *   battery        the battery's checks, each relayed here as an LGTEST
 *                  line; its clock is also set against ours
 *   persist-write  write and fsync a file, power off; persist-check, on a
 *                  second boot of the same image, reads it back
 *   stress         stress-ng's cpu, vm, fork, pipe, switch and syscall
 *                  stressors, 3 s each
 *   reboot         reboot -f: lguestctl exits 6, "asked to reboot"
 *   panic          echo c >/proc/sysrq-trigger: lguestctl exits 3 with
 *                  the panic on stderr
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lgtest.h"

#define IMG	"/tests/linux-userland.img"
#define NCLOCK	9	/* LGCLOCK lines from the battery, 250 ms apart */

struct run {
	char out[1 << 18];	/* lguestctl's stdout and stderr, the console */
	size_t len;
	int status;		/* lguestctl's wait status, -1 if it timed out */
	double start, up;	/* our clock: start, "user space up" line seen */
	double host_clock[NCLOCK];	/* our clock when each LGCLOCK line arrived */
	unsigned long long guest_clock[NCLOCK];
	int nclock;
};

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Note when each interesting line arrived, as it arrives. */
static void saw_line(struct run *r, const char *line)
{
	unsigned long long g;

	if (!r->up && !strncmp(line, "lguest-rootfs: user space up", 28))
		r->up = mono();
	if (r->nclock < NCLOCK && sscanf(line, "LGCLOCK %llu", &g) == 1) {
		r->host_clock[r->nclock] = mono();
		r->guest_clock[r->nclock++] = g;
	}
}

/* Boot the image with lgt=WHAT (and EXTRA) and collect everything it says. */
static void boot(struct run *r, const char *what, const char *extra, int limit)
{
	char lgt[64];
	size_t scanned = 0;
	int p[2];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	snprintf(lgt, sizeof(lgt), "lgt=%s", what);
	if (pipe(p))
		return;
	r->start = mono();
	pid = fork();
	if (pid == 0) {
		int i = open("/dev/null", O_RDONLY);

		dup2(i, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execl("/tests/lguestctl", "lguestctl", "run", "--mem", "128", "--disk", IMG,
		      "/tests/vmlinux", "root=/dev/vda", "rw", lgt, extra, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		int left = (int)((r->start + limit - mono()) * 1000);
		ssize_t n;
		char *nl;

		if (left <= 0 || poll(&pf, 1, left) <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			printf("t_userland: lgt=%s: no end after %d s\n", what, limit);
			return;
		}
		n = read(p[0], r->out + r->len, sizeof(r->out) - 1 - r->len);
		if (n <= 0)
			break;
		r->len += (size_t)n;
		r->out[r->len] = '\0';
		while ((nl = strchr(r->out + scanned, '\n'))) {
			*nl = '\0';
			saw_line(r, r->out + scanned);
			*nl = '\n';
			scanned = (size_t)(nl - r->out) + 1;
		}
	}
	close(p[0]);
	waitpid(pid, &r->status, 0);
	printf("t_userland: lgt=%s took %.1f s\n", what, mono() - r->start);
}

/* The guest kernel complained: a warning or an oops is a failure too. */
static const char *complaint(const struct run *r)
{
	static const char *const bad[] = { "WARNING:", "BUG:", "Oops", "Call Trace",
					   "Kernel panic" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(r->out, bad[i]))
			return bad[i];
	return NULL;
}

/* What lguestctl said, for a failure's diagnosis. */
static void show(const struct run *r, const char *what)
{
	printf("---- lgt=%s: lguestctl status %#x, output ----\n%s\n----\n", what, r->status,
	       r->out);
}

static void clean(const struct run *r, const char *what)
{
	char name[96];
	const char *c = complaint(r);

	snprintf(name, sizeof(name), "userland: lgt=%s: the guest kernel log is clean", what);
	CHECK(!c, name, "'%s' on the guest console", c);
	if (c)
		show(r, what);
}

static int exited(const struct run *r, int code)
{
	return r->status != -1 && WIFEXITED(r->status) && WEXITSTATUS(r->status) == code;
}

/* Relay the battery's "BATTERY PASS|FAIL check[: why]" lines. */
static int relay(const struct run *r, const char *prefix)
{
	const char *s = r->out;
	int n = 0, done = -1;

	while ((s = strstr(s, "BATTERY "))) {
		const char *e = strchr(s, '\n');
		int len = e ? (int)(e - s) : (int)strlen(s);

		if (!strncmp(s, "BATTERY PASS ", 13)) {
			printf("LGTEST PASS %s%.*s\n", prefix, len - 13, s + 13);
			n++;
		} else if (!strncmp(s, "BATTERY FAIL ", 13)) {
			printf("LGTEST FAIL %s%.*s\n", prefix, len - 13, s + 13);
			lgtest_failed++;
			n++;
		} else {
			sscanf(s, "BATTERY DONE %d", &done);
		}
		s += len;
	}
	return n == done ? n : -1;
}

static void battery(void)
{
	static struct run r;
	int n;

	boot(&r, "battery", NULL, 150);
	n = relay(&r, "userland: ");
	CHECK(n > 0 && exited(&r, 0) && strstr(r.out, "battery exit status 0"),
	      "userland: the battery runs to its end in the guest and lguestctl exits 0",
	      "%d checks relayed, status %#x", n, r.status);
	if (lgtest_failed)
		show(&r, "battery");
	clean(&r, "battery");
	if (r.up > 0)
		printf("t_userland: guest boot to user space: %.2f s (our clock)\n",
		       r.up - r.start);

	/*
	 * The guest's clock against ours over 2 s: each line's offset (our
	 * arrival time less the guest's reading) can only grow by a late
	 * arrival, so the least of the first three against the least of the
	 * last three is the drift.
	 */
	if (r.nclock == NCLOCK) {
		double early = 1e9, late = 1e9, g, h;

		for (int i = 0; i < NCLOCK; i++) {
			double off = r.host_clock[i] - (double)r.guest_clock[i] / 1e9;

			if (i < 3 && off < early)
				early = off;
			if (i >= NCLOCK - 3 && off < late)
				late = off;
		}
		g = (double)(r.guest_clock[NCLOCK - 1] - r.guest_clock[0]) / 1e9;
		h = r.host_clock[NCLOCK - 1] - r.host_clock[0];
		printf("t_userland: guest clock %.3f s, ours %.3f s, drift %+.3f s\n", g, h,
		       early - late);
		CHECK(g >= 2.0 && early - late < 0.3 && late - early < 0.3,
		      "userland: the guest's CLOCK_MONOTONIC keeps pace with the host's over 2 s",
		      "guest %.3f s, host %.3f s between first and last line, drift %+.3f s",
		      g, h, early - late);
	} else {
		CHECK(0, "userland: the guest's CLOCK_MONOTONIC keeps pace with the host's over 2 s",
		      "%d LGCLOCK lines, want %d", r.nclock, NCLOCK);
	}
}

static void persistence(void)
{
	static struct run r;
	char token[64], extra[80];

	snprintf(token, sizeof(token), "lguest-%ld-%d", (long)time(NULL), getpid());
	snprintf(extra, sizeof(extra), "lgtoken=%s", token);
	boot(&r, "persist-write", extra, 60);
	CHECK(relay(&r, "userland: ") > 0 && exited(&r, 0),
	      "userland: ext4: the writing boot powers off cleanly", "status %#x", r.status);
	if (!exited(&r, 0))
		show(&r, "persist-write");
	clean(&r, "persist-write");
	boot(&r, "persist-check", extra, 60);
	CHECK(relay(&r, "userland: ") > 0 && exited(&r, 0),
	      "userland: ext4: a second lguestctl run on the same image reads the file back",
	      "status %#x", r.status);
	if (!exited(&r, 0))
		show(&r, "persist-check");
	clean(&r, "persist-check");
}

static void stress(void)
{
	static const char *const stressors[] = { "cpu", "vm", "fork", "pipe", "switch", "syscall" };
	static struct run r;
	char name[96], want[64], row[32];
	int bad = 0;

	boot(&r, "stress", NULL, 120);
	for (size_t i = 0; i < sizeof(stressors) / sizeof(stressors[0]); i++) {
		const char *ok, *m;
		unsigned long ops = 0;

		snprintf(name, sizeof(name), "userland: stress-ng --%s 1 --timeout 3s", stressors[i]);
		snprintf(want, sizeof(want), "stress-ng --%s exit status 0", stressors[i]);
		/* Its metrics row: "stress-ng: metrc: [pid] cpu    943  1.00 ..." */
		snprintf(row, sizeof(row), "] %s ", stressors[i]);
		m = strstr(r.out, row);
		if (m)
			sscanf(m + strlen(row), "%lu", &ops);
		ok = strstr(r.out, want);
		bad += !ok || !ops;
		CHECK(ok && ops > 0, name, "%s, %lu bogo ops", ok ? "exit status 0" :
		      "no 'exit status 0'", ops);
	}
	CHECK(!strstr(r.out, "stress-ng: fail:") && !strstr(r.out, "stress-ng: error:"),
	      "userland: stress-ng reports no failure or error", "see its output");
	CHECK(exited(&r, 0), "userland: the stress boot powers off cleanly", "status %#x",
	      r.status);
	if (bad || !exited(&r, 0) || strstr(r.out, "stress-ng: fail:") ||
	    strstr(r.out, "stress-ng: error:"))
		show(&r, "stress");
	clean(&r, "stress");
}

static void endings(void)
{
	static struct run r;

	boot(&r, "reboot", NULL, 60);
	CHECK(exited(&r, 6) && strstr(r.out, "lguestctl: guest asked to reboot"),
	      "userland: reboot -f in the guest: lguestctl exits 6 and says so",
	      "status %#x", r.status);
	if (!exited(&r, 6))
		show(&r, "reboot");
	clean(&r, "reboot");

	boot(&r, "panic", NULL, 60);
	CHECK(exited(&r, 3) && strstr(r.out, "lguestctl: guest panicked") &&
	      strstr(r.out, "sysrq triggered crash"),
	      "userland: a guest panic: lguestctl exits 3 with the panic on its stderr",
	      "status %#x", r.status);
	if (!exited(&r, 3) || !strstr(r.out, "sysrq triggered crash"))
		show(&r, "panic");
}

int main(int argc, char **argv)
{
	if (access("/tests/vmlinux", R_OK) || access(IMG, R_OK)) {
		printf("LGTEST SKIP userland: no /tests/vmlinux or %s in this initramfs\n", IMG);
		return 0;
	}
	/* t_userland [battery|persist|stress|endings]: one part, for debugging. */
	if (argc < 2 || !strcmp(argv[1], "battery"))
		battery();
	if (argc < 2 || !strcmp(argv[1], "persist"))
		persistence();
	if (argc < 2 || !strcmp(argv[1], "stress"))
		stress();
	if (argc < 2 || !strcmp(argv[1], "endings"))
		endings();
	return lgtest_failed;
}
