// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny virtio-blk driver (virtio-mmio version 2, one split queue),
 * against liblguest's real block device: the in-VM test t_virtio gives
 * the guest one disk (device 0: window at MMIO_GPA, line 1) and checks
 * the file on the host side afterwards.
 *
 *   case=rw      write sectors 0-7 (sector n filled with 0x40 + n), flush,
 *                read sector 3 back; the launcher checks the file
 *   case=broken  hand the device a descriptor outside guest memory: the
 *                device must refuse it (DEVICE_NEEDS_RESET) and nothing
 *                else may break
 */
#include "rt/rt.h"

const char rt_guest_name[] = "vblk";

/* virtio-mmio registers */
#define MAGIC		0x000
#define VERSION		0x004
#define DEVICE_ID	0x008
#define DEV_FEATURES	0x010
#define DEV_FEAT_SEL	0x014
#define DRV_FEATURES	0x020
#define DRV_FEAT_SEL	0x024
#define QUEUE_SEL	0x030
#define QUEUE_NUM_MAX	0x034
#define QUEUE_NUM	0x038
#define QUEUE_READY	0x044
#define QUEUE_NOTIFY	0x050
#define INT_STATUS	0x060
#define INT_ACK		0x064
#define STATUS		0x070
#define DESC_LO		0x080
#define DESC_HI		0x084
#define AVAIL_LO	0x090
#define AVAIL_HI	0x094
#define USED_LO		0x0a0
#define USED_HI		0x0a4

#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	0x40

#define F_FLUSH		(1u << 9)	/* VIRTIO_BLK_F_FLUSH */
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4

#define QSIZE		8
#define D_NEXT		1
#define D_WRITE		2

struct desc { u64 addr; u32 len; u16 flags, next; };
struct avail { u16 flags, idx, ring[QSIZE]; };
struct used_elem { u32 id, len; };
struct used { u16 flags, idx; struct used_elem ring[QSIZE]; };
struct req { u32 type, reserved; u64 sector; };

static volatile u8 *regs;
static struct desc *desc;
static struct avail *avail;
static volatile struct used *used;
static struct req *hdr;
static u8 *data;
static volatile u8 *status;

/* As Linux's readl/writel: a register and a memory operand. */
static u32 rd(u32 off)
{
	u32 v;

	asm volatile("movl %1, %0" : "=r"(v) : "m"(*(volatile u32 *)(regs + off)));
	return v;
}

static void wr(u32 off, u32 v)
{
	asm volatile("movl %0, %1" : : "r"(v), "m"(*(volatile u32 *)(regs + off)) : "memory");
}

static bool setup(void)
{
	u64 q = rt_alloc_page(), buf = rt_alloc_page() , big = rt_alloc_hpage();
	u32 feat;

	rt_map(TEST_VA, MMIO_GPA, PTE_W | PTE_PCD | PTE_PWT | PTE_NX);
	rt_flush_all();
	regs = (volatile u8 *)TEST_VA;
	CHECK(rd(MAGIC) == 0x74726976 && rd(VERSION) == 2 && rd(DEVICE_ID) == 2,
	      "a virtio-mmio v2 block device answers", "magic %#x version %u id %u",
	      rd(MAGIC), rd(VERSION), rd(DEVICE_ID));
	wr(STATUS, 0);
	wr(STATUS, S_ACK | S_DRIVER);
	wr(DEV_FEAT_SEL, 1);
	CHECK(rd(DEV_FEATURES) & 1, "the device offers VIRTIO_F_VERSION_1", "%#x",
	      rd(DEV_FEATURES));
	wr(DEV_FEAT_SEL, 0);
	feat = rd(DEV_FEATURES) & F_FLUSH;
	wr(DRV_FEAT_SEL, 0);
	wr(DRV_FEATURES, feat);
	wr(DRV_FEAT_SEL, 1);
	wr(DRV_FEATURES, 1);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	CHECK(rd(STATUS) & S_FEATURES_OK, "features accepted", "status %#x", rd(STATUS));
	CHECK(feat & F_FLUSH, "the device offers flush", "features %#x", feat);

	wr(QUEUE_SEL, 0);
	CHECK(rd(QUEUE_NUM_MAX) >= QSIZE, "queue 0 is large enough", "%u", rd(QUEUE_NUM_MAX));
	desc = __va(q);
	avail = __va(q + 0x100);
	used = __va(q + 0x200);
	hdr = __va(buf);
	status = (volatile u8 *)__va(buf + 0x100);
	data = __va(big);
	memset(desc, 0, PAGE_SIZE);
	wr(QUEUE_NUM, QSIZE);
	wr(DESC_LO, (u32)q);
	wr(DESC_HI, (u32)(q >> 32));
	wr(AVAIL_LO, (u32)(q + 0x100));
	wr(AVAIL_HI, (u32)((q + 0x100) >> 32));
	wr(USED_LO, (u32)(q + 0x200));
	wr(USED_HI, (u32)((q + 0x200) >> 32));
	wr(QUEUE_READY, 1);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return (rd(STATUS) & S_DRIVER_OK) != 0;
}

