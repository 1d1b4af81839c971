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
 *                  line; its clock is also set against ours, and its
 *                  vector-register check must have covered every width
 *                  this CPU has (xmm, ymm with AVX, zmm with AVX-512)
 *   pipeline       thousands of byte-exact "echo | tee | cat" pipelines
 *                  through Debian's dynamically linked bash and coreutils
 *                  (glibc's AVX2 string functions)
 *   system         what systemd and container engines ask of the kernel
 *                  (tests/guests/linux/system-check): unshare's
 *                  namespaces, cgroup v2, overlayfs, seccomp, io_uring,
 *                  BPF, keys, message queues
 *   distro         not this image: a Debian 12 root (tests/lib/mkdistro.sh)
 *                  booted with systemd as PID 1, a podman container on a
 *                  bridge, gcc, python3 and fio in it
 *   persist-write  write and fsync a file, power off; persist-check, on a
 *                  second boot of the same image, reads it back
 *   stress         stress-ng's cpu, vm, fork, pipe, switch and syscall
 *                  stressors, 3 s each
 *   reboot         reboot -f: lguestctl exits 6, "asked to reboot"
 *   panic          echo c >/proc/sysrq-trigger: lguestctl exits 3 with
 *                  the panic on stderr
 *   hostile        hostile user space (tests/guests/linux/hostile.c):
 *                  privileged instructions, every selector, random code
 *                  and wild system calls from processes of nobody
 *   up             boot and power off: a fresh guest after the attacks
 *   kselftest      Linux's x86 selftests (tests/lib/x86-selftests.sh), as
 *                  nobody but iopl and ioperm; each result compared with
 *                  the same binary run the same way here, natively, and
 *                  each intended difference (docs/guest.md) checked to be
 *                  exactly that
 */
#include <cpuid.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lgtest.h"
#include "x86selftest.h"

#define IMG	"/tests/linux-userland.img"
#define NCLOCK	9	/* LGCLOCK lines from the battery, 250 ms apart */
/*
 * A boot that only starts, checks a little and powers off: 5-15 s alone,
 * 40 s beside another VM on a busy machine.  A hang's limit, not a budget.
 */
#define BOOT_LIMIT	180

struct run {
	char out[1 << 18];	/* lguestctl's stdout and stderr, the console */
	size_t len;
	int status;		/* lguestctl's wait status, -1 if it timed out */
	double start, up;	/* our clock: start, "user space up" line seen */
	double init, multiuser;	/* our clock: systemd's welcome, multi-user.target */
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

/* Is WORD on the VM host's command line (tests/stage-vm.sh's matrix)? */
static int on_cmdline(const char *word)
{
	char line[4096];
	FILE *f = fopen("/proc/cmdline", "r");
	int here = 0;

	if (f && fgets(line, sizeof(line), f))
		here = strstr(line, word) != NULL;
	if (f)
		fclose(f);
	return here;
}

/* Note when each interesting line arrived, as it arrives. */
static void saw_line(struct run *r, const char *line)
{
	unsigned long long g;

	if (!r->up && !strncmp(line, "lguest-rootfs: user space up", 28))
		r->up = mono();
	if (!r->init && !strncmp(line, "Welcome to ", 11))
		r->init = mono();
	if (!r->multiuser && strstr(line, "Reached target") && strstr(line, "Multi-User System"))
		r->multiuser = mono();
	if (r->nclock < NCLOCK && sscanf(line, "LGCLOCK %llu", &g) == 1) {
		r->host_clock[r->nclock] = mono();
		r->guest_clock[r->nclock++] = g;
	}
}

/*
 * Run lguestctl with ARGV and collect everything it says; LABEL names the
 * run in our log.  PIN_LAST runs it on the VM host's last CPU.
 */
static void launch(struct run *r, const char *label, char *const argv[], int pin_last, int limit)
{
	size_t scanned = 0;
	int p[2];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
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
		if (pin_last) {
			cpu_set_t last;

			CPU_ZERO(&last);
			CPU_SET(get_nprocs() - 1, &last);
			sched_setaffinity(0, sizeof(last), &last);
		}
		execv("/tests/lguestctl", argv);
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
			printf("t_userland: %s: no end after %d s\n", label, limit);
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
	printf("t_userland: %s took %.1f s\n", label, mono() - r->start);
}

/* Boot the test image with lgt=WHAT (and EXTRA) and collect everything it says. */
static void boot(struct run *r, const char *what, const char *extra, int limit)
{
	char lgt[64];
	char *argv[] = { "lguestctl", "run", "--mem", "128", "--disk", IMG, "/tests/vmlinux",
			 "root=/dev/vda", "rw", lgt, (char *)extra, NULL };

	snprintf(lgt, sizeof(lgt), "lgt=%s", what);
	/*
	 * The battery runs on the VM host's last CPU, whose number
	 * (TSC_AUX) is not 0: its "cpu" checks then see a leak.
	 */
	launch(r, lgt, argv, !strcmp(what, "battery"), limit);
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

/*
 * Relay a guest program's "TAG PASS|FAIL check[: why]" lines (TAG is
 * BATTERY or HOSTILE); the count, or -1 if it differs from "TAG DONE n".
 */
static int relay_tag(const char *out, const char *tag, const char *prefix)
{
	const char *s = out;
	size_t t = strlen(tag);
	int n = 0, done = -1;

	while ((s = strstr(s, tag))) {
		const char *e = strchr(s, '\n');
		int len = e ? (int)(e - s) : (int)strlen(s);

		if (!strncmp(s + t, " PASS ", 6)) {
			printf("LGTEST PASS %s%.*s\n", prefix, len - (int)t - 6, s + t + 6);
			n++;
		} else if (!strncmp(s + t, " FAIL ", 6)) {
			printf("LGTEST FAIL %s%.*s\n", prefix, len - (int)t - 6, s + t + 6);
			lgtest_failed++;
			n++;
		} else if (!strncmp(s + t, " DONE ", 6)) {
			sscanf(s + t + 6, "%d", &done);
		}
		s += len;
	}
	return n == done ? n : -1;
}

/* Echo the guest's "TAG..." information lines (timings, counts) into our log. */
static void echo_lines(const struct run *r, const char *tag)
{
	const char *s = r->out;
	size_t t = strlen(tag);

	while (s && *s) {
		const char *e = strchr(s, '\n');
		int len = e ? (int)(e - s) : (int)strlen(s);

		if (!strncmp(s, tag, t))
			printf("t_userland: guest %.*s\n", len, s);
		s = e ? e + 1 : NULL;
	}
}

static int relay(const struct run *r, const char *prefix)
{
	return relay_tag(r->out, "BATTERY", prefix);
}

/*
 * The vector registers user space has here, which the guest's user space
 * has too (same CPU, same XCR0): the battery's names for them.
 */
static int vector_widths(const char **names)
{
	unsigned int a, b, c, d, lo, hi;
	unsigned long long xcr0;
	int n = 0;

	names[n++] = "xmm0-15";
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return n;
	__asm__ volatile("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
	xcr0 = (unsigned long long)hi << 32 | lo;
	if ((xcr0 & 0x6) != 0x6)
		return n;
	names[n++] = "ymm0-15";
	__cpuid_count(7, 0, a, b, c, d);
	if ((b & (1u << 16)) && (b & (1u << 30)) && (xcr0 & 0xe6) == 0xe6)
		names[n++] = "zmm0-31 and k0-7";
	return n;
}

static void battery(void)
{
	static struct run r;
	const char *widths[3];
	char name[160], want[64];
	int n, nw = vector_widths(widths);

	boot(&r, "battery", NULL, 150);
	echo_lines(&r, "battery: ");
	n = relay(&r, "userland: ");
	CHECK(n > 0 && exited(&r, 0) && strstr(r.out, "battery exit status 0"),
	      "userland: the battery runs to its end in the guest and lguestctl exits 0",
	      "%d checks relayed, status %#x", n, r.status);
	/* A width the battery did not check would be a silent skip. */
	for (int i = 0; i < nw; i++) {
		snprintf(name, sizeof(name), "userland: the battery checked %s, which this CPU has",
			 widths[i]);
		snprintf(want, sizeof(want), "fpu: %s of ", widths[i]);
		CHECK(strstr(r.out, want), name, "no '%s' check in the battery's output", want);
	}
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

/*
 * Byte-exact pipelines through dynamically linked bash and coreutils
 * (tests/guests/linux/pipeline): the guest once lost the upper halves of
 * the ymm registers on a context switch, and glibc's AVX2 memmove wrote
 * 16-byte runs of NUL into tee's output.
 */
static void pipeline(void)
{
	static struct run r;
	int n, before = lgtest_failed;

	boot(&r, "pipeline", NULL, 200);
	echo_lines(&r, "pipeline: ");
	n = relay_tag(r.out, "PIPELINE", "userland: ");
	CHECK(n == 2 && exited(&r, 0) && strstr(r.out, "pipeline exit status 0"),
	      "userland: the pipelines run to their end in the guest and lguestctl exits 0",
	      "%d checks relayed, status %#x", n, r.status);
	if (n != 2 || lgtest_failed != before || !exited(&r, 0))
		show(&r, "pipeline");
	clean(&r, "pipeline");
}

/*
 * What a distribution's init and container engines ask of the guest
 * kernel (tests/guests/linux/system-check and sysfeat.c): namespaces
 * through util-linux's unshare, cgroup v2 with its controllers and
 * limits, overlayfs, seccomp, io_uring, BPF, keys, message queues.
 */
#define SYSTEM_CHECKS 16

/* This VM host's CPU model name, as /proc/cpuinfo says it ("" if none). */
static void model_name(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && v) {
			snprintf(buf, len, "%s", v + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
}

static void system_check(void)
{
	static struct run r;
	int n, before = lgtest_failed;
	char native[200], want[220];
	const char *at;

	boot(&r, "system", NULL, 120);
	n = relay_tag(r.out, "SYSTEM", "userland: system: ");
	model_name(native, sizeof(native));
	snprintf(want, sizeof(want), "SYSTEM CPU %s", native);
	at = strstr(r.out, want);
	CHECK(native[0] && at && strchr("\r\n", at[strlen(want)]),
	      "userland: system: the guest's /proc/cpuinfo names the VM host's CPU model",
	      "want '%s' in the guest's output", native);
	CHECK(n == SYSTEM_CHECKS && exited(&r, 0) && strstr(r.out, "system-check exit status 0"),
	      "userland: system: every check ran in the guest and lguestctl exits 0",
	      "%d checks relayed (want %d), status %#x", n, SYSTEM_CHECKS, r.status);
	if (n != SYSTEM_CHECKS || lgtest_failed != before || !exited(&r, 0))
		show(&r, "system");
	clean(&r, "system");
}

/*
 * A distribution as users bring one: tests/lib/mkdistro.sh's Debian 12
 * image, the VM host's virtio disk (run-vm.sh's LGTEST_DISK), booted with
 * systemd as PID 1 and a second, scratch disk for fio.  Its checks
 * (tests/guests/distro/lgtest-distro) run once multi-user.target is
 * reached: systemd's state, cgroup v2, namespaces, overlayfs, a podman
 * container on a bridge, gcc, python3, fio with checksums.
 */
#define DISTRO_IMG	"/dev/vda"
#define DISTRO_SCRATCH	"/tmp/distro-fio.img"
#define DISTRO_CHECKS	13

static void distro(void)
{
	/* In the order of their dependencies (6.1's; 6.12 and 7.x build in all but the last). */
	static const char *const virtio[] = { "virtio_ring", "virtio", "virtio_pci_legacy_dev",
					      "virtio_pci_modern_dev", "virtio_pci", "virtio_blk" };
	char *argv[] = { "lguestctl", "run", "--mem", "768", "--disk", DISTRO_IMG, "--disk",
			 DISTRO_SCRATCH, "/tests/vmlinux", "root=/dev/vda", "rw", NULL };
	static struct run r;
	const char *bad = NULL;
	int n, fd, err = 0, before = lgtest_failed;

	/* virtio's modules that this host kernel has as modules, not built in. */
	for (size_t i = 0; i < sizeof(virtio) / sizeof(virtio[0]); i++) {
		char ko[64];
		int e;

		snprintf(ko, sizeof(ko), "/lib/net/%s.ko", virtio[i]);
		if (access(ko, R_OK))
			continue;
		e = lgtest_load_module(virtio[i]);
		if (e && !bad) {
			bad = virtio[i];
			err = -e;
		}
	}
	CHECK(!bad, "userland: distro: the VM host's virtio modules load", "%s: %s", bad,
	      strerror(err));
	for (int i = 0; i < 100 && access(DISTRO_IMG, R_OK); i++)
		usleep(100000);
	/* stage-vm.sh says lgtest.distro=1 where it gave the image. */
	if (access(DISTRO_IMG, R_OK) && !on_cmdline("lgtest.distro=1")) {
		printf("LGTEST SKIP userland: distro: no Debian image on this VM host (%s; "
		       "stage-vm.sh gives it to two matrix entries, docs/testing.md)\n", DISTRO_IMG);
		return;
	}
	CHECK(!access(DISTRO_IMG, R_OK), "userland: distro: the Debian image is the VM host's "
	      DISTRO_IMG, "%s", strerror(errno));
	if (access(DISTRO_IMG, R_OK))
		return;
	fd = open(DISTRO_SCRATCH, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, 64 << 20), "userland: distro: a 64 MiB scratch disk for fio",
	      "%s", strerror(errno));
	if (fd >= 0)
		close(fd);

	launch(&r, "distro", argv, 0, 1200);
	n = relay_tag(r.out, "DISTRO", "userland: distro: ");
	echo_lines(&r, "DISTRO INFO");
	if (r.init && r.multiuser)
		printf("t_userland: distro: boot on the VM host's clock: systemd at %.1f s, "
		       "multi-user.target at %.1f s\n", r.init - r.start, r.multiuser - r.start);
	CHECK(n == DISTRO_CHECKS && exited(&r, 0),
	      "userland: distro: every check ran under systemd and the guest powered off cleanly",
	      "%d checks relayed (want %d), status %#x", n, DISTRO_CHECKS, r.status);
	if (n != DISTRO_CHECKS || lgtest_failed != before || !exited(&r, 0))
		show(&r, "distro");
	clean(&r, "distro");
	unlink(DISTRO_SCRATCH);
}

static void persistence(void)
{
	static struct run r;
	char token[64], extra[80];

	snprintf(token, sizeof(token), "lguest-%ld-%d", (long)time(NULL), getpid());
	snprintf(extra, sizeof(extra), "lgtoken=%s", token);
	boot(&r, "persist-write", extra, BOOT_LIMIT);
	CHECK(relay(&r, "userland: ") > 0 && exited(&r, 0),
	      "userland: ext4: the writing boot powers off cleanly", "status %#x", r.status);
	if (!exited(&r, 0))
		show(&r, "persist-write");
	clean(&r, "persist-write");
	boot(&r, "persist-check", extra, BOOT_LIMIT);
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

		snprintf(name, sizeof(name), "userland: stress-ng --%s 1 %s", stressors[i],
			 strcmp(stressors[i], "vm") ? "--timeout 3s" : "--vm-bytes 8M --vm-ops 2");
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

	boot(&r, "reboot", NULL, BOOT_LIMIT);
	CHECK(exited(&r, 6) && strstr(r.out, "lguestctl: guest asked to reboot"),
	      "userland: reboot -f in the guest: lguestctl exits 6 and says so",
	      "status %#x", r.status);
	if (!exited(&r, 6))
		show(&r, "reboot");
	clean(&r, "reboot");

	boot(&r, "panic", NULL, BOOT_LIMIT);
	CHECK(exited(&r, 3) && strstr(r.out, "lguestctl: guest panicked") &&
	      strstr(r.out, "sysrq triggered crash"),
	      "userland: a guest panic: lguestctl exits 3 with the panic on its stderr",
	      "status %#x", r.status);
	if (!exited(&r, 3) || !strstr(r.out, "sysrq triggered crash"))
		show(&r, "panic");
}

/*
 * Hostile user space (tests/guests/linux/hostile.c): the same privileged
 * and odd instructions natively here and in the guest must give the same
 * signal, and the guest must live through about 16 s of attacks from
 * processes of nobody, then power off cleanly; and a fresh guest must
 * still boot to user space afterwards.
 */
#define NINSN 512

struct insn_result {
	char name[32], got[16];
};

/* Parse "HOSTILE INSN name signal" lines; how many. */
static int insn_results(const char *out, struct insn_result *res)
{
	const char *s = out;
	int n = 0;

	while (n < NINSN && (s = strstr(s, "HOSTILE INSN "))) {
		if (sscanf(s, "HOSTILE INSN %31s %15s", res[n].name, res[n].got) == 2)
			n++;
		s += 13;
	}
	return n;
}

static const char *insn_got(const struct insn_result *res, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(res[i].name, name))
			return res[i].got;
	return "missing";
}

/*
 * What the guest must give where native Linux differs, by the ABI
 * (docs/abi.md, docs/guest.md): int $0x80 is the hypercall gate, DPL 1,
 * so a #GP; the guest kernel does not emulate UMIP's five instructions
 * (native Linux returns made-up values), so they are a #GP too.
 */
static const char *guest_want(const struct insn_result *native)
{
	static const char *const umip[] = { "sgdt", "sidt", "sldt", "str", "smsw" };
	unsigned int a, b, c, d;

	if (!strcmp(native->name, "int_0x80"))
		return "SIGSEGV";
	/*
	 * Where the CPU has UMIP the host turns it on, and the guest, which
	 * does not emulate these five as Linux does, gives SIGSEGV; without
	 * UMIP they run in the guest as natively.
	 */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 2)))
		return native->got;
	for (size_t i = 0; i < sizeof(umip) / sizeof(umip[0]); i++)
		if (!strcmp(native->name, umip[i]))
			return "SIGSEGV";
	return native->got;
}

static void hostile(void)
{
	static const char *const ok[] = { "SIGSEGV", "SIGILL", "SIGTRAP", "SIGBUS", "none" };
	static struct insn_result here[NINSN], there[NINSN];
	static char native[1 << 16];
	static struct run r;
	char name[128], ints[512] = "", odd[512] = "";
	int nh, nt, n, bad_ints = 0, bad_native = 0;
	size_t len = 0;
	FILE *f;

	if (access("/tests/hostile", X_OK)) {
		printf("LGTEST SKIP userland: hostile: no /tests/hostile in this initramfs\n");
		return;
	}
	/* Natively first: this VM host is the reference. */
	f = popen("/tests/hostile insns", "r");
	if (f) {
		len = fread(native, 1, sizeof(native) - 1, f);
		pclose(f);
	}
	native[len] = '\0';
	nh = insn_results(native, here);
	for (int i = 0; i < nh; i++) {
		int good = 0;

		for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
			good |= !strcmp(here[i].got, ok[k]);
		if (!good && strlen(odd) < sizeof(odd) - 64)
			snprintf(odd + strlen(odd), sizeof(odd) - strlen(odd), " %.31s=%.15s",
				 here[i].name, here[i].got);
		bad_native += !good;
	}
	CHECK(nh > 300 && !bad_native && !strcmp(insn_got(here, nh, "cli"), "SIGSEGV") &&
	      !strcmp(insn_got(here, nh, "ud2"), "SIGILL") &&
	      !strcmp(insn_got(here, nh, "int3"), "SIGTRAP"),
	      "userland: hostile: natively, each instruction faults (cli SIGSEGV, ud2 SIGILL, "
	      "int3 SIGTRAP) or runs",
	      "%d instructions, cli %s, ud2 %s, int3 %s, odd:%s", nh, insn_got(here, nh, "cli"),
	      insn_got(here, nh, "ud2"), insn_got(here, nh, "int3"), odd);
	printf("LGTEST SKIP userland: hostile: iretq and lretq natively: QEMU 7.2's software "
	       "CPU pops their stack with a supervisor access, a SMAP fault that oopses even the "
	       "native VM host (HOSTILE_FARRET=1 runs them; the guest runs them on its own below)\n");

	boot(&r, "hostile", NULL, 200);
	n = relay_tag(r.out, "HOSTILE", "userland: hostile: ");
	CHECK(n > 0 && exited(&r, 0) && strstr(r.out, "hostile exit status 0"),
	      "userland: hostile: the guest lives through the attacks and powers off cleanly",
	      "%d checks relayed, status %#x", n, r.status);
	if (n <= 0 || !exited(&r, 0) || !strstr(r.out, "hostile exit status 0"))
		show(&r, "hostile");
	clean(&r, "hostile");

	/* Each instruction, the guest's signal against native Linux's. */
	nt = insn_results(r.out, there);
	CHECK(nt == nh, "userland: hostile: the guest ran every instruction the host did",
	      "%d in the guest, %d natively", nt, nh);
	for (int i = 0; i < nh && nt == nh; i++) {
		const char *w = guest_want(&here[i]);
		int same = !strcmp(here[i].name, there[i].name) && !strcmp(there[i].got, w);

		if (!strncmp(here[i].name, "int_0x", 6)) {
			if (!same && strlen(ints) < sizeof(ints) - 64)
				snprintf(ints + strlen(ints), sizeof(ints) - strlen(ints),
					 " %.31s=%.15s(%.15s)", here[i].name, there[i].got, w);
			bad_ints += !same;
			continue;
		}
		snprintf(name, sizeof(name), "userland: hostile: %.31s in guest user space: %.15s%s",
			 here[i].name, w, strcmp(w, here[i].got) ? " (by the ABI)" : " as natively");
		CHECK(same, name, "the guest's process got %s", there[i].got);
	}
	CHECK(nt == nh && !bad_ints, "userland: hostile: int $N for every N in guest user space: "
	      "the signal native Linux gives (int $0x80: SIGSEGV, the hypercall gate)",
	      "%d differ (guest(want)):%s", bad_ints, ints);

	/* The guest and lguest are still fine: a fresh guest boots. */
	boot(&r, "up", NULL, BOOT_LIMIT);
	CHECK(r.up > 0 && exited(&r, 0),
	      "userland: hostile: a fresh guest still boots to user space afterwards",
	      "%s, status %#x", r.up > 0 ? "user space up" : "no user space", r.status);
	if (!(r.up > 0 && exited(&r, 0)))
		show(&r, "up");
	clean(&r, "up");

	/*
	 * The hypervisor hole, from nobody in the guest: a page fault for the
	 * guest kernel, SIGSEGV for the process, as for any kernel address.
	 */
	boot(&r, "hole", NULL, BOOT_LIMIT);
	nt = insn_results(r.out, there);
	for (int i = 0; i < 3; i++) {
		static const char *const h[] = { "read_hole", "write_hole", "jump_hole" };

		snprintf(name, sizeof(name), "userland: hostile: %s (0xffff800000000000) in guest "
			 "user space: SIGSEGV, the guest lives on", h[i]);
		CHECK(!strcmp(insn_got(there, nt, h[i]), "SIGSEGV"), name,
		      "the guest's process got %s; lguestctl status %#x", insn_got(there, nt, h[i]),
		      r.status);
	}
	CHECK(exited(&r, 0) && strstr(r.out, "hostile exit status 0"),
	      "userland: hostile: the guest powers off cleanly after touching the hole",
	      "status %#x", r.status);
	if (!exited(&r, 0))
		show(&r, "hole");
	clean(&r, "hole");

	/* Single-step from user space: SIGTRAP, as natively. */
	boot(&r, "trap", NULL, BOOT_LIMIT);
	nt = insn_results(r.out, there);
	CHECK(!strcmp(insn_got(there, nt, "popf_tf"), "SIGTRAP") && exited(&r, 0),
	      "userland: hostile: popf setting TF in guest user space: SIGTRAP, the guest lives on",
	      "the guest's process got %s; lguestctl status %#x", insn_got(there, nt, "popf_tf"),
	      r.status);
	if (!exited(&r, 0))
		show(&r, "trap");
	clean(&r, "trap");

	/*
	 * The far returns the native comparison skips: each returns to a
	 * ring user space may not enter, or with IOPL it may not set, so a
	 * CPU gives #GP, SIGSEGV.  QEMU's software CPU instead faults on its
	 * supervisor pops of the user stack: that too must end as SIGSEGV,
	 * with the guest kernel's log clean.
	 */
	boot(&r, "farret", NULL, BOOT_LIMIT);
	nt = insn_results(r.out, there);
	odd[0] = '\0';
	for (int i = 0; i < nt; i++)
		if (strcmp(there[i].got, "SIGSEGV") != 0 && strlen(odd) < sizeof(odd) - 64)
			snprintf(odd + strlen(odd), sizeof(odd) - strlen(odd), " %.31s=%.15s",
				 there[i].name, there[i].got);
	CHECK(nt == 7 && !odd[0] && exited(&r, 0),
	      "userland: hostile: iretq and lretq to ring 0 and 1, with IOPL 3 or non-canonical, "
	      "in guest user space: SIGSEGV each, the guest lives on",
	      "%d of 7 ran, odd:%s; lguestctl status %#x", nt, odd, r.status);
	if (!exited(&r, 0))
		show(&r, "farret");
	clean(&r, "farret");
}

/*
 * Linux's x86 selftests in the guest (lgt=kselftest: tests/guests/linux/
 * kselftest.c) against the same binaries run natively here, the same way
 * (tests/vm/progs/x86selftest.h): same user, same limit.  Each must end
 * as natively -- the same exit status or signal, and as many lines
 * saying OK, FAIL and SKIP -- but for the differences the ABI makes on
 * purpose, listed here and in docs/guest.md, each of which must be
 * exactly that: the guest's result, a line of its output, and the native
 * run passing.
 */
#define X86_DIR		"/tests/x86"
#define X86_NATIVE	"/tmp/x86-selftests.native"
#define X86_LIMIT	300	/* seconds for one selftest, here or in the guest: a hang */

struct x86_diff {
	const char *name;
	const char *how;	/* the guest's result: "exit" or "signal" */
	const char *said[3];	/* lines of its output (failures, skips, the last) */
	const char *why;
	int code;		/* exit status or signal number */
	int int80;		/* the guest kernel logged its #GP at int $0x80 */
	int ok, skip;		/* its OK and SKIP lines (-1: any number) */
	int fail;		/* its FAIL lines */
	const char *vendor;	/* only on this CPU vendor (NULL: on all) */
};

#define X86_NO32 "int $0x80 is SIGSEGV: no 32-bit system calls (the hypercall gate, DPL 1)"

static const struct x86_diff x86_diffs[] = {
	{ .name = "iopl_64", .how = "exit", .code = 0, .ok = 1, .skip = 0,
	  .said = { "[OK] iopl(3) failed (38) -- try running as root" },
	  .why = "iopl() is ENOSYS: the CPU's TSS is the host's, so no I/O port can be granted "
		 "(CONFIG_X86_IOPL_IOPERM off)" },
	{ .name = "ioperm_64", .how = "exit", .code = 0, .ok = 3, .skip = 0,
	  .said = { "[OK] ioperm(0x80, 1, 1) failed (38) -- try running as root" },
	  .why = "ioperm() is ENOSYS: the CPU's TSS and its I/O bitmap are the host's "
		 "(CONFIG_X86_IOPL_IOPERM off)" },
	{ .name = "fsgsbase_64", .how = "signal", .code = SIGSEGV, .int80 = 1, .ok = -1, .skip = 0,
	  .said = { "[RUN] ARCH_SET_GS(0), clear gs, then manipulate GSBASE in a different thread" },
	  .why = X86_NO32 ": its set_thread_area(), for want of modify_ldt()" },
	{ .name = "fsgsbase_restore_64", .how = "signal", .code = SIGSEGV, .int80 = 1, .ok = 0,
	  .skip = 0, .why = X86_NO32 ": its set_thread_area(), for want of modify_ldt()" },
	{ .name = "ldt_gdt_64", .how = "signal", .code = SIGSEGV, .int80 = 1, .ok = 0, .skip = 0,
	  .why = X86_NO32 ": its set_thread_area() at the start" },
	{ .name = "ptrace_syscall_64", .how = "signal", .code = SIGSEGV, .int80 = 1, .ok = 0,
	  .skip = 0, .said = { "[RUN] Check int80 return regs" },
	  .why = X86_NO32 ": its first test" },
	{ .name = "sigreturn_64", .how = "exit", .code = 0, .ok = 7, .skip = 7,
	  .said = { "[SKIP] Code segment unavailable for 32-bit CS, 32-bit SS",
		    "[SKIP] Code segment unavailable for 16-bit CS, 16-bit SS",
		    "[SKIP] Data segment unavailable for 64-bit CS, 16-bit SS" },
	  .why = "no LDT (modify_ldt() is ENOSYS: the CPU's LDT is the host's), so its 7 cases "
		 "with 16- and 32-bit segments skip" },
	{ .name = "sigaltstack_64", .how = "exit", .code = 0, .ok = 1, .skip = 0,
	  .said = { "[OK] SIGALRM signal delivered." },
	  .why = "a smaller signal frame (no PKRU in the guest's XSAVE area): AT_MINSIGSTKSZ is "
		 "under 2049, so its too-small-stack case does not run" },
	{ .name = "syscall_arg_fault_64", .vendor = "GenuineIntel", .how = "exit", .code = 0,
	  .ok = 2, .fail = 3, .skip = 0, .said = { "[FAIL] AX had the wrong value: 0xffffffff" },
	  .why = "its 3 SYSENTER cases: on Intel, 64-bit SYSENTER enters the 32-bit system "
		 "call entry natively, but is #GP in the guest (no 32-bit system calls; "
		 "SYSENTER_CS is 0 while a guest runs), so SIGSEGV with AX untouched" },
	{ .name = "test_vsyscall_64", .how = "exit", .code = 0, .ok = 7, .skip = 6,
	  .said = { "# SKIP vdso_getcpu", "# SKIP vsyscall_map_x" },
	  .why = "one CPU: its 2 checks on CPU 1 skip (and no vsyscall page: its 4 vsyscall "
		 "checks skip)" },
};

/*
 * Not run natively: its lretq into 32-bit code is a supervisor-mode stack
 * pop under QEMU 7.2's software CPU, a SMAP fault the VM host kernel oopses
 * on.  In the guest it is SIGSEGV at that first lretq on any CPU: the GDT
 * the CPU uses while the guest runs has no 32-bit code segment (docs/abi.md),
 * so a real CPU gives #GP, and QEMU's supervisor pop a fault the host turns
 * into #GP.
 */
static const char *const x86_not_native[] = { "sysret_ss_attrs_64", NULL };
/* On a 7.x VM host ldt_gdt_64 too (lgtest.h says why); its guest run is then unchecked. */
static const char *const x86_not_native_ds[] = { "sysret_ss_attrs_64", "ldt_gdt_64", NULL };

/*
 * syscall_numbering makes tens of thousands of system calls, most under
 * ptrace: 35-120 s under QEMU in the guest, about as long natively, on
 * each matrix entry (so X86_LIMIT is a hang's limit, not a slow run's:
 * 120 s once cut the guest's run short on a loaded machine).  What it checks (which numbers reach which system
 * call, and what the others return) is the guest kernel's entry code and
 * does not change with the VM host, so it runs on the entry whose command
 * line has lgtest.syscall_numbering=1 (tests/stage-vm.sh), in the guest
 * and natively, and elsewhere in neither.
 */
#define SLOW_X86ST	"syscall_numbering_64"

static int slow_x86st_here(void)
{
	return on_cmdline("lgtest.syscall_numbering=1");
}

#define X86_MAXT	X86ST_MAX

/* Every "KSELFTEST NAME ..." result in OUT; how many. */
static int x86_results(const char *out, struct x86st *res)
{
	const char *s = out;
	int n = 0;

	while (n < X86_MAXT && (s = strstr(s, "KSELFTEST "))) {
		if ((s == out || s[-1] == '\n') && x86st_parse(s, &res[n]))
			n++;
		s += 10;
	}
	return n;
}

/* The text of TAG's line for NAME in OUT ("" if none), without the tag. */
static const char *x86_tagged(const char *out, const char *tag, const char *name)
{
	static char buf[256];
	char want[96];
	const char *s = out;

	snprintf(want, sizeof(want), "%.15s %.47s: ", tag, name);
	buf[0] = '\0';
	while ((s = strstr(s, want))) {
		s += strlen(want);
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(s, "\n"), s);
	}
	return buf;
}

