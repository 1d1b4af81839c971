// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny virtio-console driver against liblguest's real console device
 * (t_virtio wires it to pipes): the guest sends "ping from the guest\n"
 * on the transmit queue and must receive "pong\n" on the receive queue.
 */
#include "virtio.h"

const char rt_guest_name[] = "vcons";

static const char ping[] = "ping from the guest\n";

void guest_main(void)
{
	struct vq rx, tx;
	u64 page = rt_alloc_page();
	char *out = __va(page), *in = __va(page + 0x800);
	long len;

	rt_on_event = vio_irq;
	rt_events_init();
	if (vio_init(3, 0) < 0)
		return;
	vq_setup(&rx, 0);
	vq_setup(&tx, 1);
	vio_driver_ok();

	/* A buffer for the device to fill, before anything can arrive. */
	memset(in, 0, 64);
	rx.desc[0] = (struct vdesc){ page + 0x800, 64, D_WRITE, 0 };
	vq_kick(&rx, 0);

	memcpy(out, ping, sizeof(ping) - 1);
	tx.desc[0] = (struct vdesc){ page, sizeof(ping) - 1, 0, 0 };
	vq_kick(&tx, 0);
	len = vq_wait(&tx);
	CHECK(len >= 0, "the device takes the bytes we send", "wait %ld", len);

	len = vq_wait(&rx);
	CHECK(len == 5 && memcmp(in, "pong\n", 5) == 0, "the bytes sent to us arrive",
	      "%ld bytes: %.5s", len, in);
}
