// SPDX-License-Identifier: GPL-2.0
/*
 * The user-land battery, run inside the Linux guest by the test root's
 * /sbin/init (tests/guests/linux/rootfs-init): what a process expects of
 * its kernel, one "BATTERY PASS|FAIL check[: why]" line per check, relayed
 * by t_userland as LGTEST lines.  Static, glibc, -pthread.
 *
 *   battery all             every check below, then "BATTERY DONE n"
 *   battery vectors [S]     only the vector registers' check, for S seconds
 *   battery persist-write T write T to /data/persist and fsync it
 *   battery persist-check T /data/persist holds T
 *
 * "LGCLOCK n" lines (nine, 250 ms apart) carry CLOCK_MONOTONIC in ns:
 * t_userland compares their spacing with its own clock.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int checks, failed;

/* One check: a "BATTERY PASS|FAIL what[: why]" line. */
#define check(ok, what, ...) do {					\
	checks++;							\
	if (ok) {							\
		printf("BATTERY PASS %s\n", what);			\
	} else {							\
		failed++;						\
		printf("BATTERY FAIL %s: ", what);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
	fflush(stdout);							\
} while (0)

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Status of a child: 0 if it exited 0, else the raw status. */
static int reap(pid_t pid)
{
	int st = -1;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : st;
}

/* ---- fork, exec, wait ------------------------------------------------- */

#define NFORK	200

static void t_fork_exec(void)
{
	int bad = 0, i, st = 0;
	pid_t pid;

	/* Each child execs busybox, which exits with a status of its own. */
	for (i = 0; i < NFORK; i++) {
		char code[8];

		snprintf(code, sizeof(code), "%d", i % 200);
		pid = fork();
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", "exit $0", code, (char *)NULL);
			_exit(255);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != i % 200) {
			bad++;
			if (bad == 1)
				printf("fork/exec %d: pid %d status %#x\n", i, pid, st);
		}
	}
	check(!bad, "fork, exec and wait 200 times, each exit status seen", "%d wrong", bad);

	/* Many children alive at once, reaped in any order. */
	for (i = 0; i < 64; i++) {
		pid = fork();
		if (pid == 0) {
			usleep(1000 * (i % 8));
			_exit(i);
		}
	}
	for (i = 0, bad = 0; i < 64; i++) {
		pid = wait(&st);
		if (pid < 0 || !WIFEXITED(st))
			bad++;
	}
	check(!bad && wait(&st) < 0 && errno == ECHILD,
	      "64 children at once are all reaped", "%d bad", bad);
}

/* ---- pipes ------------------------------------------------------------ */

