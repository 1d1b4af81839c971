// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The counters lg.ko keeps for a VM, printed for people and scripts alike:
 * one line of name=value words (docs/lguestctl.md lists the names).
 */
#include <stdint.h>
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

/* One more word: PREFIX then NAME, or PREFIX then NR without a name. */
static void put(struct out *o, const char *prefix, const char *name, unsigned int nr,
		uint64_t value)
{
	size_t room = o->len - o->used;
	const char *sep = o->used ? " " : "";
	int n;

	if (o->err)
		return;
	if (name)
		n = snprintf(o->buf + o->used, room, "%s%s%s=%llu", sep, prefix, name,
			     (unsigned long long)value);
	else
		n = snprintf(o->buf + o->used, room, "%s%s%u=%llu", sep, prefix, nr,
			     (unsigned long long)value);
	if (n < 0 || (size_t)n >= room)
		o->err = 1;
	else
		o->used += (size_t)n;
}

int ctl_format_stats(const struct lg_stats *s, char *buf, size_t len)
{
	const struct {
		const char *name;
		uint64_t value;
	} totals[] = {
		{ "world_switches", s->world_switches }, { "hcalls", s->hcalls },
		{ "ring_hcalls", s->ring_hcalls }, { "shadow_faults", s->shadow_faults },
		{ "mmio_exits", s->mmio_exits }, { "mmio_eventfds", s->mmio_eventfds },
		{ "user_exits", s->user_exits },
		{ "host_irqs", s->host_irqs }, { "irqs", s->irqs },
		{ "slow_syscalls", s->slow_syscalls },
	};
	struct out o = { .buf = buf, .len = len };
	unsigned int i;

	if (!len)
		return -1;
	buf[0] = 0;
	for (i = 0; i < sizeof(totals) / sizeof(totals[0]); i++)
		put(&o, "", totals[i].name, 0, totals[i].value);
	for (i = 0; i < sizeof(s->hcall) / sizeof(s->hcall[0]); i++)
		if (s->hcall[i])
			put(&o, "hc_", i < sizeof(hcall_names) / sizeof(hcall_names[0]) ?
				       hcall_names[i] : NULL, i, s->hcall[i]);
	/* The three that matter most, always; the rest when they happened. */
	put(&o, "", "pf", 0, s->traps[14]);
	put(&o, "", "ud", 0, s->traps[6]);
	put(&o, "", "gp", 0, s->traps[13]);
	for (i = 0; i < sizeof(s->traps) / sizeof(s->traps[0]); i++) {
		const char *name = i < sizeof(trap_names) / sizeof(trap_names[0]) ?
				   trap_names[i] : NULL;

		if (s->traps[i] && i != 6 && i != 13 && i != 14)
			put(&o, name ? "" : "trap", name, i, s->traps[i]);
	}
	return o.err ? -1 : (int)o.used;
}
