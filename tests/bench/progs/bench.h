/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtbench's common part: a clock, arguments, and the one output line.
 *
 * Every program runs its operation ITERS times per repetition, REPS
 * repetitions after one warm-up, and prints
 *
 *	VB <key> <median> <min> <max> <unit> <reps>
 *
 * per row: the cost of one operation, median and range over the reps.
 * The same binary runs natively, in an lguest guest and in a UML guest.
 *
 * With VB_PROFILE set (lguest guests, tests/bench/t_virtbench) each timed
 * loop is also framed by vb_mark(): the VM host reads lg.ko's counters
 * at both ends, for the per-operation profile.
 *
 * The clock is the TSC when VB_TSC_KHZ is set (the VM host measures its
 * rate once and hands it to every guest): an lguest guest under QEMU's
 * software CPU has no TSC rate of its own and its clock_gettime() ticks
 * in jiffies, while rdtsc is the same counter everywhere.
 */
#ifndef VB_BENCH_H
#define VB_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define VB_MAX_REPS 64

static uint64_t vb_tsc_khz;
/* Operations one iteration of vb_run()'s fn makes (the profile's per-op). */
static long vb_ops_per_iter = 1;

static inline uint64_t vb_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t vb_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds on the benchmark clock (only differences mean anything). */
static inline uint64_t vb_now_ns(void)
{
	if (vb_tsc_khz)
		return (uint64_t)((unsigned __int128)vb_rdtsc() * 1000000U / vb_tsc_khz);
	return vb_clock_ns();
}

static inline void vb_die(const char *what)
{
	fprintf(stderr, "virtbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static inline long vb_num(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi) {
		fprintf(stderr, "virtbench: %s must be %ld..%ld, not '%s'\n", what, lo, hi, s);
		exit(2);
	}
	return v;
}

/*
 * argv[first] and argv[first + 1], if given, override the repetitions and
 * the iterations per repetition (the smoke test runs "1 1").
 */
static inline void vb_args(int argc, char **argv, int first, int *reps, long *iters)
{
	const char *k = getenv("VB_TSC_KHZ");

	if (k && *k)
		vb_tsc_khz = (uint64_t)vb_num(k, "VB_TSC_KHZ", 1, 100000000);
	if (argc > first)
		*reps = (int)vb_num(argv[first], "reps", 1, VB_MAX_REPS);
	if (argc > first + 1)
		*iters = vb_num(argv[first + 1], "iterations", 1, 1L << 30);
}

/*
 * With VB_PROFILE set: print "VBMARK KEY start|end OPS" and wait for a
 * line on the console, which the VM host sends once it has read lg.ko's
 * counters.  Outside the timed part, so it costs the figures nothing.
 */
static inline void vb_mark(const char *key, const char *phase, long ops)
{
	static int echo_off;
	char c = 0;

	if (!getenv("VB_PROFILE"))
		return;
	/* No echo of the answer: its console output would count against the row. */
	if (!echo_off) {
		struct termios t;

		if (tcgetattr(0, &t) == 0) {
			t.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(0, TCSANOW, &t);
		}
		echo_off = 1;
	}
	printf("VBMARK %s %s %ld\n", key, phase, ops);
	fflush(stdout);
	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

static int vb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One row: per-operation figures of each repetition, summarised. */
static inline void vb_report(const char *key, const char *unit, double *v, int n)
{
	double med;

	qsort(v, (size_t)n, sizeof(*v), vb_cmp);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("VB %s %.1f %.1f %.1f %s %d\n", key, med, v[0], v[n - 1], unit, n);
	fflush(stdout);
}

/*
 * The usual shape: warm up once, then time REPS runs of fn(ITERS) and
 * report nanoseconds (divided by div) per iteration.
 */
static inline void vb_run(const char *key, const char *unit, double div, int reps, long iters,
			  void (*fn)(long iters))
{
	double v[VB_MAX_REPS] = { 0 };

	fn(iters);
	vb_mark(key, "start", 0);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = vb_now_ns();

		fn(iters);
		v[r] = (double)(vb_now_ns() - t0) / (double)iters / div;
	}
	vb_mark(key, "end", reps * iters * vb_ops_per_iter);
	vb_report(key, unit, v, reps);
}

#endif
