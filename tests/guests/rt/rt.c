// SPDX-License-Identifier: GPL-2.0
/*
 * The test guests' runtime (rt.h): console, checks, command line, page
 * tables, events, interrupts and user mode.
 */
#include "rt.h"

unsigned int rt_passed, rt_failed;

/* head.S restates these (the uapi header is C only). */
_Static_assert(LGUEST_ABI_VERSION == 1, "head.S: LGUEST_ABI_VERSION");
_Static_assert(LGUEST_USER_CS == 0x33 && LGUEST_USER_DS == 0x2b, "head.S: user selectors");
_Static_assert(sizeof(struct rt_frame) == 22 * 8, "rt_frame: 15 GPRs + lguest_event_frame");

/* ---- strings ------------------------------------------------------------ */
void *memset(void *s, int c, size_t n)
{
	u8 *p = s;

	while (n--)
		*p++ = (u8)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

/* ---- printf --------------------------------------------------------------- */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, u64 v, unsigned int base, bool neg, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		bool alt = false;
		char pad = ' ';
		u64 v;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '#') {
			alt = true;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long s = lng ? va_arg(ap, long long) : va_arg(ap, int);

			put_num(&o, s < 0 ? -(u64)s : (u64)s, 10, s < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			if (alt && *fmt == 'x') {
				put(&o, '0');
				put(&o, 'x');
			}
			put_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (u64)va_arg(ap, void *), 16, false, width, pad);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			while (*s)
				put(&o, *s++);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '?');
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int rt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static char console_buf[512];

static void console_write(const char *s, size_t len)
{
	if (len)
		hcall2(LHCALL_CONSOLE_WRITE, __pa(s), len);
}

void rt_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rt_vsnprintf(console_buf, sizeof(console_buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(console_buf))
		n = sizeof(console_buf) - 1;
	console_write(console_buf, n);
}

/* ---- the command line ------------------------------------------------------ */
static char cmdline[2048];
static const char *guest_name;

const char *rt_arg(const char *key)
{
	size_t kl = strlen(key);
	static char val[128];
	const char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t n = 0;

			p += kl + 1;
			while (p[n] && p[n] != ' ' && n < sizeof(val) - 1) {
				val[n] = p[n];
				n++;
			}
			val[n] = '\0';
			return val;
		}
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

bool rt_case(const char *name)
{
	const char *c = rt_arg("case");

	return c && !strcmp(c, name);
}

/* ---- checks -------------------------------------------------------------- */
void rt_pass(const char *check)
{
	rt_passed++;
	rt_printf("LGTEST PASS %s: %s\n", guest_name, check);
}

void rt_fail(const char *check, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rt_failed++;
	rt_printf("LGTEST FAIL %s: %s: %s\n", guest_name, check, why);
}

void rt_skip(const char *check, const char *why)
{
	rt_printf("LGTEST SKIP %s: %s: %s\n", guest_name, check, why);
}

static char shutdown_msg[128];

void rt_poweroff(void)
{
	rt_snprintf(shutdown_msg, sizeof(shutdown_msg), "passed=%u failed=%u",
		    rt_passed, rt_failed);
	hcall2(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_POWEROFF, __pa(shutdown_msg));
	for (;;)
		asm volatile("ud2");
}

void rt_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(shutdown_msg, sizeof(shutdown_msg), fmt, ap);
	va_end(ap);
	rt_printf("LGTEST FAIL %s: guest panic: %s\n", guest_name, shutdown_msg);
	hcall2(LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_PANIC, __pa(shutdown_msg));
	for (;;)
		asm volatile("ud2");
}

/* ---- pages ---------------------------------------------------------------- */
extern char _end[];
static u64 next_page;

static u64 mem_size(void)
{
	const u8 *e820_entries = __va(0x1000 + 0x1e8);	/* boot_params */
	const u64 *e820 = __va(0x1000 + 0x2d0);

	return *e820_entries == 1 ? e820[1] : 64UL << 20;
}

u64 rt_alloc_page(void)
{
	u64 pa;

	if (!next_page)
		next_page = (__pa(_end) + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1);
	pa = next_page;
	next_page += PAGE_SIZE;
	if (next_page > mem_size())
		rt_panic("out of guest memory");
	memset(__va(pa), 0, PAGE_SIZE);
	return pa;
}

u64 rt_alloc_hpage(void)
{
	u64 pa;

	if (!next_page)
		rt_alloc_page();
	next_page = (next_page + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1);
	pa = next_page;
	next_page += HPAGE_SIZE;
	if (next_page > mem_size())
		rt_panic("out of guest memory");
	memset(__va(pa), 0, HPAGE_SIZE);
	return pa;
}

/* ---- page tables ------------------------------------------------------------ */
u64 rt_cr3 = BOOT_PML4;

u64 *rt_pte(u64 va, bool create, bool *huge)
{
	u64 *table = __va(rt_cr3);
	int level;

	if (huge)
		*huge = false;
	for (level = 4; level > 1; level--) {
		u64 *e = &table[(va >> (12 + 9 * (level - 1))) & 511];

		if (level == 2 && (*e & PTE_PS)) {
			if (huge)
				*huge = true;
			return e;
		}
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			/* Tables allow everything: the leaf decides. */
			*e = rt_alloc_page() | PTE_P | PTE_W | PTE_U;
		}
		table = __va(*e & PTE_ADDR);
	}
	return &table[(va >> 12) & 511];
}

