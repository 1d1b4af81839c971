/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MMIO test's script, shared by the guest (tests/guests/mmio.c) and
 * the launcher (tests/vm/progs/t_guests.c): the guest makes exactly these
 * accesses to its device window at MMIO_GPA, in this order, and the
 * launcher checks each exit against them and answers the reads.
 */
#ifndef MMIO_SPEC_H
#define MMIO_SPEC_H

#include <linux/types.h>

#define MMIO_SPEC_GPA	0x1000000000ULL	/* 64 GiB, as liblguest's windows */
#define MMIO_SPEC_SIZE	0x1000ULL

struct mmio_spec_op {
	__u32 off;
	__u32 size;
	__u32 is_write;
	__u64 val;	/* written, or what the read returns */
};

static const struct mmio_spec_op mmio_spec[] = {
	{ 0x000, 1, 1, 0xa5 },			/* movb %reg, (mem) */
	{ 0x002, 2, 1, 0xbeef },		/* movw %reg, (mem) */
	{ 0x004, 4, 1, 0xdeadbeef },		/* movl %reg, (mem) */
	{ 0x008, 8, 1, 0x0123456789abcdefULL },	/* movq %reg, (mem) */
	{ 0x010, 1, 0, 0x5a },			/* movb (mem), %reg */
	{ 0x012, 2, 0, 0xcafe },		/* movw (mem), %reg */
	{ 0x014, 4, 0, 0x87654321 },		/* movl (mem), %reg */
	{ 0x018, 8, 0, 0xfedcba9876543210ULL },	/* movq (mem), %reg */
	{ 0xff8, 8, 1, 0x1122334455667788ULL },	/* the window's last 8 bytes */
	{ 0xff8, 8, 0, 0x8877665544332211ULL },
};
#define MMIO_SPEC_N (sizeof(mmio_spec) / sizeof(mmio_spec[0]))

#endif
