// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile user space: what a malicious or broken process in the Linux
 * guest can throw at the guest kernel and, through it, at lguest.  Every
 * attack runs in a child that first drops root (to nobody, 65534), so it
 * cannot reboot, power off or kill the test; the guest must survive all
 * of it.  Static, glibc; run by the test root's /sbin/init
 * (tests/guests/linux/rootfs-init) and, for the comparison, natively on the
 * VM host by t_userland.
 *
 *   hostile insns     each privileged or odd instruction in its own child:
 *                     one "HOSTILE INSN name signal" line each, where
 *                     signal is SIGSEGV, ..., "none" (the child went on and
 *                     exited 0) or "timeout"
 *   hostile hole      the same for reads, writes and jumps into the
 *                     hypervisor hole (separate: see docs/guest.md)
 *   hostile trap      the same for popf setting TF (single-step)
 *   hostile farret    the same for the far returns alone (iretq, lretq)
 *   hostile all SECS  insns, then the selector sweep, then wild system
 *                     calls and random code for SECS seconds of wall clock
 *                     (and at most 400 children each)
 *
 * Checks print "HOSTILE PASS|FAIL what[: why]", then "HOSTILE DONE n".
 * The random seed is printed first: "hostile seed=N" (HOSTILE_SEED=N in
 * the environment replays a run).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define NOBODY	65534

static int checks, failed;

#define check(ok, what, ...) do {					\
	checks++;							\
	if (ok) {							\
		printf("HOSTILE PASS %s\n", what);			\
	} else {							\
		failed++;						\
		printf("HOSTILE FAIL %s: ", what);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
	fflush(stdout);							\
} while (0)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* xorshift64*: reproducible from the printed seed, no syscall per number. */
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/*
 * Become an attacker: nobody, no descriptors to anything that matters
 * (stdout is OUT, or /dev/null if it is -1),
 * small limits, first in line for the OOM killer, dead with the parent.
 * Returns only if root is really gone.
 */
static void become_nobody(int out)
{
	struct rlimit core = { 0, 0 }, nproc = { 32, 32 }, as = { 64 << 20, 64 << 20 };
	int fd = open("/proc/self/oom_score_adj", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1000", 4) != 4)
			_exit(120);
		close(fd);
	}
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(out >= 0 ? out : fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(121);
	closefrom(3);
	setrlimit(RLIMIT_CORE, &core);
	setrlimit(RLIMIT_NPROC, &nproc);
	setrlimit(RLIMIT_AS, &as);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		_exit(122);
	if (setuid(0) == 0 || getuid() != NOBODY || geteuid() != NOBODY)
		_exit(123);
}

/*
 * Kill every process of nobody (kill(-1) as nobody reaches exactly
 * those), then reap whatever was reparented to us (a subreaper).
 */
static void kill_nobody(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		kill(-1, SIGKILL);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Processes of nobody still alive (zombies do not count). */
static int nobody_left(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], line[128];
		int uid = -1, zombie = 0;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "Uid: %d", &uid);
			if (!strncmp(line, "State:", 6) && strchr(line, 'Z'))
				zombie = 1;
		}
		fclose(f);
		n += uid == NOBODY && !zombie;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * Wait up to SECS for PID; SIGKILL it after that.  Returns its wait
 * status, or -1 if it had to be killed.
 */
static int wait_bounded(pid_t pid, double secs)
{
	double end = now() + secs;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -2;
		if (now() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(2000);
	}
}

/* ---- (c) privileged and odd instructions -------------------------------- */

/*
 * Each is a function of its own, so a child can call it and then exit 0
 * if it came back.  The selectors are docs/abi.md's: 0x39 and 0x41 are
 * the guest kernel's ring-1 code and data; on a native host the same
 * numbers are an empty slot and the TSS, 0x10/0x18 its kernel code and
 * data.  The hypervisor hole starts at 0xffff800000000000.
 */
