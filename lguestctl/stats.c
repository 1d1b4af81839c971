// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The counters lg.ko keeps for a VM, printed for people and scripts alike:
 * one line of name=value words (docs/lguestctl.md lists the names).
 */
#include <stdarg.h>
#include <stdio.h>

#include <linux/lguest.h>
#include <liblguest.h>
#include "stats.h"

static const char *const hcall_names[] = {
	[LHCALL_CONSOLE_WRITE] = "console_write",
	[LHCALL_SHUTDOWN] = "shutdown",
	[LHCALL_FLUSH_TLB] = "flush_tlb",
	[LHCALL_INIT] = "init",
	[LHCALL_SET_STACK] = "set_stack",
	[LHCALL_HALT] = "halt",
	[LHCALL_SET_CLOCKEVENT] = "set_clockevent",
	[LHCALL_SEND_INTERRUPTS] = "send_interrupts",
	[LHCALL_NEW_PGTABLE] = "new_pgtable",
	[LHCALL_FLUSH_TLB_ONE] = "flush_tlb_one",
	[LHCALL_FLUSH_ASYNC] = "flush_async",
};

/* The x86 exception mnemonics, lower case, by vector. */
static const char *const trap_names[] = {
	"de", "db", "nmi", "bp", "of", "br", "ud", "nm", "df", NULL, "ts", "np", "ss", "gp",
	"pf", NULL, "mf", "ac", "mc", "xm", "ve", "cp",
};

struct out {
	char *buf;
	size_t len, used;
	int err;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used)
		o->err = 1;
	else
		o->used += (size_t)n;
}

int ctl_format_stats(const struct lg_stats *s, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	unsigned int i;

	if (!len)
		return -1;
	buf[0] = 0;
	put(&o, "world_switches=%llu hcalls=%llu ring_hcalls=%llu shadow_faults=%llu"
	    " mmio_exits=%llu user_exits=%llu host_irqs=%llu irqs=%llu slow_syscalls=%llu",
	    (unsigned long long)s->world_switches, (unsigned long long)s->hcalls,
	    (unsigned long long)s->ring_hcalls, (unsigned long long)s->shadow_faults,
	    (unsigned long long)s->mmio_exits, (unsigned long long)s->user_exits,
	    (unsigned long long)s->host_irqs, (unsigned long long)s->irqs,
	    (unsigned long long)s->slow_syscalls);
	for (i = 0; i < sizeof(s->hcall) / sizeof(s->hcall[0]); i++) {
		const char *name = i < sizeof(hcall_names) / sizeof(hcall_names[0]) ?
				   hcall_names[i] : NULL;

		if (!s->hcall[i])
			continue;
		if (name)
			put(&o, " hc_%s=%llu", name, (unsigned long long)s->hcall[i]);
		else
			put(&o, " hc_%u=%llu", i, (unsigned long long)s->hcall[i]);
	}
	/* The three that matter most, always; the rest when they happened. */
	put(&o, " pf=%llu ud=%llu gp=%llu", (unsigned long long)s->traps[14],
	    (unsigned long long)s->traps[6], (unsigned long long)s->traps[13]);
	for (i = 0; i < sizeof(s->traps) / sizeof(s->traps[0]); i++) {
		const char *name = i < sizeof(trap_names) / sizeof(trap_names[0]) ?
				   trap_names[i] : NULL;

		if (!s->traps[i] || i == 6 || i == 13 || i == 14)
			continue;
		if (name)
			put(&o, " %s=%llu", name, (unsigned long long)s->traps[i]);
		else
			put(&o, " trap%u=%llu", i, (unsigned long long)s->traps[i]);
	}
	return o.err ? -1 : (int)o.used;
}
