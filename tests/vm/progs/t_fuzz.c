// SPDX-License-Identifier: GPL-2.0
/*
 * t_fuzz: a hostile launcher.  The launcher is as untrusted as the guest
 * (every member of the group lguest has the whole ioctl surface), so
 * this program attacks lg.ko from user space for a bounded time, with a
 * seeded generator, in four parts:
 *
 *   ioctls  random sequences of every call on /dev/lguest -- LGUEST_VERSION,
 *           INIT, SET_REGS, GET_REGS, RUN, IRQ, GET_STATS, mmap() of the run
 *           page, unknown and resized ioctl numbers, the VFS's generic ones,
 *           the same calls through the 32-bit (int $0x80) entry -- with
 *           random, oversized and undersized arguments and bad pointers
 *           (NULL, kernel, unmapped, read-only, PROT_NONE, non-canonical,
 *           straddling into an inaccessible page).  Every result is checked
 *           against a model of the ABI's rules (include/uapi/linux/lguest.h,
 *           module/user.c's order of checks): the exact errno where the
 *           model knows it, an errno of the ABI's set where it does not.
 *   guests  random guests: guest memory filled from the generator, page
 *           tables sane, perturbed, random or garbage, random ring-1 code
 *           (privileged and odd instructions, hypercalls with random
 *           arguments, the ring, segment loads, far calls and returns,
 *           iretq frames, MOV SS, writes to the page tables and the
 *           hypervisor hole) with or without a correct LHCALL_INIT in
 *           front, random entry registers; each run under a timer, so
 *           LGUEST_RUN returns EINTR unless the guest ended first.
 *   races   while one thread runs a guest (a memory walker, spin.elf,
 *           flood.elf, spin.elf halted, random code), two others raise
 *           lines, read the counters and registers, munmap, mremap,
 *           mprotect, MADV_DONTNEED, punch and replace (MAP_FIXED) guest
 *           memory, map the run page, fork (the child's LGUEST_RUN must
 *           fail: EPERM), signal the runner and close the file.
 *   cycles  1,000 create-run-destroy cycles of a guest that powers off,
 *           with the host's free pages before and after compared.
 *
 * Then the host must be clean (taint, kernel log) and lg.ko's reference
 * count 0, so that /init can unload it.  Each part runs in a child
 * process with a watchdog, so a launcher that hangs in lg.ko or dies is a
 * FAIL with the last calls it made, not a hung VM.
 *
 *   t_fuzz [-s SEED] [-t SECONDS] [-c CYCLES] [ioctls|guests|races|cycles]...
 *   lgtest.fuzz_seed=N lgtest.fuzz_time=S lgtest.fuzz_cycles=N
 *   lgtest.fuzz_parts=ioctls,guests         on the VM's command line
 *
 * SECONDS (40) is shared by the first three parts (30%, 35%, 35%); the
 * cycles (1,000) take what they take.  The seed is printed; the
 * single-threaded parts (ioctls, guests, cycles) replay exactly from it
 * (how far they get depends on the machine's speed), the races part round
 * by round (each round's seed is derived from it and printed when the part
 * fails; the interleaving is the scheduler's).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
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
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/lguest.h>

#include "internal.h"
#include "lgtest.h"
#include "flatguest.h"

#define MIB		(1ULL << 20)
#define PG		4096ULL
#define WARM_CYCLES	20
/*
 * The host may lose less than this many KiB of free memory over the
 * cycles: a page leaked per cycle (4000 KiB) fails, per-CPU page lists
 * and the like (about a MiB either way under TCG) do not.
 */
#define LEAK_BOUND_KIB	3072
#define GUEST_DIR	"/tests/guests"
#define MMIO_GPA	0x40000000ULL	/* 1 GiB: the random guests' device page */
#define DM		0xffff888000000000ULL	/* the direct map (docs/abi.md) */
#define KMAP		0xffffffff80000000ULL	/* the kernel map */
#define CODE_GPA	0x10000ULL
#define EVENT_GPA	0x14000ULL
#define DATA_GPA	0x5000ULL
#define STACK_TOP	0x8000ULL

/* ---- the generator ----------------------------------------------------- */

struct rng {
	uint64_t s;
};

/* splitmix64: every seed is a good one, and it is one line to replay. */
static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static int one_in(struct rng *r, uint64_t n)
{
	return below(r, n) == 0;
}

static void fill(struct rng *r, void *p, size_t len)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = rnd(r);

		memcpy(b + i, &v, 8);
	}
	for (; i < len; i++)
		b[i] = (uint8_t)rnd(r);
}

static uint64_t seed_of(uint64_t seed, uint64_t part)
{
	struct rng r = { seed ^ (part * 0x2545f4914f6cdd1dULL) };

	return rnd(&r);
}

/* ---- what the parts report back (shared with their child processes) ---- */

#define NR_BAD		8
#define NR_TRACE	16
#define NR_KILLS	24

struct shared {
	/* ioctls */
	unsigned long ioctls, modelled, compat, mmaps, forks, generic, opens;
	unsigned long runs1;
	/* guests */
	unsigned long guests, with_init, gruns, poweroff, shutdown, killed, eintr;
	unsigned long hcall_exits, mmio_exits, setregs_refused;
	/* races */
	unsigned long rounds, race_runs, race_ops, memops, irqs, stats, forks3, eperm, irqfds;
	unsigned long signals, closes, race_dead;
	/* cycles */
	unsigned long cycles, cycles_ok;
	double cyc_create, cyc_run, cyc_destroy;	/* seconds, all cycles */
	double longest_run;		/* the guests part's slowest LGUEST_RUN, s */
	long free_before_kib, free_after_kib, slab_before_kib, slab_after_kib;
	/* what went wrong */
	unsigned long bad;
	char why[NR_BAD][320];
	int part;			/* the part running now */
	char first[4][320];		/* each part's first problem */
	unsigned long trace_pos;
	char trace[NR_TRACE][200];
	unsigned long kill_count[NR_KILLS];
	char kill_what[NR_KILLS][64];
};

static struct shared *sh;

#define INC(field) __atomic_add_fetch(&sh->field, 1, __ATOMIC_RELAXED)

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
	unsigned long n = __atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
	va_list ap;

	char why[320];

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above */
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n < NR_BAD)
		memcpy(sh->why[n], why, sizeof(why));
	if (!sh->first[sh->part][0])
		memcpy(sh->first[sh->part], why, sizeof(why));
	if (n < 64)
		printf("t_fuzz: BAD %s\n", why);
	fflush(stdout);
}

/* The last calls made, for a part that dies inside one. */
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	unsigned long n = __atomic_fetch_add(&sh->trace_pos, 1, __ATOMIC_RELAXED);
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above */
	vsnprintf(sh->trace[n % NR_TRACE], sizeof(sh->trace[0]), fmt, ap);
	va_end(ap);
}

/* A kill reason without its numbers: "double fault at rip", ... */
static void count_kill(const char *reason)
{
	char what[64];
	size_t i, n = 0;

	for (i = 0; reason[i] && n < sizeof(what) - 1; i++) {
		if (reason[i] >= '0' && reason[i] <= '9')
			break;
		what[n++] = reason[i];
	}
	while (n && (what[n - 1] == ' ' || what[n - 1] == '#' || what[n - 1] == '('))
		n--;
	what[n] = '\0';
	for (i = 0; i < NR_KILLS; i++) {
		if (!sh->kill_what[i][0])
			snprintf(sh->kill_what[i], sizeof(sh->kill_what[i]), "%s", what);
		if (!strcmp(sh->kill_what[i], what)) {
			sh->kill_count[i]++;
			return;
		}
	}
}

/* waitpid() that a signal (the races part sends many) does not cut short. */
static pid_t reap(pid_t pid, int *status)
{
	pid_t w;

	*status = 0;
	do
		w = waitpid(pid, status, 0);
	while (w < 0 && errno == EINTR);
	return w;
}

static void on_sig(int sig)
{
	(void)sig;
}

/* SIGALRM and SIGUSR1 interrupt system calls (no SA_RESTART). */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_sig };

	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

