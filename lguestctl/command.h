/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lguestctl run -- COMMAND: the host's half (lguestctl/command.c). */
#ifndef LGUESTCTL_COMMAND_H
#define LGUESTCTL_COMMAND_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "opts.h"

struct ctl_command {
	char dir[80];			/* ours: the vsock device's sockets */
	char vsock_path[96];		/* dir/vsock; its ports add "_PORT" */
	char modes[4];			/* fds 0-2: 't' the console, 'v' vsock */
	int console_fd;			/* the terminal among them, or -1 */
	char *rw[CTL_MAX_RW];		/* --rw, resolved */
	char *req;			/* the request (runproto.h) */
	size_t reqlen, reqcap;
	int listen[4], conn[4];		/* control, stdin, stdout, stderr */
	int wake[2];			/* the guest ended: the pump stops */
	pthread_t thread;
	bool running;
	char inbuf[65536];		/* stdin on its way to the guest */
	size_t inoff, inlen;
	bool in_done, out_done[2];
	bool control_eof;		/* the guest has said all it will */
	char line[512];			/* from the guest's init */
	size_t linelen;
	bool started;
	double t0, t_run;		/* lguestctl started, the command started */
	int status;			/* ours to exit with; -1 until the guest says */
	char error[512];
};

/* The packaged kernel and init, for a run with a command and no VMLINUX. */
const char *ctl_command_kernel(void);
const char *ctl_command_initrd(void);

/* Everything before the VM is built: the request, the sockets.  0 or -1 (@err). */
int ctl_command_prepare(struct ctl_command *c, const struct ctl_run *r, char *err,
			size_t errlen);
/* The guest's kernel command line (malloc). */
char *ctl_command_cmdline(const struct ctl_command *c, const struct ctl_run *r);
/* The thread that talks to the guest's init. */
int ctl_command_start(struct ctl_command *c);
/*
 * After the VM: what lguestctl exits with.  @powered_off: the guest ended
 * by powering off; otherwise @why says how.
 */
int ctl_command_finish(struct ctl_command *c, bool powered_off, const char *why,
		       int log_level);
void ctl_command_cleanup(struct ctl_command *c);

#endif
