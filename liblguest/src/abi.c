// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Talking to lg.ko about the ABI itself: which version the module speaks,
 * and whether this library can drive it.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "abi.h"

int lg_abi_query(int fd, struct lguest_version *v)
{
	memset(v, 0, sizeof(*v));
	if (ioctl(fd, LGUEST_VERSION, v) < 0)
		return -errno;
	return 0;
}

/* Feature bits we do not know are fine; a different ABI version is not. */
int lg_abi_compatible(const struct lguest_version *v)
{
	return v->abi_version == LGUEST_ABI_VERSION ? 0 : -EPROTO;
}
