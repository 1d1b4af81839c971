// SPDX-License-Identifier: GPL-2.0
/*
 * tests/guests/user.S: ring 3 and system calls, by the host's slow path
 * and by the Switcher's fast path.
 */
#include "flatguest.h"
#include "lgtest.h"

int main(void)
{
	struct flatguest g = { .fd = -1 };
	int i;

	CHECK(flatguest_start(&g, "/tests/user.bin") == 0, "user: guest starts", "%s",
	      strerror(errno));
	if (g.run == MAP_FAILED)
		return 1;
	for (i = 0; i < 10 && ioctl(g.fd, LGUEST_RUN, 0) == 0; i++)
		if (g.run->exit_reason != LGUEST_EXIT_HCALL)
			break;
	CHECK(g.run->exit_reason == LGUEST_EXIT_SHUTDOWN &&
	      g.run->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF,
	      "user: 2000 system calls from ring 3 answered, slow and fast path",
	      "exit %u kind %u killed '%s'", g.run->exit_reason, g.run->shutdown.kind,
	      g.run->killed.reason);
	close(g.fd);
	return lgtest_failed;
}