#define INSN(name, text)						\
	void insn_##name(void);						\
	__asm__(".pushsection .text\n.globl insn_" #name "\n"		\
	    "insn_" #name ":\n" text "\nret\n.popsection")
INSN(cli, "cli");
INSN(sti, "sti");
INSN(hlt, "hlt");
INSN(in_imm, "in $0x80, %al");
INSN(out_imm, "out %al, $0x80");
INSN(in_dx, "mov $0x3f8, %dx; in %dx, %al");
INSN(out_dx_pci, "mov $0xcf8, %dx; out %eax, %dx");
INSN(insb, "mov $0x3f8, %dx; lea -64(%rsp), %rdi; insb");
INSN(popf_iopl3_cli, "pushq $0x3202; popfq; cli");
INSN(popf_tf, "pushq $0x302; popfq; nop");
INSN(iretq_iopl3_cli, "mov %ss, %eax; push %rax; lea 8(%rsp), %rax; push %rax; pushq $0x3002;"
     "mov %cs, %eax; push %rax; lea 1f(%rip), %rax; push %rax; iretq; 1: cli");
INSN(mov_from_cr0, "mov %cr0, %rax");
INSN(mov_from_cr2, "mov %cr2, %rax");
INSN(mov_from_cr3, "mov %cr3, %rax");
INSN(mov_from_cr4, "mov %cr4, %rax");
INSN(mov_from_cr8, "mov %cr8, %rax");
INSN(mov_to_cr0, "xor %eax, %eax; mov %rax, %cr0");
INSN(mov_to_cr3, "xor %eax, %eax; mov %rax, %cr3");
INSN(mov_to_cr4, "xor %eax, %eax; mov %rax, %cr4");
INSN(mov_to_cr8, "xor %eax, %eax; mov %rax, %cr8");
INSN(mov_from_dr7, "mov %dr7, %rax");
INSN(mov_to_dr7, "mov $0x401, %eax; mov %rax, %dr7");
INSN(lgdt, "sub $16, %rsp; movq $0, (%rsp); movq $0, 8(%rsp); lgdt (%rsp); add $16, %rsp");
INSN(lidt, "sub $16, %rsp; movq $0, (%rsp); movq $0, 8(%rsp); lidt (%rsp); add $16, %rsp");
INSN(lldt, "xor %eax, %eax; lldt %ax");
INSN(ltr, "mov $0x40, %eax; ltr %ax");
INSN(sgdt, "sub $16, %rsp; sgdt (%rsp); add $16, %rsp");
INSN(sidt, "sub $16, %rsp; sidt (%rsp); add $16, %rsp");
INSN(sldt, "sldt %ax");
INSN(str, "str %ax");
INSN(smsw, "smsw %ax");
INSN(rdmsr_efer, "mov $0xc0000080, %ecx; rdmsr");
INSN(wrmsr_fsbase, "mov $0xc0000100, %ecx; xor %eax, %eax; xor %edx, %edx; wrmsr");
INSN(wrmsr_lstar, "mov $0xc0000082, %ecx; xor %eax, %eax; xor %edx, %edx; wrmsr");
INSN(swapgs, "swapgs");
INSN(sysretq, "lea 1f(%rip), %rcx; pushfq; pop %r11; sysretq; 1:");
INSN(sysexit, "sysexitl");
INSN(invlpg, "invlpg (%rsp)");
INSN(invd, "invd");
INSN(wbinvd, "wbinvd");
INSN(clts, "clts");
INSN(rdpmc, "xor %ecx, %ecx; rdpmc");
INSN(rdtsc, "rdtsc");
INSN(cpuid, "push %rbx; xor %eax, %eax; cpuid; pop %rbx");
INSN(xsetbv, "xor %ecx, %ecx; mov $3, %eax; xor %edx, %edx; xsetbv");
INSN(stac, "stac");
INSN(clac, "clac");
INSN(monitor, "mov %rsp, %rax; xor %ecx, %ecx; xor %edx, %edx; monitor");
INSN(mwait, "xor %eax, %eax; xor %ecx, %ecx; mwait");
INSN(vmcall, "vmcall");
INSN(vmmcall, "vmmcall");
INSN(ud2, "ud2");
INSN(int3, "int3");
INSN(int1_icebp, ".byte 0xf1");
INSN(into, ".byte 0xce");
INSN(mov_to_cs, "mov %cs, %eax; .byte 0x8e, 0xc8");
INSN(ljmp_39, "sub $16, %rsp; movl $0, (%rsp); movw $0x39, 4(%rsp); ljmpl *(%rsp)");
INSN(ljmp_41, "sub $16, %rsp; movl $0, (%rsp); movw $0x41, 4(%rsp); ljmpl *(%rsp)");
INSN(ljmp_10, "sub $16, %rsp; movl $0, (%rsp); movw $0x10, 4(%rsp); ljmpl *(%rsp)");
INSN(lcall_39, "sub $16, %rsp; movl $0, (%rsp); movw $0x39, 4(%rsp); lcalll *(%rsp)");
INSN(lcall_41, "sub $16, %rsp; movl $0, (%rsp); movw $0x41, 4(%rsp); lcalll *(%rsp)");
INSN(lretq_39, "pushq $0x39; lea 1f(%rip), %rax; push %rax; lretq; 1:");
INSN(lretq_38, "pushq $0x38; lea 1f(%rip), %rax; push %rax; lretq; 1:");
INSN(iretq_39_41, "pushq $0x41; lea 8(%rsp), %rax; push %rax; pushq $0x2;"
     "pushq $0x39; lea 1f(%rip), %rax; push %rax; iretq; 1:");
INSN(iretq_38_40, "pushq $0x40; lea 8(%rsp), %rax; push %rax; pushq $0x2;"
     "pushq $0x38; lea 1f(%rip), %rax; push %rax; iretq; 1:");
INSN(iretq_10_18, "pushq $0x18; lea 8(%rsp), %rax; push %rax; pushq $0x2;"
     "pushq $0x10; lea 1f(%rip), %rax; push %rax; iretq; 1:");
INSN(iretq_noncanonical, "mov %ss, %eax; push %rax; lea 8(%rsp), %rax; push %rax; pushq $0x202;"
     "mov %cs, %eax; push %rax; movabs $0x8000000000000000, %rax; push %rax; iretq");
INSN(mov_39_ds, "mov $0x39, %eax; mov %eax, %ds");
INSN(mov_39_es, "mov $0x39, %eax; mov %eax, %es");
INSN(mov_39_fs, "mov $0x39, %eax; mov %eax, %fs");
INSN(mov_39_gs, "mov $0x39, %eax; mov %eax, %gs");
INSN(mov_39_ss, "mov $0x39, %eax; mov %eax, %ss");
INSN(mov_41_ds, "mov $0x41, %eax; mov %eax, %ds");
INSN(mov_41_es, "mov $0x41, %eax; mov %eax, %es");
INSN(mov_41_fs, "mov $0x41, %eax; mov %eax, %fs");
INSN(mov_41_gs, "mov $0x41, %eax; mov %eax, %gs");
INSN(mov_41_ss, "mov $0x41, %eax; mov %eax, %ss");
INSN(mov_0_ss, "xor %eax, %eax; mov %eax, %ss");
INSN(read_kernel_half, "movabs $0xffff888000000000, %rax; mov (%rax), %rax");
INSN(write_kernel_text, "movabs $0xffffffff81000000, %rax; movq $0, (%rax)");
INSN(jump_kernel_text, "movabs $0xffffffff81000000, %rax; jmp *%rax");
INSN(read_hole, "movabs $0xffff800000000000, %rax; mov (%rax), %rax");
INSN(write_hole, "movabs $0xffff800000001000, %rax; movq $0, (%rax)");
INSN(jump_hole, "movabs $0xffff800000000000, %rax; jmp *%rax");
INSN(read_noncanonical, "movabs $0x8000000000000000, %rax; mov (%rax), %rax");
INSN(jump_noncanonical, "movabs $0x0000800000000000, %rax; jmp *%rax");
INSN(read_vsyscall, "movabs $0xffffffffff600000, %rax; mov (%rax), %rax");

/* int $N for every N: a table of "int $N; ret; nop", four bytes each. */
/*
 * sigreturn with a data segment for CS: the kernel takes any selector
 * from the frame (with RPL 3), and its iretq back to user mode faults.
 * Natively that fault becomes the user's (fixup_bad_iret()): SIGSEGV.
 */
static void data_cs_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_CSGSFS] = (uc->uc_mcontext.gregs[REG_CSGSFS] & ~0xffffLL) | 0x2b;
}

