// SPDX-License-Identifier: GPL-2.0
/*
 * t_shadow: the shadow MMU's limits and the LGUEST_INIT error path
 * (docs/security.md, "The shadow MMU").
 *
 *   hugeflush       one FLUSH_TLB_ONE drops a whole 2 MiB guest page
 *                   (tests/guests/hugeflush.c; hugeflush.ring: queued)
 *   shadowcap       a guest that aliases one 2 MiB page over 512 GiB in
 *                   all 8 address-space ids: the host's free memory must
 *                   not drop by more than a bound, and the guest runs on
 *   nmistorm        sysrq-l NMIs at a guest that exits all the time
 *                   (exitloop.elf), for the transition root's CR3 bit 12:
 *                   15 s on a PTI host, 5 s elsewhere
 *   init_retry      LGUEST_INIT made to fail part-way by the launcher's
 *                   memory cgroup, at every point, and retried on the same
 *                   file until it works: the guest then runs, the host
 *                   stays clean (tests/vm/init checks taint and dmesg)
 *
 * "t_shadow NAME..." runs only those.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/lguest.h>

#include "lgtest.h"
#include "internal.h"

#define GUEST_DIR	"/tests/guests"
#define CGROOT		"/tmp/lgcg"
#define CGDIR		CGROOT "/t_shadow"

/* One guest run: what the console and the end said. */
struct run {
	const char *id;
	struct lg_mem mem;
	int fd;
	struct lguest_run *r;
	char line[1024];
	size_t len;
	unsigned int passes, fails;
	/* Called for each console line that is not an LGTEST line. */
	void (*on_line)(struct run *run, const char *line);
	long long mem_drop_kb;	/* shadowcap: MemFree at LGSHADOW minus before */
	long long memfree_before_kb;
};

static long long memfree_kb(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void console_line(struct run *run)
{
	char pfx[2][128];

	run->line[run->len] = '\0';
	snprintf(pfx[0], sizeof(pfx[0]), "LGTEST PASS %s: ", run->id);
	snprintf(pfx[1], sizeof(pfx[1]), "LGTEST FAIL %s: ", run->id);
	if (!strncmp(run->line, pfx[0], strlen(pfx[0])) ||
	    !strncmp(run->line, pfx[1], strlen(pfx[1]))) {
		printf("%s\n", run->line);
		fflush(stdout);
		if (run->line[7] == 'P')
			run->passes++;
		else
			run->fails++;
		return;
	}
	printf("    %s| %s\n", run->id, run->line);
	fflush(stdout);
	if (run->on_line)
		run->on_line(run, run->line);
}

static int console(struct run *run, uint64_t gpa, uint64_t len)
{
	const char *p = lg_mem_range(&run->mem, gpa, len);

	if (!p || len > 4096)
		return -EFAULT;
	for (uint64_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			console_line(run);
			run->len = 0;
		} else if (run->len < sizeof(run->line) - 1) {
			run->line[run->len++] = p[i];
		}
	}
	return 0;
}

/* Guest memory, the ELF loaded and the boot registers set up in @regs. */
static int load(struct run *run, const char *elf_name, const char *args, uint64_t mem_size,
		struct lguest_regs *regs)
{
	struct lg_vm *vm = lg_vm_new();
	struct lg_kernel k;
	struct lg_boot boot = { 0 };
	char path[256], cmdline[512];
	struct stat st;
	void *elf;
	int fd, err;

	run->mem.size = mem_size;
	run->mem.base = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			     -1, 0);
	snprintf(path, sizeof(path), "%s/%s.elf", GUEST_DIR, elf_name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!vm || run->mem.base == MAP_FAILED || fd < 0 || fstat(fd, &st)) {
		CHECK(0, "t_shadow: loads", "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	elf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (elf == MAP_FAILED) {
		CHECK(0, "t_shadow: loads", "mmap %s: %s", path, strerror(errno));
		return -1;
	}
	err = lg_elf_load(vm, &run->mem, elf, (size_t)st.st_size, 0, 0, &k);
	if (!err) {
		snprintf(cmdline, sizeof(cmdline), "lgtest.name=%s%s%s", run->id,
			 args ? " " : "", args ? args : "");
		boot.entry = k.entry;
		boot.cmdline = cmdline;
		err = lg_boot_setup(vm, &run->mem, &boot, regs);
	}
	if (err)
		CHECK(0, "t_shadow: loads", "%s: %s", path, lg_vm_last_error(vm));
	lg_vm_destroy(vm);
	munmap(elf, (size_t)st.st_size);
	return err ? -1 : 0;
}

