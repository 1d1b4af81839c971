/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The module's counters for a VM, as one line of text (--stats, SIGUSR1). */
#ifndef LGUESTCTL_STATS_H
#define LGUESTCTL_STATS_H

#include <stddef.h>

struct lg_stats;

/*
 * "world_switches=N hcalls=N ... pf=N ud=N gp=N" into @buf: every total,
 * hypercalls by name and the other traps by name where nonzero.  Returns
 * the length, or -1 when @buf is too small.
 */
int ctl_format_stats(const struct lg_stats *s, char *buf, size_t len);

#endif
