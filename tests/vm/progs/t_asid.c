// SPDX-License-Identifier: GPL-2.0
/* tests/guests/asid.S: shadow roots per address-space id, as PCIDs. */
#include "flatguest.h"
#include "lgtest.h"

int main(void)
{
	struct flatguest g = { .fd = -1 };

	CHECK(flatguest_start(&g, "/tests/asid.bin") == 0, "asid: guest starts", "%s",
	      strerror(errno));
	if (g.run == MAP_FAILED)
		return 1;
	ioctl(g.fd, LGUEST_RUN, 0);
	CHECK(g.run->exit_reason == LGUEST_EXIT_SHUTDOWN &&
	      g.run->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF,
	      "asid: no-flush switches keep an id's translations, flushing ones drop them",
	      "exit %u kind %u killed '%s'", g.run->exit_reason, g.run->shutdown.kind,
	      g.run->killed.reason);
	close(g.fd);
	return lgtest_failed;
}
