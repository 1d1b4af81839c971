// SPDX-License-Identifier: GPL-2.0
/*
 * Registers survive hypercalls (case=hcall) and interrupts (case=irq):
 * every register but rax, the flags we own (CF, DF) and the stack.
 * Then power off with patterns in the callee-saved registers, which the
 * launcher reads back with LGUEST_GET_REGS.
 */
#include "rt/rt.h"

const char rt_guest_name[] = "regs";

/*
 * probe(out, nr, a0, a1): load a pattern into every register, make
 * hypercall nr with args a0, a1 (rdx, r10, r8 hold patterns, as do the
 * others), store all 16 registers and CF/DF to out[0..16].
 * out: rax rbx rcx rdx rsi rdi rbp rsp r8 ... r15, flags.
 */
void probe(u64 *out, u64 nr, u64 a0, u64 a1, u64 df);
asm(".text\n"
    "probe:\n\t"
    "push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n\t"
    "push %rdi\n\t"			/* out */
    "test %r8, %r8\n\t"			/* df: mov leaves DF alone */
    "jz 1f\n\t"
    "std\n\t"
    "1: mov %rsi, %rax\n\t"
    "mov %rdx, %rdi\n\t"
    "mov %rcx, %rsi\n\t"
    "mov $0xb0b0b0b0b0b0b0b0, %rbx\n\t"
    "mov $0xc0c0c0c0c0c0c0c0, %rcx\n\t"
    "mov $0xd0d0d0d0d0d0d0d0, %rdx\n\t"
    "mov $0xbebebebebebebebe, %rbp\n\t"
    "mov $0x0808080808080808, %r8\n\t"
    "mov $0x0909090909090909, %r9\n\t"
    "mov $0x1010101010101010, %r10\n\t"
    "mov $0x1111111111111111, %r11\n\t"
    "mov $0x1212121212121212, %r12\n\t"
    "mov $0x1313131313131313, %r13\n\t"
    "mov $0x1414141414141414, %r14\n\t"
    "mov $0x1515151515151515, %r15\n\t"
    "stc\n\t"
    "int $0x80\n\t"
    "push %rax\n\t"
    "pushf\n\t"
    "cld\n\t"
    "mov 16(%rsp), %rax\n\t"		/* out */
    "pop 128(%rax)\n\t"			/* flags */
    "pop 0(%rax)\n\t"			/* rax */
    "mov %rbx, 8(%rax)\n\t"
    "mov %rcx, 16(%rax)\n\t"
    "mov %rdx, 24(%rax)\n\t"
    "mov %rsi, 32(%rax)\n\t"
    "mov %rdi, 40(%rax)\n\t"
    "mov %rbp, 48(%rax)\n\t"
    "mov %rsp, 56(%rax)\n\t"
    "mov %r8, 64(%rax)\n\t"
    "mov %r9, 72(%rax)\n\t"
    "mov %r10, 80(%rax)\n\t"
    "mov %r11, 88(%rax)\n\t"
    "mov %r12, 96(%rax)\n\t"
    "mov %r13, 104(%rax)\n\t"
    "mov %r14, 112(%rax)\n\t"
    "mov %r15, 120(%rax)\n\t"
    "pop %rdi\n\t"
    "pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n\t"
    "ret\n");

static const char *const names[16] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

static void check_probe(const char *check, u64 nr, u64 a0, u64 a1, bool df)
{
	u64 want[16] = {
		0, 0xb0b0b0b0b0b0b0b0, 0xc0c0c0c0c0c0c0c0, 0xd0d0d0d0d0d0d0d0,
		a1, a0, 0xbebebebebebebebe, 0,
		0x0808080808080808, 0x0909090909090909, 0x1010101010101010,
		0x1111111111111111, 0x1212121212121212, 0x1313131313131313,
		0x1414141414141414, 0x1515151515151515 };
	u64 out[17];
	int i;

	probe(out, nr, a0, a1, df);
	want[0] = out[0];
	/* rsp: probe pushed 7 words and stored it after pushing 1 more. */
	want[7] = out[7];
	for (i = 1; i < 16; i++)
		if (out[i] != want[i])
			break;
	if (i < 16) {
		rt_fail(check, "%s is %#llx, was %#llx", names[i], out[i], want[i]);
		return;
	}
	CHECK((out[16] & 0x401) == (df ? 0x401 : 0x001), check, "CF/DF changed: flags %#llx",
	      out[16]);
}

static char text[] = "regs: a console write goes to the launcher and back\n";

/* Power off with patterns the launcher checks with LGUEST_GET_REGS. */
static void __attribute__((noreturn)) poweroff_with_patterns(void)
{
	static char msg[64];

	rt_snprintf(msg, sizeof(msg), "passed=%u failed=%u", rt_passed, rt_failed);
	asm volatile("mov $0xb0b0b0b0b0b0b0b0, %%rbx\n\t"
		     "mov $0xbebebebebebebebe, %%rbp\n\t"
		     "mov $0x1212121212121212, %%r12\n\t"
		     "mov $0x1313131313131313, %%r13\n\t"
		     "mov $0x1414141414141414, %%r14\n\t"
		     "mov $0x1515151515151515, %%r15\n\t"
		     "int $0x80\n\t"
		     "ud2"
		     : : "a"((u64)LHCALL_SHUTDOWN), "D"((u64)LGUEST_SHUTDOWN_POWEROFF),
		       "S"(__pa(msg)));
	__builtin_unreachable();
}