static void timer_ms(unsigned int ms)
{
	struct itimerval it = { .it_value = { ms / 1000, (long)(ms % 1000) * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every errno the ABI and the VFS may answer these calls with. */
static int sane_errno(int e)
{
	switch (e) {
	case EFAULT: case EINVAL: case EBADFD: case EBUSY: case ENOTTY: case EEXIST:
	case EPERM: case ESHUTDOWN: case EINTR: case ENOMEM: case EBADF: case EACCES:
		return 1;
	default:
		return 0;
	}
}

/* ---- guest code and page tables ----------------------------------------- */

/*
 * Guest code, assembled with this program and copied into guest memory:
 * it runs at another address, so it is position-independent.
 *
 * fz_off: power off at once (the cycles).
 * fz_walk: write to every page of RAM (r12 pages) through the direct map,
 * flush the TLB, and every eighth time write 8 bytes to the console: so
 * the host faults every page in again while the races part unmaps,
 * moves and replaces them.
 */
__asm__(".pushsection .rodata\n"
	"fz_off:\n"
	"	mov $2, %eax\n"
	"	xor %edi, %edi\n"
	"	xor %esi, %esi\n"
	"	int $0x80\n"
	"	ud2\n"
	"fz_off_end:\n"
	"fz_walk:\n"
	"	movabs $0xffff888000000000, %rbx\n"
	"	mov %r12, %rcx\n"
	"1:	addq $1, 0x800(%rbx)\n"
	"	add $0x1000, %rbx\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"	mov $3, %eax\n"
	"	mov %r14, %rdi\n"
	"	and $1, %edi\n"
	"	int $0x80\n"
	"	inc %r14\n"
	"	test $7, %r14b\n"
	"	jnz fz_walk\n"
	"	mov $1, %eax\n"
	"	mov $0x5000, %edi\n"
	"	mov $8, %esi\n"
	"	int $0x80\n"
	"	jmp fz_walk\n"
	"fz_walk_end:\n"
	"	.balign 8\n"
	"fz_off_len:	.quad fz_off_end - fz_off\n"
	"fz_walk_len:	.quad fz_walk_end - fz_walk\n"
	".popsection\n");
extern const unsigned char fz_off[], fz_walk[];
extern const uint64_t fz_off_len, fz_walk_len;

/*
 * The boot page tables of docs/abi.md, smaller: 2 MiB pages, the first GiB
 * of RAM at the direct map and the kernel map, and MMIO_GPA's 2 MiB at
 * DM + MMIO_GPA.  PML4 0x1000, PDPTs 0x2000 and 0x4000, PDs 0x3000, 0x9000.
 */
static void sane_tables(uint8_t *mem, uint64_t size)
{
	uint64_t *pml4 = (uint64_t *)(mem + 0x1000), *hi = (uint64_t *)(mem + 0x2000);
	uint64_t *pd = (uint64_t *)(mem + 0x3000), *dm = (uint64_t *)(mem + 0x4000);
	uint64_t *pdm = (uint64_t *)(mem + 0x9000);
	uint64_t i;

	memset(mem + 0x1000, 0, 0x4000);
	memset(mem + 0x9000, 0, 0x1000);
	pml4[511] = 0x2000 | 3;
	hi[510] = 0x3000 | 3;
	pml4[273] = 0x4000 | 3;
	dm[0] = 0x3000 | 3;
	dm[1] = 0x9000 | 3;
	pdm[0] = MMIO_GPA | 0x83;
	for (i = 0; i < (size >> 21) && i < 512; i++)
		pd[i] = (i << 21) | 0x83;
}

/* ---- random ring-1 code -------------------------------------------------- */

struct code {
	uint8_t *p, *end;
};

static void put(struct code *c, const void *bytes, size_t n)
{
	if (c->p + n <= c->end) {
		memcpy(c->p, bytes, n);
		c->p += n;
	} else {
		c->p = c->end;
	}
}

static void put1(struct code *c, unsigned int b)
{
	uint8_t v = (uint8_t)b;

	put(c, &v, 1);
}

static void put32(struct code *c, uint32_t v)
{
	put(c, &v, 4);
}

static void put64(struct code *c, uint64_t v)
{
	put(c, &v, 8);
}

/* movabs $v, reg (0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 6 rsi, 7 rdi, 8+ r8..) */
static void movabs(struct code *c, unsigned int reg, uint64_t v)
{
	put1(c, reg >= 8 ? 0x49 : 0x48);
	put1(c, 0xb8 + (reg & 7));
	put64(c, v);
}

/* An address worth touching for a guest of @size bytes of RAM. */
static uint64_t hot_addr(struct rng *r, uint64_t size)
{
	switch (below(r, 14)) {
	case 0: return 0xffff800000000000ULL + (below(r, 1 << 16) & ~7ULL);	/* the hole */
	case 1: return 0xff00000000000000ULL + (below(r, 1 << 16) & ~7ULL);	/* 5-level Switcher */
	case 2: return DM + (below(r, size) & ~7ULL);
	case 3: return KMAP + (below(r, size) & ~7ULL);
	case 4: return DM + 0x1000 + (below(r, 0x4000) & ~7ULL);	/* the page tables */
	case 5: return DM + MMIO_GPA + (below(r, 0x1000) & ~7ULL);	/* the device */
	case 6: return below(r, size);				/* low, user */
	case 7: return 0x0000800000000000ULL - 8 * below(r, 3);	/* edge of canonical */
	case 8: return 0xffffffffff600000ULL;			/* vsyscall */
	case 9: return DM + DATA_GPA + below(r, 0x1000);	/* lguest_data */
	case 10: return DM + STACK_TOP - 8 * below(r, 64);
	case 11: return (uint64_t)((int64_t)(rnd(r) << 16) >> 16);
	case 12: return rnd(r);
	default: return below(r, 3) ? 0 : ~0ULL;
	}
}

/* Instructions a guest kernel may try: privileged, odd, or the host's own. */
static const uint8_t odd[][6] = {
	{ 1, 0xfa }, { 1, 0xfb }, { 1, 0xf4 }, { 3, 0x0f, 0x01, 0xf8 }, { 2, 0x0f, 0x06 },
	{ 2, 0x0f, 0x09 }, { 2, 0x0f, 0x08 }, { 2, 0x0f, 0x32 }, { 2, 0x0f, 0x30 },
	{ 2, 0x0f, 0x31 }, { 3, 0x0f, 0x01, 0xf9 }, { 2, 0x0f, 0xa2 }, { 2, 0x0f, 0x33 },
	{ 2, 0x0f, 0x05 }, { 2, 0x0f, 0x07 }, { 3, 0x48, 0x0f, 0x07 }, { 2, 0x0f, 0x34 },
	{ 2, 0x0f, 0x35 }, { 2, 0x48, 0xcf }, { 1, 0xcf }, { 2, 0x48, 0xcb }, { 1, 0xcc },
	{ 1, 0xf1 }, { 1, 0xce }, { 2, 0x0f, 0x0b }, { 3, 0x0f, 0x20, 0xd8 },
	{ 3, 0x0f, 0x22, 0xd8 }, { 3, 0x0f, 0x20, 0xe0 }, { 3, 0x0f, 0x22, 0xe0 },
	{ 3, 0x0f, 0x20, 0xc0 }, { 3, 0x0f, 0x20, 0xd0 }, { 4, 0x44, 0x0f, 0x20, 0xc0 },
	{ 3, 0x0f, 0x21, 0xf8 }, { 3, 0x0f, 0x23, 0xf8 }, { 3, 0x0f, 0x00, 0xd0 },
	{ 3, 0x0f, 0x00, 0xd8 }, { 3, 0x0f, 0x00, 0xc0 }, { 3, 0x0f, 0x00, 0xc8 },
	{ 3, 0x0f, 0x01, 0xe0 }, { 3, 0x0f, 0x01, 0xd0 }, { 3, 0x0f, 0x01, 0xd1 },
	{ 3, 0x0f, 0x01, 0xca }, { 3, 0x0f, 0x01, 0xcb }, { 3, 0x0f, 0x01, 0xc8 },
	{ 3, 0x0f, 0x01, 0xc9 }, { 3, 0x0f, 0x01, 0xc1 }, { 3, 0x0f, 0x01, 0xd9 },
	{ 3, 0x0f, 0x01, 0xee }, { 2, 0xe4, 0x80 }, { 1, 0xec }, { 1, 0xee }, { 1, 0x6c },
	{ 1, 0x9c }, { 1, 0x9d }, { 5, 0xf3, 0x48, 0x0f, 0xae, 0xd8 },
	{ 5, 0xf3, 0x48, 0x0f, 0xae, 0xc8 }, { 5, 0xf3, 0x48, 0x0f, 0xae, 0xd0 },
	{ 3, 0x0f, 0x00, 0xe0 }, { 3, 0x0f, 0x02, 0xc0 }, { 3, 0x0f, 0x03, 0xc0 },
	{ 3, 0xc5, 0xf8, 0x77 }, { 2, 0xf3, 0x90 }, { 3, 0x0f, 0x01, 0xd5 },
	{ 3, 0x0f, 0x01, 0xfc }, { 2, 0xcd, 0x80 }, { 2, 0xeb, 0xfe },
};

/* Memory operand (%rax) forms: load, store, jumps, far calls, tables. */
static const uint8_t mem_ops[][5] = {
	{ 3, 0x48, 0x8b, 0x18 }, { 3, 0x48, 0x89, 0x18 }, { 2, 0xff, 0xe0 }, { 2, 0xff, 0xd0 },
	{ 2, 0xff, 0x18 }, { 3, 0x48, 0xff, 0x18 }, { 2, 0xff, 0x28 }, { 3, 0x0f, 0x01, 0x10 },
	{ 3, 0x0f, 0x01, 0x18 }, { 3, 0x0f, 0x01, 0x00 }, { 3, 0x0f, 0x01, 0x08 },
	{ 3, 0x0f, 0x01, 0x38 }, { 2, 0xff, 0x30 }, { 3, 0x0f, 0xae, 0x00 },
	{ 3, 0x0f, 0xae, 0x20 }, { 3, 0x0f, 0xae, 0x28 }, { 3, 0x0f, 0xae, 0x08 },
	{ 3, 0x0f, 0xae, 0x38 }, { 2, 0x8f, 0x00 }, { 3, 0xf0, 0xff, 0x00 },
	{ 2, 0x8e, 0x18 }, { 3, 0x0f, 0x00, 0x10 }, { 3, 0x0f, 0x00, 0x18 },
};

static const uint16_t selectors[] = {
	0, 3, 4, 7, 0x8, 0xb, 0x10, 0x13, 0x18, 0x1b, 0x20, 0x23, 0x28, 0x2b, 0x30, 0x33,
	0x38, 0x39, 0x3b, 0x40, 0x41, 0x43, 0x48, 0x4b, 0x50, 0x53, 0xf4, 0xfff8, 0xffff,
};

static uint16_t selector(struct rng *r)
{
	return one_in(r, 4) ? (uint16_t)rnd(r) :
			      selectors[below(r, sizeof(selectors) / sizeof(selectors[0]))];
}

/* One random instruction, or a few that set one up. */
static void insn(struct rng *r, struct code *c, uint64_t size)
{
	static const uint8_t seg_reg[] = { 0xd8, 0xc0, 0xe0, 0xe8, 0xd0 };	/* ds es fs gs ss */
	unsigned int i;

	switch (below(r, 20)) {
	case 0: case 1: {	/* a hypercall: mostly one that fits, sometimes anything */
		static const unsigned int args[] = { 7, 6, 2, 10, 8 };
		uint32_t nr = 1 + (uint32_t)below(r, 11);

		put1(c, 0xb8);
		if (one_in(r, 4)) {
			put32(c, one_in(r, 4) ? (uint32_t)rnd(r) : (uint32_t)below(r, 14));
			for (i = 0; i < 5; i++)
				if (!one_in(r, 3))
					movabs(c, args[i], one_in(r, 2) ? below(r, 2 * size) :
							   one_in(r, 2) ? hot_addr(r, size) : below(r, 16));
		} else {
			put32(c, nr);
			movabs(c, 7, nr == LHCALL_CONSOLE_WRITE ? below(r, size) :
				     nr == LHCALL_SHUTDOWN ? below(r, 3) :
				     nr == LHCALL_FLUSH_TLB || nr == LHCALL_HALT ? below(r, 2) :
				     nr == LHCALL_SET_STACK ? DM + STACK_TOP - 16 * below(r, 8) :
				     nr == LHCALL_SET_CLOCKEVENT ? below(r, 2000000) :
				     nr == LHCALL_NEW_PGTABLE ? 0x1000 :
				     nr == LHCALL_INIT ? DATA_GPA : hot_addr(r, size));
			movabs(c, 6, nr == LHCALL_CONSOLE_WRITE ? below(r, 200) :
				     nr == LHCALL_NEW_PGTABLE ? below(r, 8) | (rnd(r) & LGUEST_PGTABLE_NOFLUSH) :
				     nr == LHCALL_INIT ? KMAP + EVENT_GPA : 0);
		}
		put1(c, 0xcd);
		put1(c, 0x80);
		break;
	}
	case 2: case 3: case 4: {
		const uint8_t *o = odd[below(r, sizeof(odd) / sizeof(odd[0]))];

		if (one_in(r, 2))
			movabs(c, 0, hot_addr(r, size));
		if (one_in(r, 3)) {	/* wrpkru/xsetbv/wrmsr want ecx and edx */
			movabs(c, 1, below(r, 4) ? 0 : rnd(r));
			movabs(c, 2, below(r, 2) ? 0 : rnd(r));
		}
		put(c, o + 1, o[0]);
		break;
	}
	case 5: case 6: case 7: {
		const uint8_t *o = mem_ops[below(r, sizeof(mem_ops) / sizeof(mem_ops[0]))];

		movabs(c, 0, hot_addr(r, size));
		movabs(c, 3, one_in(r, 2) ? rnd(r) : below(r, 2 * size) | (rnd(r) & 0x8000000000000fffULL));
		put(c, o + 1, o[0]);
		break;
	}
	case 8:	/* a selector into a segment register */
		put1(c, 0xb8);
		put32(c, selector(r));
		put1(c, 0x8e);
		put1(c, seg_reg[below(r, sizeof(seg_reg))]);
		break;
	case 9: {	/* iretq through a frame: any CS, SS, RFLAGS, RIP, RSP */
		uint64_t f[5] = { selector(r), hot_addr(r, size), rnd(r) & 0x3f7fd7,
				  selector(r), hot_addr(r, size) };

		if (one_in(r, 2)) {
			f[0] = 0x2b;
			f[3] = 0x33;
		}
		for (i = 0; i < 5; i++) {
			movabs(c, 0, f[i]);
			put1(c, 0x50);
		}
		put1(c, 0x48);
		put1(c, 0xcf);
		break;
	}
	case 10:	/* lretq */
		movabs(c, 0, selector(r));
		put1(c, 0x50);
		movabs(c, 0, hot_addr(r, size));
		put1(c, 0x50);
		put1(c, 0x48);
		put1(c, 0xcb);
		break;
	case 11: {	/* MOV SS or POP SS, then syscall, int3, int $0x80 or int1, maybe with TF */
		static const uint8_t after[][2] = { { 0x0f, 0x05 }, { 0xcd, 0x80 }, { 0xcc, 0x90 },
						    { 0xf1, 0x90 }, { 0x0f, 0x34 } };

		if (one_in(r, 2)) {	/* pushfq; orq $0x100, (%rsp); popfq */
			static const uint8_t tf[] = { 0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00,
						      0x00, 0x9d };

			put(c, tf, sizeof(tf));
		}
		put1(c, 0xb8);
		put32(c, one_in(r, 2) ? 0x41 : selector(r));
		put1(c, 0x8e);
		put1(c, 0xd0);
		put(c, after[below(r, 5)], 2);
		break;
	}
	case 12:	/* RFLAGS: push imm32; popfq */
		put1(c, 0x68);
		put32(c, (uint32_t)rnd(r));
		put1(c, 0x9d);
		break;
	case 13:	/* wrpkru */
		put1(c, 0x31); put1(c, 0xc9); put1(c, 0x31); put1(c, 0xd2);
		put1(c, 0xb8);
		put32(c, (uint32_t)rnd(r));
		put1(c, 0x0f); put1(c, 0x01); put1(c, 0xef);
		break;
	case 14: {	/* one of the own page-table entries, then a flush or a CR3 load */
		unsigned int n;

		movabs(c, 0, DM + 0x1000 + (below(r, 0x4000) & ~7ULL));
		movabs(c, 3, one_in(r, 2) ? rnd(r) : (below(r, 2 * size) & ~0xfffULL) | below(r, 0x200));
		put1(c, 0x48); put1(c, 0x89); put1(c, 0x18);
		put1(c, 0xb8);
		n = (unsigned int)below(r, 3);
		put32(c, n == 0 ? LHCALL_FLUSH_TLB : n == 1 ? LHCALL_FLUSH_TLB_ONE : LHCALL_NEW_PGTABLE);
		movabs(c, 7, one_in(r, 2) ? 0x1000 : hot_addr(r, size));
		movabs(c, 6, below(r, 10) | (one_in(r, 2) ? LGUEST_PGTABLE_NOFLUSH : 0));
		put1(c, 0xcd); put1(c, 0x80);
		break;
	}
	case 15: {	/* a slot of the ring, then any hypercall */
		unsigned int slot = (unsigned int)below(r, LGUEST_RING_SIZE);
		uint64_t data = DM + DATA_GPA;

		movabs(c, 0, data + 112 + (uint64_t)slot * 32);
		for (i = 0; i < 4; i++) {
			movabs(c, 3, i == 0 ? below(r, 14) : one_in(r, 2) ? rnd(r) : hot_addr(r, size));
			put1(c, 0x48); put1(c, 0x89); put1(c, 0x58); put1(c, 8 * i);
		}
		movabs(c, 0, data + 48 + slot);
		put1(c, 0xc6); put1(c, 0x00); put1(c, 0x00);	/* movb $0, (%rax) */
		put1(c, 0xb8);
		put32(c, LHCALL_FLUSH_ASYNC);
		put1(c, 0xcd); put1(c, 0x80);
		break;
	}
	case 16:	/* a new stack */
		movabs(c, 4, hot_addr(r, size));
		break;
	case 17:	/* int $n */
		put1(c, 0xcd);
		put1(c, (unsigned int)rnd(r));
		break;
	case 18: {	/* a bounded string store */
		movabs(c, 7, hot_addr(r, size));
		movabs(c, 1, below(r, 4096));
		put1(c, 0xf3); put1(c, 0x48); put1(c, one_in(r, 2) ? 0xab : 0xa5);
		break;
	}
	default: {	/* random bytes */
		uint8_t b[8];

		fill(r, b, sizeof(b));
		put(c, b, 1 + below(r, 8));
		break;
	}
	}
}

static void random_code(struct rng *r, uint8_t *at, size_t len, uint64_t size)
{
	struct code c = { at, at + len - 16 };

	while (c.p < c.end)
		insn(r, &c, size);
}

/* The random guest's registers, tables and code; returns 1 if it has INIT in front. */
static int random_guest(struct rng *r, uint8_t *mem, uint64_t size, struct lguest_regs *regs)
{
	uint64_t rip = KMAP + CODE_GPA, *pml4;
	unsigned int i, k, tables = (unsigned int)below(r, 10);
	int init = one_in(r, 2);

	/* All of RAM from the generator, or its first 256 KiB and some pages. */
	if (one_in(r, 4)) {
		fill(r, mem, size);
	} else {
		fill(r, mem, 0x40000);
		for (i = 0; i < 16; i++)
			fill(r, mem + below(r, size / PG) * PG, PG);
	}
	memset(regs, 0, sizeof(*regs));
	fill(r, regs, offsetof(struct lguest_regs, rip));
	regs->rflags = 2 | (rnd(r) & (one_in(r, 4) ? 0x40dd5 : 0x40cd5));
	regs->cr3 = 0x1000;
	regs->rsp = DM + STACK_TOP;
	regs->rsi = 0x1000;
	if (tables < 4) {		/* sane, perhaps perturbed */
		sane_tables(mem, size);
		if (one_in(r, 2)) {	/* the first 256 KiB in 4 KiB pages, the rest unmapped */
			uint64_t *pt = (uint64_t *)(mem + 0x6000);

			memset(pt, 0, PG);
			((uint64_t *)(mem + 0x3000))[0] = 0x6000 | 3;
			for (i = 0; i < 64; i++)
				pt[i] = (uint64_t)i * PG | 3 | (one_in(r, 8) ? rnd(r) & 0x8000000000000164ULL : 0);
		}
		for (i = 0, k = (unsigned int)below(r, 4); i < k; i++) {
			uint64_t *e = (uint64_t *)(mem + 0x1000 + (below(r, 0x4000) & ~7ULL));

			*e = one_in(r, 2) ? *e ^ (1ULL << below(r, 64)) : rnd(r);
		}
	} else if (tables < 8) {	/* random tables, the code's mapping sane */
		sane_tables(mem, size);
		pml4 = (uint64_t *)(mem + 0x1000);
		pml4[273] = 0;
		for (i = 0, k = 1 + (unsigned int)below(r, 12); i < k; i++) {
			uint64_t table = below(r, size / PG) * PG, j;
			uint64_t *t = (uint64_t *)(mem + table);

			if (table < 0x10000 && table != 0x1000 && table)
				continue;	/* keep the kernel map's own tables */
			pml4[one_in(r, 4) ? 256 : below(r, 511)] = table | (rnd(r) & 0x8000000000000fffULL) | 1;
			for (j = 0; j < 512; j++)
				if (one_in(r, 4))
					t[j] = (one_in(r, 4) ? rnd(r) : below(r, 2 * size) & ~0xfffULL) |
					       (rnd(r) & 0x80000000000001ffULL);
		}
	} else {			/* whatever the memory holds */
		regs->cr3 = below(r, size / PG) * PG;
		if (one_in(r, 2))
			rip = hot_addr(r, size);
	}
	if (one_in(r, 8))
		rip = (uint64_t)((int64_t)(rnd(r) << 16) >> 16);
	regs->rip = rip;

	/* lguest_data: an empty ring, or random slots the host will run. */
	memset(mem + DATA_GPA, 0, PG);
	if (!one_in(r, 4))
		memset(mem + DATA_GPA + 48, 0xff, LGUEST_RING_SIZE);
	else
		fill(r, mem + DATA_GPA + 48, LGUEST_RING_SIZE + LGUEST_RING_SIZE * 32);

	{
		struct code c = { mem + CODE_GPA, mem + CODE_GPA + 0x100 };

		if (init) {
			put1(&c, 0xb8);
			put32(&c, LHCALL_INIT);
			movabs(&c, 7, one_in(r, 8) ? hot_addr(r, size) : DATA_GPA);
			movabs(&c, 6, one_in(r, 8) ? hot_addr(r, size) : KMAP + EVENT_GPA);
			put1(&c, 0xcd); put1(&c, 0x80);
			put1(&c, 0xb8);
			put32(&c, LHCALL_SET_STACK);
			movabs(&c, 7, DM + STACK_TOP);
			put1(&c, 0xcd); put1(&c, 0x80);
		}
		random_code(r, c.p, (size_t)(mem + CODE_GPA + 0x4000 - c.p), size);
	}
	/* The event entry: return (and fault again), skip ahead, or random. */
	switch (below(r, 4)) {
	case 0: {
		static const uint8_t ret[] = { 0x48, 0x83, 0xc4, 0x10, 0x48, 0xcf };

		memcpy(mem + EVENT_GPA, ret, sizeof(ret));
		break;
	}
	case 1: case 2: {	/* addq $N, 16(%rsp); add $16, %rsp; iretq */
		static const uint8_t skip[] = { 0x48, 0x83, 0x44, 0x24, 0x10, 0x00,
						0x48, 0x83, 0xc4, 0x10, 0x48, 0xcf };

		memcpy(mem + EVENT_GPA, skip, sizeof(skip));
		mem[EVENT_GPA + 5] = (uint8_t)(1 + below(r, 15));
		break;
	}
	default:
		random_code(r, mem + EVENT_GPA, 0x2000, size);
		break;
	}
	if (one_in(r, 16))
		fill(r, regs, sizeof(*regs));	/* registers SET_REGS may refuse */
	return init;
}

/*
 * Run a guest until it ends, or @runs exits, or the timer: 0 ended, 1 ran
 * out.  Answers hypercall and MMIO exits with random values.
 */
static int run_guest(struct rng *r, int fd, struct lguest_run *run, unsigned int runs,
		     unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < runs; i++) {
		double t0;
		long ret;

		if (one_in(r, 4)) {
			struct lguest_irq irq = { .irq = 1 + (uint32_t)below(r, LGUEST_NR_IRQS - 1) };

			if (ioctl(fd, LGUEST_IRQ, &irq))
				bad("guests: LGUEST_IRQ line %u: %s", irq.irq, strerror(errno));
		}
		t0 = now();
		timer_ms(ms);
		ret = ioctl(fd, LGUEST_RUN, 0);
		timer_ms(0);
		if (now() - t0 > sh->longest_run)
			sh->longest_run = now() - t0;
		INC(gruns);
		if (ret) {
			if (errno == EINTR) {
				INC(eintr);
				return 1;
			}
			bad("guests: LGUEST_RUN: %ld %s", ret, strerror(errno));
			return 0;
		}
		switch (run->exit_reason) {
		case LGUEST_EXIT_HCALL:
			INC(hcall_exits);
			run->hcall.ret = one_in(r, 2) ? 0 : rnd(r);
			break;
		case LGUEST_EXIT_MMIO:
			INC(mmio_exits);
			run->mmio.data = rnd(r);
			break;
		case LGUEST_EXIT_SHUTDOWN:
			if (run->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF)
				INC(poweroff);
			else
				INC(shutdown);
			return 0;
		case LGUEST_EXIT_KILLED:
			INC(killed);
			run->killed.reason[LGUEST_MSG_LEN - 1] = '\0';
			count_kill(run->killed.reason);
			return 0;
		default:
			bad("guests: LGUEST_RUN returned 0 with exit_reason %u", run->exit_reason);
			return 0;
		}
	}
	return 1;
}

/* ---- part 1: ioctls ------------------------------------------------------ */

enum { S_CLOSED, S_OPEN, S_INIT, S_DEAD };

struct slot {
	int fd, state;
	int unsure;		/* it ran without a run page to say how: dead or not */
	uint64_t mem_size;
	struct lguest_run *run;
};

#define NR_SLOTS	4
#define NR_MAPS		8

/* Where an argument points. */
enum { P_GOOD, P_RO, P_STRADDLE, P_BAD };

struct arena {
	uint8_t *ro, *rw, *none;	/* one read-only page, two RW, one PROT_NONE */
	uint8_t *low;			/* a page below 4 GiB for the 32-bit entry */
	uint8_t *pool;			/* guest memory for INIT */
	uint64_t pool_size;
};

static const uint64_t bad_ptrs[] = {
	0, 1, 0x1000, 0x10000, 0xffffffff81000000ULL, 0xffff888000000000ULL,
	0xffff800000000000ULL, 0xff00000000000000ULL, 0xffffffffff600000ULL,
	0xfffffffffffff000ULL, ~0ULL, 0x8000000000000000ULL, 0x0000800000000000ULL,
	0x00007ffffffff000ULL - 8, 0x00fffffffffff000ULL,
};

static const unsigned int lg_cmds[] = {
	LGUEST_VERSION, LGUEST_INIT, LGUEST_RUN, LGUEST_GET_REGS, LGUEST_SET_REGS,
	LGUEST_IRQ, LGUEST_GET_STATS, LGUEST_IOEVENTFD, LGUEST_IRQFD,
};

static size_t arg_size(unsigned int cmd)
{
	switch (cmd) {
	case LGUEST_VERSION: return sizeof(struct lguest_version);
	case LGUEST_INIT: return sizeof(struct lguest_init);
	case LGUEST_GET_REGS: case LGUEST_SET_REGS: return sizeof(struct lguest_regs);
	case LGUEST_IRQ: return sizeof(struct lguest_irq);
	case LGUEST_GET_STATS: return sizeof(struct lguest_stats);
	case LGUEST_IOEVENTFD: return sizeof(struct lguest_ioeventfd);
	case LGUEST_IRQFD: return sizeof(struct lguest_irqfd);
	default: return 64;
	}
}

static int canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static int all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

/* module/user.c's checks of LGUEST_INIT, in its order: 0, EINVAL or EFAULT (-2: either). */
static int init_model(const struct lguest_init *in)
{
	uint64_t lim = 1ULL << 46, end;
	unsigned int i, j;

	if (in->flags || in->reserved0 || !all_zero(in->reserved, sizeof(in->reserved)))
		return EINVAL;
	if (in->mem_size < LGUEST_MIN_MEM || in->mem_size > LGUEST_MAX_MEM ||
	    in->mem_size % LGUEST_MIN_MEM || in->mem_uaddr % PG)
		return EINVAL;
	if (in->nr_mmio > LGUEST_MAX_MMIO)
		return EINVAL;
	for (i = 0; i < LGUEST_MAX_MMIO; i++) {
		const struct lguest_mmio_range *m = &in->mmio[i];

		if (i >= in->nr_mmio) {
			if (m->base || m->size)
				return EINVAL;
			continue;
		}
		if (!m->size || m->base % PG || m->size % PG)
			return EINVAL;
		if (m->base < in->mem_size || m->size > lim || m->base > lim - m->size)
			return EINVAL;
		for (j = 0; j < i; j++)
			if (m->base < in->mmio[j].base + in->mmio[j].size &&
			    in->mmio[j].base < m->base + m->size)
				return EINVAL;
	}
	/* access_ok(): the exact top of user space depends on the host's paging. */
	end = in->mem_uaddr + in->mem_size;
	if (end < in->mem_uaddr || in->mem_uaddr >= (1ULL << 56) || end > (1ULL << 56))
		return EFAULT;
	if (end > 0x00007ffffffff000ULL - PG)
		return -2;
	return 0;
}

static int regs_model(const struct lguest_regs *g, uint64_t mem_size)
{
	if (!all_zero(g->reserved, sizeof(g->reserved)))
		return EINVAL;
	if (g->rflags & ~0x40dd7ULL)
		return EINVAL;
	if (!canonical(g->rip) || !canonical(g->rsp) || !canonical(g->cr2) ||
	    !canonical(g->fs_base) || !canonical(g->gs_base) || !canonical(g->kernel_gs_base))
		return EINVAL;
	if (g->cr3 % PG || g->cr3 >= mem_size)
		return EINVAL;
	return 0;
}

/* An argument's contents: mostly what the call wants, with a twist. */
static void make_arg(struct rng *r, const struct arena *a, unsigned int cmd, uint8_t *buf,
		     size_t len)
{
	memset(buf, 0, len);
	if (one_in(r, 10)) {
		fill(r, buf, len);
		return;
	}
	switch (cmd) {
	case LGUEST_VERSION: {
		struct lguest_version *v = (struct lguest_version *)buf;

		if (one_in(r, 4))
			v->flags = (uint32_t)rnd(r);
		if (one_in(r, 4))
			v->reserved[below(r, 2)] = rnd(r);
		break;
	}
	case LGUEST_INIT: {
		static const uint64_t sizes[] = { 0, 4096, 2 * MIB - 4096, 2 * MIB, 4 * MIB, 6 * MIB,
						  64ULL << 30, (64ULL << 30) + 2 * MIB, 1ULL << 62 };
		struct lguest_init *in = (struct lguest_init *)buf;

		in->mem_size = below(r, 3) ? 2 * MIB * (1 + below(r, a->pool_size / (2 * MIB))) :
					     sizes[below(r, sizeof(sizes) / sizeof(sizes[0]))];
		switch (below(r, 10)) {
		case 0: in->mem_uaddr = (uintptr_t)a->ro; break;
		case 1: in->mem_uaddr = (uintptr_t)a->none; break;
		case 2: in->mem_uaddr = bad_ptrs[below(r, sizeof(bad_ptrs) / sizeof(bad_ptrs[0]))]; break;
		case 3: in->mem_uaddr = (uintptr_t)a->pool + below(r, 4096); break;
		case 4: in->mem_uaddr = 0x00007ffffffff000ULL - in->mem_size; break;
		case 5: in->mem_uaddr = rnd(r) & ~0xfffULL; break;
		default: in->mem_uaddr = (uintptr_t)a->pool; break;
		}
		if (!one_in(r, 3)) {
			unsigned int i;

			in->nr_mmio = one_in(r, 8) ? (uint32_t)below(r, 40) : (uint32_t)below(r, 4);
			for (i = 0; i < LGUEST_MAX_MMIO && i < in->nr_mmio + 1; i++) {
				in->mmio[i].base = one_in(r, 4) ? rnd(r) & ~(one_in(r, 2) ? 0xfffULL : 0) :
						   (1ULL << 30) + PG * below(r, 64);
				in->mmio[i].size = one_in(r, 4) ? rnd(r) : PG * below(r, 4);
				if (i == in->nr_mmio && !one_in(r, 8))
					in->mmio[i].base = in->mmio[i].size = 0;
			}
		}
		if (one_in(r, 8))
			in->flags = 1ULL << below(r, 64);
		if (one_in(r, 8))
			in->reserved0 = (uint32_t)rnd(r);
		if (one_in(r, 8))
			in->reserved[below(r, 8)] = rnd(r);
		break;
	}
	case LGUEST_SET_REGS: {
		struct lguest_regs *g = (struct lguest_regs *)buf;

		fill(r, g, sizeof(*g));
		if (!one_in(r, 4))
			memset(g->reserved, 0, sizeof(g->reserved));
		if (!one_in(r, 4))
			g->rflags = 2 | (g->rflags & 0x40dd5);
		if (!one_in(r, 4)) {
			g->rip = KMAP + (g->rip & 0xffffff);
			g->rsp = DM + (g->rsp & 0xffffff);
			g->cr2 = g->fs_base = g->gs_base = g->kernel_gs_base = 0;
		}
		if (!one_in(r, 4))
			g->cr3 = PG * below(r, 1024);
		break;
	}
	case LGUEST_IRQ: {
		struct lguest_irq *q = (struct lguest_irq *)buf;

		q->irq = one_in(r, 4) ? (uint32_t)rnd(r) : (uint32_t)below(r, LGUEST_NR_IRQS + 2);
		if (one_in(r, 6))
			q->flags = (uint32_t)rnd(r);
		break;
	}
	case LGUEST_GET_STATS: {
		struct lguest_stats *s = (struct lguest_stats *)buf;

		s->size = one_in(r, 5) ? (uint32_t)below(r, 2048) : LGUEST_STATS_SIZE_VER0;
		if (one_in(r, 6))
			s->flags = (uint32_t)rnd(r);
		if (one_in(r, 6))
			((uint8_t *)s->reserved)[below(r, sizeof(s->reserved))] = (uint8_t)(1 + below(r, 255));
		break;
	}
	default:
		fill(r, buf, len);
		break;
	}
}

/*
 * The errno @cmd must fail with (0: must succeed, -1: any sane one, -2:
 * 0 or EFAULT).  @kind is where the argument points, @c its contents.
 */
static int expect(const struct slot *s, unsigned int cmd, unsigned long arg, int kind,
		  const uint8_t *c)
{
	int m;

	/* Another driver's or the VFS's number: whatever it says, if sane. */
	if (_IOC_TYPE(cmd) != LGUEST_IOC_MAGIC)
		return -1;
	/* Numbers lg.ko does not know are ENOTTY before anything is looked at. */
	if (cmd != LGUEST_VERSION && cmd != LGUEST_INIT && cmd != LGUEST_RUN &&
	    cmd != LGUEST_GET_REGS && cmd != LGUEST_SET_REGS && cmd != LGUEST_IRQ &&
	    cmd != LGUEST_GET_STATS && cmd != LGUEST_IOEVENTFD && cmd != LGUEST_IRQFD)
		return ENOTTY;
	switch (cmd) {
	case LGUEST_VERSION: {
		const struct lguest_version *v = (const struct lguest_version *)c;

		if (kind == P_BAD || kind == P_STRADDLE)
			return EFAULT;
		if (v->flags || !all_zero(v->reserved, sizeof(v->reserved)))
			return EINVAL;
		return kind == P_RO ? EFAULT : 0;
	}
	case LGUEST_INIT:
		if (kind == P_BAD || kind == P_STRADDLE)
			return EFAULT;
		m = init_model((const struct lguest_init *)c);
		if (m == 0 && s->state != S_OPEN)
			return EEXIST;
		return m == -2 && s->state != S_OPEN ? -1 : m;
	default:
		break;
	}
	if (s->state == S_OPEN)
		return EBADFD;
	switch (cmd) {
	case LGUEST_RUN:
		if (arg)
			return EINVAL;
		return s->state == S_DEAD ? ESHUTDOWN : -1;	/* unsure: either */
	case LGUEST_GET_REGS:
		return kind == P_GOOD ? 0 : EFAULT;
	case LGUEST_SET_REGS:
		if (kind == P_BAD || kind == P_STRADDLE)
			return EFAULT;
		return regs_model((const struct lguest_regs *)c, s->mem_size);
	case LGUEST_IRQ: {
		const struct lguest_irq *q = (const struct lguest_irq *)c;

		if (kind == P_BAD || kind == P_STRADDLE)
			return EFAULT;
		return q->flags || q->irq == 0 || q->irq >= LGUEST_NR_IRQS ? EINVAL : 0;
	}
	case LGUEST_GET_STATS: {
		const struct lguest_stats *st = (const struct lguest_stats *)c;

		if (kind == P_BAD)
			return EFAULT;
		if (kind == P_STRADDLE)
			return -1;
		if (st->size != LGUEST_STATS_SIZE_VER0 || st->flags ||
		    !all_zero(st->reserved, sizeof(st->reserved)))
			return EINVAL;
		return kind == P_RO ? EFAULT : 0;
	}
	case LGUEST_IOEVENTFD:
	case LGUEST_IRQFD:
		/* Random fds: whatever they name, the call fails cleanly or works. */
		return kind == P_BAD || kind == P_STRADDLE ? EFAULT : -1;
	default:
		return ENOTTY;
	}
}

/* ioctl() through the 32-bit system call entry (compat_ptr_ioctl). */
static long ioctl32(int fd, unsigned int cmd, uint32_t arg)
{
	long ret = 54;	/* __NR_ioctl on i386 */

	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"(fd), "c"(cmd), "d"(arg)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static const char *state_name(int state)
{
	static const char *const names[] = { "closed", "open", "initialised", "dead" };

	return names[state];
}

static void part_ioctls(uint64_t seed, double secs)
{
	struct rng rr = { seed }, *r = &rr;
	struct slot slots[NR_SLOTS];
	struct arena a;
	void *maps[NR_MAPS] = { 0 };
	size_t map_len[NR_MAPS] = { 0 };
	int map_ok[NR_MAPS] = { 0 };
	int others[3], compat_ok = 1;
	uint8_t content[sizeof(struct lguest_stats)];
	uint8_t *base;
	double end = now() + secs;
	unsigned long iter;
	int i;

	catch_signals();
	base = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a.low = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		     -1, 0);
	a.pool_size = 4 * MIB;
	a.pool = mmap(NULL, a.pool_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED || a.low == MAP_FAILED || a.pool == MAP_FAILED) {
		bad("ioctls: mmap: %s", strerror(errno));
		return;
	}
	a.ro = base;
	a.rw = base + PG;
	a.none = base + 3 * PG;
	mprotect(a.ro, PG, PROT_READ);
	mprotect(a.none, PG, PROT_NONE);
	fill(r, a.pool, a.pool_size);
	sane_tables(a.pool, a.pool_size);
	memcpy(a.pool + CODE_GPA, fz_off, (size_t)fz_off_len);
	others[0] = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	others[1] = open("/dev/null", O_RDWR | O_CLOEXEC);
	others[2] = -1;
	for (i = 0; i < NR_SLOTS; i++)
		slots[i] = (struct slot){ .fd = -1, .state = S_CLOSED, .run = MAP_FAILED };

	for (iter = 0; now() < end; iter++) {
		struct slot *s = &slots[below(r, NR_SLOTS)];
		unsigned int what = (unsigned int)below(r, 100);

		if (s->state == S_CLOSED || what < 3) {	/* open or close */
			if (s->state != S_CLOSED) {
				trace("%lu: close(%d)", iter, s->fd);
				if (s->run != MAP_FAILED)
					munmap(s->run, PG);
				close(s->fd);
				s->state = S_CLOSED;
				s->run = MAP_FAILED;
				continue;
			}
			s->fd = open("/dev/lguest", (one_in(r, 8) ? O_RDONLY : O_RDWR) | O_CLOEXEC);
			INC(opens);
			if (s->fd < 0) {
				bad("ioctls: open /dev/lguest: %s", strerror(errno));
				return;
			}
			s->state = S_OPEN;
			s->unsure = 0;
			s->run = mmap(NULL, PG, PROT_READ, MAP_SHARED, s->fd, 0);
			/*
			 * A file open read-only makes MAP_SHARED mappings that are
			 * not VM_SHARED, which lg_mmap() refuses: EINVAL.
			 */
			if ((s->run == MAP_FAILED) != ((fcntl(s->fd, F_GETFL) & O_ACCMODE) == O_RDONLY))
				bad("ioctls: mmap of a fresh file's run page: %s",
				    s->run == MAP_FAILED ? strerror(errno) : "mapped from a read-only file");
			continue;
		}
		if (what < 12) {	/* mmap() of the run page, and what may follow */
			static const size_t lens[] = { PG, 0, 1, PG - 1, PG + 1, 2 * PG, 2 * MIB };
			static const long offs[] = { 0, PG, 1, -(long)PG, 1L << 40 };
			int k = (int)below(r, NR_MAPS);

			INC(mmaps);
			if (maps[k] && !one_in(r, 3)) {
				int op = (int)below(r, 6), rc = 0;

				trace("%lu: run-page map %d op %d", iter, k, op);
				if (op == 0 && map_ok[k]) {
					volatile uint32_t *x = maps[k];

					(void)*x;
				} else if (op == 1) {
					rc = mprotect(maps[k], PG, PROT_READ | PROT_EXEC);
					if (rc == 0 || errno != EACCES)
						bad("ioctls: mprotect(PROT_EXEC) of the run page: %d %s", rc,
						    strerror(errno));
				} else if (op == 2) {
					size_t nl = one_in(r, 2) ? 2 * PG : PG;
					void *n = mremap(maps[k], map_len[k], nl, MREMAP_MAYMOVE);

					if (n != MAP_FAILED) {
						maps[k] = n;
						map_len[k] = nl;
						map_ok[k] = 0;
					}
				} else if (op == 3) {
					madvise(maps[k], PG, one_in(r, 2) ? MADV_DONTNEED : MADV_DONTFORK);
					map_ok[k] = 0;
				} else {
					munmap(maps[k], map_len[k]);
					maps[k] = NULL;
				}
				continue;
			}
			{
				size_t len = one_in(r, 2) ? PG : lens[below(r, 7)];
				long off = one_in(r, 2) ? 0 : offs[below(r, 5)];
				int prot = (int)below(r, 8), flags = one_in(r, 4) ? MAP_PRIVATE : MAP_SHARED;
				int want, ro = 0;
				void *p;

				for (i = 0; i < NR_SLOTS; i++)
					if (slots[i].fd == s->fd)
						break;
				if (one_in(r, 6))
					flags = MAP_SHARED_VALIDATE | (one_in(r, 2) ? MAP_SYNC : 0);
				if (maps[k])
					munmap(maps[k], map_len[k]);
				maps[k] = NULL;
				trace("%lu: mmap(len %zu, prot %d, flags %#x, fd %d (%s), off %ld)", iter,
				      len, prot, flags, s->fd, state_name(s->state), off);
				p = mmap(NULL, len, prot, flags, s->fd, off);
				if (fcntl(s->fd, F_GETFL) >= 0)
					ro = (fcntl(s->fd, F_GETFL) & O_ACCMODE) == O_RDONLY;
				want = len >= 1 && len <= PG && off == 0 && !(prot & PROT_EXEC) &&
				       (flags == MAP_SHARED || flags == MAP_SHARED_VALIDATE) && !ro;
				if ((p != MAP_FAILED) != want)
					bad("ioctls: mmap(len %zu, prot %d, flags %#x, off %ld): %s, wanted %s",
					    len, prot, flags, off, p == MAP_FAILED ? strerror(errno) : "mapped",
					    want ? "mapped" : "refused");
				else if (p == MAP_FAILED && !sane_errno(errno) && errno != ENOMEM &&
					 errno != EOPNOTSUPP && errno != EOVERFLOW)
					bad("ioctls: mmap: errno %d %s", errno, strerror(errno));
				if (p != MAP_FAILED) {
					maps[k] = p;
					map_len[k] = (len + PG - 1) & ~(PG - 1);
					map_ok[k] = (prot & PROT_READ) != 0;
				}
			}
			continue;
		}
		if (what < 14) {	/* the file in another process */
			pid_t pid;
			int st;

			if (!one_in(r, 5))
				continue;
			INC(forks);
			trace("%lu: fork, slot states %d %d %d %d", iter, slots[0].state,
			      slots[1].state, slots[2].state, slots[3].state);
			pid = fork();
			if (pid == 0) {
				int wrong = 0, n;

				for (n = 0; n < NR_SLOTS; n++) {
					static const int want[] = { EBADF, EBADFD, EPERM, ESHUTDOWN };
					long rc = ioctl(slots[n].fd, LGUEST_RUN, 0);

					if (slots[n].state == S_CLOSED)
						continue;
					if (rc != -1 || (errno != want[slots[n].state] &&
							 !(slots[n].unsure && errno == ESHUTDOWN)))
						wrong |= 1 << n;
				}
				_exit(wrong);
			}
			if (pid < 0 || reap(pid, &st) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
				bad("ioctls: LGUEST_RUN from a child (slot states %d %d %d %d): %s %#x",
				    slots[0].state, slots[1].state, slots[2].state, slots[3].state,
				    pid < 0 ? strerror(errno) : "wrong for slots", pid < 0 ? 0 : (unsigned int)st);
			continue;
		}
		if (what < 18) {	/* the calls every file has */
			char buf[64];
			struct pollfd pfd = { .fd = s->fd, .events = POLLIN | POLLOUT };
			long rc;

			INC(generic);
			switch (below(r, 4)) {
			case 0: rc = read(s->fd, buf, sizeof(buf)); break;
			case 1: rc = write(s->fd, buf, sizeof(buf)); break;
			case 2: rc = lseek(s->fd, (off_t)rnd(r), (int)below(r, 3)); break;
			default: rc = poll(&pfd, 1, 0); break;
			}
			if (rc < -1 || (rc == -1 && !sane_errno(errno) && errno != ESPIPE))
				bad("ioctls: a plain file call: %ld %s", rc, strerror(errno));
			continue;
		}

		/* An ioctl. */
		{
			static const unsigned int generic[] = { FIONBIO, FIOCLEX, FIONCLEX, FIOASYNC,
								FIOQSIZE, FIBMAP, FIGETBSZ, FIONREAD, 0 };
			unsigned int cmd = lg_cmds[below(r, sizeof(lg_cmds) / sizeof(lg_cmds[0]))];
			unsigned int v = (unsigned int)below(r, 20);
			int fd = s->fd, kind, want = -1, use32 = compat_ok && one_in(r, 10);
			unsigned long arg;
			size_t len;
			long ret;
			int e;

			if (v == 0)
				cmd = _IOC(_IOC_DIR(cmd), LGUEST_IOC_MAGIC, _IOC_NR(cmd),
					   (_IOC_SIZE(cmd) + (one_in(r, 2) ? 8 : -8)) & _IOC_SIZEMASK);
			else if (v == 1)
				cmd = _IOC(below(r, 4), LGUEST_IOC_MAGIC, (unsigned int)below(r, 256),
					   (unsigned int)below(r, 1 << 14));
			else if (v == 2)
				cmd = (unsigned int)rnd(r);
			else if (v == 3)
				cmd = generic[below(r, sizeof(generic) / sizeof(generic[0]))];
			if (one_in(r, 50))
				fd = others[below(r, 3)];
			len = arg_size(cmd);
			make_arg(r, &a, cmd, content, sizeof(content));
			/* Where the argument goes. */
			switch (use32 ? 4 : below(r, 8)) {
			case 0:
				kind = P_BAD;
				arg = bad_ptrs[below(r, sizeof(bad_ptrs) / sizeof(bad_ptrs[0]))];
				break;
			case 1:
				kind = P_BAD;
				arg = (uintptr_t)a.none + below(r, PG);
				break;
			case 2:
				kind = P_RO;
				arg = (uintptr_t)a.ro + below(r, PG - len + 1);
				mprotect(a.ro, PG, PROT_READ | PROT_WRITE);
				memcpy((void *)arg, content, len);
				mprotect(a.ro, PG, PROT_READ);
				break;
			case 3:
				kind = P_STRADDLE;
				arg = (uintptr_t)a.none - 1 - below(r, len - 1);
				memcpy((void *)arg, content, (size_t)((uintptr_t)a.none - arg));
				break;
			case 4:
				kind = P_GOOD;
				arg = (uintptr_t)a.low + below(r, PG - len + 1);
				memcpy((void *)arg, content, len);
				if (use32 && one_in(r, 8)) {
					kind = P_BAD;
					arg = one_in(r, 2) ? 0 : 0xfffff000;
				}
				break;
			default:
				kind = P_GOOD;
				arg = (uintptr_t)a.rw + below(r, 2 * PG - len + 1);
				memcpy((void *)arg, content, len);
				break;
			}
			if (cmd == LGUEST_RUN)
				arg = one_in(r, 4) ? arg : 0;
			if (fd == s->fd && s->state != S_CLOSED)
				want = expect(s, cmd, arg, kind, content);
			if (cmd == LGUEST_RUN && want == -1 && s->state == S_INIT) {
				struct lguest_regs g;

				/* Mostly guests that end at once: fz_off, or nowhere to go. */
				if (!one_in(r, 4) && !ioctl(fd, LGUEST_GET_REGS, &g)) {
					g.rip = KMAP + CODE_GPA;
					g.cr3 = 0x1000;
					ioctl(fd, LGUEST_SET_REGS, &g);
				}
			}
			trace("%lu: %sioctl(fd %d (%s), %#x, %#lx) kind %d want %d", iter,
			      use32 ? "32-bit " : "", fd, s->state == S_CLOSED || fd != s->fd ? "other" :
			      state_name(s->state), cmd, arg, kind, want);
			INC(ioctls);
			if (cmd == LGUEST_RUN)
				timer_ms(20);
			ret = use32 ? ioctl32(fd, cmd, (uint32_t)arg) : ioctl(fd, cmd, arg);
			e = errno;
			if (cmd == LGUEST_RUN)
				timer_ms(0);
			if (use32) {
				INC(compat);
				if (ret == -1 && e == ENOSYS) {
					compat_ok = 0;
					continue;
				}
			}
			if (ret != 0 && ret != -1) {
				bad("ioctls: %s returned %ld", sh->trace[(sh->trace_pos - 1) % NR_TRACE], ret);
				continue;
			}
			if (cmd == LGUEST_RUN && fd == s->fd && ret == -1 && e == ESHUTDOWN && s->unsure)
				s->state = S_DEAD;
			if (ret == -1 && !sane_errno(e)) {
				bad("ioctls: %s: errno %d %s", sh->trace[(sh->trace_pos - 1) % NR_TRACE], e,
				    strerror(e));
				continue;
			}
			if (want == -2)
				want = ret == 0 ? 0 : EFAULT;
			if (want != -1) {
				INC(modelled);
				if ((want == 0) != (ret == 0) || (ret && e != want)) {
					bad("ioctls: seed %" PRIu64 " %s: %s, wanted %s", seed,
					    sh->trace[(sh->trace_pos - 1) % NR_TRACE],
					    ret ? strerror(e) : "success", want ? strerror(want) : "success");
					continue;
				}
			}
			if (fd != s->fd || s->state == S_CLOSED || ret)
				continue;
			if (cmd == LGUEST_VERSION) {
				const struct lguest_version *ver = (const void *)arg;

				if (ver->abi_version != LGUEST_ABI_VERSION || ver->features != LGUEST_FEATURES_ALL)
					bad("ioctls: LGUEST_VERSION says abi %u features %#llx",
					    ver->abi_version, (unsigned long long)ver->features);
			} else if (cmd == LGUEST_INIT) {
				s->state = S_INIT;
				s->mem_size = ((const struct lguest_init *)content)->mem_size;
			} else if (cmd == LGUEST_RUN) {
				INC(runs1);
				if (s->run == MAP_FAILED) {
					s->unsure = 1;
					continue;
				}
				if (s->run->exit_reason == LGUEST_EXIT_SHUTDOWN ||
				    s->run->exit_reason == LGUEST_EXIT_KILLED)
					s->state = S_DEAD;
				else if (s->run->exit_reason != LGUEST_EXIT_HCALL &&
					 s->run->exit_reason != LGUEST_EXIT_MMIO)
					bad("ioctls: LGUEST_RUN: exit_reason %u", s->run->exit_reason);
			} else if (cmd == LGUEST_GET_STATS) {
				const struct lguest_stats *st = (const void *)arg;

				if (st->size != LGUEST_STATS_SIZE_VER0 ||
				    !all_zero(st->reserved, sizeof(st->reserved)))
					bad("ioctls: LGUEST_GET_STATS filled size %u or reserved", st->size);
			}
		}
	}
	for (i = 0; i < NR_SLOTS; i++)
		if (slots[i].state != S_CLOSED)
			close(slots[i].fd);
	for (i = 0; i < NR_MAPS; i++)
		if (maps[i])
			munmap(maps[i], map_len[i]);
}

/* ---- part 2: random guests ----------------------------------------------- */

static void part_guests(uint64_t seed, double secs)
{
	struct rng rr = { seed }, *r = &rr;
	double end = now() + secs;
	unsigned long n;

	catch_signals();
	for (n = 0; now() < end; n++) {
		uint64_t size = one_in(r, 4) ? 4 * MIB : 2 * MIB;
		struct lguest_init init = { .mem_size = size, .nr_mmio = 1,
					    .mmio = { { MMIO_GPA, 0x1000 } } };
		struct lguest_regs regs;
		struct lguest_run *run;
		uint8_t *mem;
		int fd, shared = !one_in(r, 4);

		mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED) {
			bad("guests: mmap: %s", strerror(errno));
			return;
		}
		if (random_guest(r, mem, size, &regs))
			INC(with_init);
		INC(guests);
		trace("guest %lu: %" PRIu64 " MiB %s, rip %#llx cr3 %#llx", n, size >> 20,
		      shared ? "shared" : "private", (unsigned long long)regs.rip,
		      (unsigned long long)regs.cr3);
		init.mem_uaddr = (uintptr_t)mem;
		fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, LGUEST_INIT, &init)) {
			bad("guests: open or LGUEST_INIT: %s", strerror(errno));
			return;
		}
		run = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (run == MAP_FAILED) {
			bad("guests: mmap of the run page: %s", strerror(errno));
			return;
		}
		if (ioctl(fd, LGUEST_SET_REGS, &regs)) {
			if (errno != EINVAL)
				bad("guests: LGUEST_SET_REGS: %s", strerror(errno));
			INC(setregs_refused);
		} else {
			run_guest(r, fd, run, 24, 30);
		}
		if (one_in(r, 2)) {
			struct lguest_stats st = { .size = LGUEST_STATS_SIZE_VER0 };

			if (ioctl(fd, LGUEST_GET_STATS, &st))
				bad("guests: LGUEST_GET_STATS: %s", strerror(errno));
		}
		munmap(run, PG);
		close(fd);
		munmap(mem, size);
	}
}

