/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting and stopping virtiofsd for --fs path=DIR (lguestctl/virtiofsd.c). */
#ifndef LGUESTCTL_VIRTIOFSD_H
#define LGUESTCTL_VIRTIOFSD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Which virtiofsd to run: $LGUEST_VIRTIOFSD, else the first that exists
 * of the Rust one's and QEMU's places.  NULL when there is none.
 */
const char *ctl_virtiofsd_path(void);

/*
 * Starts virtiofsd sharing @dir (read-only if @readonly) on a socket of
 * its own and connects to it: 0 with the child in @pid and our end in
 * @fd, else a negative errno with the reason in @err.  The daemon's own
 * messages go to our stderr, or nowhere if @quiet.
 */
int ctl_virtiofsd_start(const char *dir, bool readonly, bool quiet, pid_t *pid, int *fd,
			char *err, size_t errlen);
/* Asks it (and its children) to end and waits for it. */
void ctl_virtiofsd_stop(pid_t pid);

#endif
