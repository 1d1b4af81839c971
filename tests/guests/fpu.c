// SPDX-License-Identifier: GPL-2.0
/*
 * FPU, SSE and AVX state: the guest's vector registers survive exits to
 * the host and to the launcher (which loads its own values into all of
 * them, t_guests.c F_FPU) and never show the launcher's.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "fpu";

static bool has_avx(void)
{
	u32 a = 1, b, c = 0, d, lo, hi;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (!(c & (1u << 27)) || !(c & (1u << 28)))	/* OSXSAVE, AVX */
		return false;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

static char msg[] = "fpu: to the launcher and back\n";

/* Load a pattern into xmm0-15 (ymm0-15 with AVX), make hypercall @nr, store them. */
static void round_trip(bool avx, u64 nr, u64 a0, u64 a1, u8 (*out)[32])
{
	static u8 pat[32] __attribute__((aligned(32)));

	for (int i = 0; i < 32; i++)
		pat[i] = (u8)(0xa0 + i);
	if (avx)
		asm volatile("vmovdqa (%[p]), %%ymm0\n\t"
			     ".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			     "vmovdqa %%ymm0, %%ymm\\n\n\t.endr\n\t"
			     "int $0x80\n\t"
			     ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			     "vmovdqu %%ymm\\n, \\n*32(%[o])\n\t.endr\n\t"
			     "vzeroupper"
			     : "+a"(nr), "+D"(a0), "+S"(a1)
			     : [p] "r"(pat), [o] "r"(out)
			     : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
			       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
			       "xmm14", "xmm15");
	else
		asm volatile("movdqa (%[p]), %%xmm0\n\t"
			     ".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			     "movdqa %%xmm0, %%xmm\\n\n\t.endr\n\t"
			     "int $0x80\n\t"
			     ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			     "movdqu %%xmm\\n, \\n*32(%[o])\n\t.endr"
			     : "+a"(nr), "+D"(a0), "+S"(a1)
			     : [p] "r"(pat), [o] "r"(out)
			     : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
			       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
			       "xmm14", "xmm15");
}

static int compare(bool avx, u8 (*out)[32])
{
	for (int r = 0; r < 16; r++)
		for (int i = 0; i < (avx ? 32 : 16); i++)
			if (out[r][i] != (u8)(0xa0 + i))
				return r;
	return -1;
}

void guest_main(void)
{
	static u8 out[16][32] __attribute__((aligned(32)));
	bool avx = has_avx();
	int bad;

	rt_printf("fpu: %s\n", avx ? "AVX (ymm0-15)" : "SSE (xmm0-15)");
	round_trip(avx, LHCALL_FLUSH_TLB, 0, 0, out);
	bad = compare(avx, out);
	CHECK(bad < 0, "vector registers survive an exit to the host",
	      "register %d changed", bad);
	for (int i = 0; i < 20; i++) {
		round_trip(avx, LHCALL_CONSOLE_WRITE, __pa(msg), sizeof(msg) - 1, out);
		bad = compare(avx, out);
		if (bad >= 0)
			break;
	}
	CHECK(bad < 0, "vector registers survive 20 exits to the launcher, which loads its own",
	      "register %d changed: byte 0 is %#x", bad, bad >= 0 ? out[bad][0] : 0);
	/* The x87 too: a value on the stack across an exit. */
	{
		static const double in = 1.5;
		double res = 0;
		u64 nr = LHCALL_FLUSH_TLB;

		u64 scope = 0;

		asm volatile("fldl %3\n\tint $0x80\n\tfstpl %0"
			     : "=m"(res), "+a"(nr), "+D"(scope) : "m"(in) : "memory");
		CHECK(res == 1.5, "an x87 register survives an exit", "got something else");
	}
}