/* ---- part 3: races ------------------------------------------------------- */

enum { G_WALK, G_SPIN, G_FLOOD, G_HALT, G_RANDOM, G_NR };
static const char *const gnames[] = { "walker", "spin", "flood", "spin.halt", "random" };

struct race {
	int fd, memfd, guest;
	uint8_t *base, *scratch;	/* guest memory, and as much again after it */
	uint64_t size;
	struct lguest_run *run;
	struct lguest_regs regs;
	pthread_t runner, chaos[2];
	volatile int stop;
	int done[3];			/* set by each thread as it leaves */
	pid_t tid[3];			/* runner, chaos 1, chaos 2 */
	uint64_t seed;
	int close_at, nth;
	unsigned long ops;
	unsigned long runs, kicks;	/* the runner's LGUEST_RUNs, SIGUSR1s sent to it */
	int bound;			/* irqfds bound and not unbound (closed ones stay) */
	double longest;			/* its longest LGUEST_RUN, s */
};

/* spin.elf or flood.elf, with liblguest's loader (as t_guests does). */
static int load_elf(struct race *x, const char *name, const char *cmdline)
{
	struct lg_mem mem = { x->base, x->size };
	struct lg_vm *vm = lg_vm_new();
	struct lg_kernel k;
	struct lg_boot boot = { 0 };
	char path[128];
	struct stat st;
	void *elf;
	int fd, err = -1;

	snprintf(path, sizeof(path), "%s/%s.elf", GUEST_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!vm || fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		lg_vm_destroy(vm);
		return -1;
	}
	elf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (elf != MAP_FAILED) {
		err = lg_elf_load(vm, &mem, elf, (size_t)st.st_size, 0, 0, &k);
		if (!err) {
			boot.entry = k.entry;
			boot.cmdline = cmdline;
			err = lg_boot_setup(vm, &mem, &boot, &x->regs);
		}
		munmap(elf, (size_t)st.st_size);
	}
	lg_vm_destroy(vm);
	return err;
}

