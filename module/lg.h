/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Things shared between the files of lg.ko.  The story of a guest starts
 * in core.c (module load) and user.c (the /dev/lguest file).
 */
#ifndef _LG_H
#define _LG_H

#include <linux/fs.h>
#include <linux/lguest.h>

long lg_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#ifdef CONFIG_LG_HARNESS_SELFTEST
/*
 * A deliberately broken ioctl, compiled only into the module that the
 * test harness uses to prove it notices a host oops.  Never shipped.
 */
#define LGUEST_SELFTEST_OOPS	_IO(LGUEST_IOC_MAGIC, 0xff)
long lg_selftest_oops(void);
#endif

#endif /* _LG_H */
