// SPDX-License-Identifier: GPL-2.0
/*
 * t_guests: run the freestanding test guests (tests/guests/, built into
 * /tests/guests/NAME.elf) under lg.ko and judge each one.
 *
 *   t_guests            every guest in the table below, pending ones skipped
 *   t_guests -a         pending ones too
 *   t_guests ID...      just these (pending or not), e.g. hello hostile.hole_write
 *   lgtest.guests=a,b   on the VM host's kernel command line: the same
 *
 * Each guest runs in a child process (so a guest that never yields can
 * be SIGKILLed and a broken one cannot take the others down), loaded with
 * liblguest's own ELF loader and boot setup (docs/abi.md) and run with
 * the raw ioctls, so that every exit can be inspected.  The guest's own
 * "LGTEST PASS|FAIL <id>: ..." lines are passed through; the launcher
 * adds its own checks on how the guest ended.  A guest whose host feature
 * has not landed is "pending": it prints one LGTEST SKIP line instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <asm/ldt.h>
#include <linux/lguest.h>

#include "internal.h"
#include "../../guests/mmio_spec.h"

#define GUEST_DIR	"/tests/guests"
#define MEM_SIZE	(128ULL << 20)

enum expect {
	POWEROFF,	/* powers off with "passed=N failed=0" after N PASS lines */
	KILLED,		/* LGUEST_EXIT_KILLED with @reason in the message */
	SPIN_SIGKILL,	/* never yields: must die by SIGKILL, host responsive */
	SPIN_SIGNAL,	/* never yields: a signal gets LGUEST_RUN out (EINTR) */
	ENDS,		/* powers off cleanly or is killed (any reason): both are fine */
	REFUSED,	/* KILLED, or POWEROFF: the guest saw the fault (a 5-level host) */
};

/* What the launcher does besides running the guest. */
#define F_MMIO		0x01	/* a device window at MMIO_SPEC_GPA, scripted */
#define F_IRQ		0x02	/* "LGIRQ n line" on the console: raise line n times */
#define F_FPU		0x04	/* the launcher's own vector registers across RUN */
#define F_REGS		0x08	/* registers at shutdown: see regs.c */
#define F_NMI		0x10	/* the host's NMI count must not grow with the guest */
#define F_MMIO_RANGE	0x40	/* the device window exists, without the script */
#define F_TIME		0x20	/* "LGTIME begin", "LGTIME end N NS": N periods of NS took that long */
#define F_IDLE		0x80	/* SPIN_SIGKILL halted: the launcher must sleep, using no CPU */
#define F_LDT		0x100	/* the launcher has an LDT (modify_ldt), and keeps it */
#define F_PKRU		0x200	/* the launcher's PKRU must survive every RUN */
#define F_CR2		0x400	/* the launcher's page faults never show as the guest's CR2 */
#define F_MM		0x800	/* private guest memory; "LGMM ..." lines change it (mmchange.c) */
#define F_EVENTFD	0x1000	/* ioeventfds and an irqfd (eventfd.c); "LGEVFD ..." lines */

/* F_CR2: the launcher faults in one page of this many bytes before each run. */
#define TOUCH_SIZE	((size_t)4 << 20)

struct guest {
	const char *id;		/* LGTEST name, and lgtest.name= for the guest */
	const char *elf;	/* /tests/guests/ELF.elf */
	const char *args;	/* more command line, e.g. "case=hole_read" */
	/* KILLED, REFUSED: a substring of the module's reason; "a|b": either */
	const char *reason;
	/* Non-NULL: the host feature this needs has not landed yet. */
	const char *pending;
	enum expect expect;
	unsigned int flags;
};

/* In the table: G(id, elf, args, expect, reason, flags, pending). */
#define G(i, e, a, x, r, f, p) \
	{ .id = (i), .elf = (e), .args = (a), .expect = (x), .reason = (r), .flags = (f), \
	  .pending = (p) }

/*
 * Reasons for "pending" entries (the host feature a guest waits for) go
 * here; none is pending today.
 */

