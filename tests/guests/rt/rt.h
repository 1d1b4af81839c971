/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test guests' runtime: a freestanding kernel of a few hundred lines
 * that runs in ring 1 under lg.ko and speaks the guest side of
 * include/uapi/linux/lguest.h.
 *
 * A guest is one C file that defines
 *
 *	const char rt_guest_name[] = "hello";
 *	void guest_main(void) { CHECK(1 + 1 == 2, "arithmetic", "no"); }
 *
 * Its checks print "LGTEST PASS <name>: <check>" or "LGTEST FAIL <name>:
 * <check>: <why>" on the console (LHCALL_CONSOLE_WRITE); when guest_main
 * returns the guest powers off with "passed=N failed=M", which the
 * launcher (tests/vm/progs/t_guests.c) checks against the lines it saw.
 * The launcher may rename the guest and pick a case with the command line:
 * "lgtest.name=hostile.hole_write case=hole_write".
 */
#ifndef RT_H
#define RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/lguest.h>

typedef __u64 u64;
typedef __u32 u32;
typedef __u16 u16;
typedef __u8 u8;

/* ---- the memory map (docs/abi.md) ------------------------------------ */
#define KERNEL_MAP	0xffffffff80000000UL	/* physical 0..1 GiB */
#define DIRECT_MAP	0xffff888000000000UL	/* all of RAM */
#define BOOT_PML4	0x10000UL
#define CMDLINE_GPA	0x2000UL
#define HOLE		0xffff800000000000UL
/* Test mappings go here (PML4 slot 402, Linux's vmalloc area). */
#define TEST_VA		0xffffc90000000000UL
/* User programs run here (PML4 slot 0). */
#define USER_VA		0x400000UL
#define MMIO_GPA	0x1000000000UL		/* the launcher's test device */

#define PAGE_SIZE	4096UL
#define HPAGE_SIZE	(2UL << 20)

/* Page-table entry bits. */
#define PTE_P		0x001UL
#define PTE_W		0x002UL
#define PTE_U		0x004UL
#define PTE_PWT		0x008UL
#define PTE_PCD		0x010UL
#define PTE_A		0x020UL
#define PTE_D		0x040UL
#define PTE_PS		0x080UL
#define PTE_G		0x100UL
#define PTE_NX		(1UL << 63)
#define PTE_ADDR	0x000ffffffffff000UL

/* Exception vectors. */
#define X86_DE	0
#define X86_DB	1
#define X86_BP	3
#define X86_UD	6
#define X86_GP	13
#define X86_PF	14
#define PF_P	1
#define PF_W	2
#define PF_U	4
#define PF_I	16

#define RFLAGS_IF	0x200UL
#define RFLAGS_TF	0x100UL
#define RFLAGS_AC	0x40000UL

static inline u64 __pa(const volatile void *p)
{
	u64 va = (u64)p;

	return va >= KERNEL_MAP ? va - KERNEL_MAP : va - DIRECT_MAP;
}
static inline void *__va(u64 pa)
{
	return (void *)(pa + DIRECT_MAP);
}

/* ---- hypercalls --------------------------------------------------------- */
static inline u64 hcall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	register u64 r10 asm("r10") = a3;
	register u64 r8 asm("r8") = a4;

	asm volatile("int $0x80"
		     : "+a"(nr), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8)
		     : : "memory");
	return nr;
}
#define hcall0(n)		hcall(n, 0, 0, 0, 0, 0)
#define hcall1(n, a)		hcall(n, a, 0, 0, 0, 0)
#define hcall2(n, a, b)		hcall(n, a, b, 0, 0, 0)

/* ---- console and checks ------------------------------------------------- */
int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int rt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_pass(const char *check);
void rt_fail(const char *check, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_skip(const char *check, const char *why);
__attribute__((noreturn)) void rt_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void rt_poweroff(void);

#define CHECK(cond, check, ...) do {					\
	if (cond)							\
		rt_pass(check);						\
	else								\
		rt_fail(check, __VA_ARGS__);				\
} while (0)

extern const char rt_guest_name[];
extern unsigned int rt_passed, rt_failed;
void guest_main(void);