static void *runner(void *p)
{
	struct race *x = p;

	x->tid[0] = gettid();
	while (!x->stop) {
		double t0 = now();
		long ret = ioctl(x->fd, LGUEST_RUN, 0);
		int e = errno;

		if (now() - t0 > x->longest)
			x->longest = now() - t0;
		x->runs++;
		INC(race_runs);
		if (ret == 0) {
			if (x->run->exit_reason == LGUEST_EXIT_HCALL) {
				x->run->hcall.ret = 0;
			} else if (x->run->exit_reason == LGUEST_EXIT_MMIO) {
				x->run->mmio.data = 0;
			} else if (x->run->exit_reason == LGUEST_EXIT_SHUTDOWN ||
				   x->run->exit_reason == LGUEST_EXIT_KILLED) {
				INC(race_dead);
				if (x->run->exit_reason == LGUEST_EXIT_KILLED) {
					x->run->killed.reason[LGUEST_MSG_LEN - 1] = '\0';
					count_kill(x->run->killed.reason);
				}
				break;
			}
			continue;
		}
		if (e == EBUSY)
			sched_yield();
		if (e == EINTR || e == EBUSY)
			continue;
		if (e == ESHUTDOWN || e == EBADF || e == ENOTTY)
			break;	/* a chaos thread saw it end, or closed the file */
		bad("races: %s: the runner's LGUEST_RUN: %s", gnames[x->guest], strerror(e));
		break;
	}
	__atomic_store_n(&x->done[0], 1, __ATOMIC_RELEASE);
	return NULL;
}