/*
 * Did the guest kernel log a #GP of NAME at int $0x80, "COMM[pid] general
 * protection fault ip:... error:402" (COMM: the name's first 15
 * characters)?  The error code names IDT entry 0x80: 0x80 * 8 + 2 on a
 * CPU, 0x80 * 16 + 2 = 0x802 under QEMU's software CPU, which counts IDT
 * entries of 16 bytes.
 */
static int x86_int80(const char *out, const char *name)
{
	char who[64];
	const char *s = out;

	snprintf(who, sizeof(who), "%.15s[", name);
	while ((s = strstr(s, who))) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if (memmem(s, len, "general protection fault", 24) &&
		    (memmem(s, len, "error:402 ", 10) || memmem(s, len, "error:802 ", 10)))
			return 1;
		s++;
	}
	return 0;
}

/* Did the guest's NAME say TEXT in one of the lines it showed? */
static int x86_said(const char *out, const char *name, const char *text)
{
	char line[96], last[96];
	const char *s = out;

	snprintf(line, sizeof(line), "\nKSELFTEST-LINE %.47s: ", name);
	snprintf(last, sizeof(last), "\nKSELFTEST-LAST %.47s: ", name);
	while ((s = strstr(s, "\nKSELFTEST-"))) {
		const char *e = strchr(s + 1, '\n');
		int len = e ? (int)(e - s) : (int)strlen(s);

		if ((!strncmp(s, line, strlen(line)) || !strncmp(s, last, strlen(last))) &&
		    memmem(s, (size_t)len, text, strlen(text)))
			return 1;
		s++;
	}
	return 0;
}