/* The command line: "key=value" words.  NULL when absent. */
const char *rt_arg(const char *key);
bool rt_case(const char *name);	/* case=NAME */

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- pages and page tables ---------------------------------------------- */
/* A zeroed page of guest memory (never freed); returns its physical address. */
u64 rt_alloc_page(void);
u64 rt_alloc_hpage(void);	/* 2 MiB, aligned */
/* The current guest page tables (CR3 as the guest sees it). */
extern u64 rt_cr3;
/* Leaf entry for va (a 4K PTE or a 2M PDE), creating tables if asked. */
u64 *rt_pte(u64 va, bool create, bool *huge);
void rt_map(u64 va, u64 pa, u64 flags);		/* 4 KiB */
void rt_map_2m(u64 va, u64 pa, u64 flags);	/* 2 MiB */
void rt_unmap(u64 va);
void rt_flush_all(void);			/* LHCALL_FLUSH_TLB */
void rt_flush_one(u64 va);			/* LHCALL_FLUSH_TLB_ONE */

/* ---- events (LHCALL_INIT) ---------------------------------------------- */
struct rt_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	/* struct lguest_event_frame */
	u64 vector, error_code, rip, cs, rflags, rsp, ss;
};

extern struct lguest_data rt_data;
/*
 * Called for every event.  Return true when handled; an unhandled event
 * panics the guest (with a FAIL line).  The frame may be changed: it is
 * what the guest returns to.
 */
typedef bool (*rt_handler)(struct rt_frame *f);
extern rt_handler rt_on_event;
/* Counts of events by vector (0..LGUEST_EVENT_SYSCALL) and the last frame. */
extern volatile u64 rt_event_count[LGUEST_IRQ_BASE + LGUEST_NR_IRQS + 1];
#define RT_SYSCALL_SLOT (LGUEST_IRQ_BASE + LGUEST_NR_IRQS)
extern volatile struct rt_frame rt_last;
extern volatile u64 rt_last_cr2;
extern volatile u64 rt_event_depth;

/* LHCALL_INIT and LHCALL_SET_STACK: events arrive from here on. */
void rt_events_init(void);

/*
 * Run one instruction sequence that is expected to trap: the event
 * handler resumes at @resume with rax = the vector.  See RT_EXPECT_TRAP.
 */
extern volatile u64 rt_fixup_rip;

/* Virtual interrupt flag. */
static inline void irq_disable(void)
{
	rt_data.irq_enabled = 0;
	asm volatile("" ::: "memory");
}
void irq_enable(void);
static inline bool irqs_enabled(void)
{
	return rt_data.irq_enabled;
}
void rt_halt(void);	/* LHCALL_HALT as "sti; hlt" */

/* The real RFLAGS (IF is always on in the CPU; the guest's is virtual). */
static inline u64 rt_rflags(void)
{
	u64 f;

	asm volatile("pushf; pop %0" : "=r"(f));
	return f;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
/* Nanoseconds from TSC ticks; 0 when the host gave no tsc_khz. */
u64 rt_tsc_to_ns(u64 ticks);

/* ---- user mode ---------------------------------------------------------- */
/*
 * Enter ring 3 at @rip with stack @rsp (user addresses you mapped with
 * PTE_U) and come back when the user program makes the syscall
 * RT_SYS_EXIT (rax) or an event handler calls rt_user_return().
 * Returns the exit code (rdi of the exit syscall).
 */
#define RT_SYS_EXIT	60
#define RT_SYS_WRITE	1
u64 rt_run_user(u64 rip, u64 rsp);
__attribute__((noreturn)) void rt_user_return(u64 code);

/* setjmp/longjmp for the runtime and the guests. */
struct rt_jmp { u64 rbx, rbp, r12, r13, r14, r15, rsp, rip; };
int rt_setjmp(struct rt_jmp *j) __attribute__((returns_twice));
__attribute__((noreturn)) void rt_longjmp(struct rt_jmp *j, int v);

/*
 * Expect a fault in the code run by @stmt: the event handler longjmps
 * back with the vector (and rt_last holds the frame).  -1: no fault.
 */
extern struct rt_jmp *rt_trap_jmp;
#define RT_TRY(stmt) ({							\
	struct rt_jmp _j, *_old = rt_trap_jmp;				\
	long _v = rt_setjmp(&_j);					\
	if (_v == 0) {							\
		rt_trap_jmp = &_j;					\
		/* The store must happen before the faulting asm. */	\
		asm volatile("" ::: "memory");				\
		stmt;							\
		asm volatile("" ::: "memory");				\
		_v = -1;						\
	} else {							\
		_v -= 1;						\
	}								\
	rt_trap_jmp = _old;						\
	_v;								\
})

#endif
