// SPDX-License-Identifier: GPL-2.0
/*
 * LGUEST_GET_STATS: the counters move by at least what a guest is known
 * to do (hello.S: one #UD, one #GP, console and MMIO exits; bench.S:
 * 20,000 of each hypercall and PTE flush, 20,001 system calls on each of
 * the fast and the slow path, 4,096 shadow faults), they can be read while another thread runs the guest, and bad
 * calls fail with the promised errno and change nothing.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "flatguest.h"
#include "lgtest.h"

/* bench.S's counts per phase. */
#define BENCH_N		20000
#define BENCH_PAGES	4096
#define BENCH_BATCHES	(BENCH_N / 64ULL)

static int get_stats(int fd, struct lguest_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	return ioctl(fd, LGUEST_GET_STATS, s);
}

static uint64_t sum(const __u64 *v, unsigned int n)
{
	uint64_t t = 0;

	while (n--)
		t += v[n];
	return t;
}

/*
 * Every trip into the guest ends in exactly one of these, so together
 * they cannot exceed the world switches.
 */
static uint64_t exits_explained(const struct lguest_stats *s)
{
	return s->hcalls + s->shadow_faults + s->mmio_exits + s->mmio_eventfds + s->host_irqs +
	       s->slow_syscalls +
	       sum(s->traps, LGUEST_STATS_NR_TRAPS);
}

/* Runs @g to its end; counts the returns of LGUEST_RUN and MMIO exits. */
static int run_to_end(struct flatguest *g, unsigned int *returns, unsigned int *mmio)
{
	*returns = *mmio = 0;
	for (;;) {
		if (ioctl(g->fd, LGUEST_RUN, 0))
			return -1;
		++*returns;
		if (g->run->exit_reason == LGUEST_EXIT_MMIO) {
			++*mmio;
			if (!g->run->mmio.is_write)
				g->run->mmio.data = 0x55aa55aa;	/* what hello.S expects */
		} else if (g->run->exit_reason != LGUEST_EXIT_HCALL) {
			return g->run->exit_reason == LGUEST_EXIT_SHUTDOWN ? 0 : -1;
		}
	}
}

static void close_guest(struct flatguest *g)
{
	close(g->fd);
	if (g->run != MAP_FAILED)
		munmap(g->run, 4096);
	munmap(g->mem, FG_MEM);
}

static void known_guest_hello(void)
{
	struct flatguest g;
	struct lguest_stats s = { 0 };
	unsigned int returns, mmio;

	CHECK(flatguest_start(&g, "/tests/hello.bin") == 0, "stats: hello guest starts",
	      "%s", strerror(errno));
	CHECK(get_stats(g.fd, &s) == 0 && s.world_switches == 0 && s.user_exits == 0 &&
	      sum(s.hcall, LGUEST_STATS_NR_HCALLS) == 0,
	      "stats: a new guest's counters are zero", "world_switches %llu",
	      (unsigned long long)s.world_switches);
	CHECK(run_to_end(&g, &returns, &mmio) == 0, "stats: hello runs to poweroff",
	      "exit %u", g.run->exit_reason);
	CHECK(get_stats(g.fd, &s) == 0 && s.size == sizeof(s) &&
	      sum(s.reserved, sizeof(s.reserved) / 8) == 0,
	      "stats: LGUEST_GET_STATS fills the structure", "%s, size %u",
	      strerror(errno), s.size);
	CHECK(s.user_exits == returns && s.mmio_exits == mmio,
	      "stats: user and MMIO exits are the ones the launcher saw",
	      "user_exits %llu (saw %u), mmio_exits %llu (saw %u)",
	      (unsigned long long)s.user_exits, returns, (unsigned long long)s.mmio_exits, mmio);
	CHECK(s.traps[6] == 1 && s.traps[13] == 1,
	      "stats: hello's one ud2 and one cli are reflected #UD and #GP",
	      "#UD %llu #GP %llu", (unsigned long long)s.traps[6],
	      (unsigned long long)s.traps[13]);
	CHECK(s.hcall[LHCALL_INIT] == 1 && s.hcall[LHCALL_SHUTDOWN] == 1 &&
	      s.hcall[LHCALL_CONSOLE_WRITE] >= 1 && s.hcall[LHCALL_FLUSH_TLB] >= 1 &&
	      sum(s.hcall, LGUEST_STATS_NR_HCALLS) == s.hcalls + s.ring_hcalls,
	      "stats: hello's hypercalls are counted by number",
	      "init %llu shutdown %llu console %llu flush %llu, by number %llu, total %llu",
	      (unsigned long long)s.hcall[LHCALL_INIT],
	      (unsigned long long)s.hcall[LHCALL_SHUTDOWN],
	      (unsigned long long)s.hcall[LHCALL_CONSOLE_WRITE],
	      (unsigned long long)s.hcall[LHCALL_FLUSH_TLB],
	      (unsigned long long)sum(s.hcall, LGUEST_STATS_NR_HCALLS),
	      (unsigned long long)(s.hcalls + s.ring_hcalls));
	CHECK(s.world_switches >= exits_explained(&s) && s.world_switches >= returns,
	      "stats: no more exits than world switches", "%llu switches, %llu exits",
	      (unsigned long long)s.world_switches, (unsigned long long)exits_explained(&s));
	close_guest(&g);
}