static void check_errno(const struct race *x, const char *call, long ret, int e)
{
	if (ret == -1 && !sane_errno(e))
		bad("races: %s: %s: errno %d %s", gnames[x->guest], call, e, strerror(e));
	else if (ret != 0 && ret != -1)
		bad("races: %s: %s returned %ld", gnames[x->guest], call, ret);
}

/* A page-aligned range of guest memory: mostly small, sometimes all of it. */
static void pick_range(struct rng *r, const struct race *x, uint64_t *off, uint64_t *len)
{
	uint64_t pages = x->size / PG;

	*off = below(r, pages) * PG;
	*len = one_in(r, 16) ? x->size - *off : PG * (1 + below(r, one_in(r, 4) ? 512 : 16));
	if (*len > x->size - *off)
		*len = x->size - *off;
}

static void memop(struct rng *r, struct race *x)
{
	uint64_t off, len;
	uint8_t *at;
	void *p;
	int prot;

	pick_range(r, x, &off, &len);
	at = x->base + off;
	INC(memops);
	switch (below(r, 10)) {
	case 0:
		munmap(at, len);
		break;
	case 1:	/* move it away, to the scratch half */
		mremap(at, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, x->scratch + off);
		break;
	case 2:	/* and back */
		mremap(x->scratch + off, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, at);
		break;
	case 3:	/* shrink in place */
		mremap(at, len, len / 2 & ~(PG - 1), 0);
		break;
	case 4:
		prot = (int)below(r, 4);
		mprotect(at, len, prot == 3 ? PROT_READ | PROT_WRITE : prot == 2 ? PROT_READ :
				  prot == 1 ? PROT_WRITE : PROT_NONE);
		break;
	case 5: {
		static const int advice[] = { MADV_DONTNEED, MADV_REMOVE, MADV_FREE, MADV_COLD,
					      MADV_PAGEOUT, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
					      MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK };

		madvise(at, len, advice[below(r, sizeof(advice) / sizeof(advice[0]))]);
		break;
	}
	case 6:	/* replace with fresh memory */
		if (one_in(r, 2) && x->memfd >= 0)
			p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, x->memfd,
				 (off_t)off);
		else
			p = mmap(at, len, PROT_READ | PROT_WRITE,
				 (one_in(r, 2) ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0);
		(void)p;
		break;
	case 7:
		if (x->memfd >= 0)
			fallocate(x->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
				  (off_t)len);
		break;
	case 8:	/* write to it behind the mappings' back */
		if (x->memfd >= 0) {
			uint8_t buf[256];

			fill(r, buf, sizeof(buf));
			if (pwrite(x->memfd, buf, sizeof(buf), (off_t)off) < 0)
				(void)0;
		}
		break;
	default:	/* and put it all back as it was */
		if (x->memfd >= 0)
			p = mmap(x->base, x->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				 x->memfd, 0);
		(void)p;
		break;
	}
}