static const struct guest guests[] = {
	G("hello", "hello", NULL, POWEROFF, NULL, 0, NULL),
	G("regs.hcall", "regs", "case=hcall", POWEROFF, NULL, F_REGS, NULL),
	G("tlb.full", "tlb", "case=full", POWEROFF, NULL, 0, NULL),
	G("hugepage", "hugepage", NULL, POWEROFF, NULL, 0, NULL),
	G("flood", "flood", NULL, POWEROFF, NULL, 0, NULL),
	G("spin.sigkill", "spin", NULL, SPIN_SIGKILL, NULL, 0, NULL),
	G("spin.signal", "spin", NULL, SPIN_SIGNAL, NULL, 0, NULL),
	G("spin.halt", "spin", "case=halt", SPIN_SIGKILL, NULL, F_IDLE, NULL),
	G("pgtable", "pgtable", NULL, POWEROFF, NULL, 0, NULL),
	G("ring", "ring", NULL, POWEROFF, NULL, 0, NULL),
	G("gs", "gs", NULL, POWEROFF, NULL, 0, NULL),

	/* The hostile set that ends in a kill. */
	G("hostile.hole_read", "hostile", "case=hole_read", KILLED, "hypervisor hole", 0, NULL),
	G("hostile.hole_write", "hostile", "case=hole_write", KILLED, "hypervisor hole", 0, NULL),
	G("hostile.hole_exec", "hostile", "case=hole_exec", KILLED, "hypervisor hole", 0, NULL),
	G("hostile.hole_pte", "hostile", "case=hole_pte", KILLED, "hypervisor hole", 0, NULL),
	G("hostile.pte_outside", "hostile", "case=pte_outside", KILLED, "outside its memory", 0,
	  NULL),
	G("hostile.pte2m_outside", "hostile", "case=pte2m_outside", KILLED, "outside its memory",
	  0, NULL),
	G("hostile.table_outside", "hostile", "case=table_outside", KILLED, "outside its memory",
	  0, NULL),
	G("hostile.gb_page", "hostile", "case=gb_page", KILLED, "1 GiB", 0, NULL),
	G("hostile.hcall_unknown", "hostile", "case=hcall_unknown", KILLED, "unknown hypercall",
	  0, NULL),
	G("hostile.hcall_zero", "hostile", "case=hcall_zero", KILLED, "unknown hypercall", 0,
	  NULL),
	G("hostile.hcall_neg", "hostile", "case=hcall_neg", KILLED, "unknown hypercall", 0, NULL),
	G("hostile.halt_flags", "hostile", "case=halt_flags", KILLED, "bad halt flags", 0, NULL),
	G("hostile.shutdown_kind", "hostile", "case=shutdown_kind", KILLED, "shutdown kind", 0,
	  NULL),
	G("hostile.regs_page_ones", "hostile", "case=regs_page_ones", ENDS, NULL, F_NMI, NULL),
	G("hostile.regs_page_flags", "hostile", "case=regs_page_flags", ENDS, NULL, F_NMI, NULL),
	G("hostile.state_page", "hostile", "case=state_page", ENDS, NULL, F_NMI, NULL),
	G("hostile.pgtable_outside", "hostile", "case=pgtable_outside", KILLED,
	  "bad page table root", 0, NULL),
	G("hostile.pgtable_unaligned", "hostile", "case=pgtable_unaligned", KILLED,
	  "bad page table root", 0, NULL),
	G("hostile.stack_noncanon", "hostile", "case=stack_noncanon", KILLED,
	  "non-canonical kernel stack", 0, NULL),
	G("hostile.bad_stack", "hostile", "case=bad_stack", KILLED, "cannot deliver event", 0,
	  NULL),
	G("hostile.bad_entry", "hostile", "case=bad_entry", KILLED, "cannot deliver event", 0,
	  NULL),
	G("hostile.ring_bad", "ring", "case=bad", KILLED, "may not be queued", 0, NULL),
	G("hostile.ring_bad_pgtable", "ring", "case=bad_pgtable", KILLED, "bad page table root", 0,
	  NULL),
	G("hostile.ring_bad_stack", "ring", "case=bad_stack", KILLED, "non-canonical kernel stack", 0,
	  NULL),
	G("hostile.kernel_gs_bad", "gs", "case=bad", KILLED, "shared page", 0, NULL),
	/* Only the mov forms of Linux's accessors are decoded ("MMIO" in docs/abi.md). */
	G("hostile.mmio_imm", "hostile", "case=mmio_imm", KILLED, "unsupported instruction",
	  F_MMIO_RANGE, NULL),
	G("hostile.mmio_string", "hostile", "case=mmio_string", KILLED,
	  "unsupported instruction", F_MMIO_RANGE, NULL),
	G("hostile.mmio_movzx", "hostile", "case=mmio_movzx", KILLED, "unsupported instruction",
	  F_MMIO_RANGE, NULL),
	G("hostile.mmio_movsx", "hostile", "case=mmio_movsx", KILLED, "unsupported instruction",
	  F_MMIO_RANGE, NULL),
	G("hostile.mmio_seg", "hostile", "case=mmio_seg", KILLED, "unsupported instruction",
	  F_MMIO_RANGE, NULL),
	G("hostile.mmio_xchg", "hostile", "case=mmio_xchg", KILLED, "unsupported instruction",
	  F_MMIO_RANGE, NULL),
	G("hostile.mmio_add", "hostile", "case=mmio_add", KILLED, "unsupported instruction",
	  F_MMIO_RANGE, NULL),
	G("hostile.mmio_rex_66", "hostile", "case=mmio_rex_66", KILLED, "unsupported instruction",
	  F_MMIO_RANGE, NULL),
	G("hostile.mmio_rep", "hostile", "case=mmio_rep", KILLED, "unsupported instruction",
	  F_MMIO_RANGE, NULL),
	G("hostile.console_bad", "hostile", "case=console_bad", POWEROFF, NULL, 0, NULL),
	/*
	 * The Switcher's pages where they are (0xff00000000000000 on 5-level
	 * hosts): ring 1 may read them, nothing more (docs/design.md).  A
	 * 4-level host kills a guest that faults in the hole; on a 5-level one
	 * the address is non-canonical to the guest, which gets #GP and checks
	 * it itself (REFUSED).
	 */
	G("hostile.sw_read_host", "hostile", "case=sw_read_host", REFUSED, "hypervisor hole", 0,
	  NULL),
	G("hostile.sw_write_text", "hostile", "case=sw_write_text", REFUSED, "hypervisor hole", 0,
	  NULL),
	G("hostile.sw_write_idt", "hostile", "case=sw_write_idt", REFUSED, "hypervisor hole", 0,
	  NULL),
	G("hostile.sw_write_state", "hostile", "case=sw_write_state", REFUSED, "hypervisor hole",
	  F_NMI, NULL),
	G("hostile.sw_exec_enter", "hostile", "case=sw_exec_enter", REFUSED, "hypervisor hole",
	  F_NMI, NULL),
	G("hostile.sw_exec_stubs", "hostile", "case=sw_exec_stubs", POWEROFF, NULL, F_NMI, NULL),
	/* The stack left in the regs page: no event can be delivered there. */
	G("hostile.sw_exec_ist", "hostile", "case=sw_exec_ist", KILLED,
	  "hypervisor hole|cannot deliver event", F_NMI, NULL),
	G("hostile.sw_exec_syscall", "hostile", "case=sw_exec_syscall", REFUSED,
	  "hypervisor hole|cannot deliver event", F_NMI, NULL),
	G("hostile.sw_exec_syscall_slow", "hostile", "case=sw_exec_syscall_slow", KILLED,
	  "hypervisor hole|cannot deliver event", F_NMI, NULL),
	G("hostile.sw_exec_regs", "hostile", "case=sw_exec_regs", REFUSED, "hypervisor hole", 0,
	  NULL),
	G("hostile.sw_exec_idt", "hostile", "case=sw_exec_idt", REFUSED, "hypervisor hole", 0,
	  NULL),
	G("hostile.sw_exec_state", "hostile", "case=sw_exec_state", REFUSED, "hypervisor hole", 0,
	  NULL),
	G("hostile.sw_user", "hostile", "case=sw_user", POWEROFF, NULL, 0, NULL),
	/* Hypercall arguments (module/hypercalls.c). */
	G("hostile.init_twice", "hostile", "case=init_twice", KILLED, "LHCALL_INIT called twice",
	  0, NULL),
	G("hostile.init_zero", "hostile", "case=init_zero", KILLED, "bad LHCALL_INIT arguments", 0,
	  NULL),
	G("hostile.init_unaligned", "hostile", "case=init_unaligned", KILLED,
	  "bad LHCALL_INIT arguments", 0, NULL),
	G("hostile.init_end", "hostile", "case=init_end", KILLED, "bad LHCALL_INIT arguments", 0,
	  NULL),
	G("hostile.init_entry_noncanon", "hostile", "case=init_entry_noncanon", KILLED,
	  "bad LHCALL_INIT arguments", 0, NULL),
	G("hostile.init_entry_zero", "hostile", "case=init_entry_zero", KILLED,
	  "bad LHCALL_INIT arguments", 0, NULL),
	G("hostile.flush_scope", "hostile", "case=flush_scope", KILLED, "bad flush scope 2", 0,
	  NULL),
	G("hostile.flush_scope_ring", "hostile", "case=flush_scope_ring", KILLED,
	  "bad flush scope 2", 0, NULL),
	G("hostile.pgtable_asid", "hostile", "case=pgtable_asid", KILLED, "bad page table root",
	  0, NULL),
	G("hostile.pgtable_asid_noflush", "hostile", "case=pgtable_asid_noflush", KILLED,
	  "bad page table root", 0, NULL),
	G("hostile.pgtable_flags", "hostile", "case=pgtable_flags", KILLED, "bad page table root",
	  0, NULL),

	G("ad", "ad", NULL, POWEROFF, NULL, 0, NULL),
	G("hostile.pte_write_outside", "hostile", "case=pte_write_outside", KILLED,
	  "outside its memory", 0, NULL),
	G("regs.df", "regs", "case=df", POWEROFF, NULL, F_REGS, NULL),
	G("regs.irq", "regs", "case=irq", POWEROFF, NULL, 0, NULL),
	G("tlb.one", "tlb", "case=one", POWEROFF, NULL, 0, NULL),
	G("tlb.global", "tlb", "case=global", POWEROFF, NULL, 0, NULL),
	G("pf", "pf", NULL, POWEROFF, NULL, 0, NULL),
	G("pf.present", "pf", "case=present", POWEROFF, NULL, 0, NULL),
	G("pf.around", "pf", "case=around", POWEROFF, NULL, 0, NULL),
	G("demand", "demand", NULL, POWEROFF, NULL, 0, NULL),
	G("traps", "traps", NULL, POWEROFF, NULL, 0, NULL),
	G("privileged", "privileged", NULL, POWEROFF, NULL, 0, NULL),
	G("selectors", "selectors", NULL, POWEROFF, NULL, 0, NULL),
	/* A launcher's LDT must not be the guest's: its selectors raise #GP. */
	G("selectors.ldt", "selectors", NULL, POWEROFF, NULL, F_LDT, NULL),
	G("pkru", "pkru", NULL, POWEROFF, NULL, F_PKRU, NULL),
	G("flood.cr2", "flood", "case=console", POWEROFF, NULL, F_CR2, NULL),
	/* Guest memory is not pinned: the launcher's changes reach the guest. */
	G("mmchange", "mmchange", NULL, KILLED, "not the launcher's writable memory", F_MM, NULL),
	G("noncanon", "noncanon", NULL, POWEROFF, NULL, 0, NULL),
	G("user", "user", NULL, POWEROFF, NULL, 0, NULL),
	G("user.smap", "user", "case=smap", POWEROFF, NULL, 0, NULL),
	G("timer", "timer", NULL, POWEROFF, NULL, F_TIME, NULL),
	G("halt", "halt", NULL, POWEROFF, NULL, 0, NULL),
	G("irq", "irq", NULL, POWEROFF, NULL, F_IRQ, NULL),
	G("mmio", "mmio", NULL, POWEROFF, NULL, F_MMIO, NULL),
	G("eventfd", "eventfd", NULL, POWEROFF, NULL, F_EVENTFD | F_MMIO_RANGE, NULL),
	G("fpu", "fpu", NULL, POWEROFF, NULL, F_FPU, NULL),
	G("hostile.init_outside", "hostile", "case=init_outside", KILLED, "LHCALL_INIT", 0,
	  NULL),
};
#define NGUESTS (sizeof(guests) / sizeof(guests[0]))

