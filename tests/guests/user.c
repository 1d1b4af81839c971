// SPDX-License-Identifier: GPL-2.0
/*
 * Ring 3: iretq into user mode, system calls (vector 0x100, rcx and r11
 * as native; with case=smap the kernel reads the user's buffer with the
 * RFLAGS.AC every entry to ring 1 sets, and faults without it: the host's
 * SMAP stays on), return with iretq,
 * and the user's misdeeds: a hypercall, a privileged instruction,
 * syscall with a non-canonical RSP, a syscall whose return address (RCX)
 * is non-canonical, and a jump to a non-canonical RIP.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "user";

/* User programs: position independent, copied to USER_VA. */
extern char u_write[], u_write_end[], u_msg[];
asm(".text\n"
    "u_write:\n\t"
    "mov $1, %eax\n\t"		/* write(1, msg, len) */
    "mov $1, %edi\n\t"
    "lea u_msg(%rip), %rsi\n\t"
    "mov $12, %edx\n\t"
    "syscall\n\t"
    "mov %rax, %rbx\n\t"
    "mov $1000, %r12d\n"	/* then 1000 empty syscalls */
    "1: mov $39, %eax\n\t"
    "syscall\n\t"
    "dec %r12d\n\t"
    "jnz 1b\n\t"
    "mov $60, %eax\n\t"		/* exit(bytes written) */
    "mov %rbx, %rdi\n\t"
    "syscall\n\t"
    "ud2\n"
    "u_msg: .ascii \"hello ring 3\"\n"
    "u_write_end:\n");

extern char u_exit[], u_exit_end[], u_hcall[], u_hcall_end[], u_cli[], u_cli_end[], u_ncrsp[], u_ncrsp_end[];
extern char u_ncrip[], u_ncrip_end[], u_hole[], u_hole_end[];
asm(".text\n"
    "u_exit: mov $60, %eax\n\tmov $42, %edi\n\tsyscall\n\tud2\nu_exit_end:\n"
    "u_hcall: mov $3, %eax\n\tint $0x80\n\tud2\nu_hcall_end:\n"
    "u_cli: cli\n\tud2\nu_cli_end:\n"
    "u_ncrsp: mov $0x8000000000000000, %rsp\n\tmov $39, %eax\n\tsyscall\n\tud2\nu_ncrsp_end:\n"
    "u_ncrip: mov $0x0000800000000000, %rax\n\tjmp *%rax\nu_ncrip_end:\n"
    "u_hole: mov $0xffff800000001000, %rax\n\tmov (%rax), %rax\n\tud2\nu_hole_end:\n");

static u64 syscalls, bad_rcx, written;
static bool smap;
static long smap_closed = -2;
static u64 smap_err, smap_cr2, smap_va, entry_flags;
static char seen[32];

static bool on_user(struct rt_frame *f)
{
	if ((f->cs & 3) != 3)
		return false;
	if (f->vector != LGUEST_EVENT_SYSCALL)
		rt_user_return(f->vector << 16 | f->error_code);
	syscalls++;
	if (f->rcx != f->rip || f->cs != LGUEST_USER_CS || f->ss != LGUEST_USER_DS)
		bad_rcx++;
	switch (f->rax) {
	case RT_SYS_WRITE:
		/*
		 * The kernel reads user memory without stac, which would
		 * trap in ring 1: it came in with RFLAGS.AC set.  Without
		 * AC, SMAP (the host's, always on) closes user memory.
		 */
		if (smap && f->rdx < sizeof(seen)) {
			entry_flags = rt_rflags();
			memcpy(seen, (void *)f->rsi, f->rdx);
			written = f->rdx;
			asm volatile("pushf; andq $~0x40000, (%%rsp); popf" ::: "memory", "cc");
			smap_closed = RT_TRY((void)*(volatile u8 *)f->rsi);
			smap_err = rt_last.error_code;
			smap_cr2 = rt_last_cr2;
			smap_va = f->rsi;
			asm volatile("pushf; orq $0x40000, (%%rsp); popf" ::: "memory", "cc");
		}
		f->rax = f->rdx;
		return true;
	case RT_SYS_EXIT:
		rt_user_return(f->rdi);
	default:
		/* A non-canonical return address or stack: do not go back there. */
		if (f->rip >> 47 || f->rsp >> 47)
			rt_user_return(0x100 << 16);
		f->rax = 0;
		return true;
	}
}

static u64 code_pa;

