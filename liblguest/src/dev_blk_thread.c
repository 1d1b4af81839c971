// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-blk's fallback backend, for hosts that refuse io_uring
 * (dev_blk.c chooses): a worker thread does preadv/pwritev, one request
 * at a time, and signals each completion on the disk's eventfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "dev_blk.h"

struct worker {
	pthread_t thread;
	bool quit;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct blk_req *todo, *todo_tail, *finished;
};

static int sync_io(const struct blk *b, struct blk_req *r)
{
	switch (r->op) {
	case BLK_READ:
	case BLK_WRITE:
		while (r->done < r->len) {
			off_t off = (off_t)(r->offset + r->done);
			int n = r->niov > IOV_MAX ? IOV_MAX : (int)r->niov;
			ssize_t got = r->op == BLK_READ ? preadv(b->fd, r->iovp, n, off) :
							  pwritev(b->fd, r->iovp, n, off);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return -errno;
			if (got == 0)
				return -EIO;
			r->done += (uint64_t)got;
			blk_iov_advance(r, (size_t)got);
		}
		return 0;
	case BLK_FLUSH:
		return fdatasync(b->fd) < 0 ? -errno : 0;
	default:	/* discard, write-zeroes */
		return fallocate(b->fd, r->mode, (off_t)r->offset, (off_t)r->len) < 0 ? -errno : 0;
	}
}

static void *worker(void *arg)
{
	struct blk *b = arg;
	struct worker *w = b->io;
	uint64_t one = 1;

	pthread_mutex_lock(&w->qlock);
	for (;;) {
		struct blk_req *r;

		while (!w->todo && !w->quit)
			pthread_cond_wait(&w->qcond, &w->qlock);
		if (w->quit)
			break;
		r = w->todo;
		w->todo = r->next;
		pthread_mutex_unlock(&w->qlock);

		r->res = sync_io(b, r);

		pthread_mutex_lock(&w->qlock);
		r->next = w->finished;
		w->finished = r;
		if (write(b->efd, &one, sizeof(one)) < 0)
			break;	/* cannot happen: the eventfd never fills */
	}
	pthread_mutex_unlock(&w->qlock);
	return NULL;
}

static void thread_submit(struct blk *b, struct blk_req *r)
{
	struct worker *w = b->io;

	pthread_mutex_lock(&w->qlock);
	r->next = NULL;
	if (w->todo)
		w->todo_tail->next = r;
	else
		w->todo = r;
	w->todo_tail = r;
	pthread_cond_signal(&w->qcond);
	pthread_mutex_unlock(&w->qlock);
}

static void thread_reap(struct blk *b)
{
	struct worker *w = b->io;
	struct blk_req *r;

	pthread_mutex_lock(&w->qlock);
	r = w->finished;
	w->finished = NULL;
	pthread_mutex_unlock(&w->qlock);
	while (r) {
		struct blk_req *next = r->next;

		lg_blk_finish(b, r);
		r = next;
	}
}

static int thread_start(struct blk *b)
{
	struct worker *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->qlock, NULL);
	pthread_cond_init(&w->qcond, NULL);
	b->io = w;
	err = pthread_create(&w->thread, NULL, worker, b);
	if (err) {
		b->io = NULL;
		free(w);
		return -err;
	}
	return 0;
}

static void thread_stop(struct blk *b)
{
	struct worker *w = b->io;

	pthread_mutex_lock(&w->qlock);
	w->quit = true;
	pthread_cond_signal(&w->qcond);
	pthread_mutex_unlock(&w->qlock);
	pthread_join(w->thread, NULL);
	free(w);
	b->io = NULL;
}

const struct blk_backend lg_blk_thread = {
	.id = LG_BLK_THREAD,
	.name = "thread (preadv/pwritev)",
	.start = thread_start,
	.submit = thread_submit,
	.reap = thread_reap,
	.stop = thread_stop,
};