static int failed;
static double now(void);

/* @want is "a" or "a|b|...": is any of them in @reason? */
static int reason_matches(const char *reason, const char *want)
{
	char alt[128];

	while (*want) {
		size_t n = strcspn(want, "|");

		snprintf(alt, sizeof(alt), "%.*s", (int)n, want);
		if (strstr(reason, alt))
			return 1;
		want += n + (want[n] == '|');
	}
	return 0;
}

static void result(const struct guest *g, int ok, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void result(const struct guest *g, int ok, const char *check, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above */
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (ok) {
		printf("LGTEST PASS %s: %s\n", g->id, check);
	} else {
		printf("LGTEST FAIL %s: %s: %s\n", g->id, check, why);
		failed = 1;
	}
	fflush(stdout);
}

/* ---- one guest, in a child process ------------------------------------ */

struct child {
	const struct guest *g;
	struct lg_mem mem;
	int fd;
	struct lguest_run *run;
	/* The guest's console, a line at a time. */
	char line[1024];
	size_t len;
	size_t total;
	unsigned int passes, fails;
	int bad_line;
	/* F_MMIO: where we are in the script. */
	unsigned int mmio_next;
	int mmio_bad;
	/* F_IRQ */
	pthread_t irq_thread;
	int irq_started;
	unsigned int irq_line, irq_count;
	/* F_TIME: when "LGTIME begin" and "LGTIME end" came, and what end said. */
	double time_begin, time_end;
	unsigned long long time_n, time_ns;
	/* F_FPU: how many runs found our registers changed. */
	unsigned int fpu_runs, fpu_clobbered;
	/* F_PKRU: ours, and how many runs changed it. */
	int pku;
	uint32_t pkru;
	unsigned int pkru_runs, pkru_changed;
	/* F_CR2: pages we fault in before each run; runs whose CR2 was one. */
	char *touch;
	unsigned int cr2_runs, cr2_leaked;
	unsigned long long cr2_seen;
	/* F_EVENTFD: QueueNotify's two values, the irqfd; what was seen. */
	int evfd[2], irqfd;
	pthread_t evfd_thread;
	int evfd_started, evfd_busy;
	unsigned int evfd_irqs;
	uint64_t evfd_count[2];
	struct lguest_stats evfd_stats;
	int evfd_stats_ok;
	unsigned int evfd_exits;
};

static void guest_line(struct child *c)
{
	const struct guest *g = c->g;
	char pfx[3][128];
	const char *verdict[3] = { "PASS", "FAIL", "SKIP" };

	c->line[c->len] = '\0';
	for (int i = 0; i < 3; i++) {
		snprintf(pfx[i], sizeof(pfx[i]), "LGTEST %s %s: ", verdict[i], g->id);
		if (!strncmp(c->line, pfx[i], strlen(pfx[i]))) {
			printf("%s\n", c->line);
			if (i == 0)
				c->passes++;
			else if (i == 1)
				c->fails++;
			return;
		}
	}
	/* Anything else is shown, indented, so it can never pass for a result. */
	if (!strncmp(c->line, "LGTEST", 6))
		c->bad_line = 1;
	printf("    %s| %s\n", g->id, c->line);
}

static void *irq_main(void *arg)
{
	struct child *c = arg;
	struct lguest_irq irq = { .irq = c->irq_line };

	for (unsigned int i = 0; i < c->irq_count; i++) {
		usleep(20000);
		if (ioctl(c->fd, LGUEST_IRQ, &irq))
			printf("    %s| LGUEST_IRQ %u: %s\n", c->g->id, irq.irq, strerror(errno));
	}
	return NULL;
}

/*
 * Free memory in KiB: MemFree, plus the pages freed into the per-CPU
 * lists ("count:" under each zone's pagesets in /proc/zoneinfo), which
 * MemFree leaves out and which can hold many MiB of what munmap freed.
 */
static unsigned long long mem_free_kib(void)
{
	unsigned long long kib = 0, n;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	f = fopen("/proc/zoneinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %llu", &n) == 1)
			kib += n * 4;
	if (f)
		fclose(f);
	return kib;
}

/* F_MM: what mmchange.c asks of us (it says why). */
static void mm_command(struct child *c)
{
	const struct guest *g = c->g;
	unsigned long long gpa, len;

	if (sscanf(c->line, "LGMM replace %llx", &gpa) == 1 && gpa < c->mem.size - 8) {
		volatile uint64_t *p = (volatile uint64_t *)(c->mem.base + gpa);

		result(g, *p == 0x1111, "the launcher sees the guest's write", "read %#llx",
		       (unsigned long long)*p);
		madvise((char *)c->mem.base + (gpa & ~4095ULL), 4096, MADV_DONTNEED);
		*p = 0x2222;
	} else if (sscanf(c->line, "LGMM unmap %llx %llx", &gpa, &len) == 2 &&
		   gpa < c->mem.size && len <= c->mem.size - gpa) {
		unsigned long long before = mem_free_kib(), after;

		munmap((char *)c->mem.base + gpa, len);
		/*
		 * Most of it, within a second (pinned, as guest memory once
		 * was, free memory did not move at all).
		 */
		for (int i = 0; i < 10; i++) {
			usleep(100000);
			after = mem_free_kib();
			if (after > before && (after - before) * 1024 >= len / 2)
				break;
		}
		printf("    %s| free memory went from %llu to %llu KiB for %llu KiB unmapped\n",
		       g->id, before, after, len / 1024);
		result(g, after > before && (after - before) * 1024 >= len / 2,
		       "munmap of guest memory the guest used gives it back to the host at once",
		       "free memory went from %llu to %llu KiB for %llu KiB unmapped", before, after,
		       len / 1024);
	} else {
		result(g, 0, "LGMM command", "cannot parse '%s'", c->line);
	}
}

/* Console bytes: whole lines are judged, commands from the guest obeyed. */
/* ---- F_EVENTFD: LGUEST_IOEVENTFD and LGUEST_IRQFD ---------------------- */

/* The guest's register with one eventfd per value, and one taking any value. */
#define EVFD_NOTIFY	(MMIO_SPEC_GPA + 0x50)
#define EVFD_WIDE	(MMIO_SPEC_GPA + 0x60)
/* Registers for filling the table up to its limit. */
#define EVFD_SLOT(n)	(MMIO_SPEC_GPA + 0x100 + 8ULL * (unsigned int)(n))
/* tests/guests/eventfd.c's counts. */
#define EVFD_NOTIFIES	20000
#define EVFD_WIDES	1000

