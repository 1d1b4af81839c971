/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lguestctl's command line, parsed into plain data (and unit-tested). */
#ifndef LGUESTCTL_OPTS_H
#define LGUESTCTL_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runproto.h"

/*
 * Exit statuses: docs/lguestctl.md and the man page list them.  With a
 * command (run -- COMMAND), the command's status is ours, and any
 * failure of our own or of the guest is CTL_EXIT_COMMAND, as env(1) and
 * docker run do.
 */
enum {
	CTL_EXIT_POWEROFF = 0,	/* the guest powered off */
	CTL_EXIT_HOST = 1,	/* a host error: module, files, devices */
	CTL_EXIT_USAGE = 2,	/* bad command line */
	CTL_EXIT_PANIC = 3,	/* the guest panicked */
	CTL_EXIT_KILLED = 4,	/* the host killed the guest */
	CTL_EXIT_STOPPED = 5,	/* lguestctl stop, or a signal */
	CTL_EXIT_REBOOT = 6,	/* the guest asked to reboot */
	CTL_EXIT_COMMAND = 125,	/* run -- COMMAND: the command did not run to its end */
};

#define CTL_MAX_DISKS 16
#define CTL_MAX_NETS 8
#define CTL_MAX_FS 4
#define CTL_MAX_RW LGRUN_MAX_RW	/* --rw: the root takes the fourth share */
#define CTL_NAME_MAX 64

struct ctl_disk {
	const char *path;
	bool readonly;
	const char *serial;
};

struct ctl_net {
	const char *tap;
	int fd;			/* -1: use tap */
	bool has_mac;
	uint8_t mac[6];
};

struct ctl_fs {
	const char *path;	/* a directory, served by a virtiofsd we start, or */
	const char *socket;	/* a vhost-user daemon already listening here */
	const char *tag;
	bool readonly;
};

struct ctl_vsock {
	uint64_t cid;		/* 0: none */
	const char *socket;
};

struct ctl_run {
	uint64_t mem_mib;
	bool mem_set;		/* --mem given (a command's default is larger) */
	const char *kernel;
	const char *initrd;
	char *params;		/* -p and trailing kernel arguments, joined (malloc) */
	struct ctl_disk disk[CTL_MAX_DISKS];
	unsigned int ndisk;
	struct ctl_net net[CTL_MAX_NETS];
	unsigned int nnet;
	struct ctl_fs fs[CTL_MAX_FS];
	unsigned int nfs;
	struct ctl_vsock vsock;
	bool console;
	char **command;		/* after "--": run it in a fresh guest (command.c) */
	const char *rw[CTL_MAX_RW];	/* --rw DIR: written through to the host */
	unsigned int nrw;
	char *name;		/* malloc */
	int log_level;		/* enum lg_log_level */
	bool stats;		/* print the module's counters at the end */
	bool help;
};

/*
 * Parses "run"'s arguments (argv[0] is "run").  Returns 0, or
 * CTL_EXIT_USAGE with a one-line reason in @err.  Pointers in @r point
 * into @argv; free @r with ctl_run_free().
 */
int ctl_parse_run(int argc, char **argv, struct ctl_run *r, char *err, size_t errlen);
void ctl_run_free(struct ctl_run *r);

/* The kernel command line lguestctl uses: defaults, then the user's. */
char *ctl_cmdline(const struct ctl_run *r);

/* "128", "128M", "2G": MiB, or -1 when it is not a size. */
int64_t ctl_parse_mib(const char *s);
/* "52:54:00:12:34:56" */
int ctl_parse_mac(const char *s, uint8_t mac[6]);
/* A VM name: [A-Za-z0-9_.-]{1,63}, not starting with a dot. */
bool ctl_valid_name(const char *s);

#endif
