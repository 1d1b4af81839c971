// SPDX-License-Identifier: GPL-2.0
/*
 * lg.ko: where the host side of lguest begins.
 *
 * Loading the module makes /dev/lguest appear; each open() of it will be
 * one guest.  Unloading is only possible when no file is open, because
 * the misc device holds a module reference for every open file.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include "lg.h"

static const struct file_operations lg_fops = {
	.owner		= THIS_MODULE,
	.open		= lg_open,
	.release	= lg_release,
	.mmap		= lg_mmap,
	.unlocked_ioctl	= lg_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice lg_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "lguest",
	.fops	= &lg_fops,
	/* Who may use it is policy: the packaged udev rule sets it. */
	.mode	= 0600,
};

static int __init lg_init(void)
{
	int err;

	if (!IS_ENABLED(CONFIG_X86_64))
		return -ENODEV;

	err = misc_register(&lg_dev);
	if (err)
		return err;

	pr_info("lguest: /dev/lguest ready (ABI %d)\n", LGUEST_ABI_VERSION);
	return 0;
}

static void __exit lg_exit(void)
{
	misc_deregister(&lg_dev);
}

module_init(lg_init);
module_exit(lg_exit);
MODULE_DESCRIPTION("lguest: paravirtual Linux-on-Linux hypervisor");
MODULE_LICENSE("GPL");
MODULE_ALIAS_MISCDEV(MISC_DYNAMIC_MINOR);
MODULE_ALIAS("devname:lguest");
