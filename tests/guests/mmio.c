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

#define PATTERN 0x1122334455667788ULL

/* A read's result lands in the register as the CPU would put it there. */
static void loads_finish(volatile u8 *b)
{
	u64 r32 = ~0ULL, r8 = PATTERN, r16 = PATTERN;

	asm volatile("movl 0x20(%1), %k0" : "+r"(r32) : "r"(b) : "memory");
	asm volatile("movb 0x24(%1), %b0" : "+q"(r8) : "r"(b) : "memory");
	asm volatile("movw 0x26(%1), %w0" : "+r"(r16) : "r"(b) : "memory");
	CHECK(r32 == 0x89abcdef, "a 4-byte read zero-extends into the 64-bit register",
	      "%#llx", r32);
	CHECK(r8 == 0x11223344556677a1ULL && r16 == 0x112233445566b2c3ULL,
	      "1- and 2-byte reads leave the rest of the register alone", "%#llx %#llx", r8, r16);
}

/* %ah..%bh are registers 4..7 without REX; with any REX, %spl..%dil. */
static void high_bytes(volatile u8 *b)
{
	u64 a = PATTERN, bx = PATTERN, c = PATTERN, d = PATTERN, si, di;

	asm volatile("movb 0x28(%4), %%ah\n\tmovb 0x29(%4), %%bh\n\t"
		     "movb 0x2a(%4), %%ch\n\tmovb 0x2b(%4), %%dh"
		     : "+a"(a), "+b"(bx), "+c"(c), "+d"(d) : "S"(b) : "memory");
	CHECK(a == 0x112233445566c188ULL && bx == 0x112233445566c288ULL &&
	      c == 0x112233445566c388ULL && d == 0x112233445566c488ULL,
	      "reads into %ah, %bh, %ch, %dh change just those bytes",
	      "%#llx %#llx %#llx %#llx", a, bx, c, d);
	/* The low bytes differ, so a store of %al for %ah shows. */
	asm volatile("movb %%ah, 0x2c(%4)\n\tmovb %%bh, 0x2d(%4)\n\t"
		     "movb %%ch, 0x2e(%4)\n\tmovb %%dh, 0x2f(%4)"
		     : : "a"(0xd1ffUL), "b"(0xd2eeUL), "c"(0xd3ddUL), "d"(0xd4ccUL), "S"(b)
		     : "memory");
	/* %dh (0x99) and %rbx would show a decoder that took them for these. */
	d = 0x99ffUL;
	bx = PATTERN;
	di = PATTERN;
	si = 0xe1;
	asm volatile("movb %%sil, 0x30(%3)\n\tmovb 0x31(%3), %%dil"
		     : "+D"(di), "+b"(bx) : "S"(si), "a"(b), "d"(d) : "memory");
	CHECK(di == 0x11223344556677e2ULL && bx == PATTERN,
	      "with REX, byte register 7 is %dil, not %bh", "rdi %#llx rbx %#llx", di, bx);
}

/* r8-r15 (REX.R) on both sides of the access. */
static void rex_registers(volatile u8 *b)
{
	u64 r8v, r9v, r10v, r11v, r15v;

	asm volatile("movq 0x38(%5), %%r8\n\t"
		     "movq $-1, %%r9\n\tmovl 0x40(%5), %%r9d\n\t"
		     "movq %6, %%r10\n\tmovw 0x44(%5), %%r10w\n\t"
		     "movq %6, %%r11\n\tmovb 0x46(%5), %%r11b\n\t"
		     "movq 0x48(%5), %%r15\n\t"
		     "movq %%r8, %0\n\tmovq %%r9, %1\n\tmovq %%r10, %2\n\t"
		     "movq %%r11, %3\n\tmovq %%r15, %4"
		     : "=m"(r8v), "=m"(r9v), "=m"(r10v), "=m"(r11v), "=m"(r15v)
		     : "r"(b), "r"(PATTERN)
		     : "memory", "r8", "r9", "r10", "r11", "r15");
	CHECK(r8v == 0x0102030405060708ULL && r9v == 0x90a0b0c0 &&
	      r10v == 0x112233445566d0e0ULL && r11v == 0x11223344556677f0ULL &&
	      r15v == 0x1f2e3d4c5b6a7988ULL, "reads into r8-r15 land there, sized right",
	      "r8 %#llx r9 %#llx r10 %#llx r11 %#llx r15 %#llx", r8v, r9v, r10v, r11v, r15v);
	asm volatile("movabs $0x1212121212121212, %%r12\n\tmovq %%r12, 0x50(%0)\n\t"
		     "movabs $0xffffffff13131313, %%r13\n\tmovl %%r13d, 0x58(%0)\n\t"
		     "movabs $0xffffffffffff1414, %%r14\n\tmovw %%r14w, 0x5c(%0)\n\t"
		     "movabs $0xffffffffffffff15, %%r15\n\tmovb %%r15b, 0x5e(%0)\n\t"
		     "movabs $0xffffffffffff0909, %%r9\n\tmovw %%r9w, 0x60(%0)"
		     : : "r"(b) : "memory", "r9", "r12", "r13", "r14", "r15");
}

/* ModRM forms: the host must measure each to resume after it. */
static void addressing(volatile u8 *b)
{
	u64 r13v = 0, nobase = 0;

	asm volatile("leaq 0x64(%1), %%r12\n\tmovl $0x64646464, %%eax\n\tmovl %%eax, (%%r12)\n\t"
		     "leaq 0x68(%1), %%r13\n\tmovl 0(%%r13), %%r13d\n\tmovq %%r13, %0"
		     : "=m"(r13v) : "r"(b) : "memory", "rax", "r12", "r13");
	asm volatile("movl %0, 0x6c(%1,%2,4)" : : "r"(0x6c6c6c6c), "S"(b), "c"(0UL) : "memory");
	asm volatile("movl %0, 0x170(%1)" : : "r"(0x70707070), "r"(b - 0x100) : "memory");
	asm volatile("movl 0x74(,%1,1), %k0" : "=r"(nobase) : "r"(b) : "memory");
	CHECK(r13v == 0x68686868 && nobase == 0x74747474,
	      "accesses through (%r12), 0(%r13), disp8(base,index,4), disp32 and no base",
	      "%#llx %#llx", r13v, nobase);
}

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
	loads_finish(b);
	high_bytes(b);
	rex_registers(b);
	addressing(b);
}
