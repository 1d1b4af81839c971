// SPDX-License-Identifier: GPL-2.0
/*
 * What "make demo" shows inside the VM host: lg.ko answering, then two
 * small guests running in ring 1 (and ring 3) under it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "abi.h"
#include "flatguest.h"

/* Run one flat guest to its end; print its console and how it ended. */
static int demo_guest(const char *image, const char *what)
{
	struct flatguest g = { .fd = -1 };
	struct timespec t0, t1;
	int exits = 0;

	printf("  %s\n    ", what);
	if (flatguest_start(&g, image)) {
		perror(image);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ioctl(g.fd, LGUEST_RUN, 0) == 0) {
		exits++;
		if (g.run->exit_reason == LGUEST_EXIT_HCALL &&
		    g.run->hcall.nr == LHCALL_CONSOLE_WRITE && g.run->hcall.args[0] < FG_MEM &&
		    g.run->hcall.args[1] < 256)
			printf("guest says: %.*s    ", (int)g.run->hcall.args[1],
			       (char *)g.mem + g.run->hcall.args[0]);
		else if (g.run->exit_reason == LGUEST_EXIT_MMIO)
			g.run->mmio.data = 0x55aa55aa;	/* hello.S's device */
		else if (g.run->exit_reason != LGUEST_EXIT_HCALL)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (g.run->exit_reason == LGUEST_EXIT_SHUTDOWN)
		printf("powered off (kind %u) after %d launcher exits, %.1f ms\n\n",
		       g.run->shutdown.kind, exits,
		       (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	else
		printf("stopped: exit %u %s\n\n", g.run->exit_reason, g.run->killed.reason);
	close(g.fd);
	return g.run->exit_reason != LGUEST_EXIT_SHUTDOWN || g.run->shutdown.kind != 0;
}

int main(void)
{
	struct lguest_version v;
	int fd, err;

	fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("demo: open /dev/lguest");
		return 1;
	}
	err = lg_abi_query(fd, &v);
	if (err) {
		fprintf(stderr, "demo: LGUEST_VERSION: %s\n", strerror(-err));
		return 1;
	}
	printf("\n  /dev/lguest answers: ABI version %u, feature bits %#llx\n\n",
	       v.abi_version, (unsigned long long)v.features);
	close(fd);

	err = demo_guest("/tests/hello.bin", "hello.S: console, #UD and #GP taken by the "
			 "guest, MMIO, FPU, in ring 1");
	err |= demo_guest("/tests/user.bin", "user.S: ring 3 makes 2000 system calls "
			  "(host path, then the Switcher's fast path)");
	return err;
}
