/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny test framework for programs that run inside the VM host.
 * Each check prints one line the harness counts:
 *   LGTEST PASS <name>
 *   LGTEST FAIL <name>: <why>
 */
#ifndef LGTEST_H
#define LGTEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int lgtest_failed;

#define CHECK(cond, name, ...) do {					\
	if (cond) {							\
		printf("LGTEST PASS %s\n", name);			\
	} else {							\
		printf("LGTEST FAIL %s: ", name);			\
		printf(__VA_ARGS__);					\
		printf(" (%s:%d)\n", __FILE__, __LINE__);		\
		lgtest_failed = 1;					\
	}								\
	fflush(stdout);							\
} while (0)

/* Check that a call failed with exactly the errno the ABI promises. */
#define CHECK_ERRNO(call, want, name) do {				\
	long _r = (long)(call);						\
	int _e = errno;							\
	CHECK(_r == -1 && _e == (want), name,				\
	      "returned %ld errno %d (%s), wanted errno %d (%s)",	\
	      _r, _e, strerror(_e), want, strerror(want));		\
} while (0)

#endif