static const struct x86st *x86_find(const struct x86st *res, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(res[i].name, name))
			return &res[i];
	return NULL;
}

static void x86_say(char *buf, size_t len, const struct x86st *r)
{
	snprintf(buf, len, "%.7s %d, %d ok, %d fail, %d skip", r->how, r->code, r->ok, r->fail,
		 r->skip);
}

/* This CPU's vendor ("GenuineIntel", ...), the guest's too; "" if unknown. */
static void cpu_vendor(char buf[64])
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "vendor_id : %63s", buf) == 1)
			break;
	if (f)
		fclose(f);
}

static void kselftest(void)
{
	static struct x86st here[X86_MAXT], there[X86_MAXT];
	static char native[1 << 16];
	static struct run r;
	char name[512], a[96], b[96], vendor[64];
	const char *not_native[8];
	int ds_host, slow;
	int nh, nt, status = -1;
	double t0 = mono();
	pid_t native_pid;
	size_t len;
	FILE *f;

	if (access(X86_DIR, R_OK)) {
		printf("LGTEST SKIP userland: kselftest: no %s in this initramfs\n", X86_DIR);
		return;
	}
	cpu_vendor(vendor);
	ds_host = lgtest_ds_prefix_host();
	slow = slow_x86st_here();
	{
		const char *const *base = ds_host ? x86_not_native_ds : x86_not_native;
		int k = 0;

		for (; base[k]; k++)
			not_native[k] = base[k];
		if (!slow)
			not_native[k++] = SLOW_X86ST;
		not_native[k] = NULL;
	}
	/*
	 * Natively, exactly as the guest's runner does, but on one CPU, the
	 * VM host's last, as the guest has one (syscall_numbering's ptrace
	 * passes with tracer and tracee on two CPUs take minutes under QEMU,
	 * seconds on one), in a child while the guest runs its own on the
	 * other CPU: t_kselftest shows the host's selftests do not notice a
	 * guest beside them.
	 */
	fflush(stdout);
	native_pid = fork();
	if (native_pid == 0) {
		FILE *o = fopen(X86_NATIVE, "w");

		_exit(o && x86st_run_all(X86_DIR, X86_LIMIT, get_nprocs() - 1, not_native, o) > 0 &&
		      !fclose(o) ? 0 : 1);
	}

	boot(&r, "kselftest", slow ? NULL : "lgskip=" SLOW_X86ST, 600);
	if (native_pid > 0)
		waitpid(native_pid, &status, 0);
	f = fopen(X86_NATIVE, "r");
	len = f ? fread(native, 1, sizeof(native) - 1, f) : 0;
	native[len] = '\0';
	if (f)
		fclose(f);
	nh = x86_results(native, here);
	for (const char *l = native; *l; ) {
		int n = (int)strcspn(l, "\n");

		printf("t_userland: native %.*s\n", n, l);
		l += n + (l[n] == '\n');
	}
	CHECK(native_pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status) && nh > 0 &&
	      strstr(native, "KSELFTEST DONE"),
	      "userland: kselftest: the x86 selftests run natively here",
	      "%d results, status %#x", nh, status);

	echo_lines(&r, "KSELFTEST");
	nt = x86_results(r.out, there);
	CHECK(exited(&r, 0) && strstr(r.out, "kselftest exit status 0") &&
	      strstr(r.out, "KSELFTEST DONE"),
	      "userland: kselftest: the guest runs every x86 selftest and powers off cleanly",
	      "%d results, status %#x", nt, r.status);
	if (!exited(&r, 0) || !strstr(r.out, "KSELFTEST DONE"))
		show(&r, "kselftest");
	clean(&r, "kselftest");

	/* Every native one in the guest too, and the guest-only ones. */
	CHECK(nt == nh + 1 + ds_host, "userland: kselftest: the guest ran each selftest the host "
	      "did, and sysret_ss_attrs", "%d in the guest, %d natively", nt, nh);
	if (ds_host)
		printf("LGTEST SKIP userland: x86 selftest ldt_gdt_64: %s\n", LGTEST_DS_BASE_WHY);
	if (!slow)
		printf("LGTEST SKIP userland: x86 selftest " SLOW_X86ST ": 35-120 s each way, so it runs "
		       "on one matrix entry (lgtest.syscall_numbering=1), not this one\n");

	for (int i = 0; i < nh; i++) {
		const struct x86st *h = &here[i], *g = x86_find(there, nt, h->name);
		const struct x86_diff *d = NULL;

		for (size_t k = 0; k < sizeof(x86_diffs) / sizeof(x86_diffs[0]); k++)
			if (!strcmp(x86_diffs[k].name, h->name) &&
			    (!x86_diffs[k].vendor || !strcmp(x86_diffs[k].vendor, vendor)))
				d = &x86_diffs[k];
		x86_say(a, sizeof(a), h);
		if (g)
			x86_say(b, sizeof(b), g);
		else
			snprintf(b, sizeof(b), "no result");
		if (d) {
			const char *missing = NULL;

			for (int k = 0; k < 3 && d->said[k]; k++)
				if (!x86_said(r.out, h->name, d->said[k]))
					missing = d->said[k];
			if (d->int80 && !x86_int80(r.out, h->name))
				missing = "(in the kernel log) a general protection fault at int $0x80";
			snprintf(name, sizeof(name), "userland: x86 selftest %.47s in the guest: the "
				 "documented difference: %s", h->name, d->why);
			CHECK(g && !strcmp(g->how, d->how) && g->code == d->code && g->fail == d->fail &&
			      (d->ok < 0 || g->ok == d->ok) && (d->skip < 0 || g->skip == d->skip) &&
			      !missing && !strcmp(h->how, "exit") && !h->code && !h->fail,
			      name, "guest %s, last line '%s'%s%s; natively %s; wanted the guest to "
			      "give %s %d, %d ok, %d skip (-1: any), saying what the list has, and a "
			      "native pass", b, x86_tagged(r.out, "KSELFTEST-LAST", h->name),
			      missing ? ", never said: " : "", missing ? missing : "", a, d->how,
			      d->code, d->ok, d->skip);
			continue;
		}
		snprintf(name, sizeof(name), "userland: x86 selftest %.47s in the guest: exit status "
			 "as natively (%.7s %d)", h->name, h->how, h->code);
		CHECK(g && !strcmp(g->how, h->how) && g->code == h->code && g->ok == h->ok &&
		      g->fail == h->fail && g->skip == h->skip, name,
		      "guest %s (last line '%s'), natively %s", b,
		      x86_tagged(r.out, "KSELFTEST-LAST", h->name), a);
	}

	/* The one the VM host cannot run under QEMU. */
	{
		const struct x86st *g = x86_find(there, nt, "sysret_ss_attrs_64");
		const char *last = x86_tagged(r.out, "KSELFTEST-LAST", "sysret_ss_attrs_64");

		if (g)
			x86_say(b, sizeof(b), g);
		CHECK(g && !g->fail && !strcmp(g->how, "signal") && g->code == SIGSEGV &&
		      strstr(last, "[RUN] Syscalls followed by SS validation"),
		      "userland: x86 selftest sysret_ss_attrs_64 in the guest (not run natively: "
		      "QEMU 7.2's lretq oopses the VM host): the documented difference: SIGSEGV "
		      "at its first lretq to a 32-bit code segment, which the guest's GDT does not "
		      "have", "guest %s, last line '%s'", g ? b : "no result", last);
	}
	printf("t_userland: kselftest took %.1f s\n", mono() - t0);
}

