// SPDX-License-Identifier: GPL-2.0
/*
 * vb_inroot COMMAND [ARGS...]: COMMAND with a real mount as its root.
 * The VM host's root is its initramfs, which virtiofsd's sandbox cannot
 * pivot_root(2) away from; "lguestctl run" needs what every installed
 * system has (lgtest_enter_real_root(), as t_run and t_virtiofs do).
 */
#include "../../vm/progs/lgtest.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: vb_inroot COMMAND [ARGS...]\n");
		return 2;
	}
	(void)lgtest_failed;
	if (lgtest_enter_real_root()) {
		fprintf(stderr, "vb_inroot: a real root: %s\n", strerror(errno));
		return 1;
	}
	execv(argv[1], argv + 1);
	fprintf(stderr, "vb_inroot: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