static void t_pipes(void)
{
	int a[2], b[2], bad = 0, i;
	unsigned int sum = 0, want = 0;
	static unsigned char buf[65536];
	pid_t pid;

	/* Ping-pong: each round trip is two context switches. */
	if (pipe(a) || pipe(b)) {
		check(0, "pipes: ping-pong 1000 round trips", "pipe: %m");
		return;
	}
	pid = fork();
	if (pid == 0) {
		unsigned int v;

		close(a[1]);
		close(b[0]);
		while (read(a[0], &v, sizeof(v)) == sizeof(v)) {
			v = v * 3 + 1;
			if (write(b[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
		}
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	for (i = 0; i < 1000; i++) {
		unsigned int v = (unsigned int)i, r = 0;

		if (write(a[1], &v, sizeof(v)) != sizeof(v) ||
		    read(b[0], &r, sizeof(r)) != sizeof(r) || r != v * 3 + 1)
			bad++;
	}
	close(a[1]);
	check(!bad && reap(pid) == 0, "pipes: ping-pong 1000 round trips", "%d wrong", bad);
	close(b[0]);

	/* 16 MiB through one pipe, in and out of a child, checksummed. */
	if (pipe(a))
		return;
	pid = fork();
	if (pid == 0) {
		close(a[0]);
		for (i = 0; i < 256; i++) {
			for (size_t j = 0; j < sizeof(buf); j++)
				buf[j] = (unsigned char)((size_t)i * 7 + j);
			if (write(a[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(1);
		}
		_exit(0);
	}
	close(a[1]);
	for (i = 0; i < 256; i++)
		for (size_t j = 0; j < sizeof(buf); j++)
			want += (unsigned char)((size_t)i * 7 + j);
	for (;;) {
		ssize_t n = read(a[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		for (ssize_t j = 0; j < n; j++)
			sum += buf[j];
	}
	close(a[0]);
	check(sum == want && reap(pid) == 0, "pipes: 16 MiB from a child arrive intact",
	      "checksum %#x, want %#x", sum, want);
}

/* ---- signals ---------------------------------------------------------- */

static volatile sig_atomic_t handled;
static volatile double handler_fp;

static void on_usr1(int sig)
{
	double x = 1.0;

	/* Floating point in the handler: sigreturn must restore ours. */
	for (int i = 0; i < 10; i++)
		x = x * 1.5 + 0.25;
	handler_fp = x;
	handled += sig == SIGUSR1;
}

static void t_signals(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block, old;
	int i;
	pid_t pid, me = getpid();

	sigaction(SIGUSR1, &sa, NULL);

	/* A handler, and sigreturn back into the middle of live state. */
	{
		volatile double acc = 0.5;
		uint64_t r12;
		int bad = 0;

		for (i = 0; i < 100; i++) {
			__asm__ volatile("mov $0x1234567890abcdef, %%r12\n\t"
					 "mov %2, %%eax\n\t"
					 "mov %3, %%edi\n\t"
					 "mov %4, %%esi\n\t"
					 "syscall\n\t"
					 "mov %%r12, %0"
					 : "=r" (r12), "+m" (acc)
					 : "i" (SYS_kill), "r" (me), "i" (SIGUSR1)
					 : "rax", "rdi", "rsi", "rcx", "r11", "r12", "memory");
			acc = acc * 1.0001;
			if (r12 != 0x1234567890abcdefULL)
				bad++;
		}
		check(handled == 100 && !bad, "signals: 100 handlers run and sigreturn restores registers",
		      "handled %d, %d clobbered", (int)handled, bad);
	}

	/* kill() between processes: the child signals us, we answer. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	handled = 0;
	pid = fork();
	if (pid == 0) {
		handled = 0;
		for (i = 0; i < 200; i++) {
			kill(me, SIGUSR1);
			while (handled <= i)
				sigsuspend(&old);
		}
		_exit(0);
	}
	for (i = 0; i < 200; i++) {
		while (handled <= i)
			sigsuspend(&old);
		kill(pid, SIGUSR1);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	check(handled == 200 && reap(pid) == 0, "signals: 200 kill() ping-pongs between two processes",
	      "handled %d", (int)handled);

	/* A default action that kills, seen by the parent. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	usleep(10000);
	kill(pid, SIGTERM);
	{
		int st = 0;

		waitpid(pid, &st, 0);
		check(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
		      "signals: SIGTERM's default action kills a child", "status %#x", st);
	}
}

/* ---- threads and futexes ---------------------------------------------- */

#define NTHREADS	4L
#define NINCR		20000L

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter, turn;

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < NINCR; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		/* Sometimes give the CPU away holding the lock: contention. */
		if (i % 1000 == 0)
			sched_yield();
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *taker(void *arg)
{
	long me = (long)arg;

	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&lock);
		while (turn % 2 != me)
			pthread_cond_wait(&cond, &lock);
		turn++;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static uint32_t fword;

static void *waker(void *arg)
{
	(void)arg;
	usleep(50000);
	__atomic_store_n(&fword, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	return NULL;
}

static void t_threads(void)
{
	pthread_t t[NTHREADS];
	int i, err = 0;
	long r;

	for (i = 0; i < NTHREADS; i++)
		err |= pthread_create(&t[i], NULL, adder, NULL);
	for (i = 0; i < NTHREADS; i++)
		err |= pthread_join(t[i], NULL);
	check(!err && counter == NTHREADS * NINCR,
	      "threads: 4 threads add under one contended mutex", "counter %ld, want %ld",
	      counter, NTHREADS * NINCR);

	err = pthread_create(&t[0], NULL, taker, (void *)0L) |
	      pthread_create(&t[1], NULL, taker, (void *)1L);
	err |= pthread_join(t[0], NULL) | pthread_join(t[1], NULL);
	check(!err && turn == 1000, "threads: condition variable ping-pong 1000 turns",
	      "turn %ld", turn);

	/* A raw futex: wait until another thread wakes us. */
	err = pthread_create(&t[0], NULL, waker, NULL);
	r = 0;
	while (!err && __atomic_load_n(&fword, __ATOMIC_SEQ_CST) == 0) {
		r = syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	err |= pthread_join(t[0], NULL);
	check(!err && fword == 1 && r == 0, "threads: FUTEX_WAIT sleeps until FUTEX_WAKE",
	      "err %d, word %u, futex %ld (%m)", err, fword, r);
}

/* ---- memory: COW, mprotect, munmap, a large anonymous mapping ---------- */

static sigjmp_buf fault_jmp;
static void *volatile fault_addr;
static char *rw_page;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	/* A write to the read-only page: make it writable and retry. */
	if (rw_page && (char *)si->si_addr >= rw_page && (char *)si->si_addr < rw_page + 4096) {
		mprotect(rw_page, 4096, PROT_READ | PROT_WRITE);
		return;
	}
	siglongjmp(fault_jmp, 1);
}

static void t_memory(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	size_t n = 64 * 4096UL;
	char *priv, *shared, *p;
	int bad = 0, st;
	pid_t pid;

	sigaction(SIGSEGV, &sa, NULL);

	/* Copy on write: the child's writes stay the child's. */
	priv = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (priv == MAP_FAILED || shared == MAP_FAILED) {
		check(0, "memory: fork is copy-on-write", "mmap: %m");
		return;
	}
	memset(priv, 'P', n);
	pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < n; i += 4096)
			priv[i] = 'C';
		for (size_t i = 0; i < n; i += 4096)
			if (priv[i] != 'C' || priv[i + 1] != 'P')
				_exit(1);
		shared[0] = 'S';
		_exit(0);
	}
	st = reap(pid);
	for (size_t i = 0; i < n; i++)
		bad += priv[i] != 'P';
	check(!bad && st == 0, "memory: fork is copy-on-write both ways",
	      "%d parent bytes changed, child status %#x", bad, st);
	check(shared[0] == 'S', "memory: a shared mapping is shared with a child",
	      "parent sees %#x", shared[0]);

	/* Parent writes after fork: the child keeps its copy. */
	memset(priv, 'P', n);
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		for (size_t i = 0; i < n; i++)
			if (priv[i] != 'P')
				_exit(1);
		_exit(0);
	}
	memset(priv, 'Q', n);
	check(reap(pid) == 0, "memory: the parent's writes after fork are not the child's",
	      "child saw them");

	/* mprotect: a write to a read-only page faults; the handler fixes it. */
	rw_page = priv;
	fault_addr = NULL;
	mprotect(priv, 4096, PROT_READ);
	*(volatile char *)(priv + 100) = 'W';
	check(fault_addr == priv + 100 && priv[100] == 'W',
	      "memory: a write to an mprotect()ed page is SIGSEGV at its address, then retried",
	      "fault at %p, want %p", (void *)fault_addr, (void *)(priv + 100));
	rw_page = NULL;

	/* munmap: the page is gone.  (Nothing but volatiles across sigsetjmp.) */
	munmap(priv + 4096, 4096);
	fault_addr = NULL;
	{
		volatile int faulted = 0;

		if (sigsetjmp(fault_jmp, 1) == 0)
			(void)*(volatile char *)(priv + 4096 + 8);
		else
			faulted = 1;
		check(faulted && fault_addr == priv + 4096 + 8, "memory: an unmapped page faults",
		      "faulted %d, at %p", faulted, (void *)fault_addr);
	}
	munmap(priv, n);

	/* Near the guest's limit: 90 MiB touched, every word checked. */
	n = 90u << 20;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		check(0, "memory: 90 MiB of anonymous memory hold their contents", "mmap: %m");
		return;
	}
	for (size_t i = 0; i < n; i += sizeof(uint64_t))
		*(uint64_t *)(p + i) = i * 0x9e3779b97f4a7c15ULL;
	bad = 0;
	for (size_t i = 0; i < n; i += sizeof(uint64_t))
		bad += *(uint64_t *)(p + i) != i * 0x9e3779b97f4a7c15ULL;
	check(!bad, "memory: 90 MiB of anonymous memory hold their contents", "%d words wrong",
	      bad);
	munmap(p, n);
	signal(SIGSEGV, SIG_DFL);
}

/* ---- FPU/SSE state across processes ----------------------------------- */

/* Fill xmm0-15 from seed, give the CPU away many times, compare. */
static int sse_keeps(uint64_t seed, int rounds)
{
	uint64_t in[32] __attribute__((aligned(16))), out[32] __attribute__((aligned(16)));
	int bad = 0;

	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < 32; i++)
			in[i] = seed * 0x100000001b3ULL + (uint64_t)(i + r);
		__asm__ volatile(
			"movdqa 0(%1), %%xmm0\n\t movdqa 16(%1), %%xmm1\n\t"
			"movdqa 32(%1), %%xmm2\n\t movdqa 48(%1), %%xmm3\n\t"
			"movdqa 64(%1), %%xmm4\n\t movdqa 80(%1), %%xmm5\n\t"
			"movdqa 96(%1), %%xmm6\n\t movdqa 112(%1), %%xmm7\n\t"
			"movdqa 128(%1), %%xmm8\n\t movdqa 144(%1), %%xmm9\n\t"
			"movdqa 160(%1), %%xmm10\n\t movdqa 176(%1), %%xmm11\n\t"
			"movdqa 192(%1), %%xmm12\n\t movdqa 208(%1), %%xmm13\n\t"
			"movdqa 224(%1), %%xmm14\n\t movdqa 240(%1), %%xmm15\n\t"
			"mov %2, %%eax\n\t syscall\n\t"
			"movdqa %%xmm0, 0(%0)\n\t movdqa %%xmm1, 16(%0)\n\t"
			"movdqa %%xmm2, 32(%0)\n\t movdqa %%xmm3, 48(%0)\n\t"
			"movdqa %%xmm4, 64(%0)\n\t movdqa %%xmm5, 80(%0)\n\t"
			"movdqa %%xmm6, 96(%0)\n\t movdqa %%xmm7, 112(%0)\n\t"
			"movdqa %%xmm8, 128(%0)\n\t movdqa %%xmm9, 144(%0)\n\t"
			"movdqa %%xmm10, 160(%0)\n\t movdqa %%xmm11, 176(%0)\n\t"
			"movdqa %%xmm12, 192(%0)\n\t movdqa %%xmm13, 208(%0)\n\t"
			"movdqa %%xmm14, 224(%0)\n\t movdqa %%xmm15, 240(%0)\n\t"
			: : "r" (out), "r" (in), "i" (SYS_sched_yield)
			: "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
			  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
		bad += memcmp(in, out, sizeof(in)) != 0;
	}
	return bad;
}

/* x87 and SSE arithmetic whose result is known, with yields between. */
static double fp_work(double seed, int rounds)
{
	volatile long double x = seed;
	double y = seed;

	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < 1000; i++) {
			x = x * 1.0000001L + 0.5L;
			y = y * 0.9999999 + 0.25;
		}
		sched_yield();
	}
	return (double)x + y;
}

static void t_fpu(void)
{
	double want1 = fp_work(1.0, 50), want2 = fp_work(2.0, 50);
	int p[2], bad;
	pid_t pid;
	double got = 0;

	/* Two processes doing different float work, switching all the time. */
	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		double r = fp_work(2.0, 50);
		int b = sse_keeps(2, 300);

		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(b ? 1 : 0);
	}
	bad = sse_keeps(1, 300);
	got = fp_work(1.0, 50);
	check(!bad, "fpu: xmm0-15 survive 300 switches to another SSE process",
	      "%d rounds wrong", bad);
	check(got == want1, "fpu: x87 and SSE results unchanged while another process computes",
	      "got %a want %a", got, want1);
	{
		double r = 0;
		ssize_t n = read(p[0], &r, sizeof(r));
		int st = reap(pid);

		check(n == sizeof(r) && r == want2 && st == 0,
		      "fpu: the other process's results and xmm registers are its own",
		      "got %a want %a, status %#x", r, want2, st);
	}
	close(p[0]);
	close(p[1]);

	/* Across a signal handler that uses the FPU itself. */
	handler_fp = 0;
	got = fp_work(3.0, 1);
	kill(getpid(), SIGUSR1);
	check(fp_work(3.0, 1) == got && handler_fp > 0,
	      "fpu: a signal handler's float work does not leak into ours", "handler %a",
	      handler_fp);
}


/* ---- vector registers across switches, signals, faults, interrupts ---- */

/*
 * Every register of each width the CPU and XCR0 offer, filled with a
 * pattern of its own per process and per round, must hold it across
 * what makes the kernel save and restore it: a sched_yield, a blocking
 * pipe read (the processes form a ring of pipes), a signal whose handler
 * fills the registers with other values, a page fault on a fresh page,
 * and a spin long enough for timer interrupts and preemption.  Fill,
 * event and check are one asm statement, so no compiled code touches
 * the registers in between.
 */
enum { V_XMM, V_YMM, V_ZMM, V_NWIDTH };

static const char *const vname[V_NWIDTH] = { "xmm0-15", "ymm0-15", "zmm0-31 and k0-7" };
static const unsigned int vreg[V_NWIDTH] = { 16, 16, 40 };	/* registers */
static const unsigned int vlen[V_NWIDTH] = { 16, 32, 64 };	/* bytes each (k: 8) */

#define VBUF	(32 * 64 + 8 * 8)	/* the largest: zmm0-31, k0-7 */

/* The event between fill and check; offsets are used by VSTEP below. */
struct vstep {
	long nr1, a1, a2, a3;	/* 0: a system call */
	long nr2, b1, b2, b3;	/* 32: another */
	char *touch;		/* 64: a byte to increment, or NULL */
	long spin;		/* 72: turns of an empty loop, >= 1 */
	long r1, r2;		/* 80: the calls' results */
};
_Static_assert(offsetof(struct vstep, touch) == 64 && offsetof(struct vstep, r2) == 88,
	       "VSTEP's offsets");

#define VSTEP								\
	"mov 0(%[s]), %%rax\n\t mov 8(%[s]), %%rdi\n\t"			\
	"mov 16(%[s]), %%rsi\n\t mov 24(%[s]), %%rdx\n\t"		\
	"syscall\n\t mov %%rax, 80(%[s])\n\t"				\
	"mov 32(%[s]), %%rax\n\t mov 40(%[s]), %%rdi\n\t"		\
	"mov 48(%[s]), %%rsi\n\t mov 56(%[s]), %%rdx\n\t"		\
	"syscall\n\t mov %%rax, 88(%[s])\n\t"				\
	"mov 64(%[s]), %%rax\n\t test %%rax, %%rax\n\t jz 1f\n\t"	\
	"incb (%%rax)\n"						\
	"1:\t mov 72(%[s]), %%r8\n"					\
	"2:\t dec %%r8\n\t jnz 2b\n\t"

#define R8(m, a)	m(a, 0) m(a, 1) m(a, 2) m(a, 3) m(a, 4) m(a, 5) m(a, 6) m(a, 7)
#define R16(m, a)	R8(m, a) m(a, 8) m(a, 9) m(a, 10) m(a, 11) m(a, 12) m(a, 13) \
			m(a, 14) m(a, 15)
#define R32(m, a)	R16(m, a) m(a, 16) m(a, 17) m(a, 18) m(a, 19) m(a, 20) m(a, 21) \
			m(a, 22) m(a, 23) m(a, 24) m(a, 25) m(a, 26) m(a, 27) m(a, 28) \
			m(a, 29) m(a, 30) m(a, 31)
#define XLD(p, n)	"movdqu " #n "*16(%[" #p "]), %%xmm" #n "\n\t"
#define XST(p, n)	"movdqu %%xmm" #n ", " #n "*16(%[" #p "])\n\t"
#define YLD(p, n)	"vmovdqu " #n "*32(%[" #p "]), %%ymm" #n "\n\t"
#define YST(p, n)	"vmovdqu %%ymm" #n ", " #n "*32(%[" #p "])\n\t"
#define ZLD(p, n)	"vmovdqu64 " #n "*64(%[" #p "]), %%zmm" #n "\n\t"
#define ZST(p, n)	"vmovdqu64 %%zmm" #n ", " #n "*64(%[" #p "])\n\t"
#define KLD(p, n)	"kmovq 2048+" #n "*8(%[" #p "]), %%k" #n "\n\t"
#define KST(p, n)	"kmovq %%k" #n ", 2048+" #n "*8(%[" #p "])\n\t"

#define VCLOBBER16	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
			"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#define VCLOBBER32	VCLOBBER16, "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", \
			"xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", \
			"xmm29", "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", \
			"k6", "k7"
#define VCLOBBER	"rax", "rcx", "rdx", "rsi", "rdi", "r8", "r11", "memory", "cc"

static void vround_xmm(const void *in, void *out, struct vstep *s)
{
	__asm__ volatile(R16(XLD, in) VSTEP R16(XST, out)
			 : : [in] "r" (in), [out] "r" (out), [s] "r" (s)
			 : VCLOBBER, VCLOBBER16);
}

__attribute__((target("avx")))
static void vround_ymm(const void *in, void *out, struct vstep *s)
{
	__asm__ volatile(R16(YLD, in) VSTEP R16(YST, out) "vzeroupper\n\t"
			 : : [in] "r" (in), [out] "r" (out), [s] "r" (s)
			 : VCLOBBER, VCLOBBER16);
}

__attribute__((target("avx512f,avx512bw")))
static void vround_zmm(const void *in, void *out, struct vstep *s)
{
	__asm__ volatile(R32(ZLD, in) R8(KLD, in) VSTEP R32(ZST, out) R8(KST, out)
			 "vzeroupper\n\t"
			 : : [in] "r" (in), [out] "r" (out), [s] "r" (s)
			 : VCLOBBER, VCLOBBER32);
}

/* The signal handler's own values, in every register of the widest kind. */
static int vwidest;
static volatile sig_atomic_t vsignals;
static uint8_t vjunk[VBUF] __attribute__((aligned(64)));

__attribute__((target("avx512f,avx512bw")))
static void vclobber_zmm(void)
{
	__asm__ volatile(R32(ZLD, in) R8(KLD, in) "vzeroupper\n\t"
			 : : [in] "r" (vjunk) : "memory", VCLOBBER32);
}

__attribute__((target("avx")))
static void vclobber_ymm(void)
{
	__asm__ volatile(R16(YLD, in) : : [in] "r" (vjunk) : "memory", VCLOBBER16);
}

static void on_usr2(int sig)
{
	(void)sig;
	if (vwidest == V_ZMM)
		vclobber_zmm();
	else if (vwidest == V_YMM)
		vclobber_ymm();
	else
		__asm__ volatile(R16(XLD, in) : : [in] "r" (vjunk) : "memory", VCLOBBER16);
	vsignals++;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ULL;
	x ^= x >> 27;
	x *= 0x81dadef4bc2e72a5ULL;
	return x ^ (x >> 33);
}

/* The widest registers this CPU and XCR0 give user space. */
static int vwidth_max(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;
	uint64_t xcr0;

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 27)) || !(c & (1u << 28)))	/* OSXSAVE, AVX */
		return V_XMM;
	__asm__ volatile("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
	xcr0 = (uint64_t)hi << 32 | lo;
	if ((xcr0 & 0x6) != 0x6)
		return V_XMM;
	__cpuid_count(7, 0, a, b, c, d);
	/* AVX512F and AVX512BW (kmovq), opmask and both zmm components */
	if ((b & (1u << 16)) && (b & (1u << 30)) && (xcr0 & 0xe6) == 0xe6)
		return V_ZMM;
	return V_YMM;
}

struct vresult {
	int width;
	long rounds, mode[5], regs, bad, upper_only, zeroed, signals;
	long nivcsw, nvcsw, minflt;
	char first[160];
};

#define VPROCS		6
#define VMODES		5	/* yield, pipe, signal, fault, spin */
#define VFAULT_PAGES	512

/* One process: rounds of fill, event, check until the deadline. */
static void vworker(int me, int width, uint64_t deadline, int rd, int wr, long spin,
		    struct vresult *res)
{
	static uint8_t in[VBUF] __attribute__((aligned(64)));
	static uint8_t out[VBUF] __attribute__((aligned(64)));
	unsigned int nreg = vreg[width], len = vlen[width], page = VFAULT_PAGES;
	struct sigaction sa = { .sa_handler = on_usr2 };
	char *fresh = mmap(NULL, VFAULT_PAGES * 4096UL, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static char tok = 'v', got;
	struct rusage ru;
	pid_t self = getpid();

	memset(res, 0, sizeof(*res));
	res->width = width;
	sigaction(SIGUSR2, &sa, NULL);
	for (size_t i = 0; i < sizeof(vjunk); i++)
		vjunk[i] = (uint8_t)(0xa5 ^ i ^ (unsigned int)self);
	for (long r = 0; now_ns() < deadline; r++) {
		struct vstep s = { .nr1 = SYS_getppid, .nr2 = SYS_getppid, .spin = 1 };
		int mode = (int)(r % VMODES);

		for (size_t i = 0; i < sizeof(in) / 8; i++) {
			uint64_t v = mix64(((uint64_t)me << 56) ^ ((uint64_t)r << 20) ^ i);

			memcpy(in + i * 8, &v, 8);
		}
		memset(out, 0, sizeof(out));
		switch (mode) {
		case 0:
			s.nr1 = SYS_sched_yield;
			break;
		case 1:
			s = (struct vstep){ .nr1 = SYS_write, .a1 = wr, .a2 = (long)&tok, .a3 = 1,
					    .nr2 = SYS_read, .b1 = rd, .b2 = (long)&got, .b3 = 1,
					    .spin = 1 };
			break;
		case 2:
			s.nr1 = SYS_kill;
			s.a1 = self;
			s.a2 = SIGUSR2;
			break;
		case 3:
			if (fresh == MAP_FAILED)
				break;
			if (page == VFAULT_PAGES) {
				madvise(fresh, VFAULT_PAGES * 4096UL, MADV_DONTNEED);
				page = 0;
			}
			s.touch = fresh + 4096UL * page++;
			break;
		default:
			s.spin = spin;
			break;
		}
		if (width == V_ZMM)
			vround_zmm(in, out, &s);
		else if (width == V_YMM)
			vround_ymm(in, out, &s);
		else
			vround_xmm(in, out, &s);
		res->rounds++;
		res->mode[mode]++;
		for (unsigned int k = 0; k < nreg; k++) {
			unsigned int n = k < 32 ? len : 8, off = k < 32 ? k * len : 2048 + (k - 32) * 8;
			int upper = n > 16 && !memcmp(in + off, out + off, 16);
			int zero = 1;

			res->regs++;
			if (!memcmp(in + off, out + off, n))
				continue;
			for (unsigned int j = 0; j < n; j++)
				zero &= out[off + j] == 0 || out[off + j] == in[off + j];
			res->bad++;
			res->upper_only += upper;
			res->zeroed += zero;
			if (!res->first[0]) {
				uint64_t w, g;
				unsigned int j = 0;

				while (j + 8 < n && !memcmp(in + off + j, out + off + j, 8))
					j += 8;
				memcpy(&w, in + off + j, 8);
				memcpy(&g, out + off + j, 8);
				snprintf(res->first, sizeof(res->first),
					 "%s%u bytes %u-%u after a %s: %#llx, want %#llx",
					 k < 32 ? (width == V_XMM ? "xmm" : width == V_YMM ? "ymm" :
						   "zmm") : "k", k < 32 ? k : k - 32, j, j + 7,
					 (const char *const[]){ "sched_yield", "pipe read",
								 "signal", "page fault", "spin" }[mode],
					 (unsigned long long)g, (unsigned long long)w);
			}
		}
	}
	close(wr);
	res->signals = vsignals;
	getrusage(RUSAGE_SELF, &ru);
	res->nivcsw = ru.ru_nivcsw;
	res->nvcsw = ru.ru_nvcsw;
	res->minflt = ru.ru_minflt;
}

/* Turns of VSTEP's empty loop in a millisecond, roughly. */
static long vspin_per_ms(void)
{
	static uint8_t in[VBUF] __attribute__((aligned(64))), out[VBUF] __attribute__((aligned(64)));
	struct vstep s = { .nr1 = SYS_getppid, .nr2 = SYS_getppid, .spin = 1000000 };
	uint64_t t0 = now_ns(), ns;

	vround_xmm(in, out, &s);
	ns = now_ns() - t0;
	return ns ? (long)(1000000ULL * 1000000ULL / ns) + 1 : 1000000;
}

static void t_vectors_for(unsigned int seconds)
{
	int widest = vwidth_max(), fds[VPROCS][2], res_pipe[2];
	struct vresult sum[V_NWIDTH] = { 0 };
	int procs[V_NWIDTH] = { 0 }, died = 0;
	long spin = 5 * vspin_per_ms();
	uint64_t deadline = now_ns() + seconds * 1000000000ULL;
	pid_t pid[VPROCS];

	vwidest = widest;
	printf("battery: vector registers up to %s (%s), %u s, %d processes\n", vname[widest],
	       widest == V_ZMM ? "AVX-512" : widest == V_YMM ? "AVX" : "SSE", seconds, VPROCS);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(res_pipe)) {
		check(0, "fpu: vector registers", "pipe: %m");
		return;
	}
	for (int i = 0; i < VPROCS; i++) {
		if (pipe(fds[i])) {
			check(0, "fpu: vector registers", "pipe: %m");
			return;
		}
	}
	/* Process i reads pipe i and writes pipe i+1: a ring in lockstep. */
	for (int i = 0; i < VPROCS; i++) {
		int width = i % (widest + 1);

		procs[width]++;
		pid[i] = fork();
		if (pid[i] == 0) {
			static struct vresult r;
			int wr = fds[(i + 1) % VPROCS][1], rd = fds[i][0];

			for (int j = 0; j < VPROCS; j++) {
				if (fds[j][0] != rd)
					close(fds[j][0]);
				if (fds[j][1] != wr)
					close(fds[j][1]);
			}
			close(res_pipe[0]);
			vworker(i + 1, width, deadline, rd, wr, spin, &r);
			_exit(write(res_pipe[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
		}
	}
	for (int i = 0; i < VPROCS; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	close(res_pipe[1]);
	for (int i = 0; i < VPROCS; i++) {
		struct vresult r;
		struct vresult *s;

		if (read(res_pipe[0], &r, sizeof(r)) != sizeof(r) || r.width < 0 ||
		    r.width >= V_NWIDTH) {
			died++;
			continue;
		}
		s = &sum[r.width];
		s->rounds += r.rounds;
		for (int m = 0; m < VMODES; m++)
			s->mode[m] += r.mode[m];
		s->regs += r.regs;
		s->bad += r.bad;
		s->upper_only += r.upper_only;
		s->zeroed += r.zeroed;
		s->signals += r.signals;
		s->nivcsw += r.nivcsw;
		s->nvcsw += r.nvcsw;
		s->minflt += r.minflt;
		if (!s->first[0])
			memcpy(s->first, r.first, sizeof(s->first));
	}
	close(res_pipe[0]);
	for (int i = 0; i < VPROCS; i++)
		died += reap(pid[i]) != 0;
	for (int w = 0; w <= widest; w++) {
		const struct vresult *s = &sum[w];
		char what[200];
		int seen = s->mode[0] > 0 && s->mode[1] > 0 && s->signals == s->mode[2] &&
			   s->signals > 0 && s->minflt >= s->mode[3] && s->mode[4] > 0;

		printf("battery: %s: %d processes, %ld rounds (%ld yields, %ld pipe reads, "
		       "%ld signals handled, %ld fresh pages, %ld spins), %ld registers checked, "
		       "%ld voluntary and %ld involuntary switches, %ld wrong\n",
		       vname[w], procs[w], s->rounds, s->mode[0], s->mode[1], s->signals,
		       s->mode[3], s->mode[4], s->regs, s->nvcsw, s->nivcsw, s->bad);
		snprintf(what, sizeof(what), "fpu: %s of %d processes keep their values across "
			 "switches, pipes, signals, page faults and preemption", vname[w], procs[w]);
		check(!died && s->bad == 0 && seen && s->nivcsw > 0, what,
		      "%ld of %ld registers wrong (%ld only in the upper half, %ld zeroed), "
		      "first: %s; %d processes died; rounds %ld/%ld/%ld/%ld/%ld, signals %ld, "
		      "involuntary switches %ld",
		      s->bad, s->regs, s->upper_only, s->zeroed, s->first[0] ? s->first : "none",
		      died, s->mode[0], s->mode[1], s->mode[2], s->mode[3], s->mode[4],
		      s->signals, s->nivcsw);
	}
}

/* Every vector register width the CPU has, for a few seconds. */
static void t_vectors(void)
{
	t_vectors_for(4);
}

/* ---- time ------------------------------------------------------------- */

#define LGCLOCKS	9	/* t_userland expects as many */

/*
 * Which CPU this is, by every route user space has: getcpu() (the vDSO's
 * RDPID or LSL), RDTSCP's TSC_AUX and RDPID.  The guest has one CPU, 0;
 * the host's number here would tell the guest where it runs.
 */
static void t_cpu(void)
{
	unsigned int a, b, c, d;
	int cpu = sched_getcpu();

	check(cpu == 0, "cpu: getcpu() says CPU 0, the guest's only one", "it says %d", cpu);
	if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 27))) {
		unsigned int aux;

		__asm__ volatile("rdtscp" : "=a" (a), "=d" (d), "=c" (aux));
		check(aux == 0, "cpu: RDTSCP's TSC_AUX is CPU 0, node 0", "it is %#x", aux);
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 22))) {
		uint64_t id;

		__asm__ volatile("rdpid %0" : "=r" (id));
		check(id == 0, "cpu: RDPID says CPU 0, node 0", "it says %#llx",
		      (unsigned long long)id);
	}
}

