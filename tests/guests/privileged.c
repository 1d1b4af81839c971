// SPDX-License-Identifier: GPL-2.0
/*
 * Every privileged instruction in ring 1 must raise #GP in the guest (or
 * #UD where the CPU says so), never run, and never kill the guest.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "privileged";

static u8 zero_desc[10];

#define TRY_INSN(name, ...) do {						\
	long _v = RT_TRY(asm volatile(__VA_ARGS__));				\
	CHECK(_v == X86_GP, name ": #GP", "vector %ld (error %#llx)", _v,	\
	      rt_last.error_code);						\
} while (0)

void guest_main(void)
{
	u64 x = 0;

	rt_events_init();
	TRY_INSN("cli", "cli");
	TRY_INSN("sti", "sti");
	TRY_INSN("hlt", "hlt");
	TRY_INSN("mov from cr0", "mov %%cr0, %0" : "=r"(x));
	TRY_INSN("mov to cr0", "mov %0, %%cr0" : : "r"(0x80050033UL));
	TRY_INSN("mov from cr2", "mov %%cr2, %0" : "=r"(x));
	TRY_INSN("mov from cr3", "mov %%cr3, %0" : "=r"(x));
	TRY_INSN("mov to cr3", "mov %0, %%cr3" : : "r"(BOOT_PML4));
	TRY_INSN("mov from cr4", "mov %%cr4, %0" : "=r"(x));
	TRY_INSN("mov to cr4", "mov %0, %%cr4" : : "r"(0x6f0UL));
	TRY_INSN("mov from cr8", "mov %%cr8, %0" : "=r"(x));
	TRY_INSN("mov to dr7", "mov %0, %%dr7" : : "r"(0x400UL));
	TRY_INSN("mov from dr7", "mov %%dr7, %0" : "=r"(x));
	TRY_INSN("lgdt", "lgdt %0" : : "m"(zero_desc));
	TRY_INSN("lidt", "lidt %0" : : "m"(zero_desc));
	TRY_INSN("lldt", "lldt %w0" : : "r"(0));
	TRY_INSN("ltr", "ltr %w0" : : "r"(0x48));
	TRY_INSN("lmsw", "lmsw %w0" : : "r"(1));
	TRY_INSN("clts", "clts");
	TRY_INSN("invlpg", "invlpg (%0)" : : "r"(TEST_VA));
	TRY_INSN("wbinvd", "wbinvd");
	TRY_INSN("invd", "invd");
	TRY_INSN("wrmsr (LSTAR)", "wrmsr" : : "c"(0xc0000082), "a"(0), "d"(0));
	TRY_INSN("rdmsr (LSTAR)", "rdmsr" : : "c"(0xc0000082) : "rax", "rdx");
	TRY_INSN("rdmsr (EFER)", "rdmsr" : : "c"(0xc0000080) : "rax", "rdx");
	TRY_INSN("in", "inb $0x80, %%al" : : : "rax");
	TRY_INSN("out", "outb %%al, $0x80" : : "a"(0));
	TRY_INSN("in (dx)", "inl %%dx, %%eax" : : "d"(0xcf8) : "rax");
	TRY_INSN("out to isa-debug-exit", "outl %%eax, %%dx" : : "a"(0), "d"(0xf4));
	TRY_INSN("swapgs", "swapgs");
	TRY_INSN("sysretq", "sysretq");
	/* sysexit is #UD in long mode on AMD (and QEMU's -cpu max), #GP on Intel. */
	{
		long v = RT_TRY(asm volatile("sysexitq"));

		CHECK(v == X86_GP || v == X86_UD, "sysexit: #GP or #UD", "vector %ld", v);
	}
	TRY_INSN("xsetbv", "xsetbv" : : "c"(0), "a"(1), "d"(0));
	TRY_INSN("rdpmc", "rdpmc" : : "c"(0) : "rax", "rdx");
	/*
	 * The one MSR access the host emulates (run.c): Linux's native read of
	 * the microcode revision on Intel CPUs.  It reads 0; its write does
	 * nothing; the instruction is skipped.
	 */
	{
		volatile u32 lo = 0xdead, hi = 0xbeef;
		long v;

		v = RT_TRY(asm volatile("wrmsr" : : "c"(0x8b), "a"(0x1234), "d"(0x5678)));
		CHECK(v == -1, "wrmsr (UCODE_REV): done, no fault", "vector %ld", v);
		v = RT_TRY(asm volatile("rdmsr; mov %%eax, %0; mov %%edx, %1"
					: "=m"(lo), "=m"(hi) : "c"(0x8b) : "rax", "rdx"));
		CHECK(v == -1 && lo == 0 && hi == 0, "rdmsr (UCODE_REV): reads 0",
		      "vector %ld, %#x:%#x", v, hi, lo);
		v = RT_TRY(asm volatile("rdmsr" : : "c"(0x10008b) : "rax", "rdx"));
		CHECK(v == X86_GP, "rdmsr (0x10008b): #GP", "vector %ld", v);
	}
	(void)x;
}