/* Run an initialised guest to its end and judge it: it must power off. */
static void run_to_end(struct run *run, const struct lguest_regs *regs)
{
	char check[160];
	unsigned int np = 0, nf = 0;
	struct lguest_run *r;
	int ok;

	run->r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, run->fd, 0);
	snprintf(check, sizeof(check), "%s: starts", run->id);
	if (run->r == MAP_FAILED || ioctl(run->fd, LGUEST_SET_REGS, regs)) {
		CHECK(0, check, "%s", strerror(errno));
		return;
	}
	r = run->r;
	for (;;) {
		if (ioctl(run->fd, LGUEST_RUN, 0)) {
			if (errno == EINTR)
				continue;
			snprintf(check, sizeof(check), "%s: runs", run->id);
			CHECK(0, check, "LGUEST_RUN: %s", strerror(errno));
			return;
		}
		if (r->exit_reason == LGUEST_EXIT_HCALL) {
			r->hcall.ret = r->hcall.nr == LHCALL_CONSOLE_WRITE ?
				(uint64_t)(int64_t)console(run, r->hcall.args[0], r->hcall.args[1]) :
				(uint64_t)-ENOSYS;
			continue;
		}
		if (r->exit_reason == LGUEST_EXIT_NONE)
			continue;
		break;
	}
	if (run->len)
		console_line(run);
	ok = r->exit_reason == LGUEST_EXIT_SHUTDOWN &&
	     r->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF &&
	     sscanf(r->shutdown.msg, "passed=%u failed=%u", &np, &nf) == 2;
	snprintf(check, sizeof(check), "%s: powers off after its checks, all seen", run->id);
	CHECK(ok && np > 0 && nf == 0 && np == run->passes && nf == run->fails, check,
	      "exit %u (%s), guest says passed=%u failed=%u, launcher saw %u PASS %u FAIL",
	      r->exit_reason, r->exit_reason == LGUEST_EXIT_KILLED ? r->killed.reason :
	      r->shutdown.msg, np, nf, run->passes, run->fails);
}

/* A whole guest in this process: load, LGUEST_INIT, run, judge. */
static int guest(struct run *run, const char *elf, const char *args, uint64_t mem_size)
{
	struct lguest_init init = { .mem_size = mem_size };
	struct lguest_regs regs;
	char check[160];

	if (load(run, elf, args, mem_size, &regs))
		return -1;
	/* Every page of guest memory there before we measure anything. */
	memset(run->mem.base, 0, 1);
	for (uint64_t off = 0; off < mem_size; off += 4096)
		((volatile uint8_t *)run->mem.base)[off] |= 0;
	run->memfree_before_kb = memfree_kb();
	run->fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	init.mem_uaddr = (uintptr_t)run->mem.base;
	snprintf(check, sizeof(check), "%s: LGUEST_INIT", run->id);
	if (run->fd < 0 || ioctl(run->fd, LGUEST_INIT, &init)) {
		CHECK(0, check, "%s", strerror(errno));
		return -1;
	}
	run_to_end(run, &regs);
	return 0;
}

static void finish(struct run *run)
{
	if (run->fd >= 0)
		close(run->fd);
	if (run->r && run->r != MAP_FAILED)
		munmap(run->r, 4096);
	if (run->mem.base && run->mem.base != MAP_FAILED)
		munmap(run->mem.base, run->mem.size);
}

static void hugeflush(const char *id, const char *args)
{
	struct run run = { .id = id, .fd = -1 };

	guest(&run, "hugeflush", args, 64ULL << 20);
	finish(&run);
}

/* ---- shadowcap ----------------------------------------------------------- */