/*
 * System calls the kernel does not have: -1 and one past every table
 * (natively -ENOSYS; in the guest -1 once returned its own number).
 * Linux's syscall_numbering checks all of them, on one matrix entry only.
 */
static void t_nosys(void)
{
	long r;

	errno = 0;
	r = syscall(-1L);
	check(r == -1 && errno == ENOSYS, "syscalls: number -1 fails with ENOSYS",
	      "returned %ld, errno %d", r, errno);
	errno = 0;
	r = syscall(100000L);
	check(r == -1 && errno == ENOSYS, "syscalls: number 100000 fails with ENOSYS",
	      "returned %ld, errno %d", r, errno);
}

static void t_time(void)
{
	struct timespec req = { 0, 200000000 };
	uint64_t t0, t1;
	struct timespec rt0, rt1;

	t0 = now_ns();
	nanosleep(&req, NULL);
	t1 = now_ns();
	check(t1 - t0 >= 200000000u && t1 - t0 < 400000000u,
	      "time: nanosleep(200 ms) takes 200-400 ms of CLOCK_MONOTONIC", "%llu ns",
	      (unsigned long long)(t1 - t0));

	/*
	 * For t_userland: nine readings 250 ms apart, to set against its
	 * clock.  A line can reach it late, never early, so it compares the
	 * earliest arrivals at the start and at the end.
	 */
	clock_gettime(CLOCK_REALTIME, &rt0);
	req.tv_nsec = 250000000;
	for (int i = 0; i < LGCLOCKS; i++) {
		if (i)
			nanosleep(&req, NULL);
		printf("LGCLOCK %llu\n", (unsigned long long)now_ns());
		fflush(stdout);
	}
	clock_gettime(CLOCK_REALTIME, &rt1);
	check(rt1.tv_sec - rt0.tv_sec >= 1 && rt1.tv_sec - rt0.tv_sec <= 3,
	      "time: CLOCK_REALTIME advances with the sleep", "%ld s",
	      (long)(rt1.tv_sec - rt0.tv_sec));
}

