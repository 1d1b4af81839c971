// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: the guest maps the launcher's device window (mmio_spec.h) and
 * makes the scripted accesses with the mov forms of Linux's MMIO
 * accessors (register <-> memory, 1 to 8 bytes); each becomes an
 * LGUEST_EXIT_MMIO that the launcher checks and answers.
 */
#include "rt/rt.h"
#include "mmio_spec.h"

const char rt_guest_name[] = "mmio";

void guest_main(void)
{
	u64 base = TEST_VA + 0x400000;
	volatile u8 *b = (volatile u8 *)base;
	u8 r8;
	u16 r16;
	u32 r32;
	u64 r64;

	rt_map(base, MMIO_SPEC_GPA, PTE_W | PTE_PCD | PTE_PWT | PTE_NX);
	rt_flush_all();
	/* The forms Linux's writeb..writeq and readb..readq use: register and memory. */
	asm volatile("movb %b1, (%0)" : : "r"(b), "q"(0xa5) : "memory");
	asm volatile("movw %w1, 2(%0)" : : "r"(b), "r"(0xbeef) : "memory");
	asm volatile("movl %k1, 4(%0)" : : "r"(b), "r"(0xdeadbeef) : "memory");
	asm volatile("movq %1, 8(%0)" : : "r"(b), "r"(0x0123456789abcdefULL) : "memory");
	asm volatile("movb 0x10(%1), %0" : "=q"(r8) : "r"(b) : "memory");
	asm volatile("movw 0x12(%1), %0" : "=r"(r16) : "r"(b) : "memory");
	asm volatile("movl 0x14(%1), %0" : "=r"(r32) : "r"(b) : "memory");
	asm volatile("movq 0x18(%1), %0" : "=r"(r64) : "r"(b) : "memory");
	CHECK(r8 == 0x5a && r16 == 0xcafe && r32 == 0x87654321 && r64 == 0xfedcba9876543210ULL,
	      "reads of 1, 2, 4 and 8 bytes return the device's values",
	      "%#x %#x %#x %#llx", r8, r16, r32, r64);
	asm volatile("movq %1, 0xff8(%0)" : : "r"(b), "r"(0x1122334455667788ULL) : "memory");
	asm volatile("movq 0xff8(%1), %0" : "=r"(r64) : "r"(b) : "memory");
	CHECK(r64 == 0x8877665544332211ULL, "the window's last 8 bytes", "%#llx", r64);
}
