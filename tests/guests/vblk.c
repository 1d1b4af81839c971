// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny virtio-blk driver against liblguest's real block device: the
 * in-VM test t_virtio gives the guest one disk (device 0) and checks the
 * file on the host side afterwards.
 *
 *   case=rw      write sectors 0-7 (sector n filled with 0x40 + n), flush,
 *                read sector 3 back; the launcher checks the file
 *   case=broken  hand the device a descriptor outside guest memory: the
 *                device must refuse it (DEVICE_NEEDS_RESET) and nothing
 *                else may break
 */
#include "virtio.h"

const char rt_guest_name[] = "vblk";

#define F_FLUSH		(1u << 9)	/* VIRTIO_BLK_F_FLUSH */
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4

struct req { u32 type, reserved; u64 sector; };

static struct vq q;
static struct req *hdr;
static volatile u8 *status;

/* One request, as a chain of two or three descriptors; its status. */
static long request(u32 type, u64 sector, u64 data_gpa, u32 len)
{
	long used;

	hdr->type = type;
	hdr->sector = sector;
	*status = 0xff;
	q.desc[0] = (struct vdesc){ __pa(hdr), sizeof(*hdr), D_NEXT, 1 };
	if (len) {
		q.desc[1] = (struct vdesc){ data_gpa, len, D_NEXT | (type == T_IN ? D_WRITE : 0), 2 };
		q.desc[2] = (struct vdesc){ __pa(status), 1, D_WRITE, 0 };
	} else {
		q.desc[1] = (struct vdesc){ __pa(status), 1, D_WRITE, 0 };
	}
	vq_kick(&q, 0);
	used = vq_wait(&q);
	return used < 0 ? used : *status;
}

void guest_main(void)
{
	u64 buf = rt_alloc_page();
	u8 *data = __va(rt_alloc_hpage());
	long feat, st;
	int i;

	rt_on_event = vio_irq;
	rt_events_init();
	feat = vio_init(2, F_FLUSH);
	if (feat < 0)
		return;
	CHECK(feat & F_FLUSH, "the device offers flush", "features %#lx", feat);
	CHECK(vio_rd(VIO_QUEUE_MAX) >= QSIZE, "queue 0 is large enough", "%u",
	      vio_rd(VIO_QUEUE_MAX));
	vq_setup(&q, 0);
	vio_driver_ok();
	hdr = __va(buf);
	status = (volatile u8 *)__va(buf + 0x100);

	if (rt_case("broken")) {
		st = request(T_OUT, 0, 0x4000000000ULL, 512);	/* 256 GiB: no RAM there */
		CHECK(st == -2 && (vio_rd(VIO_STATUS) & S_NEEDS_RESET),
		      "a descriptor outside guest memory: the device needs a reset",
		      "request %ld, status %#x", st, vio_rd(VIO_STATUS));
		vio_wr(VIO_STATUS, 0);
		CHECK(vio_rd(VIO_STATUS) == 0, "the driver can reset it", "status %#x",
		      vio_rd(VIO_STATUS));
		return;
	}

	for (i = 0; i < 8 * 512; i++)
		data[i] = (u8)(0x40 + i / 512);
	st = request(T_OUT, 0, __pa(data), 8 * 512);
	CHECK(st == 0, "write 8 sectors", "status %ld", st);
	st = request(T_FLUSH, 0, 0, 0);
	CHECK(st == 0, "flush", "status %ld", st);
	memset(data, 0, 512);
	st = request(T_IN, 3, __pa(data), 512);
	CHECK(st == 0 && data[0] == 0x43 && data[511] == 0x43,
	      "read sector 3 back", "status %ld, bytes %#x %#x", st, data[0], data[511]);
}