/* ---- persistence ------------------------------------------------------ */

#define PERSIST	"/data/persist"

static int persist(const char *how, const char *token)
{
	int fd;
	ssize_t n;

	if (!strcmp(how, "persist-write")) {
		check(access(PERSIST, F_OK) != 0, "ext4: the file is new", "it exists already");
		fd = open(PERSIST, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		n = fd < 0 ? -1 : write(fd, token, strlen(token));
		check(n == (ssize_t)strlen(token) && fsync(fd) == 0 && close(fd) == 0,
		      "ext4: write a file and fsync it", "%m");
	} else {
		char buf[128] = "";

		fd = open(PERSIST, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		check(!strcmp(buf, token), "ext4: the file written before power-off is there",
		      "read '%s' (%zd), want '%s'", buf, n, token);
	}
	printf("BATTERY DONE %d\n", checks);
	return failed != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strncmp(argv[1], "persist-", 8) == 0)
		return persist(argv[1], argv[2]);
	if (argc >= 2 && argc <= 3 && !strcmp(argv[1], "vectors")) {
		t_vectors_for(argc == 3 ? (unsigned int)atoi(argv[2]) : 4);
		printf("BATTERY DONE %d\n", checks);
		return failed != 0;
	}
	if (argc != 2 || strcmp(argv[1], "all") != 0) {
		fprintf(stderr, "usage: battery all | vectors [SECONDS] | persist-write T | "
			"persist-check T\n");
		return 2;
	}
	{
		static const struct {
			const char *name;
			void (*fn)(void);
		} parts[] = {
			{ "fork/exec", t_fork_exec }, { "pipes", t_pipes },
			{ "signals", t_signals }, { "threads", t_threads },
			{ "memory", t_memory }, { "fpu", t_fpu }, { "vectors", t_vectors },
			{ "time", t_time }, { "cpu", t_cpu }, { "nosys", t_nosys },
		};

		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			uint64_t t0 = now_ns();

			parts[i].fn();
			printf("battery: %s took %llu ms\n", parts[i].name,
			       (unsigned long long)((now_ns() - t0) / 1000000));
		}
	}
	printf("BATTERY DONE %d\n", checks);
	return failed != 0;
}