/* The parts named by lgtest.userland= on the VM's command line, or NULL. */
static const char *cmdline_parts(void)
{
	static char line[4096];
	FILE *f = fopen("/proc/cmdline", "r");
	char *p;

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	p = strstr(line, "lgtest.userland=");
	if (!p)
		return NULL;
	p += strlen("lgtest.userland=");
	p[strcspn(p, " \n")] = '\0';
	/* "+" too: the matrix's command lines keep commas for spaces. */
	for (char *c = p; *c; c++)
		if (*c == '+')
			*c = ',';
	return p;
}

/* Is PART in the comma list PARTS (NULL: every part)? */
static int wanted(const char *parts, const char *part)
{
	size_t n = strlen(part);

	for (const char *p = parts; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, part, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return !parts;
}

static const struct {
	const char *name;
	void (*run)(void);
} part[] = {
	{ "battery", battery },
	{ "pipeline", pipeline },
	{ "system", system_check },
	{ "distro", distro },
	{ "persist", persistence },
	{ "stress", stress },
	{ "endings", endings },
	{ "hostile", hostile },
	{ "kselftest", kselftest },
};

int main(int argc, char **argv)
{
	const char *parts;

	if (access("/tests/vmlinux", R_OK) || access(IMG, R_OK)) {
		printf("LGTEST SKIP userland: no /tests/vmlinux or %s in this initramfs\n", IMG);
		return 0;
	}
	/*
	 * t_userland [battery|pipeline|system|distro|persist|stress|endings|hostile|kselftest]: one
	 * part; or lgtest.userland=PART,PART on the VM's command line.
	 */
	parts = argc > 1 ? argv[1] : cmdline_parts();
	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		double t0;

		if (!wanted(parts, part[i].name)) {
			if (argc <= 1)
				printf("LGTEST SKIP userland: %s: not on this matrix entry"
				       " (lgtest.userland=%s; docs/testing.md)\n", part[i].name, parts);
			continue;
		}
		t0 = mono();
		part[i].run();
		/* How long each took, for whoever trims the matrix's time. */
		printf("LGTEST TIME userland.%s %.0f s\n", part[i].name, mono() - t0);
	}
	return lgtest_failed;
}