#define CAP_MEM		(64ULL << 20)
#define CAP_TOUCHES	4096		/* per id: 8 x 4096 shadow page tables uncapped */
/*
 * The cap for 64 MiB is 8 * 2 * 32 + 512 = 1024 tables, 4 MiB; uncapped
 * the guest makes 32,768 page tables and 72 more above them, 128 MiB.
 */
#define CAP_BOUND_KB	(24LL << 10)

static void cap_line(struct run *run, const char *line)
{
	if (!strncmp(line, "LGSHADOW filled", 15))
		run->mem_drop_kb = run->memfree_before_kb - memfree_kb();
}

static void shadowcap(void)
{
	struct run run = { .id = "shadowcap", .fd = -1, .on_line = cap_line,
			   .mem_drop_kb = LLONG_MIN };
	struct lguest_stats st = { .size = sizeof(st) };
	char args[64];

	snprintf(args, sizeof(args), "touches=%d", CAP_TOUCHES);
	if (!guest(&run, "shadowcap", args, CAP_MEM)) {
		printf("    shadowcap| host free memory fell by %lld KiB (bound %lld KiB)\n",
		       run.mem_drop_kb, CAP_BOUND_KB);
		/* Less than nothing is fine: other memory came back meanwhile. */
		CHECK(run.mem_drop_kb != LLONG_MIN && run.mem_drop_kb < CAP_BOUND_KB,
		      "shadowcap: the host's free memory stays within the bound while the guest "
		      "aliases 512 GiB in 8 ids",
		      "fell by %lld KiB, bound %lld KiB", run.mem_drop_kb, CAP_BOUND_KB);
		CHECK(!ioctl(run.fd, LGUEST_GET_STATS, &st) &&
		      st.shadow_faults >= (unsigned long long)CAP_TOUCHES * LGUEST_NR_ASIDS,
		      "shadowcap: the guest really faulted in every alias",
		      "%llu shadow faults, want >= %d", (unsigned long long)st.shadow_faults,
		      CAP_TOUCHES * LGUEST_NR_ASIDS);
	}
	finish(&run);
}

/* ---- init_retry ---------------------------------------------------------- */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* A memory cgroup of our own, under cgroup2 mounted at CGROOT: 0 or -errno. */
static int cgroup_setup(void)
{
	struct stat st;

	mkdir(CGROOT, 0755);
	if (stat(CGROOT "/cgroup.procs", &st) &&
	    mount("none", CGROOT, "cgroup2", 0, NULL))
		return -errno;
	if (write_str(CGROOT "/cgroup.subtree_control", "+memory"))
		return -errno;
	if (mkdir(CGDIR, 0755) && errno != EEXIST)
		return -errno;
	if (stat(CGDIR "/memory.max", &st))
		return -errno;
	return 0;
}

static long long read_ll(int fd)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoll(buf);
}

static int set_max(int fd, long long bytes)
{
	char buf[32];
	int n = bytes < 0 ? snprintf(buf, sizeof(buf), "max\n") :
			    snprintf(buf, sizeof(buf), "%lld\n", bytes);

	return pwrite(fd, buf, (size_t)n, 0) == n ? 0 : -1;
}

/*
 * The cgroup's charges cached per CPU (refilled by every uncharge) would
 * serve LGUEST_INIT past memory.max: a write to memory.high drains them
 * (and tries to reclaim, which finds nothing: our memory is locked), and
 * unlike memory.max never calls the OOM killer.
 */
static void drain_stock(int fd_high)
{
	pwrite(fd_high, "0\n", 2, 0);
	pwrite(fd_high, "max\n", 4, 0);
}

#define RETRY_STEPS	48	/* pages above the cgroup's usage: INIT needs ~30 */

