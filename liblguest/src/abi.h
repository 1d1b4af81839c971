/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LG_ABI_H
#define LG_ABI_H

#include <linux/lguest.h>

int lg_abi_query(int fd, struct lguest_version *v);
int lg_abi_compatible(const struct lguest_version *v);

#endif