static void insn_sigreturn_data_cs(void)
{
	struct sigaction sa = { .sa_sigaction = data_cs_handler, .sa_flags = SA_SIGINFO };

	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
}

void insn_int_table(void);
__asm__(".pushsection .text\n.globl insn_int_table\ninsn_int_table:\n"
    ".set n, 0\n.rept 256\n.byte 0xcd, n, 0xc3, 0x90\n.set n, n + 1\n.endr\n.popsection");

/*
 * The instructions.  What each must give is what the same instruction
 * gives natively on the VM host (t_userland compares).  iretq and lretq
 * only run with HOSTILE_FARRET=1: QEMU 7.2's software CPU pops their
 * stack with a supervisor access, a SMAP fault that oopses even a native
 * host kernel.  The hypervisor hole's three are "hostile hole"'s, and
 * single-stepping (popf with TF) is "hostile trap"'s: each once ended
 * the guest (docs/guest.md), so each runs in a guest of its own, where a
 * relapse cannot hide the other attacks' results.
 */
static const struct insn {
	const char *name;
	void (*fn)(void);
	int farret, hole;
} insns[] = {
#define I(name) { #name, insn_##name, 0, 0 }
#define R(name) { #name, insn_##name, 1, 0 }
#define H(name) { #name, insn_##name, 0, 1 }
#define T(name) { #name, insn_##name, 0, 2 }
	I(cli), I(sti), I(hlt), I(in_imm), I(out_imm), I(in_dx), I(out_dx_pci), I(insb),
	I(popf_iopl3_cli), R(iretq_iopl3_cli),
	I(mov_from_cr0), I(mov_from_cr2), I(mov_from_cr3), I(mov_from_cr4), I(mov_from_cr8),
	I(mov_to_cr0), I(mov_to_cr3), I(mov_to_cr4), I(mov_to_cr8),
	I(mov_from_dr7), I(mov_to_dr7), I(lgdt), I(lidt), I(lldt), I(ltr),
	I(sgdt), I(sidt), I(sldt), I(str), I(smsw),
	I(rdmsr_efer), I(wrmsr_fsbase), I(wrmsr_lstar), I(swapgs), I(sysretq), I(sysexit),
	I(invlpg), I(invd), I(wbinvd), I(clts), I(rdpmc), I(rdtsc), I(cpuid), I(xsetbv),
	I(stac), I(clac), I(monitor), I(mwait), I(vmcall), I(vmmcall), I(ud2),
	I(int3), I(int1_icebp), I(into), I(mov_to_cs),
	I(ljmp_39), I(ljmp_41), I(ljmp_10), I(lcall_39), I(lcall_41),
	R(lretq_39), R(lretq_38), R(iretq_39_41), R(iretq_38_40), R(iretq_10_18),
	R(iretq_noncanonical),
	I(mov_39_ds), I(mov_39_es), I(mov_39_fs), I(mov_39_gs), I(mov_39_ss),
	I(mov_41_ds), I(mov_41_es), I(mov_41_fs), I(mov_41_gs), I(mov_41_ss), I(mov_0_ss),
	I(read_kernel_half), I(write_kernel_text), I(jump_kernel_text),
	H(read_hole), H(write_hole), H(jump_hole), T(popf_tf),
	I(read_noncanonical), I(jump_noncanonical), I(read_vsyscall),
	I(sigreturn_data_cs),
#undef I
#undef R
#undef H
#undef T
};