static int ioeventfd(int fd, uint64_t addr, uint32_t len, int efd, uint32_t flags, uint64_t val)
{
	struct lguest_ioeventfd a = { .addr = addr, .len = len, .fd = efd, .flags = flags,
				      .datamatch = val };

	return ioctl(fd, LGUEST_IOEVENTFD, &a) ? -errno : 0;
}

static int irqfd(int fd, int efd, uint32_t irq, uint32_t flags)
{
	struct lguest_irqfd a = { .fd = efd, .irq = irq, .flags = flags };

	return ioctl(fd, LGUEST_IRQFD, &a) ? -errno : 0;
}

static void want_errno(struct child *c, int got, int want, const char *what)
{
	char check[160];

	snprintf(check, sizeof(check), "%s: %s", what, want ? strerror(want) : "works");
	result(c->g, got == -want, check, "got %s", got ? strerror(-got) : "success");
}

/*
 * Before the first run: the eventfds the guest will use, and every way a
 * registration must be refused.  The wide one is closed here: lg.ko keeps
 * its own reference, so the guest's writes to it still count.
 */
static int evfd_setup(struct child *c)
{
	const uint32_t D = LGUEST_IOEVENTFD_DATAMATCH, X = LGUEST_IOEVENTFD_DEASSIGN;
	int wide = eventfd(0, EFD_CLOEXEC), spare = eventfd(0, EFD_CLOEXEC);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), fd = c->fd, n, err;
	int many[LGUEST_MAX_IRQFDS];

	c->evfd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->evfd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->irqfd = eventfd(0, EFD_CLOEXEC);
	if (c->evfd[0] < 0 || c->evfd[1] < 0 || c->irqfd < 0 || wide < 0 || spare < 0 ||
	    null < 0) {
		result(c->g, 0, "eventfds", "%s", strerror(errno));
		return -1;
	}
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY, 4, c->evfd[0], D, 0), 0,
		   "LGUEST_IOEVENTFD for value 0 at a register");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY, 4, c->evfd[1], D, 1), 0,
		   "LGUEST_IOEVENTFD for value 1 at the same register");
	want_errno(c, ioeventfd(fd, EVFD_WIDE, 8, wide, 0, 0), 0,
		   "LGUEST_IOEVENTFD for any 8-byte write");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY, 4, spare, 0, 0), EEXIST,
		   "LGUEST_IOEVENTFD for any value where values have eventfds");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY, 4, spare, D, 1), EEXIST,
		   "LGUEST_IOEVENTFD for a value that has one");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 2, 2, spare, D, 0), EEXIST,
		   "LGUEST_IOEVENTFD overlapping a register");
	want_errno(c, ioeventfd(fd, EVFD_WIDE, 8, spare, D, 5), EEXIST,
		   "LGUEST_IOEVENTFD for a value where any value has one");
	want_errno(c, ioeventfd(fd, 0x100000, 4, spare, 0, 0), EINVAL,
		   "LGUEST_IOEVENTFD in RAM");
	want_errno(c, ioeventfd(fd, MMIO_SPEC_GPA + MMIO_SPEC_SIZE, 4, spare, 0, 0), EINVAL,
		   "LGUEST_IOEVENTFD just past the MMIO window");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 0x21, 4, spare, 0, 0), EINVAL,
		   "LGUEST_IOEVENTFD misaligned");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 0x20, 3, spare, 0, 0), EINVAL,
		   "LGUEST_IOEVENTFD of 3 bytes");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 0x20, 1, spare, D, 0x100), EINVAL,
		   "LGUEST_IOEVENTFD for a value wider than its register");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 0x20, 4, spare, 4, 0), EINVAL,
		   "LGUEST_IOEVENTFD with unknown flags");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 0x20, 4, spare, 0, 1), EINVAL,
		   "LGUEST_IOEVENTFD with a value but no DATAMATCH");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 0x20, 4, -1, 0, 0), EBADF,
		   "LGUEST_IOEVENTFD of fd -1");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 0x20, 4, null, 0, 0), EINVAL,
		   "LGUEST_IOEVENTFD of a file that is not an eventfd");
	want_errno(c, ioeventfd(fd, EVFD_NOTIFY + 0x20, 4, spare, X, 0), ENOENT,
		   "LGUEST_IOEVENTFD removing what is not there");
	for (n = 0; !(err = ioeventfd(fd, EVFD_SLOT(n), 8, spare, 0, 0)); n++)
		;
	result(c->g, err == -ENOSPC && n == LGUEST_MAX_IOEVENTFDS - 3,
	       "LGUEST_IOEVENTFD: ENOSPC after LGUEST_MAX_IOEVENTFDS",
	       "%d more, then %s", n, strerror(-err));
	err = 0;
	while (n-- > 0)
		err |= ioeventfd(fd, EVFD_SLOT(n), 8, spare, X, 0);
	want_errno(c, err, 0, "LGUEST_IOEVENTFD removes each of them");

	want_errno(c, irqfd(fd, c->irqfd, 4, 0), 0, "LGUEST_IRQFD binds an eventfd to line 4");
	want_errno(c, irqfd(fd, c->irqfd, 5, 0), EBUSY, "LGUEST_IRQFD of a bound eventfd");
	want_errno(c, irqfd(fd, spare, 0, 0), EINVAL, "LGUEST_IRQFD to line 0 (the timer)");
	want_errno(c, irqfd(fd, spare, LGUEST_NR_IRQS, 0), EINVAL, "LGUEST_IRQFD to line 64");
	want_errno(c, irqfd(fd, spare, 4, 2), EINVAL, "LGUEST_IRQFD with unknown flags");
	want_errno(c, irqfd(fd, null, 4, 0), EINVAL, "LGUEST_IRQFD of a file that is not an eventfd");
	want_errno(c, irqfd(fd, -1, 4, 0), EBADF, "LGUEST_IRQFD of fd -1");
	want_errno(c, irqfd(fd, spare, 0, LGUEST_IRQFD_DEASSIGN), ENOENT,
		   "LGUEST_IRQFD unbinding what is not bound");
	want_errno(c, irqfd(fd, c->irqfd, 4, LGUEST_IRQFD_DEASSIGN), EINVAL,
		   "LGUEST_IRQFD unbinding with a line named");
	for (n = 0, err = 0; n < LGUEST_MAX_IRQFDS && !err; n++) {
		many[n] = eventfd(0, EFD_CLOEXEC);
		err = many[n] < 0 ? -errno : irqfd(fd, many[n], 1 + n % 60, 0);
	}
	result(c->g, err == -ENOSPC && n == LGUEST_MAX_IRQFDS,
	       "LGUEST_IRQFD: ENOSPC after LGUEST_MAX_IRQFDS", "%d bound, then %s", n - 1,
	       strerror(-err));
	err = 0;
	while (n-- > 0) {
		if (n < LGUEST_MAX_IRQFDS - 1)
			err |= irqfd(fd, many[n], 0, LGUEST_IRQFD_DEASSIGN);
		close(many[n]);
	}
	want_errno(c, err, 0, "LGUEST_IRQFD unbinds each of them");
	close(wide);
	close(spare);
	close(null);
	return 0;
}

static void *evfd_main(void *arg)
{
	struct child *c = arg;
	uint64_t one = 1;

	for (unsigned int i = 0; i < c->evfd_irqs; i++) {
		usleep(20000);
		if (write(c->irqfd, &one, sizeof(one)) != sizeof(one))
			printf("    %s| write to the irqfd: %s\n", c->g->id, strerror(errno));
		/* By now the guest has long been halted in LGUEST_RUN. */
		if (i == 2)
			c->evfd_busy = ioeventfd(c->fd, EVFD_NOTIFY + 0x20, 4, c->evfd[0], 0, 0);
	}
	return NULL;
}

