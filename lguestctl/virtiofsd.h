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

enum {
	CTL_VFSD_READONLY = 1,	/* the guest may not write */
	CTL_VFSD_QUIET = 2,	/* the daemon's messages go nowhere, not to our stderr */
	CTL_VFSD_FLAT = 4,	/* no mount points told (an overlay's lower layer) */
};

/*
 * Starts virtiofsd sharing @dir, as @flags say, on a socket of its own
 * and connects to it: 0 with the child in @pid and our end in @fd, else a
 * negative errno with the reason in @err.
 */
int ctl_virtiofsd_start(const char *dir, unsigned int flags, pid_t *pid, int *fd, char *err,
			size_t errlen);
/* Asks it (and its children) to end and waits for it. */
void ctl_virtiofsd_stop(pid_t pid);

#endif