/* A wait status as "SIGSEGV", "none" (exited 0), "exit=N", "timeout". */
static const char *signame(int st)
{
	static char buf[4][32];
	static int next;
	char *b = buf[next++ % 4];

	if (st == -1)
		return "timeout";
	if (WIFSIGNALED(st))
		snprintf(b, 32, "SIG%s", sigabbrev_np(WTERMSIG(st)) ?: "?");
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return "none";
	else
		snprintf(b, 32, "exit=%d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return b;
}

/* Run FN as nobody in a child of its own; its wait status (-1: hung). */
static int try_insn(void (*fn)(void), long rax)
{
	pid_t pid = fork();

	if (pid == 0) {
		become_nobody(-1);
		/* rax is int $0x80's system call number (-1: none) */
		__asm__ volatile("call *%1" : "+a"(rax) : "r"(fn)
			     : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
		/* If %fs was reloaded, glibc's TLS is gone: leave by hand. */
		__asm__ volatile("syscall" : : "a"(SYS_exit_group), "D"(0) : "rcx", "r11");
		_exit(0);
	}
	return pid < 0 ? -2 : wait_bounded(pid, 10);
}

/*
 * Only the instructions of GROUP: 0 the main list, 1 hole, 2 trap, 3 the
 * far returns alone (the guest runs those where the native host cannot).
 */
static void instructions(int group)
{
	const char *fr = getenv("HOSTILE_FARRET");
	int farret = fr && !strcmp(fr, "1");
	char what[64];
	int st;

	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		if (group == 3 ? !insns[i].farret :
		    insns[i].hole != group || (insns[i].farret && !farret))
			continue;
		st = try_insn(insns[i].fn, -1);
		printf("HOSTILE INSN %s %s\n", insns[i].name, signame(st));
	}
	/*
	 * "int $N": natively a #GP but for the gates ring 3 may use: 3
	 * (SIGTRAP), 4 (overflow, SIGSEGV) and 0x80, the 32-bit system call
	 * (rax -1: an unknown one, so it just returns).
	 */
	for (int n = 0; n < 256 && !group; n++) {
		st = try_insn((void (*)(void))((char *)insn_int_table + 4 * (long)n), -1);
		snprintf(what, sizeof(what), "int_0x%02x", n);
		printf("HOSTILE INSN %s %s\n", what, signame(st));
	}
	fflush(stdout);
}

/* ---- selectors: every one, in every segment register --------------------- */

/*
 * load_REG(sel, fsbase): load sel into REG; -1 if that faulted, else what
 * REG reads back.  Afterwards REG is as the kernel gave it (fs with
 * glibc's TLS base again).  The SIGSEGV handler turns a fault at
 * probe_REG into a return of -1 at fault_REG.
 */
#define LOADER(reg, restore)						\
	long load_##reg(long sel, long fsbase);				\
	extern char probe_##reg[], fault_##reg[];			\
	__asm__(".pushsection .text\n.globl load_" #reg ", probe_" #reg ", fault_" #reg "\n" \
	    "load_" #reg ":\n push %rsi\n mov %edi, %eax\n"		\
	    "probe_" #reg ":\n mov %eax, %" #reg "\n"			\
	    " mov %" #reg ", %eax\n movzwl %ax, %eax\n push %rax\n"	\
	    restore "\n pop %rax\n pop %rsi\n ret\n"			\
	    "fault_" #reg ":\n pop %rsi\n ret\n.popsection")
#define SET_BASE(code) \
	" mov $158, %eax\n mov $" #code ", %edi\n mov 8(%rsp), %rsi\n syscall"
LOADER(fs, SET_BASE(0x1002));	/* arch_prctl(ARCH_SET_FS, fsbase) */
LOADER(gs, " xor %eax, %eax\n mov %eax, %gs\n movq $0, 8(%rsp)\n" SET_BASE(0x1001));
LOADER(ds, " xor %eax, %eax\n mov %eax, %ds");
LOADER(es, " xor %eax, %eax\n mov %eax, %es");
LOADER(ss, " mov $0x2b, %eax\n mov %eax, %ss");

static const struct loader {
	const char *reg;
	long (*load)(long, long);
	const char *probe, *fault;
} loaders[] = {
	{ "fs", load_fs, probe_fs, fault_fs }, { "gs", load_gs, probe_gs, fault_gs },
	{ "ds", load_ds, probe_ds, fault_ds }, { "es", load_es, probe_es, fault_es },
	{ "ss", load_ss, probe_ss, fault_ss },
};

static void segv_at_probe(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *rip = &uc->uc_mcontext.gregs[REG_RIP];

	(void)si;
	for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++) {
		if (*rip == (greg_t)loaders[i].probe) {
			*rip = (greg_t)loaders[i].fault;
			uc->uc_mcontext.gregs[REG_RAX] = -1;
			return;
		}
	}
	/* A fault anywhere else is a real one: die of it. */
	signal(sig, SIG_DFL);
}

/* lar: the access rights of sel's descriptor, -1 if ring 3 may not see it */
static long lar(long sel)
{
	long ar = 0;
	unsigned char ok;

	__asm__ volatile("lar %2, %0; setz %1" : "+r"(ar), "=q"(ok) : "r"(sel) : "cc");
	return ok ? ar : -1;
}

/*
 * In a child as nobody: every selector 0-0xffff, step 8 (GDT, RPL 0), in
 * fs and gs; the first 64 GDT and LDT entries, RPL 3, in all five (past
 * the GDT's limit, and with no LDT, every load faults alike: a full
 * sweep in each costs a minute under QEMU).  Whatever loads, but for the
 * null selector, must be a descriptor ring 3 may use (DPL 3, lar agrees)
 * and one of docs/abi.md's: 0x2b, 0x33 or 0x7b (a native host also has
 * 0x23, the 32-bit code lguest leaves out).  Writes a report to fd OUT.
 */
static void sweep(int out)
{
	struct sigaction sa = { .sa_sigaction = segv_at_probe, .sa_flags = SA_SIGINFO | SA_NODEFER };
	char rep[512];
	long fsbase = 0, loads = 0, faults = 0, bad = 0;
	static char seen[0x10000 / 8];
	int len = 0;

	syscall(SYS_arch_prctl, 0x1003, &fsbase);	/* ARCH_GET_FS */
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	for (size_t r = 0; r < sizeof(loaders) / sizeof(loaders[0]); r++) {
		int all = r < 2;	/* fs and gs */

		for (long i = 0; i < (all ? 0x10000 / 8 : 128); i++) {
			long sel = all ? i * 8 : (i & 63) * 8 + (i >= 64 ? 4 : 0) + 3;
			long got = loaders[r].load(sel, fsbase);
			long ar;

			if (got < 0) {
				faults++;
				continue;
			}
			loads++;
			if ((sel & ~3) == 0)	/* the null selector: harmless */
				continue;
			ar = lar(sel);
			seen[sel >> 3] = 1;
			if (got != sel || ar < 0 || ((ar >> 13) & 3) != 3 ||
			    ((sel | 3) != 0x2b && (sel | 3) != 0x33 && (sel | 3) != 0x7b)) {
				if (bad++ < 4)
					len += snprintf(rep + len, sizeof(rep) - (size_t)len,
							" %s=%#lx(read %#lx, lar %#lx)",
							loaders[r].reg, sel, got, ar);
			}
		}
	}
	len += snprintf(rep + len, sizeof(rep) - (size_t)len, "|%ld %ld %ld|", loads, faults, bad);
	for (long i = 0; i < 0x2000 && len < (int)sizeof(rep) - 8; i++)
		if (seen[i])
			len += snprintf(rep + len, sizeof(rep) - (size_t)len, " %#lx", i * 8 + 3);
	if (write(out, rep, (size_t)len) != len)
		_exit(1);
	_exit(0);
}

static void selectors(void)
{
	char rep[1024] = "", *list;
	long loads = -1, faults = -1, bad = -1;
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		become_nobody(p[1]);
		sweep(1);
	}
	close(p[1]);
	st = pid < 0 ? -2 : wait_bounded(pid, 60);
	n = read(p[0], rep, sizeof(rep) - 1);
	close(p[0]);
	rep[n > 0 ? n : 0] = '\0';
	list = strchr(rep, '|');
	if (list)
		list = strchr(list + 1, '|');
	if (list)
		sscanf(strchr(rep, '|') + 1, "%ld %ld %ld", &loads, &faults, &bad);
	printf("hostile: selectors: %ld loads, %ld faults; loaded:%s\n", loads, faults,
	       list ? list + 1 : "?");
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && bad == 0 && loads > 0 &&
	      faults > 0,
	      "every selector 0-0xffff in fs and gs, the first 64 of GDT and LDT in ds, es "
	      "and ss, as nobody: each faults or is a ring-3 one of the ABI's (0x2b, 0x33, 0x7b)",
	      "child %s, %ld loads, %ld faults, %ld bad:%.*s", signame(st), loads, faults, bad,
	      list ? (int)(list - rep) : (int)strlen(rep), rep);
}