/* The syscall fast path needs wrgsbase in ring 0 (module/hypercalls.c). */
static int has_fsgsbase(void)
{
	char line[4096];
	int yes = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !yes && fgets(line, sizeof(line), f))
		yes = !strncmp(line, "flags", 5) && strstr(line, " fsgsbase");
	if (f)
		fclose(f);
	return yes;
}

static void known_guest_bench(void)
{
	struct flatguest g;
	struct lguest_stats s = { 0 };
	unsigned int returns, mmio;

	CHECK(flatguest_start(&g, "/tests/bench.bin") == 0, "stats: bench guest starts",
	      "%s", strerror(errno));
	CHECK(run_to_end(&g, &returns, &mmio) == 0 && get_stats(g.fd, &s) == 0,
	      "stats: bench runs to poweroff", "exit %u: %s", g.run->exit_reason,
	      g.run->killed.reason);
	CHECK(s.hcall[LHCALL_SEND_INTERRUPTS] >= BENCH_N,
	      "stats: 20,000 hypercalls counted", "%llu",
	      (unsigned long long)s.hcall[LHCALL_SEND_INTERRUPTS]);
	/*
	 * bench.S makes BENCH_N + 1 system calls (the last ends the round)
	 * with a kernel stack the fast path can use, then as many with one
	 * whose event frame straddles two pages, which it cannot.  Only the
	 * second round may leave the Switcher; without FSGSBASE both do.
	 */
	if (has_fsgsbase())
		CHECK(s.slow_syscalls == BENCH_N + 1,
		      "stats: exactly bench's 20,001 slow-path system calls counted, no fast-path one",
		      "%llu", (unsigned long long)s.slow_syscalls);
	else
		CHECK(s.slow_syscalls == 2ULL * (BENCH_N + 1),
		      "stats: no FSGSBASE: all of bench's 40,002 system calls counted slow",
		      "%llu", (unsigned long long)s.slow_syscalls);
	CHECK(s.shadow_faults >= BENCH_PAGES, "stats: 4,096 shadow faults counted", "%llu",
	      (unsigned long long)s.shadow_faults);
	CHECK(s.ring_hcalls >= BENCH_BATCHES * 64 && s.hcall[LHCALL_FLUSH_ASYNC] >= BENCH_BATCHES &&
	      s.hcall[LHCALL_FLUSH_TLB_ONE] >= BENCH_N + BENCH_BATCHES * 64,
	      "stats: flushes made and queued in the ring are counted",
	      "ring %llu, flush_async %llu, flush_tlb_one %llu",
	      (unsigned long long)s.ring_hcalls, (unsigned long long)s.hcall[LHCALL_FLUSH_ASYNC],
	      (unsigned long long)s.hcall[LHCALL_FLUSH_TLB_ONE]);
	CHECK(s.world_switches >= exits_explained(&s) &&
	      s.world_switches >= 2ULL * BENCH_N + BENCH_PAGES + BENCH_N + BENCH_BATCHES,
	      "stats: bench's world switches are counted", "%llu switches, %llu exits",
	      (unsigned long long)s.world_switches, (unsigned long long)exits_explained(&s));
	close_guest(&g);
}

/* While the main thread spins in LGUEST_RUN, read twice, then interrupt it. */
struct reader {
	int fd;
	pthread_t runner;
	int err[2];
	struct lguest_stats s[2];
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	struct timespec ts = { 0, 300L * 1000 * 1000 };