/* In a child, in the cgroup: what the loop saw, printed once the limit is gone. */
static int init_retry_child(void)
{
	struct run run = { .id = "init_retry", .fd = -1 };
	struct lguest_init init = { .mem_size = 32ULL << 20 };
	struct lguest_regs regs;
	char pid[32];
	cpu_set_t cpu;
	int fd_max, fd_cur, fd_high, warm, ok_at = -1, enomem = 0, other = 0, other_err = 0, steps = 0;
	long long cur;

	if (load(&run, "hello", NULL, init.mem_size, &regs))
		return 1;
	init.mem_uaddr = (uintptr_t)run.mem.base;
	run.fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	warm = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	fd_max = open(CGDIR "/memory.max", O_RDWR | O_CLOEXEC);
	fd_cur = open(CGDIR "/memory.current", O_RDONLY | O_CLOEXEC);
	fd_high = open(CGDIR "/memory.high", O_RDWR | O_CLOEXEC);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	if (run.fd < 0 || warm < 0 || fd_max < 0 || fd_cur < 0 || fd_high < 0 ||
	    sched_setaffinity(0, sizeof(cpu), &cpu) ||
	    write_str(CGDIR "/cgroup.procs", pid)) {
		CHECK(0, "init_retry: sets up", "%s", strerror(errno));
		return 1;
	}
	/*
	 * Nothing but LGUEST_INIT may need memory while the limit is tight:
	 * every page this process touches is in memory first, and one whole
	 * round runs on another file with no limit.
	 */
	mlockall(MCL_CURRENT | MCL_FUTURE);
	cur = read_ll(fd_cur);
	if (set_max(fd_max, cur + (64LL << 20)) || ioctl(warm, LGUEST_INIT, &init) ||
	    set_max(fd_max, -1)) {
		CHECK(0, "init_retry: a first LGUEST_INIT without a tight limit", "%s",
		      strerror(errno));
		return 1;
	}
	close(warm);
	drain_stock(fd_high);

	for (int extra = 0; extra <= RETRY_STEPS && ok_at < 0; extra++) {
		/* Each step, and then once more at the tightest limit. */
		for (int again = 0; again < 2 && ok_at < 0; again++) {
			long ret;
			int err;

			drain_stock(fd_high);
			cur = read_ll(fd_cur);
			if (cur < 0 || set_max(fd_max, cur + (again ? 0 : extra * 4096LL)))
				break;
			ret = ioctl(run.fd, LGUEST_INIT, &init);
			err = errno;
			set_max(fd_max, -1);
			steps++;
			if (!ret)
				ok_at = extra;
			else if (err == ENOMEM)
				enomem++;
			else if (!other++)
				other_err = err;
		}
	}
	munlockall();
	write_str(CGROOT "/cgroup.procs", pid);
	printf("    init_retry| %d tries: %d ENOMEM, %d other, worked %d pages above usage\n",
	       steps, enomem, other, ok_at);
	CHECK(enomem >= 2 && !other,
	      "init_retry: LGUEST_INIT fails with ENOMEM at the cgroup's limit, again and again",
	      "%d ENOMEM, %d other (errno %d: %s)", enomem, other, other_err,
	      strerror(other_err));
	CHECK(ok_at >= 0, "init_retry: and works once the limit allows, on the same file",
	      "never worked up to %d pages above usage", RETRY_STEPS);
	if (ok_at >= 0)
		run_to_end(&run, &regs);
	finish(&run);
	return lgtest_failed;
}

static void init_retry(void)
{
	int err, status = 0;
	pid_t pid;

	/*
	 * The first memory cgroup turns static keys on, which patches kernel
	 * text on every CPU.  Under QEMU's software CPU a CPU running the
	 * patched code meanwhile has been seen to take the patching int3
	 * as a real one (the tee reading our output, an oops): give it time
	 * to be asleep, and print nothing until the cgroup is there.
	 */
	fflush(stdout);
	usleep(500000);
	err = cgroup_setup();

	if (err) {
		printf("LGTEST SKIP init_retry: no memory cgroup (%s)\n", strerror(-err));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(init_retry_child());
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	      "init_retry: the launcher ends normally", "status %#x", pid > 0 ? status : -1);
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status))
		lgtest_failed = 1;
	rmdir(CGDIR);
}

/* ---- nmistorm ----------------------------------------------------------- */

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static volatile sig_atomic_t storm_over;

static void on_usr1(int sig)
{
	(void)sig;
	storm_over = 1;
}