static u64 run(const char *start, const char *end)
{
	memcpy(__va(code_pa), start, (size_t)(end - start));
	rt_flush_all();
	return rt_run_user(USER_VA, USER_VA + 0x11000);
}

void guest_main(void)
{
	u64 r, edge = 0x00007ffffffff000UL;

	smap = rt_case("smap");
	if (smap)
		CHECK(rt_rflags() & RFLAGS_AC, "the guest kernel starts with RFLAGS.AC set",
		      "rflags %#llx", rt_rflags());
	rt_events_init();
	rt_on_event = on_user;
	code_pa = rt_alloc_page();
	rt_map(USER_VA, code_pa, PTE_U);
	rt_map(USER_VA + 0x10000, rt_alloc_page(), PTE_U | PTE_W);

	r = run(u_exit, u_exit_end);
	CHECK(r == 42, "iretq to ring 3, and back by an exit syscall", "exit code %#llx", r);
	syscalls = 0;
	r = run(u_write, u_write_end);
	CHECK(r == 12, "a user program runs and exits through syscall", "exit code %#llx", r);
	if (smap) {
		CHECK(entry_flags & RFLAGS_AC, "a system call enters ring 1 with RFLAGS.AC set",
		      "rflags %#llx", entry_flags);
		CHECK(written == 12 && !memcmp(seen, "hello ring 3", 12),
		      "with that AC the kernel reads the user's buffer", "%llu bytes", written);
		CHECK(smap_closed == X86_PF && smap_err == PF_P && smap_cr2 == smap_va,
		      "without AC, SMAP closes user memory to ring 1: #PF, present, read",
		      "vector %ld error %#llx cr2 %#llx", smap_closed, smap_err, smap_cr2);
	}
	CHECK(syscalls == 1002 && !bad_rcx,
	      "1002 syscalls arrive as vector 0x100 with RCX = RIP after syscall",
	      "%llu syscalls, %llu with bad rcx/cs/ss", syscalls, bad_rcx);
	CHECK(rt_last.r11 == rt_last.rflags, "R11 holds the user's RFLAGS", "r11 %#llx rflags %#llx",
	      rt_last.r11, rt_last.rflags);

	r = run(u_hcall, u_hcall_end);
	/* (0x80 << 4) | 2 from QEMU's TCG, see traps.c. */
	CHECK(r == (X86_GP << 16 | (0x80 << 3 | 2)) || r == (X86_GP << 16 | (0x80 << 4 | 2)),
	      "int $0x80 (a hypercall) from ring 3: #GP to the guest kernel",
	      "result %#llx", r);
	r = run(u_cli, u_cli_end);
	CHECK(r == (u64)X86_GP << 16, "cli in ring 3: #GP", "result %#llx", r);
	r = run(u_ncrsp, u_ncrsp_end);
	CHECK(r == 0x100ULL << 16 && rt_last.rsp == 0x8000000000000000UL,
	      "syscall with a non-canonical RSP reaches the kernel with that RSP",
	      "result %#llx rsp %#llx", r, rt_last.rsp);
	r = run(u_ncrip, u_ncrip_end);
	CHECK(r >> 16 == X86_GP || r >> 16 == X86_PF, "a jump to a non-canonical RIP faults",
	      "result %#llx", r);

	/* The hypervisor hole, from ring 3: unmapped, as any kernel address. */
	r = run(u_hole, u_hole_end);
	CHECK(r == ((u64)X86_PF << 16 | PF_U) && rt_last_cr2 == 0xffff800000001000UL,
	      "a read of the hypervisor hole from ring 3: #PF (user, not present) to the kernel",
	      "result %#llx cr2 %#llx", r, rt_last_cr2);

	/* syscall as the last instruction of the user half: RCX is non-canonical. */
	rt_map(edge, code_pa, PTE_U);
	memset(__va(code_pa), 0x90, PAGE_SIZE);
	((u8 *)__va(code_pa))[PAGE_SIZE - 2] = 0x0f;
	((u8 *)__va(code_pa))[PAGE_SIZE - 1] = 0x05;
	rt_flush_all();
	r = rt_run_user(edge + PAGE_SIZE - 2, USER_VA + 0x11000);
	CHECK(r == 0x100ULL << 16 && rt_last.rcx == 0x0000800000000000UL &&
	      rt_last.rip == 0x0000800000000000UL,
	      "syscall at the top of the user half: RCX = 0x800000000000, the kernel survives",
	      "result %#llx rcx %#llx rip %#llx", r, rt_last.rcx, rt_last.rip);
	rt_on_event = NULL;
}
