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
	/* Loads finish as the CPU's would: 32 bits zero-extend, 8 and 16 merge. */
	{ 0x020, 4, 0, 0x89abcdef },		/* movl (mem), %eax; rax was ~0 */
	{ 0x024, 1, 0, 0xa1 },			/* movb (mem), %al */
	{ 0x026, 2, 0, 0xb2c3 },		/* movw (mem), %ax */
	/* The high-byte registers (no REX): loads, then stores. */
	{ 0x028, 1, 0, 0xc1 },			/* movb (mem), %ah */
	{ 0x029, 1, 0, 0xc2 },			/* %bh */
	{ 0x02a, 1, 0, 0xc3 },			/* %ch */
	{ 0x02b, 1, 0, 0xc4 },			/* %dh */
	{ 0x02c, 1, 1, 0xd1 },			/* movb %ah, (mem) */
	{ 0x02d, 1, 1, 0xd2 },			/* %bh */
	{ 0x02e, 1, 1, 0xd3 },			/* %ch */
	{ 0x02f, 1, 1, 0xd4 },			/* %dh */
	/* The same numbers with a REX prefix: %sil and %dil, not %dh and %bh. */
	{ 0x030, 1, 1, 0xe1 },			/* movb %sil, (mem) */
	{ 0x031, 1, 0, 0xe2 },			/* movb (mem), %dil */
	/* r8-r15 (REX.R) as destination, then as source. */
	{ 0x038, 8, 0, 0x0102030405060708ULL },	/* movq (mem), %r8 */
	{ 0x040, 4, 0, 0x90a0b0c0 },		/* movl (mem), %r9d; r9 was ~0 */
	{ 0x044, 2, 0, 0xd0e0 },		/* movw (mem), %r10w */
	{ 0x046, 1, 0, 0xf0 },			/* movb (mem), %r11b */
	{ 0x048, 8, 0, 0x1f2e3d4c5b6a7988ULL },	/* movq (mem), %r15 */
	{ 0x050, 8, 1, 0x1212121212121212ULL },	/* movq %r12, (mem) */
	{ 0x058, 4, 1, 0x13131313 },		/* movl %r13d, (mem) */
	{ 0x05c, 2, 1, 0x1414 },		/* movw %r14w, (mem) */
	{ 0x05e, 1, 1, 0x15 },			/* movb %r15b, (mem) */
	{ 0x060, 2, 1, 0x0909 },		/* movw %r9w, (mem): 0x66 and REX */
	/* Addressing forms: each must be measured right to resume after it. */
	{ 0x064, 4, 1, 0x64646464 },		/* (%r12): REX.B, SIB */
	{ 0x068, 4, 0, 0x68686868 },		/* 0(%r13): REX.B, disp8 */
	{ 0x06c, 4, 1, 0x6c6c6c6c },		/* disp8(%rsi,%rcx,4) */
	{ 0x070, 4, 1, 0x70707070 },		/* disp32(%rsi) */
	{ 0x074, 4, 0, 0x74747474 },		/* disp32(,%rcx,1): no base */
};
#define MMIO_SPEC_N (sizeof(mmio_spec) / sizeof(mmio_spec[0]))

#endif