/* "LGEVFD done": the notifications are over; "LGEVFD n": n interrupts. */
static void evfd_command(struct child *c)
{
	if (!strcmp(c->line, "LGEVFD done")) {
		for (int i = 0; i < 2; i++)
			if (read(c->evfd[i], &c->evfd_count[i], 8) != 8)
				c->evfd_count[i] = 0;
		c->evfd_stats.size = sizeof(c->evfd_stats);
		c->evfd_stats_ok = !ioctl(c->fd, LGUEST_GET_STATS, &c->evfd_stats);
		return;
	}
	if (!c->evfd_started && sscanf(c->line, "LGEVFD %u", &c->evfd_irqs) == 1)
		c->evfd_started = !pthread_create(&c->evfd_thread, NULL, evfd_main, c);
}

/* The MMIO exits the guest still makes: a value nobody matches, a read. */
static void evfd_mmio(struct child *c)
{
	struct lguest_run *r = c->run;

	c->evfd_exits++;
	if (r->mmio.addr != EVFD_NOTIFY || r->mmio.size != 4 ||
	    (r->mmio.is_write && r->mmio.data != 7))
		result(c->g, 0, "only the unmatched write and the read exit",
		       "%s of %u at %#llx", r->mmio.is_write ? "write" : "read", r->mmio.size,
		       (unsigned long long)r->mmio.addr);
	if (!r->mmio.is_write)
		r->mmio.data = 0x5eed;
}

static void evfd_results(struct child *c)
{
	const struct lguest_stats *st = &c->evfd_stats;

	result(c->g, c->evfd_count[0] == EVFD_NOTIFIES / 2 && c->evfd_count[1] == EVFD_NOTIFIES / 2,
	       "each notification signalled the eventfd of its value",
	       "value 0: %llu, value 1: %llu, of %d each", (unsigned long long)c->evfd_count[0],
	       (unsigned long long)c->evfd_count[1], EVFD_NOTIFIES / 2);
	result(c->g, c->evfd_stats_ok && st->mmio_eventfds == EVFD_NOTIFIES + EVFD_WIDES &&
	       st->mmio_exits == 2,
	       "LGUEST_RUN never returned for them, the closed eventfd's included "
	       "(mmio_eventfds, mmio_exits)",
	       "mmio_eventfds %llu (want %d), mmio_exits %llu (want 2), user_exits %llu",
	       (unsigned long long)st->mmio_eventfds, EVFD_NOTIFIES + EVFD_WIDES,
	       (unsigned long long)st->mmio_exits, (unsigned long long)st->user_exits);
	result(c->g, c->evfd_exits == 2, "the unmatched write and the read reached the launcher",
	       "%u MMIO exits", c->evfd_exits);
	want_errno(c, c->evfd_busy, EBUSY, "LGUEST_IOEVENTFD while the guest runs");
}

static int console(struct child *c, uint64_t gpa, uint64_t len)
{
	const char *p = lg_mem_range(&c->mem, gpa, len);

	if (!p || len > 4096)
		return -EFAULT;
	c->total += len;
	for (uint64_t i = 0; i < len; i++) {
		if (p[i] != '\n' && c->len < sizeof(c->line) - 1) {
			c->line[c->len++] = p[i];
			continue;
		}
		if (p[i] != '\n')
			continue;	/* overlong line: truncated */
		if ((c->g->flags & F_IRQ) && !c->irq_started &&
		    sscanf(c->line, "LGIRQ %u %u", &c->irq_count, &c->irq_line) == 2) {
			c->irq_started = !pthread_create(&c->irq_thread, NULL, irq_main, c);
			c->len = 0;
			continue;
		}
		if ((c->g->flags & F_EVENTFD) && !strncmp(c->line, "LGEVFD ", 7)) {
			c->line[c->len] = '\0';
			evfd_command(c);
			c->len = 0;
			continue;
		}
		if ((c->g->flags & F_MM) && !strncmp(c->line, "LGMM ", 5)) {
			c->line[c->len] = '\0';
			mm_command(c);
			c->len = 0;
			continue;
		}
		if ((c->g->flags & F_TIME) && !strncmp(c->line, "LGTIME ", 7)) {
			c->line[c->len] = '\0';
			if (!strcmp(c->line, "LGTIME begin"))
				c->time_begin = now();
			else if (sscanf(c->line, "LGTIME end %llu %llu", &c->time_n,
					&c->time_ns) == 2)
				c->time_end = now();
			c->len = 0;
			continue;
		}
		guest_line(c);
		c->len = 0;
	}
	return 0;
}

static void mmio(struct child *c)
{
	struct lguest_run *r = c->run;
	const struct mmio_spec_op *op;

	if (c->mmio_next >= MMIO_SPEC_N) {
		if (!c->mmio_bad)
			printf("    %s| unexpected MMIO access at %#llx\n", c->g->id,
			       (unsigned long long)r->mmio.addr);
		c->mmio_bad = 1;
		r->mmio.data = ~0ULL;
		return;
	}
	op = &mmio_spec[c->mmio_next++];
	if (r->mmio.addr != MMIO_SPEC_GPA + op->off || r->mmio.size != op->size ||
	    r->mmio.is_write != op->is_write ||
	    (op->is_write && r->mmio.data != op->val)) {
		printf("    %s| MMIO access %u: %s of %u bytes at %#llx (data %#llx),"
		       " wanted %s of %u at %#llx (data %#llx)\n", c->g->id, c->mmio_next - 1,
		       r->mmio.is_write ? "write" : "read", r->mmio.size,
		       (unsigned long long)r->mmio.addr, (unsigned long long)r->mmio.data,
		       op->is_write ? "write" : "read", op->size,
		       (unsigned long long)(MMIO_SPEC_GPA + op->off),
		       (unsigned long long)op->val);
		c->mmio_bad = 1;
	}
	if (!r->mmio.is_write)
		r->mmio.data = op->val;
}

/* AVX usable: the CPU has it and the kernel enabled YMM state (XCR0). */
static int host_avx(void)
{
	unsigned int a = 1, b, c = 0, d, lo, hi;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (!(c & (1u << 27)) || !(c & (1u << 28)))	/* OSXSAVE, AVX */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	return (lo & 6) == 6;
}

/*
 * LGUEST_RUN with our own pattern in every vector register, checked when
 * it returns: the guest's FPU state must never leak into ours.  With AVX
 * the whole of ymm0-15: the guest (fpu.c) fills its upper halves too.
 * One asm block, so the compiler cannot use the registers in between.
 */
static long run_fpu_checked(struct child *c)
{
	static const uint8_t pat[32] __attribute__((aligned(32))) = {
		0x5a, 0xa5, 0x3c, 0xc3, 0x11, 0x22, 0x33, 0x44,
		0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
		0x0f, 0xf0, 0x1e, 0xe1, 0x2d, 0xd2, 0x3c, 0xc3,
		0x4b, 0xb4, 0x5a, 0xa5, 0x69, 0x96, 0x78, 0x87 };
	uint8_t out[16][32] __attribute__((aligned(32)));
	static int avx = -1;
	long ret;

	if (avx < 0)
		avx = host_avx();
	if (avx)
		__asm__ volatile(
			"vmovdqa (%[pat]), %%ymm0\n\t"
			".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			"vmovdqa %%ymm0, %%ymm\\n\n\t"
			".endr\n\t"
			"syscall\n\t"
			".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			"vmovdqa %%ymm\\n, \\n*32(%[out])\n\t"
			".endr\n\t"
			"vzeroupper"
			: "=a"(ret)
			: "a"(16L /* __NR_ioctl */), "D"((long)c->fd), "S"((long)LGUEST_RUN),
			  "d"(0L), [pat] "r"(pat), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			  "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
			  "xmm14", "xmm15");
	else
		__asm__ volatile(
			"movdqa (%[pat]), %%xmm0\n\t"
			".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			"movdqa %%xmm0, %%xmm\\n\n\t"
			".endr\n\t"
			"syscall\n\t"
			".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			"movdqa %%xmm\\n, \\n*32(%[out])\n\t"
			".endr"
			: "=a"(ret)
			: "a"(16L /* __NR_ioctl */), "D"((long)c->fd), "S"((long)LGUEST_RUN),
			  "d"(0L), [pat] "r"(pat), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			  "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
			  "xmm14", "xmm15");
	if (!c->fpu_runs++)
		printf("    %s| the launcher checks %s\n", c->g->id,
		       avx ? "ymm0-15 (AVX)" : "xmm0-15 (no AVX)");
	for (int i = 0; i < 16; i++)
		if (memcmp(out[i], pat, avx ? 32 : 16) != 0) {
			c->fpu_clobbered++;
			break;
		}
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return 0;
}

