/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What virtio-blk's protocol (dev_blk.c) and its I/O backends
 * (dev_blk_uring.c, dev_blk_thread.c) share: the disk, its requests and
 * what a backend offers.  A request reaches a backend decoded (an
 * operation, an offset, iovecs), so no backend reads virtio's headers,
 * and only the io_uring one knows liburing.
 */
#ifndef LG_DEV_BLK_H
#define LG_DEV_BLK_H

#include <linux/virtio_blk.h>

#include "internal.h"

#define BLK_QUEUE_SIZE LG_VQ_MAX_SIZE

/* The I/O a backend does for a request, decoded from its virtio type. */
enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_FALLOCATE };

struct blk;

struct blk_req {
	struct blk *blk;
	struct blk_req *next;	/* free list, or the worker's queues */
	unsigned int gen;	/* the device generation it belongs to */
	uint16_t head;
	uint8_t *status;	/* the last byte of the chain, in guest memory */
	uint32_t type;		/* the virtio request type, for the log */
	enum blk_op op;
	uint64_t offset, len, done;
	uint32_t used_len;
	int mode;		/* fallocate mode for discard / write-zeroes */
	int res;		/* 0 or -errno, set on completion */
	unsigned int niov;
	struct iovec *iovp;	/* the part of iov not yet transferred */
	struct iovec iov[BLK_QUEUE_SIZE];
};

struct blk_backend {
	int id;			/* LG_BLK_IO_URING or LG_BLK_THREAD */
	const char *name;	/* for the log */
	/* Gets ready for I/O on b->fd, completions signalled on b->efd; 0 or -errno. */
	int (*start)(struct blk *b);
	/* Starts @r's I/O at r->iovp and r->done (guest's thread, device locked). */
	void (*submit)(struct blk *b, struct blk_req *r);
	/* Hands what has finished, r->res set, to lg_blk_finish() (device locked). */
	void (*reap)(struct blk *b);
	/* Undoes start; what is still in flight is dropped. */
	void (*stop)(struct blk *b);
};

extern const struct blk_backend lg_blk_uring, lg_blk_thread;

struct blk {
	struct lg_vdev *dev;
	int fd;
	bool ro;
	uint64_t sectors;
	char serial[VIRTIO_BLK_ID_BYTES];
	const struct blk_backend *backend;	/* NULL until one has started */
	void *io;		/* the backend's own state */
	int efd;		/* completions are signalled here */
	unsigned int gen;	/* bumped at reset: late completions are dropped */
	struct blk_req *reqs, *free;
	struct lg_chain chain;
};

/* The status byte, the used ring, the free list: @r is done (device locked). */
void lg_blk_finish(struct blk *b, struct blk_req *r);

/* Drops @n transferred bytes from the front of an iovec array. */
static inline void blk_iov_advance(struct blk_req *r, size_t n)
{
	while (n && r->niov) {
		if (n < r->iovp->iov_len) {
			r->iovp->iov_base = (uint8_t *)r->iovp->iov_base + n;
			r->iovp->iov_len -= n;
			return;
		}
		n -= r->iovp->iov_len;
		r->iovp++;
		r->niov--;
	}
	/* Zero-length entries left at the front are harmless. */
}

#endif /* LG_DEV_BLK_H */