/* One request, three descriptors; wait for the device; return its status. */
static int request(u32 type, u64 sector, u64 data_gpa, u32 len)
{
	u16 seen = used->idx;
	int spins;

	hdr->type = type;
	hdr->sector = sector;
	*status = 0xff;
	desc[0] = (struct desc){ __pa(hdr), sizeof(*hdr), D_NEXT, 1 };
	if (len) {
		desc[1] = (struct desc){ data_gpa, len, D_NEXT | (type == T_IN ? D_WRITE : 0), 2 };
		desc[2] = (struct desc){ __pa(status), 1, D_WRITE, 0 };
	} else {
		desc[1] = (struct desc){ __pa(status), 1, D_WRITE, 0 };
	}
	avail->ring[avail->idx % QSIZE] = 0;
	asm volatile("" ::: "memory");
	avail->idx++;
	asm volatile("" ::: "memory");
	wr(QUEUE_NOTIFY, 0);
	/* The device completes on liblguest's I/O thread and raises line 1. */
	for (spins = 0; used->idx == seen && spins < 100000; spins++) {
		if (rd(STATUS) & S_NEEDS_RESET)
			return -2;
		rt_halt();
	}
	wr(INT_ACK, rd(INT_STATUS));
	return used->idx == seen ? -1 : *status;
}

/* Line 1 only wakes us from halt: the used ring says what happened. */
static bool irq_seen(struct rt_frame *f)
{
	return f->vector >= LGUEST_IRQ_BASE && f->vector < LGUEST_EVENT_SYSCALL;
}

void guest_main(void)
{
	int i, st;

	rt_on_event = irq_seen;
	rt_events_init();
	if (!setup())
		return;

	if (rt_case("broken")) {
		st = request(T_OUT, 0, 0x4000000000ULL, 512);	/* 256 GiB: no RAM there */
		CHECK(st == -2 && (rd(STATUS) & S_NEEDS_RESET),
		      "a descriptor outside guest memory: the device needs a reset",
		      "request %d, status %#x", st, rd(STATUS));
		wr(STATUS, 0);
		CHECK(rd(STATUS) == 0, "the driver can reset it", "status %#x", rd(STATUS));
		return;
	}

	for (i = 0; i < 8 * 512; i++)
		data[i] = (u8)(0x40 + i / 512);
	st = request(T_OUT, 0, __pa(data), 8 * 512);
	CHECK(st == 0, "write 8 sectors", "status %d", st);
	st = request(T_FLUSH, 0, 0, 0);
	CHECK(st == 0, "flush", "status %d", st);
	memset(data, 0, 512);
	st = request(T_IN, 3, __pa(data), 512);
	CHECK(st == 0 && data[0] == 0x43 && data[511] == 0x43,
	      "read sector 3 back", "status %d, bytes %#x %#x", st, data[0], data[511]);
}
