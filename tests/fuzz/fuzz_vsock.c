// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: virtio-vsock (dev_vsock.c) against a guest that
 * controls every packet.  The input is a script of guest actions: send a
 * packet (a header of its choosing, usually from its own CID so that it
 * reaches the connection logic, and a payload of any length, split over
 * one or two buffers), post receive buffers, kick the receive queue, or
 * let the device service its sockets.  A host program listens on port 1
 * and one connects in with "CONNECT 1", so connections really open.
 * ASan and UBSan watch every access; we check that what the device puts
 * in a receive buffer is a header that fits it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_vsock.h>

#include "../unit/fakeguest.h"

#define CID 3
#define HDR sizeof(struct virtio_vsock_hdr)
#define TX_GPA 0x200000ULL
#define RX_GPA 0x300000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static int unix_fd(const char *path, bool listener)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0)
		abort();
	if (listener ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16) :
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort();
	return fd;
}

/* After a reset: the driver starts its rings over, as Linux would. */
static void reinit(struct fg *g, struct lg_vdev *d)
{
	for (unsigned int q = 0; q < 3; q++) {
		memset(fg_ptr(g, FG_RING_GPA(q)), 0, 0x4000);
		g->avail_idx[q] = g->next_desc[q] = g->used_seen[q] = 0;
	}
	fg_driver_init(g, d, FG_V1, 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_vsock_config cfg = { .guest_cid = CID };
	char path[96], port1[110];
	uint32_t rx_len[FG_QSIZE] = { 0 };
	uint64_t rx_gpa[FG_QSIZE] = { 0 };
	static struct fg g;
	struct lg_vdev *d;
	size_t pos = 0;
	int l, h;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_vsock.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/v", dir);
	snprintf(port1, sizeof(port1), "%s_1", path);
	unlink(port1);
	cfg.socket = path;
	/* Guest memory once (it is 4 MiB); its rings start over each time. */
	if (!g.mem.base)
		fg_init(&g);
	if (lg_vsock_new(NULL, &g.mem, NULL, &cfg, &d))
		abort();
	reinit(&g, d);
	l = unix_fd(port1, true);
	h = unix_fd(path, false);
	if (send(h, "CONNECT 1\n", 10, MSG_NOSIGNAL) != 10)
		abort();

	while (pos + 2 <= size) {
		uint8_t op = data[pos++], arg = data[pos++];

		switch (op % 5) {
		case 0: {	/* a packet: header, then @arg * 16 bytes of payload */
			struct virtio_vsock_hdr hd = { 0 };
			uint32_t len = (uint32_t)arg * 16, split;
			struct fg_buf b[2];
			size_t n = size - pos < HDR ? size - pos : HDR;

			memcpy(&hd, data + pos, n);
			pos += n;
			if (!(op & 0x80))
				hd.src_cid = CID;	/* mostly the guest's own address */
			if (!(op & 0x40))
				hd.dst_cid = 2;
			memcpy(fg_ptr(&g, TX_GPA), &hd, HDR);
			for (uint32_t i = 0; i < len; i++)
				*(uint8_t *)fg_ptr(&g, TX_GPA + HDR + i) = (uint8_t)i;
			split = (op & 0x20) ? (uint32_t)HDR : (uint32_t)HDR + len;
			b[0] = (struct fg_buf){ TX_GPA, split, 0 };
			b[1] = (struct fg_buf){ TX_GPA + split, (uint32_t)HDR + len - split, 0 };
			fg_post(&g, 1, b, split < HDR + len ? 2 : 1);
			fg_notify(d, 1);
			break;
		}
		case 1:		/* receive buffers, some too short for a header */
			for (unsigned int i = 0; i < (arg & 3) + 1u; i++) {
				uint16_t slot = (uint16_t)(g.next_desc[0] % FG_QSIZE);
				struct fg_buf b = { RX_GPA + slot * 0x2000ULL, (arg & 4) ? 20 : 4140, 1 };

				rx_gpa[slot] = b.gpa;
				rx_len[slot] = b.len;
				fg_post(&g, 0, &b, 1);
			}
			break;
		case 2:
			fg_notify(d, 0);
			break;
		case 3:
			lg_vsock_service(d);
			break;
		default:	/* the host side writes, or goes away */
			/* MSG_NOSIGNAL: the device may have closed its end (a SIGPIPE would end us). */
			if ((arg & 1) && send(h, data + pos - 2, 2, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				arg = 0;
			else if (arg == 0x80 && h >= 0) {
				close(h);
				h = -1;
			}
			break;
		}
		/* Every packet given to the guest is a header within its buffer. */
		while (fg_used(&g, 0)->idx != g.used_seen[0]) {
			struct vring_used_elem e = fg_used(&g, 0)->ring[g.used_seen[0] % FG_QSIZE];
			struct virtio_vsock_hdr hd;

			g.used_seen[0]++;
			if (e.id >= FG_QSIZE || e.len < HDR || e.len > rx_len[e.id])
				abort();
			memcpy(&hd, fg_ptr(&g, rx_gpa[e.id]), HDR);
			/* From the host, but an RST answers from where the guest sent. */
			if (hd.len != e.len - HDR || hd.dst_cid != CID ||
			    (hd.src_cid != 2 && hd.op != VIRTIO_VSOCK_OP_RST))
				abort();
		}
		if (fg_needs_reset(d))
			reinit(&g, d);
	}
	d->ops->destroy(d);
	if (h >= 0)
		close(h);
	close(l);
	unlink(port1);
	return 0;
}
