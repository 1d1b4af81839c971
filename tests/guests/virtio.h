/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of a virtio-mmio (version 2) driver for the test guests:
 * registers through Linux-style readl/writel, the status handshake, and
 * split queues of QSIZE entries, one page each.
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include "rt/rt.h"

#define VIO_MAGIC	0x000
#define VIO_VERSION	0x004
#define VIO_DEVICE_ID	0x008
#define VIO_DEV_FEAT	0x010
#define VIO_DEV_FEAT_SEL 0x014
#define VIO_DRV_FEAT	0x020
#define VIO_DRV_FEAT_SEL 0x024
#define VIO_QUEUE_SEL	0x030
#define VIO_QUEUE_MAX	0x034
#define VIO_QUEUE_NUM	0x038
#define VIO_QUEUE_READY	0x044
#define VIO_NOTIFY	0x050
#define VIO_INT_STATUS	0x060
#define VIO_INT_ACK	0x064
#define VIO_STATUS	0x070
#define VIO_DESC	0x080
#define VIO_AVAIL	0x090
#define VIO_USED	0x0a0
#define VIO_CONFIG	0x100

#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	0x40

#define QSIZE		8
#define D_NEXT		1
#define D_WRITE		2

struct vdesc { u64 addr; u32 len; u16 flags, next; };
struct vavail { u16 flags, idx, ring[QSIZE]; };
struct vused { u16 flags, idx; struct { u32 id, len; } ring[QSIZE]; };

struct vq {
	unsigned int index;
	struct vdesc *desc;
	struct vavail *avail;
	volatile struct vused *used;
	u16 seen;		/* used entries consumed */
};

static volatile u8 *vio;	/* the device's window */

static inline u32 vio_rd(u32 off)
{
	u32 v;

	asm volatile("movl %1, %0" : "=r"(v) : "m"(*(volatile u32 *)(vio + off)));
	return v;
}

static inline void vio_wr(u32 off, u32 v)
{
	asm volatile("movl %0, %1" : : "r"(v), "m"(*(volatile u32 *)(vio + off)) : "memory");
}

static inline void vio_wr64(u32 off, u64 v)
{
	vio_wr(off, (u32)v);
	vio_wr(off + 4, (u32)(v >> 32));
}

/*
 * Map device 0 (MMIO_GPA, line 1), check it is @device_id, and negotiate
 * VIRTIO_F_VERSION_1 plus whatever of @want (feature bits 0-31) it offers.
 * Returns the accepted low feature bits, or -1.
 */
static inline long vio_init(u32 device_id, u32 want)
{
	u32 feat;

	rt_map(TEST_VA, MMIO_GPA, PTE_W | PTE_PCD | PTE_PWT | PTE_NX);
	rt_flush_all();
	vio = (volatile u8 *)TEST_VA;
	CHECK(vio_rd(VIO_MAGIC) == 0x74726976 && vio_rd(VIO_VERSION) == 2 &&
	      vio_rd(VIO_DEVICE_ID) == device_id,
	      "a virtio-mmio v2 device of the right kind answers",
	      "magic %#x version %u id %u", vio_rd(VIO_MAGIC), vio_rd(VIO_VERSION),
	      vio_rd(VIO_DEVICE_ID));
	vio_wr(VIO_STATUS, 0);
	vio_wr(VIO_STATUS, S_ACK | S_DRIVER);
	vio_wr(VIO_DEV_FEAT_SEL, 1);
	CHECK(vio_rd(VIO_DEV_FEAT) & 1, "the device offers VIRTIO_F_VERSION_1", "%#x",
	      vio_rd(VIO_DEV_FEAT));
	vio_wr(VIO_DEV_FEAT_SEL, 0);
	feat = vio_rd(VIO_DEV_FEAT) & want;
	vio_wr(VIO_DRV_FEAT_SEL, 0);
	vio_wr(VIO_DRV_FEAT, feat);
	vio_wr(VIO_DRV_FEAT_SEL, 1);
	vio_wr(VIO_DRV_FEAT, 1);
	vio_wr(VIO_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	CHECK(vio_rd(VIO_STATUS) & S_FEATURES_OK, "features accepted", "status %#x",
	      vio_rd(VIO_STATUS));
	return vio_rd(VIO_STATUS) & S_FEATURES_OK ? (long)feat : -1;
}

static inline void vq_setup(struct vq *q, unsigned int index)
{
	u64 page = rt_alloc_page();

	q->index = index;
	q->desc = __va(page);
	q->avail = __va(page + 0x100);
	q->used = __va(page + 0x200);
	q->seen = 0;
	memset(q->desc, 0, PAGE_SIZE);
	vio_wr(VIO_QUEUE_SEL, index);
	vio_wr(VIO_QUEUE_NUM, QSIZE);
	vio_wr64(VIO_DESC, page);
	vio_wr64(VIO_AVAIL, page + 0x100);
	vio_wr64(VIO_USED, page + 0x200);
	vio_wr(VIO_QUEUE_READY, 1);
}

static inline void vio_driver_ok(void)
{
	vio_wr(VIO_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* Offer the chain starting at descriptor @head and tell the device. */
static inline void vq_kick(struct vq *q, u16 head)
{
	q->avail->ring[q->avail->idx % QSIZE] = head;
	asm volatile("" ::: "memory");
	q->avail->idx++;
	asm volatile("" ::: "memory");
	vio_wr(VIO_NOTIFY, q->index);
}

/*
 * Wait (halting: the device raises line 1) for the device to use one
 * more buffer.  Returns its used length, -1 on timeout, -2 if the device
 * needs a reset.
 */
static inline long vq_wait(struct vq *q)
{
	long len;
	int spins;

	/*
	 * Look with interrupts off, then halt (which turns them on as it
	 * sleeps): the completion's interrupt cannot slip in between.
	 */
	for (spins = 0; spins < 100000; spins++) {
		irq_disable();
		if (q->used->idx != q->seen)
			break;
		if (vio_rd(VIO_STATUS) & S_NEEDS_RESET) {
			irq_enable();
			return -2;
		}
		rt_halt();
	}
	irq_enable();
	vio_wr(VIO_INT_ACK, vio_rd(VIO_INT_STATUS));
	if (q->used->idx == q->seen)
		return -1;
	len = q->used->ring[q->seen % QSIZE].len;
	q->seen++;
	return len;
}

/* Line 1 only wakes us from halt: the used rings say what happened. */
static inline bool vio_irq(struct rt_frame *f)
{
	return f->vector >= LGUEST_IRQ_BASE && f->vector < LGUEST_EVENT_SYSCALL;
}

#endif