/* A child process holding the file: everything but LGUEST_RUN works. */
static void forked(struct race *x)
{
	pid_t pid;
	int st;

	INC(forks3);
	pid = fork();
	if (pid == 0) {
		struct lguest_irq irq = { .irq = 3 };
		struct lguest_stats stats = { .size = LGUEST_STATS_SIZE_VER0 };
		long rc = ioctl(x->fd, LGUEST_RUN, 0);
		int code;

		if (rc == 0)
			_exit(100);
		code = errno == EPERM ? 0 : errno == EBUSY ? 1 : errno == ESHUTDOWN ? 2 :
		       errno == EBADF ? 3 : errno == ENOTTY ? 4 : 50 + (errno & 31);
		ioctl(x->fd, LGUEST_IRQ, &irq);
		ioctl(x->fd, LGUEST_GET_STATS, &stats);
		_exit(code);
	}
	if (pid < 0)
		return;
	if (reap(pid, &st) != pid || !WIFEXITED(st) || WEXITSTATUS(st) >= 50) {
		bad("races: %s: LGUEST_RUN from a forked child: %s (status %#x)", gnames[x->guest],
		    WIFEXITED(st) && WEXITSTATUS(st) == 100 ? "it ran the guest" : "wrong errno",
		    (unsigned int)st);
		return;
	}
	if (WEXITSTATUS(st) == 0)
		INC(eperm);
}

/*
 * While the guest runs: bind an eventfd to a line, raise it a few times,
 * then unbind it, or close it and leave lg.ko's reference to the end.
 */
static void irqfd_chaos(struct rng *r, struct race *x)
{
	struct lguest_irqfd a = { .irq = (uint32_t)(1 + below(r, LGUEST_NR_IRQS - 1)) };
	uint64_t one = 1;
	long ret;

	a.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a.fd < 0)
		return;
	INC(irqfds);
	if (one_in(r, 2) && write(a.fd, &one, sizeof(one)) != sizeof(one))
		bad("races: a write to a fresh eventfd: %s", strerror(errno));
	ret = ioctl(x->fd, LGUEST_IRQFD, &a);
	if (ret == -1 && errno == ENOSPC) {
		/* Only when the limit is reached: the other thread may be one behind. */
		if (__atomic_load_n(&x->bound, __ATOMIC_RELAXED) < LGUEST_MAX_IRQFDS - 1)
			bad("races: LGUEST_IRQFD: ENOSPC with %d bound",
			    __atomic_load_n(&x->bound, __ATOMIC_RELAXED));
	} else {
		check_errno(x, "LGUEST_IRQFD", ret, errno);
	}
	if (!ret)
		__atomic_add_fetch(&x->bound, 1, __ATOMIC_RELAXED);
	for (uint64_t i = below(r, 4); i > 0; i--)
		if (write(a.fd, &one, sizeof(one)) != sizeof(one))
			break;
	if (!ret && one_in(r, 2)) {
		a.flags = LGUEST_IRQFD_DEASSIGN;
		a.irq = 0;
		ret = ioctl(x->fd, LGUEST_IRQFD, &a);
		check_errno(x, "LGUEST_IRQFD unbinding", ret, errno);
		if (!ret)
			__atomic_sub_fetch(&x->bound, 1, __ATOMIC_RELAXED);
	}
	close(a.fd);
}

static void *chaos(void *p)
{
	struct race *x = p;
	int me = __atomic_add_fetch(&x->nth, 1, __ATOMIC_RELAXED);
	struct rng rr = { x->seed + (uint64_t)me * 7919 }, *r = &rr;
	void *extra = NULL;

	x->tid[me] = gettid();
	while (!x->stop) {
		unsigned long op = __atomic_add_fetch(&x->ops, 1, __ATOMIC_RELAXED);
		long ret;

		INC(race_ops);
		if ((long)op == x->close_at) {
			INC(closes);
			close(x->fd);
			continue;
		}
		switch (below(r, 13)) {
		case 0: case 1: {
			struct lguest_irq irq = { .irq = (uint32_t)below(r, LGUEST_NR_IRQS + 1) };

			INC(irqs);
			ret = ioctl(x->fd, LGUEST_IRQ, &irq);
			check_errno(x, "LGUEST_IRQ", ret, errno);
			if (!ret && (irq.irq == 0 || irq.irq >= LGUEST_NR_IRQS))
				bad("races: LGUEST_IRQ took line %u", irq.irq);
			break;
		}
		case 2: {
			struct lguest_stats st = { .size = LGUEST_STATS_SIZE_VER0 };

			INC(stats);
			ret = ioctl(x->fd, LGUEST_GET_STATS, &st);
			check_errno(x, "LGUEST_GET_STATS", ret, errno);
			if (!ret && st.size != LGUEST_STATS_SIZE_VER0)
				bad("races: LGUEST_GET_STATS size %u", st.size);
			break;
		}
		case 3: {
			struct lguest_regs g;

			ret = ioctl(x->fd, LGUEST_GET_REGS, &g);
			check_errno(x, "LGUEST_GET_REGS", ret, errno);
			if (!ret && one_in(r, 2)) {
				ret = ioctl(x->fd, LGUEST_SET_REGS, &g);
				check_errno(x, "LGUEST_SET_REGS", ret, errno);
			}
			break;
		}
		case 4: case 5: case 6:
			memop(r, x);
			break;
		case 7:
			INC(signals);
			if (one_in(r, 4)) {
				pthread_kill(x->runner, SIGURG);
			} else {
				__atomic_add_fetch(&x->kicks, 1, __ATOMIC_RELAXED);
				pthread_kill(x->runner, SIGUSR1);
			}
			break;
		case 8:
			if (one_in(r, 4))
				forked(x);
			break;
		case 9:	/* a second mapping of the run page, and what may follow */
			if (extra) {
				if (one_in(r, 2))
					madvise(extra, PG, MADV_DONTNEED);
				munmap(extra, PG);
				extra = NULL;
			} else {
				extra = mmap(NULL, PG, PROT_READ, MAP_SHARED, x->fd, 0);
				if (extra == MAP_FAILED)
					extra = NULL;
			}
			break;
		case 11:	/* an irqfd bound, written, and unbound or just closed */
			if (one_in(r, 4))
				irqfd_chaos(r, x);
			else
				sched_yield();
			break;
		case 10:
			if (one_in(r, 8)) {	/* a second runner: EBUSY while the first runs */
				ret = ioctl(x->fd, LGUEST_RUN, 0);
				check_errno(x, "a second LGUEST_RUN", ret, errno);
			}
			break;
		default:
			sched_yield();
			break;
		}
	}
	if (extra)
		munmap(extra, PG);
	__atomic_store_n(&x->done[me], 1, __ATOMIC_RELEASE);
	return NULL;
}

