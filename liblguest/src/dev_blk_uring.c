// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-blk's fast backend, io_uring: a ring as deep as the queue, the
 * disk registered as a fixed file, completions signalled on the disk's
 * eventfd.  Many requests are in flight at once.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

#include "dev_blk.h"

static void uring_prep(struct io_uring *ring, struct blk_req *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	/* Cannot fail: the ring is as deep as the queue. */
	switch (r->op) {
	case BLK_READ:
		io_uring_prep_readv(sqe, 0, r->iovp, r->niov, r->offset + r->done);
		break;
	case BLK_WRITE:
		io_uring_prep_writev(sqe, 0, r->iovp, r->niov, r->offset + r->done);
		break;
	case BLK_FLUSH:
		io_uring_prep_fsync(sqe, 0, IORING_FSYNC_DATASYNC);
		break;
	default:	/* discard, write-zeroes */
		io_uring_prep_fallocate(sqe, 0, r->mode, (off_t)r->offset, (off_t)r->len);
		break;
	}
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, r);
}

static void uring_submit(struct blk *b, struct blk_req *r)
{
	uring_prep(b->io, r);
	io_uring_submit(b->io);
}

static void uring_reap(struct blk *b)
{
	struct io_uring *ring = b->io;
	struct io_uring_cqe *cqe;
	bool resubmit = false;

	while (io_uring_peek_cqe(ring, &cqe) == 0) {
		struct blk_req *r = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(ring, cqe);
		if (res < 0) {
			r->res = res;
		} else if (r->op == BLK_READ || r->op == BLK_WRITE) {
			/* A short transfer is not an error: go on from where it stopped. */
			r->done += (uint64_t)res;
			blk_iov_advance(r, (size_t)res);
			if (r->done < r->len) {
				if (res == 0) {
					r->res = -EIO;	/* the file shrank under us */
				} else {
					uring_prep(ring, r);
					resubmit = true;
					continue;
				}
			}
		}
		lg_blk_finish(b, r);
	}
	if (resubmit)
		io_uring_submit(ring);
}

static int uring_start(struct blk *b)
{
	struct io_uring *ring = calloc(1, sizeof(*ring));
	int err;

	if (!ring)
		return -ENOMEM;
	err = io_uring_queue_init(BLK_QUEUE_SIZE, ring, 0);
	if (err < 0) {
		free(ring);
		return err;
	}
	err = io_uring_register_files(ring, &b->fd, 1);
	if (!err)
		err = io_uring_register_eventfd(ring, b->efd);
	if (err < 0) {
		io_uring_queue_exit(ring);
		free(ring);
		return err;
	}
	b->io = ring;
	return 0;
}

static void uring_stop(struct blk *b)
{
	io_uring_queue_exit(b->io);
	free(b->io);
	b->io = NULL;
}

const struct blk_backend lg_blk_uring = {
	.id = LG_BLK_IO_URING,
	.name = "io_uring",
	.start = uring_start,
	.submit = uring_submit,
	.reap = uring_reap,
	.stop = uring_stop,
};