/* Protection keys usable here: the CPU has them and the kernel turned them on. */
static int host_pku(void)
{
	unsigned int a = 7, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (int)((c >> 4) & 1);	/* OSPKE */
}

static uint32_t rdpkru(void)
{
	uint32_t eax, edx;

	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

/* F_LDT: one 32-bit data segment in our LDT, selector 0x7. */
static int ldt_install(void)
{
	struct user_desc d = { .entry_number = 0, .limit = 0xfffff, .seg_32bit = 1,
			       .limit_in_pages = 1, .useable = 1 };

	return (int)syscall(SYS_modify_ldt, 1, &d, sizeof(d));
}

/* F_LDT: load our LDT selector; without our LDT this is a SIGSEGV. */
static void ldt_use(void)
{
	__asm__ volatile("mov %0, %%es\n\tmov %1, %%es" : : "r"(0x7), "r"(0));
}

/* Around every RUN: F_PKRU and F_CR2's checks. */
static long run_checked(struct child *c)
{
	const struct guest *g = c->g;
	struct lguest_regs regs;
	long ret;

	if (c->touch) {
		/* A fresh page each run: its address is this CPU's CR2 now. */
		c->touch[(size_t)(c->cr2_runs % (TOUCH_SIZE / 4096)) * 4096] = 1;
	}
	ret = (g->flags & F_FPU) ? run_fpu_checked(c) : ioctl(c->fd, LGUEST_RUN, 0);
	if (c->pku) {
		c->pkru_runs++;
		if (rdpkru() != c->pkru)
			c->pkru_changed++;
	}
	if (c->touch && !ioctl(c->fd, LGUEST_GET_REGS, &regs)) {
		uintptr_t a = (uintptr_t)regs.cr2, t = (uintptr_t)c->touch;

		c->cr2_runs++;
		if (a >= t && a < t + TOUCH_SIZE) {
			c->cr2_leaked++;
			c->cr2_seen = regs.cr2;
		}
	}
	return ret;
}

static int load(struct child *c, struct lguest_regs *regs)
{
	const struct guest *g = c->g;
	struct lg_vm *vm = lg_vm_new();
	struct lg_kernel k;
	struct lg_boot boot = { 0 };
	char path[256], cmdline[512];
	struct stat st;
	void *elf;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s.elf", GUEST_DIR, g->elf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		result(g, 0, "loads", "%s: %s", path, strerror(errno));
		return -1;
	}
	elf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (elf == MAP_FAILED) {
		result(g, 0, "loads", "mmap %s: %s", path, strerror(errno));
		return -1;
	}
	err = lg_elf_load(vm, &c->mem, elf, (size_t)st.st_size, 0, 0, &k);
	if (!err) {
		snprintf(cmdline, sizeof(cmdline), "lgtest.name=%s%s%s", g->id,
			 g->args ? " " : "", g->args ? g->args : "");
		boot.entry = k.entry;
		boot.cmdline = cmdline;
		err = lg_boot_setup(vm, &c->mem, &boot, regs);
	}
	if (err)
		result(g, 0, "loads", "%s: %s", path, lg_vm_last_error(vm));
	lg_vm_destroy(vm);
	return err ? -1 : 0;
}

/* F_REGS: regs.c powers off with these in the callee-saved registers. */
static void check_regs(struct child *c)
{
	struct lguest_regs r;
	int ok = !ioctl(c->fd, LGUEST_GET_REGS, &r);

	result(c->g, ok && r.rbx == 0xb0b0b0b0b0b0b0b0ULL && r.rbp == 0xbebebebebebebebeULL &&
	       r.r12 == 0x1212121212121212ULL && r.r13 == 0x1313131313131313ULL &&
	       r.r14 == 0x1414141414141414ULL && r.r15 == 0x1515151515151515ULL,
	       "LGUEST_GET_REGS after poweroff shows the guest's registers",
	       "rbx %#llx rbp %#llx r12 %#llx r13 %#llx r14 %#llx r15 %#llx (%s)",
	       r.rbx, r.rbp, r.r12, r.r13, r.r14, r.r15, ok ? "ok" : strerror(errno));
}

