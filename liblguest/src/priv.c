// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Giving up privilege.  A launcher may need root, or some capabilities,
 * to open /dev/lguest, a tap or a disk.  Once those are open it needs
 * nothing: the guest's every I/O goes through fds we already hold.  A
 * launcher parses hostile input all day (descriptor rings, ELF files,
 * packets), so it should hold no privilege while it does: we clear every
 * capability set with libcap-ng, including the bounding set when we are
 * allowed to, and set PR_SET_NO_NEW_PRIVS so no exec can win them back.
 */
#include <cap-ng.h>
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include "internal.h"

int lg_priv_drop(struct lg_vm *vm)
{
	capng_select_t what = CAPNG_SELECT_CAPS;

	/* Shrinking the bounding set itself needs CAP_SETPCAP. */
	capng_get_caps_process();
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		what = CAPNG_SELECT_BOTH;
	capng_clear(what);
	if (capng_apply(what) < 0)
		return lg_err(vm, -EPERM, "cannot drop capabilities (libcap-ng)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return lg_err(vm, -errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		return lg_err(vm, -EPERM, "capabilities remain after dropping them");
	lg_log(vm, LG_LOG_INFO, "dropped all capabilities%s, no_new_privs set",
	       what == CAPNG_SELECT_BOTH ? " and the bounding set" : "");
	return 0;
}
