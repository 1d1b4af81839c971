// SPDX-License-Identifier: GPL-2.0
/*
 * The host kernel's own x86 selftests with a Linux guest running beside
 * them.  lguest's Switcher changes the CPU's world under the host's feet
 * (GDT, IDT, TSS, FS/GS bases, the FPU): the host's own tests of those
 * must not notice.  tests/lib/x86-selftests.sh builds a subset (and says
 * why those) into /tests/x86; its GUEST_ONLY ones, there for t_userland
 * to run in the guest and natively, are left out here (guest_only[]).
 *
 * Each selftest runs twice on CPU 0: once with no guest (the baseline:
 * what this host kernel does under QEMU), then again while a guest runs
 *
 *   lguestctl run --mem 128 --disk path=linux-userland.img,ro=on vmlinux
 *       root=/dev/vda ro lgt=busy
 *
 * pinned to the same CPU, so its world switches interleave with the
 * selftest (five times over: most take a fraction of a second).
 * lgt=busy runs stress-ng (system calls, context switches, page faults,
 * the FPU) with a heartbeat line a second, until stopped.
 * A selftest that passes in the baseline must pass beside the guest; one
 * that fails, skips or hangs in the baseline is reported as a SKIP with
 * what it did.  The guest must have kept running all along, and stop
 * cleanly (SIGTERM: lguestctl exits 5) with a clean console.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lgtest.h"

#define DIR_X86		"/tests/x86"
#define IMG		"/tests/linux-userland.img"
#define GUEST_LOG	"/tmp/kselftest-guest.log"
#define LIMIT		60	/* seconds for one selftest under QEMU */
#define REPEAT		5	/* runs of each beside the guest: more interleaving */
#define MAXT		32

/*
 * x86-selftests.sh's GUEST_ONLY list: sysret_ss_attrs oopses this VM host
 * under QEMU 7.2 with no guest at all, syscall_numbering takes long, and
 * the rest are not what the world switch touches or skip under QEMU.
 */
static const char *const guest_only[] = {
	"syscall_numbering_64", "sysret_ss_attrs_64", "sigaltstack_64", "nx_stack_64",
	"amx_64", "lam_64", "test_shadow_stack_64",
};

static int is_guest_only(const char *name)
{
	for (size_t i = 0; i < sizeof(guest_only) / sizeof(guest_only[0]); i++)
		if (!strcmp(name, guest_only[i]))
			return 1;
	return 0;
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What one run of a selftest did. */
enum verdict { PASSED, SKIPPED, FAILED, HUNG };

static const char *const verdicts[] = { "passes", "skips (exit 4)", "fails", "hangs" };

struct run {
	enum verdict v;
	int status;
	double secs;
};

/* Run /tests/x86/NAME, its output in /tmp/NAME.PHASE; kill it at LIMIT s. */
static struct run selftest(const char *name, const char *phase)
{
	struct run r = { .v = HUNG, .status = -1 };
	char path[128], out[128];
	double start = mono();
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", DIR_X86, name);
	snprintf(out, sizeof(out), "/tmp/%s.%s", name, phase);
	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		setpgid(0, 0);
		execl(path, name, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && mono() - start < LIMIT) {
		if (waitpid(pid, &r.status, WNOHANG) == pid) {
			r.v = WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 ? PASSED :
			      WIFEXITED(r.status) && WEXITSTATUS(r.status) == 4 ? SKIPPED : FAILED;
			break;
		}
		usleep(20000);
	}
	if (r.v == HUNG && pid > 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	r.secs = mono() - start;
	printf("t_kselftest: %s (%s): %s, status %#x, %.1f s\n", name, phase, verdicts[r.v],
	       r.status, r.secs);
	fflush(stdout);
	return r;
}

/* stress-ng's processes in the guest at the last heartbeat. */
static int stressors;

/* Heartbeats in the guest's console log so far. */
static int heartbeats(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(GUEST_LOG, "r");

	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "stress-ng processes: ");

		if (strncmp(line, "lguest-rootfs: busy round", 25) != 0)
			continue;
		n++;
		stressors = p ? atoi(p + 21) : 0;
	}
	if (f)
		fclose(f);
	return n;
}

