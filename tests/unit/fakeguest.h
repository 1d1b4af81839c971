/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake guest for unit tests: guest memory in a plain buffer, and a
 * virtio driver that lays out split rings and posts descriptor chains the
 * way Linux's virtio_ring.c would -- or the way a malicious one would.
 */
#ifndef FAKEGUEST_H
#define FAKEGUEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "internal.h"

#define FG_MEM_SIZE (4ULL << 20)
#define FG_QSIZE 16
/* Where each queue's rings go, and where buffers come from. */
#define FG_RING_GPA(q) (0x10000ULL + (uint64_t)(q) * 0x4000)
#define FG_BUF_GPA 0x100000ULL

struct fg {
	struct lg_mem mem;
	uint16_t qsize;
	uint16_t avail_idx[LG_VDEV_MAX_QUEUES];
	uint16_t next_desc[LG_VDEV_MAX_QUEUES];
	uint16_t used_seen[LG_VDEV_MAX_QUEUES];
	uint64_t buf_next;
};

static inline void fg_init(struct fg *g)
{
	memset(g, 0, sizeof(*g));
	g->mem.size = FG_MEM_SIZE;
	g->mem.base = aligned_alloc(4096, FG_MEM_SIZE);
	memset(g->mem.base, 0, FG_MEM_SIZE);
	g->qsize = FG_QSIZE;
	g->buf_next = FG_BUF_GPA;
}

static inline void fg_fini(struct fg *g)
{
	free(g->mem.base);
}

static inline void *fg_ptr(struct fg *g, uint64_t gpa)
{
	return g->mem.base + gpa;
}

/* Guest-physical space for a buffer of @len bytes (never reused). */
static inline uint64_t fg_alloc(struct fg *g, uint64_t len)
{
	uint64_t gpa = g->buf_next;

	g->buf_next += (len + 15) & ~15ULL;
	return gpa;
}

static inline struct vring_desc *fg_desc(struct fg *g, unsigned int q)
{
	return fg_ptr(g, FG_RING_GPA(q));
}

static inline struct vring_avail *fg_avail(struct fg *g, unsigned int q)
{
	return fg_ptr(g, FG_RING_GPA(q) + 16ULL * g->qsize);
}

static inline struct vring_used *fg_used(struct fg *g, unsigned int q)
{
	return fg_ptr(g, FG_RING_GPA(q) + 0x2000);
}

/* Sets a bare lg_vq up over queue @q's rings, as QueueReady would. */
static inline int fg_vq_setup(struct fg *g, struct lg_vq *vq, unsigned int q)
{
	lg_vq_reset(vq, &g->mem);
	vq->size = g->qsize;
	vq->desc_gpa = FG_RING_GPA(q);
	vq->avail_gpa = FG_RING_GPA(q) + 16ULL * g->qsize;
	vq->used_gpa = FG_RING_GPA(q) + 0x2000;
	return lg_vq_enable(vq);
}

struct fg_buf {
	uint64_t gpa;
	uint32_t len;
	int write;	/* device-writable */
};

/* Writes a chain into the descriptor table and makes it available; returns its head. */
static inline uint16_t fg_post(struct fg *g, unsigned int q, const struct fg_buf *b, unsigned int n)
{
	struct vring_desc *d = fg_desc(g, q);
	struct vring_avail *a = fg_avail(g, q);
	uint16_t head = g->next_desc[q] % g->qsize;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % g->qsize);

		d[idx].addr = b[i].gpa;
		d[idx].len = b[i].len;
		d[idx].flags = (uint16_t)((b[i].write ? VRING_DESC_F_WRITE : 0) |
					  (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		d[idx].next = (uint16_t)((idx + 1) % g->qsize);
	}
	g->next_desc[q] = (uint16_t)(g->next_desc[q] + n);
	a->ring[g->avail_idx[q] % g->qsize] = head;
	g->avail_idx[q]++;
	__atomic_store_n(&a->idx, g->avail_idx[q], __ATOMIC_RELEASE);
	return head;
}

/* How many used entries appeared since last asked. */
static inline unsigned int fg_used_new(struct fg *g, unsigned int q, struct vring_used_elem *last)
{
	struct vring_used *u = fg_used(g, q);
	uint16_t idx = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
	unsigned int n = (uint16_t)(idx - g->used_seen[q]);

	if (last && n)
		*last = u->ring[(uint16_t)(idx - 1) % g->qsize];
	else if (last)
		memset(last, 0, sizeof(*last));
	g->used_seen[q] = idx;
	return n;
}

/* ---- the device side, through its MMIO registers --------------------------- */

static inline uint32_t fg_rd(struct lg_vdev *d, uint64_t off)
{
	uint64_t v = 0;

	lg_vdev_mmio(d, off, 4, false, &v);
	return (uint32_t)v;
}

static inline void fg_wr(struct lg_vdev *d, uint64_t off, uint32_t v)
{
	uint64_t val = v;

	lg_vdev_mmio(d, off, 4, true, &val);
}

/* The Linux driver's dance: reset, ACK, DRIVER, features, FEATURES_OK, queues, DRIVER_OK. */
static inline uint32_t fg_driver_init(struct fg *g, struct lg_vdev *d, uint64_t features,
				      unsigned int nq)
{
	fg_wr(d, VIRTIO_MMIO_STATUS, 0);
	fg_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	fg_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	fg_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	fg_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	fg_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	fg_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	fg_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	      VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned int q = 0; q < nq; q++) {
		uint64_t desc = FG_RING_GPA(q), avail = desc + 16ULL * g->qsize,
			 used = desc + 0x2000;

		fg_wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		fg_wr(d, VIRTIO_MMIO_QUEUE_NUM, g->qsize);
		fg_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
		fg_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
		fg_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
		fg_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
		fg_wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
		fg_wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
		fg_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	fg_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return fg_rd(d, VIRTIO_MMIO_STATUS);
}

static inline void fg_notify(struct lg_vdev *d, unsigned int q)
{
	fg_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static inline bool fg_needs_reset(struct lg_vdev *d)
{
	return fg_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

#define FG_V1 (1ULL << VIRTIO_F_VERSION_1)

#endif