/* case=irq: patterns in every register while interrupts come and go. */
void spin_probe(u64 *out, volatile u64 *counter, u64 until);
asm(".text\n"
    "spin_probe:\n\t"
    "push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n\t"
    "push %rdi\n\t"
    "push %rsi\n\t"
    "mov %rdx, %rax\n\t"		/* until, kept in rax too */
    "mov $0xb0b0b0b0b0b0b0b0, %rbx\n\t"
    "mov $0xc0c0c0c0c0c0c0c0, %rcx\n\t"
    "mov $0xd0d0d0d0d0d0d0d0, %rdx\n\t"
    "mov $0x5151515151515151, %rdi\n\t"
    "mov $0xbebebebebebebebe, %rbp\n\t"
    "mov $0x0808080808080808, %r8\n\t"
    "mov $0x0909090909090909, %r9\n\t"
    "mov $0x1010101010101010, %r10\n\t"
    "mov $0x1111111111111111, %r11\n\t"
    "mov $0x1212121212121212, %r12\n\t"
    "mov $0x1313131313131313, %r13\n\t"
    "mov $0x1414141414141414, %r14\n\t"
    "mov $0x1515151515151515, %r15\n\t"
    "mov (%rsp), %rsi\n\t"		/* counter */
    "1: cmp (%rsi), %rax\n\t"
    "ja 1b\n\t"
    "mov $0x5252525252525252, %rsi\n\t"
    "push %rax\n\t"
    "mov 16(%rsp), %rax\n\t"		/* out */
    "pop 0(%rax)\n\t"
    "mov %rbx, 8(%rax)\n\t"
    "mov %rcx, 16(%rax)\n\t"
    "mov %rdx, 24(%rax)\n\t"
    "mov %rsi, 32(%rax)\n\t"
    "mov %rdi, 40(%rax)\n\t"
    "mov %rbp, 48(%rax)\n\t"
    "mov %rsp, 56(%rax)\n\t"
    "mov %r8, 64(%rax)\n\t"
    "mov %r9, 72(%rax)\n\t"
    "mov %r10, 80(%rax)\n\t"
    "mov %r11, 88(%rax)\n\t"
    "mov %r12, 96(%rax)\n\t"
    "mov %r13, 104(%rax)\n\t"
    "mov %r14, 112(%rax)\n\t"
    "mov %r15, 120(%rax)\n\t"
    "pop %rsi\n\t"
    "pop %rdi\n\t"
    "pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n\t"
    "ret\n");

static bool rearm(struct rt_frame *f)
{
	if (f->vector != LGUEST_IRQ_BASE)
		return false;
	hcall1(LHCALL_SET_CLOCKEVENT, 1000000);	/* 1 ms */
	return true;
}

static void irq_case(void)
{
	u64 out[17], want[16] = {
		0, 0xb0b0b0b0b0b0b0b0, 0xc0c0c0c0c0c0c0c0, 0xd0d0d0d0d0d0d0d0,
		0x5252525252525252, 0x5151515151515151, 0xbebebebebebebebe, 0,
		0x0808080808080808, 0x0909090909090909, 0x1010101010101010,
		0x1111111111111111, 0x1212121212121212, 0x1313131313131313,
		0x1414141414141414, 0x1515151515151515 };
	int i;

	rt_events_init();
	rt_on_event = rearm;
	irq_enable();
	hcall1(LHCALL_SET_CLOCKEVENT, 1000000);
	spin_probe(out, &rt_event_count[LGUEST_IRQ_BASE], 20);
	hcall1(LHCALL_SET_CLOCKEVENT, 0);
	irq_disable();
	want[0] = out[0];
	want[7] = out[7];
	for (i = 0; i < 16; i++)
		if (out[i] != want[i])
			break;
	CHECK(i == 16, "every register survives 20 timer interrupts",
	      "%s is %#llx, was %#llx", names[i & 15], out[i & 15], want[i & 15]);
}

void guest_main(void)
{
	if (rt_case("irq")) {
		irq_case();
		return;
	}
	if (rt_case("df")) {
		/* DF is the guest's (lguest_regs): the host must not run with it. */
		check_probe("registers and DF=1 survive a hypercall the host handles",
			    LHCALL_FLUSH_TLB, 0, 0, true);
		check_probe("registers and DF=1 survive a hypercall the launcher handles",
			    LHCALL_CONSOLE_WRITE, __pa(text), sizeof(text) - 1, true);
	} else {
		check_probe("registers survive a hypercall the host handles (FLUSH_TLB)",
			    LHCALL_FLUSH_TLB, 0, 0, false);
		check_probe("registers survive a hypercall the launcher handles (CONSOLE_WRITE)",
			    LHCALL_CONSOLE_WRITE, __pa(text), sizeof(text) - 1, false);
	}
	poweroff_with_patterns();
}