/* A file's content (the first 256 KiB), for the guest's console. */
static char *slurp(const char *path)
{
	static char buf[1 << 18];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

/* The last line of a selftest's baseline output: what it said at the end. */
static const char *last_line(const char *name)
{
	char path[128], *s, *e;

	snprintf(path, sizeof(path), "/tmp/%s.baseline", name);
	s = slurp(path);
	e = s + strlen(s);
	while (e > s && (e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	while (e > s && e[-1] != '\n')
		e--;
	return *e ? e : "nothing";
}

static pid_t start_guest(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(GUEST_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = open("/dev/null", O_RDONLY);

		if (fd < 0 || in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execl("/tests/lguestctl", "lguestctl", "run", "--mem", "128", "--disk",
		      "path=" IMG ",ro=on", "/tests/vmlinux", "root=/dev/vda", "ro", "lgt=busy",
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	static char *names[MAXT];
	static struct run base[MAXT], beside[MAXT];
	int n = 0, beats0, beats1, status = -1, alive;
	double t0 = mono(), up;
	cpu_set_t cpu0;
	struct dirent *e;
	DIR *d = opendir(DIR_X86);
	pid_t guest;
	const char *log;

	if (!d || access("/tests/vmlinux", R_OK) || access(IMG, R_OK)) {
		printf("LGTEST SKIP kselftest: no %s, /tests/vmlinux or %s in this initramfs\n",
		       DIR_X86, IMG);
		return 0;
	}
	while ((e = readdir(d)) && n < MAXT) {
		if (e->d_name[0] == '.' || is_guest_only(e->d_name))
			continue;
		if (!strcmp(e->d_name, "ldt_gdt_64") && lgtest_ds_prefix_host()) {
			printf("LGTEST SKIP kselftest: ldt_gdt_64: %s\n", LGTEST_DS_BASE_WHY);
			continue;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), by_name);

	/* Everything from here on, the guest included, runs on CPU 0. */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	CHECK(sched_setaffinity(0, sizeof(cpu0), &cpu0) == 0,
	      "kselftest: pinned to CPU 0", "sched_setaffinity: %s", strerror(errno));

	for (int i = 0; i < n; i++)
		base[i] = selftest(names[i], "baseline");
	printf("t_kselftest: baseline took %.1f s\n", mono() - t0);

	/* The guest, busy before the first selftest starts. */
	guest = start_guest();
	up = mono();
	while (heartbeats() < 1 && mono() - up < 120 && waitpid(guest, &status, WNOHANG) == 0)
		usleep(200000);
	beats0 = heartbeats();
	CHECK(beats0 >= 1, "kselftest: a busy Linux guest runs on the same CPU",
	      "no heartbeat from the guest after %.0f s", mono() - up);
	printf("t_kselftest: the guest was busy after %.1f s\n", mono() - up);
	if (beats0 < 1) {
		kill(guest, SIGKILL);
		waitpid(guest, NULL, 0);
		printf("---- guest console ----\n%s\n----\n", slurp(GUEST_LOG));
		return 1;
	}

	t0 = mono();
	for (int i = 0; i < n; i++) {
		/* The first run that does not pass is the one reported. */
		for (int k = 0; k < REPEAT && base[i].v == PASSED; k++) {
			beside[i] = selftest(names[i], "guest");
			if (beside[i].v != PASSED)
				break;
		}
	}
	printf("t_kselftest: beside the guest took %.1f s\n", mono() - t0);
	beats1 = heartbeats();
	alive = waitpid(guest, &status, WNOHANG) == 0;

	kill(guest, SIGTERM);
	waitpid(guest, &status, 0);
	log = slurp(GUEST_LOG);
	CHECK(alive && beats1 > beats0 && stressors > 0,
	      "kselftest: the guest kept running stress-ng through the selftests",
	      "%s, %d heartbeats before, %d after, %d stress-ng processes at the last",
	      alive ? "alive" : "gone", beats0, beats1, stressors);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5,
	      "kselftest: the guest stops on SIGTERM: lguestctl exits 5", "status %#x", status);
	CHECK(!strstr(log, "WARNING:") && !strstr(log, "BUG:") && !strstr(log, "Oops") &&
	      !strstr(log, "Call Trace"), "kselftest: the guest's kernel log is clean",
	      "see its console below");
	if (lgtest_failed)
		printf("---- guest console ----\n%s\n----\n", log);

	for (int i = 0; i < n; i++) {
		char name[128];

		if (base[i].v != PASSED) {
			printf("LGTEST SKIP kselftest: %s: %s on this host kernel without a guest "
			       "(status %#x; it said: %s), so it proves nothing here\n", names[i],
			       verdicts[base[i].v], base[i].status, last_line(names[i]));
			continue;
		}
		snprintf(name, sizeof(name), "kselftest: %s passes %d times beside a busy guest on "
			 "its CPU", names[i], REPEAT);
		CHECK(beside[i].v == PASSED, name, "it %s (status %#x; output in /tmp/%s.guest)",
		      verdicts[beside[i].v], beside[i].status, names[i]);
		if (beside[i].v != PASSED) {
			char out[128];

			snprintf(out, sizeof(out), "/tmp/%s.guest", names[i]);
			printf("---- %s beside the guest ----\n%s\n----\n", names[i], slurp(out));
		}
	}
	return lgtest_failed;
}