/* The host's count of NMIs ("NMI:") or machine checks ("MCE:"), all CPUs. */
static unsigned long long irq_count(const char *what)
{
	unsigned long long sum = 0;
	char line[4096];
	FILE *f = fopen("/proc/interrupts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		while (*p == ' ')
			p++;
		if (strncmp(p, what, 4) != 0)
			continue;
		p += 4;
		for (;;) {
			unsigned long long n = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += n;
			p = end;
		}
	}
	if (f)
		fclose(f);
	return sum;
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static int child_main(const struct guest *g)
{
	struct child c = { .g = g, .fd = -1 };
	struct lguest_init init = { .mem_size = MEM_SIZE };
	struct lguest_regs regs;
	struct lguest_run *r;
	unsigned int exits = 0;
	unsigned long long nmis = irq_count("NMI:"), mces = irq_count("MCE:");
	enum expect expect;
	long ret;
	int ok;

	c.mem.size = MEM_SIZE;
	/* F_MM: private memory, so a discarded or unmapped page is gone. */
	c.mem.base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			  ((g->flags & F_MM) ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS, -1, 0);
	if (c.mem.base == MAP_FAILED) {
		result(g, 0, "loads", "guest memory: %s", strerror(errno));
		return 1;
	}
	/*
	 * F_MM: 4 KiB pages, so what mmchange unmaps is freed whole at once
	 * (a huge page cut by the unmap waits for the deferred-split shrinker).
	 */
	if (g->flags & F_MM)
		madvise(c.mem.base, MEM_SIZE, MADV_NOHUGEPAGE);
	if (load(&c, &regs))
		return 1;

	if ((g->flags & F_LDT) && ldt_install()) {
		result(g, 0, "has an LDT", "modify_ldt: %s", strerror(errno));
		return 1;
	}
	if (g->flags & F_CR2) {
		c.touch = mmap(NULL, TOUCH_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c.touch == MAP_FAILED) {
			result(g, 0, "starts", "mmap: %s", strerror(errno));
			return 1;
		}
		/* One fault per 4 KiB page, not one per huge page. */
		madvise(c.touch, TOUCH_SIZE, MADV_NOHUGEPAGE);
	}
	c.pku = (g->flags & F_PKRU) && host_pku();
	if (c.pku)
		c.pkru = rdpkru();
	c.fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	init.mem_uaddr = (uintptr_t)c.mem.base;
	if (g->flags & (F_MMIO | F_MMIO_RANGE)) {
		init.nr_mmio = 1;
		init.mmio[0].base = MMIO_SPEC_GPA;
		init.mmio[0].size = MMIO_SPEC_SIZE;
	}
	if (c.fd < 0 || ioctl(c.fd, LGUEST_INIT, &init) || ioctl(c.fd, LGUEST_SET_REGS, &regs)) {
		result(g, 0, "starts", "/dev/lguest: %s", strerror(errno));
		return 1;
	}
	c.run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0);
	if (c.run == MAP_FAILED) {
		result(g, 0, "starts", "mmap of the run page: %s", strerror(errno));
		return 1;
	}
	r = c.run;
	if (g->flags & F_IRQ) {
		struct lguest_irq bad[] = { { .irq = 0 }, { .irq = LGUEST_NR_IRQS },
					    { .irq = 3, .flags = 1 } };
		const char *what[] = { "line 0 (the timer)", "line 64", "nonzero flags" };

		for (int i = 0; i < 3; i++) {
			char check[96];
			long rc = ioctl(c.fd, LGUEST_IRQ, &bad[i]);

			snprintf(check, sizeof(check), "LGUEST_IRQ refuses %s with EINVAL", what[i]);
			result(g, rc == -1 && errno == EINVAL, check, "returned %ld errno %d", rc,
			       errno);
		}
	}

	if ((g->flags & F_EVENTFD) && evfd_setup(&c))
		return 1;

	if (g->expect == SPIN_SIGNAL) {
		struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
		struct lguest_regs cur;
		int n;

		sigaction(SIGALRM, &sa, NULL);
		for (n = 0; n < 2; n++) {
				alarm(1);
			ret = ioctl(c.fd, LGUEST_RUN, 0);
			result(g, ret == -1 && errno == EINTR,
			       n ? "LGUEST_RUN again: EINTR again (the guest survived)" :
				   "LGUEST_RUN returns EINTR on a signal",
			       "returned %ld (%s), exit %u", ret, strerror(errno), r->exit_reason);
		}
		ok = !ioctl(c.fd, LGUEST_GET_REGS, &cur);
		result(g, ok && cur.rip >= 0xffffffff81000000ULL && cur.rip < 0xffffffff82000000ULL,
		       "registers of the interrupted guest are its own",
		       "rip %#llx (%s)", cur.rip, ok ? "ok" : strerror(errno));
		return failed;
	}

	for (;;) {
		ret = run_checked(&c);
		if (ret) {
			if (errno == EINTR)
				continue;
			result(g, 0, "runs", "LGUEST_RUN: %s", strerror(errno));
			return 1;
		}
		exits++;
		if (r->exit_reason == LGUEST_EXIT_HCALL) {
			if (r->hcall.nr == LHCALL_CONSOLE_WRITE)
				r->hcall.ret = (uint64_t)(int64_t)console(&c, r->hcall.args[0],
									 r->hcall.args[1]);
			else
				r->hcall.ret = (uint64_t)-ENOSYS;
			if (c.total > (1 << 20)) {
				result(g, 0, "runs", "more than 1 MiB of console output");
				return 1;
			}
			continue;
		}
		if (r->exit_reason == LGUEST_EXIT_MMIO && (g->flags & F_MMIO)) {
			mmio(&c);
			continue;
		}
		if (r->exit_reason == LGUEST_EXIT_MMIO && (g->flags & F_EVENTFD)) {
			evfd_mmio(&c);
			continue;
		}
		if (r->exit_reason == LGUEST_EXIT_MMIO) {
			result(g, 0, "no MMIO exit", "an MMIO exit at %#llx", r->mmio.addr);
			if (!r->mmio.is_write)
				r->mmio.data = ~0ULL;
			continue;
		}
		if (r->exit_reason == LGUEST_EXIT_NONE)
			continue;
		break;
	}
	if (c.len)	/* a last line without its newline */
		guest_line(&c);
	if (c.irq_started)
		pthread_join(c.irq_thread, NULL);
	if (c.evfd_started)
		pthread_join(c.evfd_thread, NULL);

	/* REFUSED: killed for the reason, or judged as POWEROFF. */
	expect = g->expect;
	if (expect == REFUSED)
		expect = r->exit_reason == LGUEST_EXIT_KILLED ? KILLED : POWEROFF;
	switch (expect) {
	case POWEROFF: {
		unsigned int np = 0, nf = 0;

		ok = r->exit_reason == LGUEST_EXIT_SHUTDOWN &&
		     r->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF &&
		     sscanf(r->shutdown.msg, "passed=%u failed=%u", &np, &nf) == 2;
		if (r->exit_reason == LGUEST_EXIT_KILLED)
			result(g, 0, "powers off", "killed: %s", r->killed.reason);
		else if (r->exit_reason == LGUEST_EXIT_SHUTDOWN && !ok)
			result(g, 0, "powers off", "shutdown kind %u: %s", r->shutdown.kind,
			       r->shutdown.msg);
		else if (!ok)
			result(g, 0, "powers off", "exit reason %u", r->exit_reason);
		else
			result(g, np > 0 && nf == 0 && np == c.passes && nf == c.fails && !c.bad_line,
			       "powers off after its checks, all seen by the launcher",
			       "guest says passed=%u failed=%u, launcher saw %u PASS and %u FAIL"
			       " lines%s", np, nf, c.passes, c.fails,
			       c.bad_line ? " and a malformed LGTEST line" : "");
		break;
	}
	case KILLED:
		result(g, r->exit_reason == LGUEST_EXIT_KILLED &&
		       reason_matches(r->killed.reason, g->reason) && !c.fails,
		       "killed with the right reason",
		       "wanted killed with '%s', got exit %u ('%s') after %u FAIL lines",
		       g->reason, r->exit_reason,
		       r->exit_reason == LGUEST_EXIT_KILLED ? r->killed.reason : r->shutdown.msg,
		       c.fails);
		if (r->exit_reason == LGUEST_EXIT_KILLED)
			printf("    %s| killed: %s\n", g->id, r->killed.reason);
		break;
	default:
		break;
	}
	if (g->expect == ENDS) {
		ok = r->exit_reason == LGUEST_EXIT_KILLED ||
		     (r->exit_reason == LGUEST_EXIT_SHUTDOWN &&
		      r->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF && !c.fails);
		result(g, ok, "powers off or is killed", "exit %u: %s", r->exit_reason,
		       r->shutdown.msg);
		if (r->exit_reason == LGUEST_EXIT_KILLED)
			printf("    %s| killed: %s\n", g->id, r->killed.reason);
	}
	if (g->flags & F_NMI) {
		unsigned long long now_nmis = irq_count("NMI:"), now_mces = irq_count("MCE:");

		result(g, now_nmis - nmis < 5 && now_mces == mces,
		       "the host saw no NMIs or machine checks the guest made up",
		       "the host's NMI count went from %llu to %llu, MCE from %llu to %llu",
		       nmis, now_nmis, mces, now_mces);
	}
	if (g->flags & F_MMIO)
		result(g, !c.mmio_bad && c.mmio_next == MMIO_SPEC_N,
		       "every MMIO access exited with the right address, size and data",
		       "%u of %zu scripted accesses seen%s", c.mmio_next, MMIO_SPEC_N,
		       c.mmio_bad ? ", some wrong (above)" : "");
	if (g->flags & F_EVENTFD)
		evfd_results(&c);
	if (g->flags & F_FPU)
		result(g, c.fpu_runs > 1 && !c.fpu_clobbered,
		       "the launcher's vector registers survive LGUEST_RUN",
		       "changed after %u of %u runs", c.fpu_clobbered, c.fpu_runs);
	if (g->flags & F_REGS)
		check_regs(&c);
	if (g->flags & F_LDT) {
		ldt_use();	/* a SIGSEGV here fails the test: "the launcher child died" */
		result(g, 1, "the launcher's LDT still works after the guest", "-");
	}
	if ((g->flags & F_PKRU) && !c.pku)
		printf("    %s| no protection keys on this host: PKRU not checked\n", g->id);
	else if (g->flags & F_PKRU)
		result(g, c.pkru_runs > 1 && !c.pkru_changed,
		       "the launcher's PKRU survives LGUEST_RUN",
		       "changed after %u of %u runs (was %#x, now %#x)", c.pkru_changed,
		       c.pkru_runs, c.pkru, rdpkru());
	if (g->flags & F_CR2)
		result(g, c.cr2_runs > 1 && !c.cr2_leaked,
		       "the guest's CR2 never holds the launcher's fault address",
		       "%u of %u runs ended with CR2 in the launcher's pages (%#llx)",
		       c.cr2_leaked, c.cr2_runs, c.cr2_seen);
	if (g->flags & F_TIME) {
		double want = (double)c.time_n * (double)c.time_ns / 1e9;
		double took = c.time_end - c.time_begin;

		printf("    %s| %llu periods of %llu ns took %.3f s\n", g->id, c.time_n, c.time_ns,
		       took);
		result(g, c.time_begin > 0 && c.time_end > 0 && c.time_n && took >= want &&
		       took < want * 20 + 0.5,
		       "the ticks came at the requested rate, never early (launcher's clock)",
		       "%llu periods of %llu ns took %.3f s (want %.3f s .. %.3f s)", c.time_n,
		       c.time_ns, took, want, want * 20 + 0.5);
	}
	errno = 0;
	ret = ioctl(c.fd, LGUEST_RUN, 0);
	result(g, ret == -1 && errno == ESHUTDOWN, "no LGUEST_RUN after it ended",
	       "returned %ld errno %d (%s) after %u exits", ret, errno, strerror(errno), exits);
	close(c.fd);
	return failed;
}