/* The child: exitloop.elf on CPU 1 until SIGUSR1; 0 if it never stopped. */
static int storm_guest(void)
{
	struct run run = { .id = "nmistorm", .fd = -1 };
	struct lguest_init init = { .mem_size = 32ULL << 20 };
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct lguest_regs regs;
	struct lguest_run *r;

	sigaction(SIGUSR1, &sa, NULL);
	pin(1);
	if (load(&run, "exitloop", NULL, init.mem_size, &regs))
		return 2;
	init.mem_uaddr = (uintptr_t)run.mem.base;
	run.fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	if (run.fd < 0 || ioctl(run.fd, LGUEST_INIT, &init) ||
	    ioctl(run.fd, LGUEST_SET_REGS, &regs))
		return 3;
	r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, run.fd, 0);
	if (r == MAP_FAILED)
		return 3;
	while (!storm_over) {
		if (ioctl(run.fd, LGUEST_RUN, 0)) {
			if (errno == EINTR)
				continue;
			return 4;
		}
		if (r->exit_reason != LGUEST_EXIT_HCALL)
			return 5;	/* killed or shut down: it never does */
		r->hcall.ret = r->hcall.nr == LHCALL_CONSOLE_WRITE ? 0 : (uint64_t)-ENOSYS;
	}
	return 0;
}

/*
 * NMIs, as many as sysrq sends, at a guest on CPU 1 that exits as often
 * as it can: some land while that CPU is on the transition root with the
 * host's IDT, where a PTI host's NMI entry reads CR3 bit 12
 * (docs/security.md).  The host must live and the guest run on.  The
 * backtraces print "Call Trace": the console is quiet and the log has
 * t_nmi's markers; the pause between two lets each batch reach the log
 * before the next sysrq header raises the console's level.  About 2 MB
 * of backtraces in 15 s: tests/vm/run-vm.sh gives the log 16 MiB, so
 * the markers and everything before them stay for tests/vm/init to read.
 */
static void nmistorm(void)
{
	int status = 0, n = 0, secs = 5, alive;
	long long before, after;
	struct timespec t0, t1;
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	pid_t pid;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("LGTEST SKIP nmistorm: needs a second CPU\n");
		if (f)
			fclose(f);
		return;
	}
	/* The bit-12 window exists only with PTI: storm longer there. */
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " pti"))
			secs = 15;
	if (f)
		fclose(f);
	before = lgtest_nmi_count(1);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(storm_guest());
	pin(0);
	sleep(1);
	write_str("/proc/sys/kernel/printk", "1");
	write_str("/dev/kmsg", "LGTEST-NMI begin\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		write_str("/proc/sysrq-trigger", "l");
		n++;
		usleep(30000);
		alive = waitpid(pid, &status, WNOHANG) == 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (alive && t1.tv_sec - t0.tv_sec < secs);
	usleep(300000);
	write_str("/dev/kmsg", "LGTEST-NMI end\n");
	write_str("/proc/sys/kernel/printk", "5");
	if (alive) {
		kill(pid, SIGUSR1);
		waitpid(pid, &status, 0);
	}
	after = lgtest_nmi_count(1);
	printf("    nmistorm| %d sysrq-l in %ld s, CPU 1 took %lld NMIs\n", n,
	       (long)(t1.tv_sec - t0.tv_sec), after - before);
	CHECK(alive && WIFEXITED(status) && !WEXITSTATUS(status),
	      "nmistorm: a guest exiting all the time runs on through an NMI storm",
	      "%s, status %#x", alive ? "stopped by us" : "ended by itself", status);
	CHECK(before >= 0 && after - before >= n / 2,
	      "nmistorm: CPU 1 took the NMIs", "%lld then %lld for %d sysrq", before, after, n);
}

static int wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (wanted(argc, argv, "hugeflush"))
		hugeflush("hugeflush", NULL);
	if (wanted(argc, argv, "hugeflush.ring"))
		hugeflush("hugeflush.ring", "case=ring");
	if (wanted(argc, argv, "shadowcap"))
		shadowcap();
	/* docs/security.md, "The transition root and PTI". */
	if (wanted(argc, argv, "nmistorm"))
		nmistorm();
	if (wanted(argc, argv, "init_retry"))
		init_retry();
	return lgtest_failed;
}