/* ---- (a) random bytes as code ------------------------------------------- */

static sigjmp_buf again;

static void recover(int sig)
{
	(void)sig;
	siglongjmp(again, 1);
}

/*
 * A child as nobody: up to TRIES pages of random bytes, each called; a
 * fault in one goes on with the next (the random code may well have
 * wrecked the process first: then the child just dies).
 */
static void random_code(int tries)
{
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_handler = recover, .sa_flags = SA_ONSTACK | SA_NODEFER };
	struct rlimit cpu = { 2, 2 };
	static const int sigs[] = { SIGSEGV, SIGILL, SIGBUS, SIGTRAP, SIGFPE, SIGSYS };
	static volatile int i;
	uint8_t *code = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (code == MAP_FAILED)
		_exit(126);
	setrlimit(RLIMIT_CPU, &cpu);
	sigaltstack(&ss, NULL);
	for (size_t s = 0; s < sizeof(sigs) / sizeof(sigs[0]); s++)
		sigaction(sigs[s], &sa, NULL);
	for (i = 0; i < tries; i++) {
		if (sigsetjmp(again, 1))
			continue;
		for (size_t b = 0; b < 8192; b += 8) {
			uint64_t r = rnd();

			memcpy(code + b, &r, 8);
		}
		/*
		 * Not these: the VEX and EVEX prefixes (0xc4, 0xc5, 0x62),
		 * some of whose invalid forms abort QEMU 7.2 itself
		 * (gen_pinsr: "vec_len == 16"); and popf (0x9d), whose TF the
		 * "trap" check covers on its own.  iret and lret stay: QEMU's
		 * supervisor pops of their stack must end as a SIGSEGV
		 * (run.c's handle_trap()), not as a guest oops.
		 */
		for (size_t b = 0; b < 8192; b++)
			if (code[b] && strchr("\xc4\xc5\x62\x9d", code[b]))
				code[b] = 0x90;
		((void (*)(void))(code + (rnd() & 4095)))();
	}
	_exit(0);
}

