// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/lguest interface: how a launcher talks to lg.ko.
 *
 * Every call checks all of its input before it changes anything, so a
 * bad call returns an errno and leaves the guest exactly as it was.
 */
#include <linux/uaccess.h>
#include "lg.h"

static long lg_version(struct lguest_version __user *uarg)
{
	struct lguest_version v;

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	if (v.flags || v.reserved[0] || v.reserved[1])
		return -EINVAL;

	v.abi_version = LGUEST_ABI_VERSION;
	v.features = LGUEST_FEATURES_ALL;
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

long lg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case LGUEST_VERSION:
		return lg_version(uarg);
#ifdef CONFIG_LG_HARNESS_SELFTEST
	case LGUEST_SELFTEST_OOPS:
		return lg_selftest_oops();
#endif
	default:
		return -ENOTTY;
	}
}