static int race_setup(struct rng *r, struct race *x)
{
	static const char *const cmd[] = { NULL, "lgtest.name=fuzz", "lgtest.name=fuzz",
					   "lgtest.name=fuzz case=halt" };
	struct lguest_init init = { .nr_mmio = 1, .mmio = { { MMIO_GPA, 0x1000 } } };
	uint8_t *res;

	x->size = x->guest == G_WALK ? 8 * MIB : x->guest == G_RANDOM ? 4 * MIB : 32 * MIB;
	x->memfd = -1;
	res = mmap(NULL, 2 * x->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return -1;
	x->base = res;
	x->scratch = res + x->size;
	switch (below(r, 3)) {
	case 0:
		x->memfd = memfd_create("fuzz", MFD_CLOEXEC);
		if (x->memfd < 0 || ftruncate(x->memfd, (off_t)x->size) ||
		    mmap(x->base, x->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, x->memfd, 0) ==
			    MAP_FAILED)
			return -1;
		break;
	case 1:
		if (mmap(x->base, x->size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return -1;
		break;
	default:
		if (mmap(x->base, x->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return -1;
		break;
	}
	memset(&x->regs, 0, sizeof(x->regs));
	if (x->guest == G_WALK) {
		sane_tables(x->base, x->size);
		memcpy(x->base + CODE_GPA, fz_walk, (size_t)fz_walk_len);
		memcpy(x->base + DATA_GPA, "walking\n", 8);
		x->regs.rip = KMAP + CODE_GPA;
		x->regs.cr3 = 0x1000;
		x->regs.rflags = 2;
		x->regs.r12 = x->size / PG;
	} else if (x->guest == G_RANDOM) {
		random_guest(r, x->base, x->size, &x->regs);
		if (regs_model(&x->regs, x->size))
			x->regs.reserved[0] = x->regs.reserved[1] = x->regs.reserved[2] =
				x->regs.reserved[3] = x->regs.reserved[4] = 0;
		x->regs.rflags &= 0x40dd7;
		x->regs.rip = KMAP + CODE_GPA;
		x->regs.cr3 = 0x1000;
		x->regs.rsp = DM + STACK_TOP;
		x->regs.cr2 = x->regs.fs_base = x->regs.gs_base = x->regs.kernel_gs_base = 0;
	} else if (load_elf(x, x->guest == G_FLOOD ? "flood" : "spin", cmd[x->guest])) {
		return -1;
	}
	x->fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	init.mem_uaddr = (uintptr_t)x->base;
	init.mem_size = x->size;
	if (x->fd < 0 || ioctl(x->fd, LGUEST_INIT, &init) || ioctl(x->fd, LGUEST_SET_REGS, &x->regs))
		return -1;
	x->run = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, x->fd, 0);
	return x->run == MAP_FAILED ? -1 : 0;
}

/* Print a file of /proc/self/task/TID/ as the kernel has it. */
static void show(pid_t tid, const char *what)
{
	char path[96], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)tid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	printf("t_fuzz:   thread %d %s: %s%s", (int)tid, what, buf, n > 0 && buf[n - 1] == '\n' ? "" : "\n");
}

/* A file of /proc/PID/ as one short line: "?" if it cannot be read. */
static void proc_line(pid_t pid, const char *what, char *out, size_t size)
{
	char path[96];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, out, size - 1) : -1;
	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (!out[0])
		snprintf(out, size, "?");
}

/*
 * Where a thread that did not stop is: its state, wchan and the top of
 * its kernel stack, and the same for any child it waits for.
 */
static void where(pid_t tid, char *out, size_t size)
{
	char stat[256], wchan[64], stack[96], kids[64];
	const char *st;

	proc_line(tid, "stat", stat, sizeof(stat));
	proc_line(tid, "wchan", wchan, sizeof(wchan));
	proc_line(tid, "stack", stack, sizeof(stack));
	st = strrchr(stat, ')');
	snprintf(out, size, "%d %c in %s (%s)", (int)tid, st && st[1] ? st[2] : '?', wchan, stack);
	snprintf(stat, sizeof(stat), "task/%d/children", (int)tid);
	proc_line(getpid(), stat, kids, sizeof(kids));
	if (kids[0] != '?') {
		size_t len = strlen(out);
		pid_t kid = (pid_t)atoi(kids);

		proc_line(kid, "stat", stat, sizeof(stat));
		proc_line(kid, "wchan", wchan, sizeof(wchan));
		proc_line(kid, "stack", stack, sizeof(stack));
		st = strrchr(stat, ')');
		snprintf(out + len, size - len, ", its child %d %c in %s (%s)", (int)kid,
			 st && st[1] ? st[2] : '?', wchan, stack);
	}
}

/*
 * Stop every thread: they may sit in LGUEST_RUN until a signal comes.
 * The signals come further and further apart (2 ms, doubling to 256 ms):
 * a signal makes a fork() in progress start over, and under a loaded
 * software CPU a chaos thread's fork() of this process can take longer
 * than 2 ms, so a steady 2 ms storm would keep it forking for ever.
 */
static int race_stop(struct race *x, char *why, size_t size)
{
	double give_up = now() + 20;
	useconds_t gap = 2000;
	int i;

	x->stop = 1;
	while (now() < give_up) {
		int left = 0;

		for (i = 0; i < 3; i++) {
			if (__atomic_load_n(&x->done[i], __ATOMIC_ACQUIRE))
				continue;
			left++;
			pthread_kill(i ? x->chaos[i - 1] : x->runner, SIGUSR1);
		}
		if (!left)
			break;
		usleep(gap);
		if (gap < 256000)
			gap *= 2;
	}
	why[0] = '\0';
	for (i = 0; i < 3; i++) {
		size_t len = strlen(why);

		if (__atomic_load_n(&x->done[i], __ATOMIC_ACQUIRE))
			continue;
		printf("t_fuzz: races: %s thread %d has not stopped:\n", i ? "a chaos" : "the runner",
		       (int)x->tid[i]);
		show(x->tid[i], "stat");
		show(x->tid[i], "wchan");
		show(x->tid[i], "syscall");
		show(x->tid[i], "stack");
		snprintf(why + len, size - len, "%s%s ", len ? "; " : "", i ? "chaos" : "runner");
		len = strlen(why);
		where(x->tid[i], why + len, size - len);
	}
	if (why[0])
		return -1;
	pthread_join(x->runner, NULL);
	pthread_join(x->chaos[0], NULL);
	pthread_join(x->chaos[1], NULL);
	return 0;
}

/* Where the runner was each time we looked (/proc/.../wchan): "0" is running. */
#define NR_WCHAN	12
static char wchan_name[NR_WCHAN][48];
static unsigned long wchan_count[NR_WCHAN];

static void sample_wchan(pid_t tid)
{
	char path[96], buf[48];
	ssize_t n;
	int fd, i;

	if (!tid)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (i = 0; i < NR_WCHAN; i++) {
		if (!wchan_name[i][0])
			snprintf(wchan_name[i], sizeof(wchan_name[i]), "%s", buf);
		if (!strcmp(wchan_name[i], buf)) {
			wchan_count[i]++;
			return;
		}
	}
}

static void part_races(uint64_t seed, double secs)
{
	double end = now() + secs;
	unsigned long round;

	catch_signals();
	for (round = 0; now() < end; round++) {
		struct race *x = calloc(1, sizeof(*x));
		struct rng rr;
		unsigned int ms;
		char why[240];

		if (!x)
			return;
		x->seed = seed_of(seed, 1000 + round);
		rr.s = x->seed;
		x->guest = (int)(round % G_NR);
		x->close_at = one_in(&rr, 4) ? 1 + (int)below(&rr, 300) : -1;
		ms = 150 + (unsigned int)below(&rr, 400);
		trace("race round %lu: %s, seed %" PRIu64 ", %u ms, close at op %d", round,
		      gnames[x->guest], x->seed, ms, x->close_at);
		if (race_setup(&rr, x)) {
			bad("races: round %lu (%s): setting up: %s", round, gnames[x->guest],
			    strerror(errno));
			free(x);
			return;
		}
		if (pthread_create(&x->runner, NULL, runner, x) ||
		    pthread_create(&x->chaos[0], NULL, chaos, x) ||
		    pthread_create(&x->chaos[1], NULL, chaos, x)) {
			bad("races: pthread_create failed");
			_exit(1);
		}
		{
			double until = now() + ms / 1000.0;

			while (now() < until) {
				sample_wchan(__atomic_load_n(&x->tid[0], __ATOMIC_RELAXED));
				usleep(10000);
			}
		}
		if (race_stop(x, why, sizeof(why))) {
			bad("races: round %lu (%s, seed %" PRIu64 "): 20 s after the stop: %s", round,
			    gnames[x->guest], x->seed, why);
			_exit(1);
		}
		INC(rounds);
		printf("t_fuzz: races: round %lu: %s, %lu runs, the longest %.0f ms, %lu signals to it, %s\n",
		       round, gnames[x->guest], x->runs, x->longest * 1000, x->kicks,
		       x->run->exit_reason == LGUEST_EXIT_SHUTDOWN ? "shut down" :
		       x->run->exit_reason == LGUEST_EXIT_KILLED ? x->run->killed.reason : "alive");
		/* The guest is at rest now: a child still may not run it. */
		if (x->close_at < 0 || (long)x->ops < x->close_at) {
			struct lguest_stats st = { .size = LGUEST_STATS_SIZE_VER0 };
			pid_t pid;
			int status, dead = x->run->exit_reason == LGUEST_EXIT_SHUTDOWN ||
					  x->run->exit_reason == LGUEST_EXIT_KILLED;

			if (ioctl(x->fd, LGUEST_GET_STATS, &st))
				bad("races: %s: LGUEST_GET_STATS after the round: %s", gnames[x->guest],
				    strerror(errno));
			pid = fork();
			if (pid == 0)
				_exit(ioctl(x->fd, LGUEST_RUN, 0) == -1 ? errno : 0);
			if (pid > 0 && reap(pid, &status) == pid) {
				int want = dead ? ESHUTDOWN : EPERM;

				if (!WIFEXITED(status) || WEXITSTATUS(status) != want)
					bad("races: %s round %lu: LGUEST_RUN from a child of a guest at rest: %s, wanted %s",
					    gnames[x->guest], round,
					    WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "died",
					    strerror(want));
				else if (!dead)
					INC(eperm);
			}
			close(x->fd);
		}
		munmap(x->run, PG);
		munmap(x->base, 2 * x->size);
		if (x->memfd >= 0)
			close(x->memfd);
		free(x);
	}
	printf("t_fuzz: races: where the runner was (wchan, every 10 ms; 0 is running):%s",
	       wchan_name[0][0] ? "" : " nowhere\n");
	for (round = 0; round < NR_WCHAN && wchan_name[round][0]; round++)
		printf(" %s %lu%s", wchan_name[round], wchan_count[round],
		       round + 1 < NR_WCHAN && wchan_name[round + 1][0] ? "," : "\n");
}

/* ---- part 4: create-run-destroy cycles ----------------------------------- */

static long meminfo_kib(const char *key)
{
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/*
 * Free memory once the host has settled: a second's pause, then caches
 * dropped and four looks a third of a second apart.  Pages on their way
 * back (per-CPU lists, RCU) move MemFree by a MiB or two under TCG, so
 * before the cycles take the lowest look and after them the highest:
 * only a loss beyond that counts.
 */
static void settle(long *free_kib, long *slab_kib, int after)
{
	int i;

	sleep(1);
	for (i = 0; i < 4; i++) {
		int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
		long f, s;

		sync();
		if (fd >= 0) {
			if (write(fd, "3", 1) < 0)
				(void)0;
			close(fd);
		}
		usleep(330000);
		f = meminfo_kib("MemFree");
		s = meminfo_kib("SUnreclaim");
		if (!i || (after ? f > *free_kib : f < *free_kib))
			*free_kib = f;
		if (!i || (after ? s < *slab_kib : s > *slab_kib))
			*slab_kib = s;
	}
}

static unsigned long nr_cycles = 1000;
static int huge_cycles;		/* lgtest.fuzz_huge=1: the code in a 2 MiB page */

/* One guest from nothing to its poweroff and gone: 1 if it powered off. */
static int cycle(unsigned long n)
{
	struct lguest_init init = { .mem_size = 2 * MIB };
	struct lguest_regs regs = { .rip = KMAP + CODE_GPA, .cr3 = 0x1000, .rflags = 2 };
	struct lguest_run *run;
	uint8_t *mem;
	double t0, t1, t2;
	int fd, ok;

	/* Every hundredth, tests/hello.bin through flatguest.h (not the last). */
	if (n % 100 == 50) {
		struct flatguest g;
		int steps = 0;

		ok = !flatguest_start(&g, "/tests/hello.bin");
		while (ok && steps++ < 64 && flatguest_hello_step(&g))
			;
		ok = ok && flatguest_powered_off(&g);
		if (g.run != MAP_FAILED)
			munmap(g.run, PG);
		if (g.fd >= 0)
			close(g.fd);
		if (g.mem != MAP_FAILED)
			munmap(g.mem, FG_MEM);
		return ok;
	}
	t0 = now();
	mem = mmap(NULL, init.mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 0;
	/*
	 * The code page alone, in a 4 KiB page: the host pins the whole of a
	 * 2 MiB guest page at its first touch (fill_huge()), 512 pages.
	 */
	sane_tables(mem, init.mem_size);
	memset(mem + 0x6000, 0, PG);
	if (!huge_cycles)
		((uint64_t *)(mem + 0x3000))[0] = 0x6000 | 3;
	((uint64_t *)(mem + 0x6000))[CODE_GPA / PG] = CODE_GPA | 3;
	memcpy(mem + CODE_GPA, fz_off, (size_t)fz_off_len);
	init.mem_uaddr = (uintptr_t)mem;
	fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	ok = fd >= 0 && !ioctl(fd, LGUEST_INIT, &init) && !ioctl(fd, LGUEST_SET_REGS, &regs);
	run = ok ? mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
	t1 = now();
	ok = run != MAP_FAILED && !ioctl(fd, LGUEST_RUN, 0) &&
	     run->exit_reason == LGUEST_EXIT_SHUTDOWN && run->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF;
	t2 = now();
	if (run != MAP_FAILED)
		munmap(run, PG);
	if (fd >= 0)
		close(fd);
	munmap(mem, init.mem_size);
	sh->cyc_create += t1 - t0;
	sh->cyc_run += t2 - t1;
	sh->cyc_destroy += now() - t2;
	return ok;
}


static void part_cycles(uint64_t seed, double secs)
{
	unsigned long n;

	(void)seed;
	(void)secs;
	for (n = 0; n < WARM_CYCLES; n++)
		cycle(n);
	sh->cyc_create = sh->cyc_run = sh->cyc_destroy = 0;
	settle(&sh->free_before_kib, &sh->slab_before_kib, 0);
	for (n = 0; n < nr_cycles; n++) {
		INC(cycles);
		trace("cycle %lu", n);
		if (cycle(n))
			INC(cycles_ok);
	}
	settle(&sh->free_after_kib, &sh->slab_after_kib, 1);
}

/* ---- the parts, each in a child, and the verdict ------------------------- */

struct part {
	const char *name;
	void (*fn)(uint64_t seed, double secs);
	double share;		/* of the time given */
	double secs;		/* how long it took */
	int died;
	unsigned long bad_before;
};

static void run_part(struct part *p, uint64_t seed, double secs)
{
	double t0 = now(), limit = secs + (secs > 0 ? 120 : 400);
	pid_t pid;
	int st = 0;

	p->bad_before = sh->bad;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		p->fn(seed, secs);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0) {
		bad("%s: fork: %s", p->name, strerror(errno));
		return;
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (now() - t0 > limit) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			bad("%s: hung for %.0f s, killed", p->name, now() - t0);
			p->died = 1;
			break;
		}
		usleep(20000);
	}
	p->secs = now() - t0;
	if (!p->died && (!WIFEXITED(st) || WEXITSTATUS(st))) {
		p->died = 1;
		if (WIFSIGNALED(st))
			bad("%s: the fuzzer died of signal %d", p->name, WTERMSIG(st));
		else if (sh->bad == p->bad_before)
			bad("%s: exit status %d", p->name, WEXITSTATUS(st));
	}
	if (p->died || sh->bad != p->bad_before) {
		unsigned long i, pos = sh->trace_pos;

		printf("t_fuzz: %s: the last calls (seed %" PRIu64 "):\n", p->name, seed);
		for (i = pos > NR_TRACE ? pos - NR_TRACE : 0; i < pos; i++)
			printf("t_fuzz:   %s\n", sh->trace[i % NR_TRACE]);
	}
	/* Reap whatever a dead part left behind. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Kernel log lines that must not appear: counted before and after. */
static unsigned long klog_bad(void)
{
	static char buf[1 << 20];
	static const char *const pats[] = { "BUG:", "WARNING:", "Oops", "Call Trace", "lockup",
					    "stall", "blocked for more than" };
	unsigned long n = 0;
	int len = klogctl(3, buf, sizeof(buf) - 1), i;

	if (len < 0)
		return 0;
	buf[len] = '\0';
	for (i = 0; i < (int)(sizeof(pats) / sizeof(pats[0])); i++) {
		const char *p = buf;

		while ((p = strstr(p, pats[i])) != NULL) {
			n++;
			p++;
		}
	}
	return n;
}

static long read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* lgtest.KEY=VALUE from the kernel command line into @out, or "". */
static void cmdline_opt(const char *key, char *out, size_t len)
{
	char line[4096] = "", pat[64];
	const char *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	snprintf(pat, sizeof(pat), "lgtest.%s=", key);
	p = strstr(line, pat);
	out[0] = '\0';
	if (p) {
		p += strlen(pat);
		snprintf(out, len, "%.*s", (int)strcspn(p, " \n"), p);
	}
}

static uint64_t cmdline_num(const char *key, uint64_t def)
{
	char v[64];

	cmdline_opt(key, v, sizeof(v));
	return v[0] ? strtoull(v, NULL, 0) : def;
}

int main(int argc, char **argv)
{
	struct part parts[] = {
		{ "ioctls", part_ioctls, 0.3, 0, 0, 0 },
		{ "guests", part_guests, 0.35, 0, 0, 0 },
		{ "races", part_races, 0.35, 0, 0, 0 },
		{ "cycles", part_cycles, 0, 0, 0, 0 },
	};
	const int nparts = (int)(sizeof(parts) / sizeof(parts[0]));
	uint64_t seed;
	double secs, t0 = now();
	unsigned long klog0, bad_before;
	long taint0, taint1, refs;
	int opt, i, want[4] = { 1, 1, 1, 1 };
	char only[256];

	seed = cmdline_num("fuzz_seed", 0);
	secs = (double)cmdline_num("fuzz_time", 40);
	nr_cycles = (unsigned long)cmdline_num("fuzz_cycles", nr_cycles);
	huge_cycles = (int)cmdline_num("fuzz_huge", 0);
	if (!seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 32);
	}
	while ((opt = getopt(argc, argv, "s:t:c:")) != -1) {
		if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (opt == 'c')
			nr_cycles = strtoul(optarg, NULL, 0);
		else if (opt == 't')
			secs = strtod(optarg, NULL);
		else
			return 2;
	}
	cmdline_opt("fuzz_parts", only, sizeof(only));
	for (i = optind; i < argc; i++)
		snprintf(only + strlen(only), sizeof(only) - strlen(only), ",%s", argv[i]);
	if (only[0]) {
		for (i = 0; i < nparts; i++) {
			char name[32], list[260];

			snprintf(name, sizeof(name), ",%s,", parts[i].name);
			snprintf(list, sizeof(list), ",%s,", only);
			want[i] = strstr(list, name) != NULL;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The parts' children are ours to reap, even when a part dies. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		CHECK(0, "fuzz: starts", "mmap: %s", strerror(errno));
		return 1;
	}
	printf("t_fuzz: seed %" PRIu64 ", %.0f s (replay: lgtest.fuzz_seed=%" PRIu64
	       " lgtest.fuzz_time=%.0f, or t_fuzz -s %" PRIu64 " -t %.0f)\n",
	       seed, secs, seed, secs, seed, secs);
	klog0 = klog_bad();
	taint0 = read_long("/proc/sys/kernel/tainted");

	for (i = 0; i < nparts; i++) {
		if (!want[i])
			continue;
		bad_before = sh->bad;
		sh->part = i;
		run_part(&parts[i], seed_of(seed, (uint64_t)i), secs * parts[i].share);
		printf("t_fuzz: %s took %.1f s\n", parts[i].name, parts[i].secs);
		if (i == 0)
			CHECK(sh->bad == bad_before && !parts[i].died,
			      "fuzz ioctls: random calls on /dev/lguest, each answered as the ABI says",
			      "%lu wrong: %s", sh->bad - bad_before, sh->first[i]);
		if (i == 1) {
			int k;

			printf("t_fuzz: guests: %lu (%lu with LHCALL_INIT, %lu refused by SET_REGS), %lu runs: "
			       "%lu powered off, %lu other shutdowns, %lu killed, %lu interrupted, "
			       "%lu hypercall and %lu MMIO exits; the longest LGUEST_RUN %.0f ms (timer 30 ms)\n",
			       sh->guests, sh->with_init,
			       sh->setregs_refused, sh->gruns, sh->poweroff, sh->shutdown, sh->killed,
			       sh->eintr, sh->hcall_exits, sh->mmio_exits, sh->longest_run * 1000);
			for (k = 0; k < NR_KILLS && sh->kill_what[k][0]; k++)
				printf("t_fuzz:   killed %5lu: %s\n", sh->kill_count[k], sh->kill_what[k]);
			CHECK(sh->bad == bad_before && !parts[i].died && sh->guests > 0,
			      "fuzz guests: random page tables and ring-1 code end or are interrupted",
			      "%lu wrong: %s", sh->bad - bad_before,
			      sh->first[i]);
		}
		if (i == 2) {
			printf("t_fuzz: races: %lu rounds, %lu runs, %lu chaos calls (%lu memory, %lu IRQ, "
			       "%lu irqfds, %lu stats, %lu signals, %lu forks, %lu closes), %lu child "
			       "RUNs refused with EPERM, %lu guests ended\n", sh->rounds, sh->race_runs,
			       sh->race_ops, sh->memops, sh->irqs, sh->irqfds, sh->stats, sh->signals,
			       sh->forks3, sh->closes, sh->eperm, sh->race_dead);
			CHECK(sh->bad == bad_before && !parts[i].died && sh->rounds > 0 && sh->eperm > 0,
			      "fuzz races: memory, lines, signals, fork and close while the guest runs",
			      "%lu wrong: %s (eperm %lu)", sh->bad - bad_before,
			      sh->first[i], sh->eperm);
		}
		if (i == 3) {
			long lost = sh->free_before_kib - sh->free_after_kib;

			printf("t_fuzz: cycles: %lu, %lu powered off; MemFree %ld -> %ld KiB, "
			       "SUnreclaim %ld -> %ld KiB; per cycle %.1f ms to create, %.1f ms to run, "
			       "%.1f ms to destroy\n", sh->cycles, sh->cycles_ok,
			       sh->free_before_kib, sh->free_after_kib, sh->slab_before_kib,
			       sh->slab_after_kib, sh->cyc_create * 1000 / (double)nr_cycles,
			       sh->cyc_run * 1000 / (double)nr_cycles,
			       sh->cyc_destroy * 1000 / (double)nr_cycles);
			CHECK(!parts[i].died && sh->cycles == nr_cycles && sh->cycles_ok == nr_cycles &&
			      lost < LEAK_BOUND_KIB &&
			      sh->slab_after_kib - sh->slab_before_kib < LEAK_BOUND_KIB,
			      "fuzz cycles: create-run-destroy cycles power off and give back their memory",
			      "%lu of %lu powered off, MemFree fell by %ld KiB, SUnreclaim grew by %ld KiB "
			      "(bound %d KiB)%s", sh->cycles_ok, sh->cycles, lost,
			      sh->slab_after_kib - sh->slab_before_kib, LEAK_BOUND_KIB,
			      parts[i].died ? ", the part died" : "");
		}
	}
	while (waitpid(-1, NULL, 0) > 0)
		;

	taint1 = read_long("/proc/sys/kernel/tainted");
	refs = read_long("/sys/module/lg/refcnt");
	CHECK(refs == 0, "fuzz: nothing holds lg.ko afterwards", "refcnt %ld", refs);
	{
		unsigned long klog1 = klog_bad();
		char msg[512];

		snprintf(msg, sizeof(msg),
			 "fuzz: %lu random ioctls (%lu checked against the model, %lu 32-bit), %lu mmaps, "
			 "%lu forks; %lu random guests (%lu with LHCALL_INIT), %lu runs; %lu race rounds, "
			 "%lu chaos calls; %lu create-run-destroy cycles, MemFree %+ld KiB; host clean "
			 "(seed %" PRIu64 ", %.0f s)",
			 sh->ioctls, sh->modelled, sh->compat, sh->mmaps, sh->forks, sh->guests,
			 sh->with_init, sh->gruns, sh->rounds, sh->race_ops, sh->cycles,
			 sh->free_after_kib - sh->free_before_kib, seed, now() - t0);
		CHECK(klog1 <= klog0 && (taint1 & ~(4096L | 8192L)) == (taint0 & ~(4096L | 8192L)) &&
		      sh->bad == 0, msg,
		      "kernel log problems %lu -> %lu, taint %ld -> %ld, %lu wrong (seed %" PRIu64 ")",
		      klog0, klog1, taint0, taint1, sh->bad, seed);
	}
	return lgtest_failed;
}