/* ---- (b) wild system calls ---------------------------------------------- */

/* An argument: often a pointer somewhere interesting, else any number. */
static uint64_t wild_arg(uint8_t *page)
{
	static const uint64_t odd[] = {
		0, 1, 4096, 0x7fffffffe000, 0x7ffffffff000, 0xfffffffff000, 0x00ffffffffffe000,
		0x0000800000000000, 0x8000000000000000, 0xdead000000000000,
		0xffff800000000000, 0xffff808000000000, 0xffff87fffffff000,	/* the hole */
		0xffff888000000000, 0xffffffff81000000, 0xffffffffff600000,
		0xfffffffffffff000, ~0ull, 0x7fffffff, 0x80000000,
	};
	uint64_t r = rnd();

	switch (r & 7) {
	case 0: case 1:
		return odd[(r >> 8) % (sizeof(odd) / sizeof(odd[0]))];
	case 2:
		return (uint64_t)page + ((r >> 8) & 4095);
	case 3:
		return (r >> 8) & 63;	/* descriptors, flags */
	default:
		return rnd();
	}
}

static uint64_t wild_nr(void)
{
	uint64_t r = rnd();

	switch (r & 7) {
	case 0:
		return 0x40000000 | ((r >> 8) & 1023);	/* the x32 bit */
	case 1:
		return rnd();			/* anything, out of range */
	default:
		return (r >> 8) % 470;
	}
}

