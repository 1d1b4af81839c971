/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake lg.ko, in user space, for testing the run loop before the module
 * can run guests.  It replaces ioctl(): requests with the lguest magic are
 * answered here, everything else goes to the kernel.  The "device" is any
 * regular file of at least a page (LGUEST_DEV points at it), so the run
 * page can be mmap()ed from it as from /dev/lguest.
 *
 * What the "guest" does is a script of exits, one per LGUEST_RUN, from
 * fakelg_script (or $FAKELG):
 *   r:ADDR:SIZE        an MMIO read (the value read is kept in fakelg_reads)
 *   w:ADDR:SIZE:VALUE  an MMIO write
 *   h:NR               a hypercall
 *   off | reboot | panic:MSG | killed:MSG   the end
 *   block              wait for a signal, then fail with EINTR
 * After the script LGUEST_RUN fails with ESHUTDOWN.
 *
 * LGUEST_GET_STATS checks its argument as lg.ko does and answers
 * fakelg_stats(): counters made up from the number of runs so far.
 *
 * Included by test_run.c (linked in) and fakelg_preload.c (LD_PRELOAD
 * into lguestctl).
 */
#ifndef FAKELG_H
#define FAKELG_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/lguest.h>

static const char *fakelg_script;
static unsigned int fakelg_step;
static struct lguest_init fakelg_init_arg;
static struct lguest_regs fakelg_regs;
static bool fakelg_inited;
static struct lguest_run *fakelg_run;
static uint64_t fakelg_reads[16];
static unsigned int fakelg_nreads;
static int fakelg_pending_read = -1;
static unsigned int fakelg_irqs;
static uint64_t fakelg_hcall_ret;
static unsigned int fakelg_runs;

/* What LGUEST_GET_STATS says after @runs calls of LGUEST_RUN. */
static inline void fakelg_stats(struct lguest_stats *s, unsigned int runs)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->world_switches = 10ULL * runs;
	s->hcalls = 3ULL * runs;
	s->ring_hcalls = 64;
	s->shadow_faults = 7ULL * runs;
	s->mmio_exits = 2;
	s->mmio_eventfds = 11;
	s->user_exits = runs;
	s->host_irqs = 5;
	s->irqs = 4;
	s->slow_syscalls = 1;
	s->hcall[LHCALL_FLUSH_TLB_ONE] = 3ULL * runs;
	s->hcall[31] = 31;
	s->traps[6] = 6;
	s->traps[14] = 14;
	s->traps[31] = 31;
}

/* The @n-th comma-separated step of the script into @buf; false past the end. */
static bool fakelg_get_step(unsigned int n, char *buf, size_t len)
{
	const char *s = fakelg_script ? fakelg_script : getenv("FAKELG");

	if (!s)
		return false;
	while (n--) {
		s = strchr(s, ',');
		if (!s)
			return false;
		s++;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(s, ","), s);
	return buf[0] != 0;
}

static int fakelg_do_run(int fd)
{
	char step[300];
	struct lguest_run *r;

	if (!fakelg_inited)
		return -EINVAL;
	fakelg_runs++;
	if (!fakelg_run) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED)
			return -EIO;
		fakelg_run = p;
	}
	r = fakelg_run;
	/* The launcher answered the last read in the run page. */
	if (fakelg_pending_read >= 0 && fakelg_nreads < 16)
		fakelg_reads[fakelg_nreads++] = r->mmio.data;
	fakelg_pending_read = -1;
	if (r->exit_reason == LGUEST_EXIT_HCALL)
		fakelg_hcall_ret = r->hcall.ret;
	if (!fakelg_get_step(fakelg_step++, step, sizeof(step)))
		return -ESHUTDOWN;
	memset(r, 0, sizeof(*r));
	if (step[0] == 'r' && step[1] == ':') {
		r->exit_reason = LGUEST_EXIT_MMIO;
		r->mmio.addr = strtoull(step + 2, NULL, 0);
		r->mmio.size = (unsigned int)strtoul(strchr(step + 2, ':') + 1, NULL, 0);
		r->mmio.data = 0xdeadbeef;
		fakelg_pending_read = 1;
	} else if (step[0] == 'w' && step[1] == ':') {
		char *p = strchr(step + 2, ':');

		r->exit_reason = LGUEST_EXIT_MMIO;
		r->mmio.is_write = 1;
		r->mmio.addr = strtoull(step + 2, NULL, 0);
		r->mmio.size = (unsigned int)strtoul(p + 1, &p, 0);
		r->mmio.data = strtoull(p + 1, NULL, 0);
	} else if (step[0] == 'h') {
		/* h:NR[:ARG0[:ARG1]] */
		char *p;

		r->exit_reason = LGUEST_EXIT_HCALL;
		r->hcall.nr = strtoull(step + 2, &p, 0);
		for (int i = 0; i < 2 && *p == ':'; i++)
			r->hcall.args[i] = strtoull(p + 1, &p, 0);
	} else if (!strcmp(step, "off") || !strcmp(step, "reboot") || !strncmp(step, "panic", 5)) {
		r->exit_reason = LGUEST_EXIT_SHUTDOWN;
		r->shutdown.kind = step[0] == 'o' ? LGUEST_SHUTDOWN_POWEROFF :
				   step[0] == 'r' ? LGUEST_SHUTDOWN_REBOOT : LGUEST_SHUTDOWN_PANIC;
		if (step[5] == ':')
			snprintf(r->shutdown.msg, sizeof(r->shutdown.msg), "%.200s", step + 6);
	} else if (!strncmp(step, "killed", 6)) {
		r->exit_reason = LGUEST_EXIT_KILLED;
		snprintf(r->killed.reason, sizeof(r->killed.reason), "%.200s",
			 step[6] == ':' ? step + 7 : "");
	} else if (!strcmp(step, "block")) {
		/* Like a halted guest: only a signal gets us out. */
		poll(NULL, 0, -1);
		fakelg_step--;	/* blocked again if run again */
		return -EINTR;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int fakelg_ioctl(int fd, unsigned long req, void *arg)
{
	switch (req) {
	case LGUEST_VERSION: {
		struct lguest_version *v = arg;

		if (v->flags)
			return -EINVAL;
		v->abi_version = LGUEST_ABI_VERSION;
		v->features = 0;
		return 0;
	}
	case LGUEST_INIT:
		if (fakelg_inited)
			return -EBUSY;
		memcpy(&fakelg_init_arg, arg, sizeof(fakelg_init_arg));
		fakelg_inited = true;
		return 0;
	case LGUEST_SET_REGS:
		memcpy(&fakelg_regs, arg, sizeof(fakelg_regs));
		return 0;
	case LGUEST_GET_REGS:
		memcpy(arg, &fakelg_regs, sizeof(fakelg_regs));
		return 0;
	case LGUEST_IRQ:
		fakelg_irqs++;
		return 0;
	case LGUEST_GET_STATS: {
		struct lguest_stats *s = arg;

		if (!fakelg_inited)
			return -EBADFD;
		if (s->size != sizeof(*s) || s->flags)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
			if (s->reserved[i])
				return -EINVAL;
		fakelg_stats(s, fakelg_runs);
		return 0;
	}
	case LGUEST_RUN:
		/* As lg.ko: the argument must be 0. */
		if (arg)
			return -EINVAL;
		return fakelg_do_run(fd);
	default:
		return -ENOTTY;
	}
}

int ioctl(int fd, unsigned long req, ...);

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (((req >> 8) & 0xff) != LGUEST_IOC_MAGIC)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	r = fakelg_ioctl(fd, req, arg);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

#endif
