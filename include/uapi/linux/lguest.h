/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The /dev/lguest ABI: the one contract between lg.ko and the programs
 * that launch guests (liblguest, lguestctl).  This file is the single
 * source for both sides; nothing else may restate these numbers.
 *
 * Rules every call follows:
 *  - every reserved field and flag must be zero, or the call fails with
 *    EINVAL and changes nothing;
 *  - a structure grows only by adding fields in place of reserved ones,
 *    and LGUEST_ABI_VERSION changes only when an old binary would break.
 */
#ifndef _UAPI_LINUX_LGUEST_H
#define _UAPI_LINUX_LGUEST_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define LGUEST_ABI_VERSION	1

/* 0xA6 is unclaimed in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define LGUEST_IOC_MAGIC	0xA6

/* Feature bits reported by LGUEST_VERSION; none are defined yet. */
#define LGUEST_FEATURES_ALL	0ULL

/**
 * struct lguest_version - what LGUEST_VERSION returns
 * @abi_version: out: LGUEST_ABI_VERSION of the running module
 * @flags: in: must be zero
 * @features: out: LGUEST_FEATURE_* bits the module supports
 * @reserved: in: must be zero
 */
struct lguest_version {
	__u32 abi_version;
	__u32 flags;
	__u64 features;
	__u64 reserved[2];
};

#define LGUEST_VERSION		_IOWR(LGUEST_IOC_MAGIC, 0x00, struct lguest_version)

#endif /* _UAPI_LINUX_LGUEST_H */