	nanosleep(&ts, NULL);
	r->err[0] = get_stats(r->fd, &r->s[0]) ? errno : 0;
	nanosleep(&ts, NULL);
	r->err[1] = get_stats(r->fd, &r->s[1]) ? errno : 0;
	pthread_kill(r->runner, SIGUSR1);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

static void while_running(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct flatguest g;
	struct reader r = { 0 };
	struct lguest_stats after;
	pthread_t thr;

	sigaction(SIGUSR1, &sa, NULL);
	CHECK(flatguest_start(&g, "/tests/loop.bin") == 0, "stats: spinning guest starts",
	      "%s", strerror(errno));
	r.fd = g.fd;
	r.runner = pthread_self();
	pthread_create(&thr, NULL, reader_thread, &r);
	CHECK_ERRNO(ioctl(g.fd, LGUEST_RUN, 0), EINTR, "stats: the spinning guest is interrupted");
	pthread_join(thr, NULL);
	CHECK(!r.err[0] && !r.err[1], "stats: readable while another thread runs the guest",
	      "%s / %s", strerror(r.err[0]), strerror(r.err[1]));
	/* The guest never leaves on its own: only the host's interrupts take it out. */
	CHECK(r.s[1].host_irqs > r.s[0].host_irqs &&
	      r.s[1].world_switches > r.s[0].world_switches && r.s[0].hcalls == 0,
	      "stats: the host's interrupts take a spinning guest out and back in",
	      "host_irqs %llu -> %llu, world_switches %llu -> %llu",
	      (unsigned long long)r.s[0].host_irqs, (unsigned long long)r.s[1].host_irqs,
	      (unsigned long long)r.s[0].world_switches, (unsigned long long)r.s[1].world_switches);
	CHECK(get_stats(g.fd, &after) == 0 && after.user_exits == 1,
	      "stats: the return with EINTR is one exit to user space", "%llu",
	      (unsigned long long)after.user_exits);
	close_guest(&g);
}

/* A bad call: EINVAL and the caller's structure exactly as it was. */
static void check_refused(int fd, struct lguest_stats *s, const char *name)
{
	struct lguest_stats before = *s;
	int r = ioctl(fd, LGUEST_GET_STATS, s), e = errno;

	CHECK(r == -1 && e == EINVAL && !memcmp(&before, s, sizeof(*s)), name,
	      "returned %d errno %d (%s), structure %s", r, e, strerror(e),
	      memcmp(&before, s, sizeof(*s)) ? "changed" : "kept");
}

static void validation(void)
{
	struct flatguest g;
	struct lguest_stats s;
	unsigned int returns, mmio;
	int fd, status;
	pid_t child;

	CHECK(flatguest_start(&g, "/tests/hello.bin") == 0, "stats: hello guest starts again",
	      "%s", strerror(errno));
	memset(&s, 0x5a, sizeof(s));
	s.flags = 0;
	memset(s.reserved, 0, sizeof(s.reserved));
	s.size = sizeof(s) - 8;
	check_refused(g.fd, &s, "stats: a wrong size is refused");
	s.size = 0;
	check_refused(g.fd, &s, "stats: size 0 is refused");
	s.size = sizeof(s) + 8;
	check_refused(g.fd, &s, "stats: a larger size than the module knows is refused");
	s.size = sizeof(s);
	s.flags = 1;
	check_refused(g.fd, &s, "stats: nonzero flags are refused");
	s.flags = 0;
	s.reserved[sizeof(s.reserved) / 8 - 1] = 1;
	check_refused(g.fd, &s, "stats: a nonzero reserved field is refused");
	CHECK_ERRNO(ioctl(g.fd, LGUEST_GET_STATS, NULL), EFAULT,
		    "stats: a bad pointer is EFAULT");
	{
		/* Valid to read, its second half in a read-only page. */
		long pg = sysconf(_SC_PAGESIZE);
		char *two = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		CHECK(two != MAP_FAILED, "stats: two pages for a half-writable structure", "%s",
		      strerror(errno));
		if (two != MAP_FAILED) {
			struct lguest_stats *half =
				(struct lguest_stats *)(two + pg - sizeof(*half) / 2);

			half->size = sizeof(*half);
			mprotect(two + pg, (size_t)pg, PROT_READ);
			CHECK_ERRNO(ioctl(g.fd, LGUEST_GET_STATS, half), EFAULT,
				    "stats: a structure ending in a read-only page is EFAULT");
			munmap(two, 2 * (size_t)pg);
		}
	}

	/* The file is the capability: a process it was passed to reads the same. */
	CHECK(run_to_end(&g, &returns, &mmio) == 0 && get_stats(g.fd, &s) == 0 &&
	      s.world_switches > 0, "stats: hello runs again and its process reads the counters",
	      "exit %u: %s", g.run->exit_reason, strerror(errno));
	child = fork();
	if (child == 0) {
		struct lguest_stats c;

		_exit(get_stats(g.fd, &c) == 0 && !memcmp(&c, &s, sizeof(c)) ? 0 : 1);
	}
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "stats: another process holding the file reads the same counters",
	      "child status %#x", status);

	fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	CHECK_ERRNO(get_stats(fd, &s), EBADFD, "stats: a file that is no guest yet is EBADFD");
	close(fd);
	close_guest(&g);
}

int main(void)
{
	known_guest_hello();
	known_guest_bench();
	while_running();
	validation();
	return lgtest_failed;
}
