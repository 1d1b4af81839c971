/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Things shared between the files of lg.ko.  The story of a guest starts
 * in core.c (module load) and user.c (the /dev/lguest file).
 */
#ifndef _LG_H
#define _LG_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/lguest.h>

/* One guest: everything behind one open file of /dev/lguest. */
struct lguest {
	/* Held by every ioctl that reads or changes the guest's state. */
	struct mutex lock;
	/* The launcher's address space: only it may run the guest. */
	struct mm_struct *mm;
	bool initialised;

	/* Guest-physical 0..mem_size is the launcher's mem_uaddr.. */
	unsigned long mem_uaddr;
	u64 mem_size;
	u32 nr_mmio;
	struct lguest_mmio_range mmio[LGUEST_MAX_MMIO];

	struct lguest_regs regs;
	/* Shared with the launcher by mmap: why the last run stopped. */
	struct lguest_run *run;
};

long lg_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int lg_open(struct inode *inode, struct file *file);
int lg_release(struct inode *inode, struct file *file);
int lg_mmap(struct file *file, struct vm_area_struct *vma);

#ifdef CONFIG_LG_HARNESS_SELFTEST
/*
 * A deliberately broken ioctl, compiled only into the module that the
 * test harness uses to prove it notices a host oops.  Never shipped.
 */
#define LGUEST_SELFTEST_OOPS	_IO(LGUEST_IOC_MAGIC, 0xff)
long lg_selftest_oops(void);
#endif

#endif /* _LG_H */