/* A child as nobody: CALLS random system calls with random arguments. */
static void wild_syscalls(int calls)
{
	struct rlimit cpu = { 2, 2 };
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);

	if (page == MAP_FAILED)
		_exit(126);
	setrlimit(RLIMIT_CPU, &cpu);
	for (int i = 0; i < calls; i++) {
		uint64_t nr = wild_nr(), a[6];

		for (int k = 0; k < 6; k++)
			a[k] = wild_arg(page);
		for (size_t b = 0; b < 4096; b += 8) {
			uint64_t r = rnd();

			memcpy(page + b, &r, 8);
		}
		syscall((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

/*
 * Run ATTACK(n) in children as nobody until SECS of wall clock or
 * CHILDREN children, each given LIMIT seconds.  The seed of each child
 * differs: the parent's generator moves on for each.
 */
static void attack(const char *what, void (*fn)(int), int n, double secs, int children,
		   double limit)
{
	double end = now() + secs;
	int runs = 0, killed = 0, lost = 0, sigs = 0, exits = 0, left;
	char name[160];

	while (runs < children && now() < end) {
		pid_t pid;
		int st;

		rnd();
		pid = fork();
		if (pid == 0) {
			become_nobody(-1);
			fn(n);
		}
		if (pid < 0) {
			lost++;
			break;
		}
		runs++;
		st = wait_bounded(pid, limit);
		if (st == -1)
			killed++;
		else if (st == -2)
			lost++;
		else if (WIFSIGNALED(st))
			sigs++;
		else
			exits++;
		kill_nobody();
	}
	left = nobody_left();
	printf("hostile: %s: %d children: %d died of a signal, %d exited, %d killed after "
	       "%.0f s\n", what, runs, sigs, exits, killed, limit);
	snprintf(name, sizeof(name), "%s as nobody: every child ends, none outlives the attack",
		 what);
	check(runs > 0 && !lost && !left, name, "%d children, %d not waited for, %d of nobody's "
	      "processes left", runs, lost, left);
}

static void attack_code(int n)
{
	random_code(n);
}

static void attack_syscalls(int n)
{
	wild_syscalls(n);
}

/* After it all: this process and the guest still work. */
static void still_healthy(void)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		st = wait_bounded(pid, 10);
	check(getuid() == 0 && st == 0, "after the attacks: still root here, fork and exec work",
	      "uid %d, /bin/true: %s", (int)getuid(), signame(st));
}

int main(int argc, char **argv)
{
	const char *seed = getenv("HOSTILE_SEED");
	double secs, start, left;

	if (seed)
		rng = strtoull(seed, NULL, 0);
	else if (getrandom(&rng, sizeof(rng), GRND_NONBLOCK) != sizeof(rng))
		rng = (uint64_t)now() * 1000003u ^ (uint64_t)getpid();
	rng |= 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("hostile seed=%#llx\n", (unsigned long long)rng);
	if (argc >= 2 && (!strcmp(argv[1], "insns") || !strcmp(argv[1], "hole") ||
			  !strcmp(argv[1], "trap") || !strcmp(argv[1], "farret"))) {
		instructions(!strcmp(argv[1], "hole") ? 1 : !strcmp(argv[1], "trap") ? 2 :
			     !strcmp(argv[1], "farret") ? 3 : 0);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "all") != 0) {
		fprintf(stderr, "usage: hostile insns | hole | trap | farret | all SECS\n");
		return 2;
	}
	secs = atof(argv[2]);
	/* Orphans of the attackers come to us, to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	start = now();
	instructions(0);
	printf("hostile: instructions took %.1f s\n", now() - start);
	selectors();
	printf("hostile: selectors took %.1f s\n", now() - start);
	left = now();
	attack("random system calls with random arguments", attack_syscalls, 200, secs / 2, 400,
	       3);
	attack("executing random bytes", attack_code, 32, secs - (now() - left), 400, 3);
	still_healthy();
	printf("hostile: took %.1f s\n", now() - start);
	printf("HOSTILE DONE %d\n", checks);
	return failed;
}