void rt_map(u64 va, u64 pa, u64 flags)
{
	*rt_pte(va, true, NULL) = pa | flags | PTE_P;
}

void rt_map_2m(u64 va, u64 pa, u64 flags)
{
	u64 *table = __va(rt_cr3);
	int level;

	for (level = 4; level > 2; level--) {
		u64 *e = &table[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(*e & PTE_P))
			*e = rt_alloc_page() | PTE_P | PTE_W | PTE_U;
		table = __va(*e & PTE_ADDR);
	}
	table[(va >> 21) & 511] = pa | flags | PTE_P | PTE_PS;
}

void rt_unmap(u64 va)
{
	u64 *e = rt_pte(va, false, NULL);

	if (e)
		*e = 0;
}

void rt_flush_all(void)
{
	hcall0(LHCALL_FLUSH_TLB);
}

void rt_flush_one(u64 va)
{
	hcall1(LHCALL_FLUSH_TLB_ONE, va);
}

/* ---- events ----------------------------------------------------------------- */
struct lguest_data rt_data __attribute__((aligned(4096)));
rt_handler rt_on_event;
volatile u64 rt_event_count[LGUEST_IRQ_BASE + LGUEST_NR_IRQS + 1];
volatile struct rt_frame rt_last;
volatile u64 rt_last_cr2;
volatile u64 rt_event_depth;
struct rt_jmp *rt_trap_jmp;
extern char rt_event_entry[], rt_event_stack_top[];

void rt_events_init(void)
{
	hcall2(LHCALL_INIT, __pa(&rt_data), (u64)rt_event_entry);
	hcall1(LHCALL_SET_STACK, (u64)rt_event_stack_top);
}

void irq_enable(void)
{
	rt_data.irq_enabled = 1;
	asm volatile("" ::: "memory");
	if (rt_data.irq_pending)
		hcall0(LHCALL_SEND_INTERRUPTS);
}

/* "sti; hlt": the host turns interrupts on as it puts us to sleep. */
void rt_halt(void)
{
	hcall1(LHCALL_HALT, LGUEST_HALT_STI);
}

u64 rt_tsc_to_ns(u64 ticks)
{
	if (!rt_data.tsc_khz)
		return 0;
	return ticks * 1000000 / rt_data.tsc_khz;
}

static void count_event(u64 vector)
{
	u64 slot = vector == LGUEST_EVENT_SYSCALL ? RT_SYSCALL_SLOT : vector;

	if (slot <= RT_SYSCALL_SLOT)
		rt_event_count[slot]++;
}

/* Called by rt_event_entry with the frame it built on the stack. */
void rt_event(struct rt_frame *f);
void rt_event(struct rt_frame *f)
{
	bool handled = false;

	rt_event_depth++;
	memcpy((void *)&rt_last, f, sizeof(*f));
	if (f->vector == X86_PF)
		rt_last_cr2 = rt_data.cr2;
	count_event(f->vector);
	if (rt_on_event)
		handled = rt_on_event(f);
	/* An expected fault in kernel code: back to RT_TRY with the vector. */
	if (!handled && rt_trap_jmp && (f->cs & 3) != 3 && f->vector < 32) {
		struct rt_jmp *j = rt_trap_jmp;

		rt_trap_jmp = NULL;
		rt_event_depth--;
		rt_data.irq_enabled = !!(f->rflags & RFLAGS_IF);
		rt_longjmp(j, (int)f->vector + 1);
	}
	if (!handled)
		rt_panic("unexpected event %llu (error %#llx) at rip %#llx cs %#llx cr2 %#llx",
			 f->vector, f->error_code, f->rip, f->cs, rt_data.cr2);
	rt_event_depth--;
	/* Back to what we interrupted: its interrupt flag too. */
	if (f->rflags & RFLAGS_IF)
		irq_enable();
	else
		irq_disable();
}

/* ---- user mode --------------------------------------------------------------- */
static struct rt_jmp user_jmp;
static u64 user_code;
void rt_iret_to_user(u64 rip, u64 rsp) __attribute__((noreturn));

u64 rt_run_user(u64 rip, u64 rsp)
{
	u8 saved_irq = rt_data.irq_enabled;

	if (rt_setjmp(&user_jmp) == 0) {
		/* User mode runs with interrupts on, as Linux's does. */
		rt_data.irq_enabled = 1;
		rt_iret_to_user(rip, rsp);
	}
	rt_data.irq_enabled = saved_irq;
	return user_code;
}

void rt_user_return(u64 code)
{
	user_code = code;
	rt_event_depth = 0;
	rt_longjmp(&user_jmp, 1);
}

/* ---- main ------------------------------------------------------------------- */
void rt_main(void);
void rt_main(void)
{
	const char *src = __va(CMDLINE_GPA);
	static char name[64];
	const char *n;

	memcpy(cmdline, src, sizeof(cmdline) - 1);
	n = rt_arg("lgtest.name");
	if (n) {
		memcpy(name, n, strlen(n) < sizeof(name) - 1 ? strlen(n) : sizeof(name) - 1);
		guest_name = name;
	} else {
		guest_name = rt_guest_name;
	}
	guest_main();
	rt_poweroff();
}
