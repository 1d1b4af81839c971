// SPDX-License-Identifier: GPL-2.0
/*
 * kselftest DIR [LIMIT [SKIP,...]]: Linux's x86 selftests in the Linux
 * guest (its test root's /usr/libexec/lguest/x86, lgt=kselftest in
 * rootfs-init): every DIR/ *_64 but those named in SKIP, sorted, as nobody
 * but iopl and ioperm, each killed after LIMIT seconds (60), one
 * "KSELFTEST" line each
 * (tests/vm/progs/x86selftest.h, which t_userland also runs natively on
 * the VM host, and compares).
 */
#include "x86selftest.h"

int main(int argc, char **argv)
{
	int limit = argc > 2 ? atoi(argv[2]) : 60, n = 0;
	const char *skip[16];
	char *names = argc > 3 ? argv[3] : NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: kselftest DIR [LIMIT [SKIP,...]]\n");
		return 2;
	}
	for (char *name = names ? strtok(names, ",") : NULL; name && n < 15;
	     name = strtok(NULL, ","))
		skip[n++] = name;
	skip[n] = NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return x86st_run_all(argv[1], limit > 0 ? limit : 60, -1, skip, stdout) > 0 ? 0 : 1;
}
