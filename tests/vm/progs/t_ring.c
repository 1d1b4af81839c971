// SPDX-License-Identifier: GPL-2.0
/* tests/guests/ring.S: batched flushes through lguest_data's ring. */
#include "flatguest.h"
#include "lgtest.h"

int main(void)
{
	struct flatguest g = { .fd = -1 };
	int good = 0;

	CHECK(flatguest_start(&g, "/tests/ring.bin") == 0, "ring: guest starts", "%s",
	      strerror(errno));
	if (g.run == MAP_FAILED)
		return 1;
	while (ioctl(g.fd, LGUEST_RUN, 0) == 0 && g.run->exit_reason == LGUEST_EXIT_HCALL)
		good++;
	CHECK(good == 1, "ring: a queued flush acts at the next hypercall, not before",
	      "exit %u kind %u after %d console exits", g.run->exit_reason,
	      g.run->shutdown.kind, good);
	CHECK(g.run->exit_reason == LGUEST_EXIT_KILLED &&
	      strstr(g.run->killed.reason, "may not be queued"),
	      "ring: a hypercall that may not be queued kills the guest",
	      "exit %u: '%s'", g.run->exit_reason, g.run->killed.reason);
	close(g.fd);
	return lgtest_failed;
}
