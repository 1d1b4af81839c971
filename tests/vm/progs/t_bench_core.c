// SPDX-License-Identifier: GPL-2.0
/*
 * The core benchmark (make bench-core): what each basic operation of the
 * hypervisor costs, beside the native operation it stands in for, both
 * measured in this same boot of the VM host.  The guest (tests/guests/
 * bench.S) marks the end of each phase with a console hypercall; we time
 * the phases.  In make check it is a smoke test: every phase must finish
 * and yield a figure; no figure is judged.
 */
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

#include "flatguest.h"
#include "lgtest.h"

#define N	20000
#define PAGES	4096

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double native_getpid(void)
{
	double t = now_ns();
	int i;

	for (i = 0; i < N; i++)
		syscall(SYS_getpid);
	return (now_ns() - t) / N;
}

static double native_fault(void)
{
	size_t len = (size_t)PAGES * 4096, i;
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t = now_ns();

	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	t = (now_ns() - t) / PAGES;
	munmap((void *)p, len);
	return t;
}

int main(void)
{
	static const struct {
		const char *what;
		int ops;
		int native;	/* 1: getpid, 2: page fault, 0: none */
	} rows[6] = {
		{ "hypercall round trip (2 world switches)", N, 1 },
		{ "syscall: guest user -> guest kernel -> user (fast path)", N, 1 },
		{ "syscall: the same through the host (slow path)", N, 1 },
		{ "shadow page fault fill", PAGES, 2 },
		{ "PTE update, single (write + FLUSH_TLB_ONE)", N, 0 },
		{ "PTE update, batched (64 writes, 64 queued FLUSH_TLB_ONE), per PTE",
		  N / 64 * 64, 0 },
	};
	double mark[7] = { 0 }, getpid_ns, fault_ns;
	struct flatguest g = { .fd = -1 };
	int i, marks = 0;

	getpid_ns = native_getpid();
	fault_ns = native_fault();

	CHECK(flatguest_start(&g, "/tests/bench.bin") == 0, "bench-core: guest starts", "%s",
	      strerror(errno));
	if (g.run == MAP_FAILED)
		return 1;
	while (ioctl(g.fd, LGUEST_RUN, 0) == 0 && g.run->exit_reason == LGUEST_EXIT_HCALL) {
		double t = now_ns();
		uint64_t m = g.run->hcall.args[0];

		if (g.run->hcall.nr == LHCALL_CONSOLE_WRITE && m < 7 && (int)m == marks)
			mark[marks++] = t;
	}
	CHECK(g.run->exit_reason == LGUEST_EXIT_SHUTDOWN && marks == 7,
	      "bench-core: every phase ran", "exit %u after %d marks: %s",
	      g.run->exit_reason, marks, g.run->killed.reason);
	if (marks != 7)
		return 1;

	printf("BENCH %-56s %12s %12s %8s\n", "operation", "lguest ns", "native ns", "ratio");
	for (i = 0; i < 6; i++) {
		double ns = (mark[i + 1] - mark[i]) / rows[i].ops;
		double nat = rows[i].native == 1 ? getpid_ns : rows[i].native == 2 ? fault_ns : 0;

		if (nat > 0)
			printf("BENCH %-56s %12.0f %12.0f %8.1f\n", rows[i].what, ns, nat, ns / nat);
		else
			printf("BENCH %-56s %12.0f %12s %8s\n", rows[i].what, ns, "-", "-");
	}
	/* A hypercall that does nothing is two world switches and no work. */
	printf("BENCH %-56s %12.0f %12s %8s\n", "world switch, one way (half the round trip)",
	       (mark[1] - mark[0]) / rows[0].ops / 2, "-", "-");
	printf("BENCH native: getpid() %.0f ns, first-touch page fault %.0f ns\n",
	       getpid_ns, fault_ns);
	CHECK(getpid_ns > 0 && fault_ns > 0, "bench-core: native figures measured", "0");
	close(g.fd);
	return lgtest_failed;
}