/* ---- the parent: one child per guest, with a deadline ------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to @secs for @pid; returns 1 with *status when it ended. */
static int wait_for(pid_t pid, double secs, int *status)
{
	double end = now() + secs;

	do {
		pid_t p = waitpid(pid, status, WNOHANG);

		if (p == pid)
			return 1;
		if (p < 0)
			return -1;
		usleep(10000);
	} while (now() < end);
	return 0;
}

/* The CPU time (user + system) @pid has used, in seconds; its state letter. */
static double cpu_seconds(pid_t pid, char *state)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	*state = '?';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* Fields 3 (state), then 14 and 15 (utime, stime), after "(comm)". */
	p = p ? strrchr(buf, ')') : NULL;
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", state,
			 &ut, &st) != 3)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Should a spinning guest starve our CPU, a process on another one ends
 * it after 10 s, so that we live to say so.
 */
static pid_t watchdog(pid_t victim, const cpu_set_t *all)
{
	int ours = sched_getcpu();
	cpu_set_t others;
	pid_t pid = fork();

	if (pid)
		return pid;
	CPU_ZERO(&others);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, all) && i != ours)
			CPU_SET(i, &others);
	if (CPU_COUNT(&others))
		sched_setaffinity(0, sizeof(others), &others);
	sleep(10);
	kill(victim, SIGKILL);
	_exit(0);
}

/*
 * A guest that never yields: we sleep 3 s on the same CPU as the guest,
 * which must not starve us; a halted guest (F_IDLE) must cost next to
 * nothing over the last 2 (the first is for it to start).  Then SIGKILL
 * must end it.
 */
static void spin_checks(const struct guest *g, pid_t pid, const cpu_set_t *all)
{
	double t0 = now(), t1, slept, window, cpu0, cpu1;
	char st0, st1;
	int status = 0;
	pid_t ended, wd = watchdog(pid, all);

	usleep(1000000);
	cpu0 = cpu_seconds(pid, &st0);
	t1 = now();
	usleep(2000000);
	window = now() - t1;
	slept = now() - t0;
	cpu1 = cpu_seconds(pid, &st1);
	printf("    %s| the launcher used %.2f s of CPU in %.2f s (state %c, then %c)\n", g->id,
	       cpu1 - cpu0, window, st0, st1);
	if (wd > 0) {
		kill(wd, SIGKILL);
		waitpid(wd, NULL, 0);
	}
	result(g, slept < 5.0, "the host stays responsive while the guest spins on its CPU",
	       "a 3 s sleep on the guest's CPU took %.1f s", slept);
	if (g->flags & F_IDLE)
		result(g, cpu0 >= 0 && cpu1 >= 0 && st0 == 'S' && st1 == 'S' &&
		       cpu1 - cpu0 < 0.1 * window,
		       "the halted guest's launcher sleeps, using under 10% of a CPU",
		       "%.2f s of CPU in %.2f s, state %c then %c", cpu1 - cpu0, window, st0, st1);
	ended = waitpid(pid, &status, WNOHANG);
	result(g, ended == 0, "the guest never yields", "it ended by itself (status %#x)", status);
	kill(pid, SIGKILL);
	result(g, wait_for(pid, 10, &status) == 1 && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGKILL, "SIGKILL ends the launcher in LGUEST_RUN",
	       "still there 10 s later, or status %#x", status);
}

static void run_guest(const struct guest *g)
{
	cpu_set_t all, one;
	int status = 0;
	pid_t pid;

	/* A spinning guest shares its CPU with us: the launcher inherits this. */
	if (g->expect == SPIN_SIGKILL) {
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu(), &one);
		sched_getaffinity(0, sizeof(all), &all);
		sched_setaffinity(0, sizeof(one), &one);
	}
	printf("LGTEST-GUEST %s (%s.elf%s%s)\n", g->id, g->elf, g->args ? " " : "",
	       g->args ? g->args : "");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		result(g, 0, "runs", "fork: %s", strerror(errno));
		if (g->expect == SPIN_SIGKILL)
			sched_setaffinity(0, sizeof(all), &all);
		return;
	}
	if (pid == 0)
		_exit(child_main(g));

	if (g->expect == SPIN_SIGKILL) {
		spin_checks(g, pid, &all);
		sched_setaffinity(0, sizeof(all), &all);
		return;
	}
	/*
	 * A hang detector, not a timing: flood's 20,000 hypercalls and
	 * faults take 13-24 s under QEMU with two VMs on two cores, and went
	 * past an earlier 30 s limit on a busier machine.
	 */
	if (wait_for(pid, 90, &status) != 1) {
		kill(pid, SIGKILL);
		wait_for(pid, 10, &status);
		result(g, 0, "ends", "timed out after 90 s: killed");
		return;
	}
	if (!WIFEXITED(status)) {
		result(g, 0, "ends", "the launcher child died: status %#x", status);
		return;
	}
	if (WEXITSTATUS(status))
		failed = 1;
}

static int wanted(const struct guest *g, char **names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], g->id))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char *names[NGUESTS + 1], buf[4096], *p, *tok;
	int n = 0, all = 0;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc && n < (int)NGUESTS; i++) {
		if (!strcmp(argv[i], "-a"))
			all = 1;
		else
			names[n++] = argv[i];
	}
	/* lgtest.guests=a,b on the VM host's command line. */
	f = fopen("/proc/cmdline", "r");
	if (n == 0 && !all && f && fgets(buf, sizeof(buf), f) &&
	    (p = strstr(buf, "lgtest.guests="))) {
		p += strlen("lgtest.guests=");
		p[strcspn(p, " \n")] = '\0';
		for (tok = strtok(p, ","); tok && n < (int)NGUESTS; tok = strtok(NULL, ","))
			names[n++] = tok;
	}
	if (f)
		fclose(f);

	for (size_t i = 0; i < NGUESTS; i++) {
		const struct guest *g = &guests[i];

		if (n && !wanted(g, names, n))
			continue;
		if (g->pending && !n && !all) {
			printf("LGTEST SKIP %s: pending host feature: %s\n", g->id, g->pending);
			continue;
		}
		run_guest(g);
	}
	return failed;
}
