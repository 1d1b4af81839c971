// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-blk: a file or block device as the guest's disk.
 *
 * A request is a descriptor chain: a 16-byte header the guest wrote (type
 * and sector), the data, and one status byte we write last.  We parse and
 * check the whole request on the thread that runs the guest, then hand
 * the I/O to a backend and let the guest go on running; the completion
 * arrives on the I/O thread, which writes the status byte and returns the
 * chain.  Many requests are in flight at once, up to the queue's size.
 *
 * Two backends do the I/O (dev_blk.h says what one offers).  io_uring is
 * the fast one (dev_blk_uring.c).  Some hosts refuse io_uring (seccomp
 * filters, the io_uring_disabled sysctl, old kernels: EPERM or ENOSYS);
 * then a worker thread does preadv/pwritev one request at a time
 * (dev_blk_thread.c).  Either way we log which one the disk got.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "dev_blk.h"

#define SECTOR 512ULL
/* Discard and write-zeroes: one range per request, up to 1 GiB. */
#define MAX_DISCARD_SECTORS (1U << 21)

/* Copies the part of @src that starts @skip bytes in and is @len long. */
static unsigned int iov_slice(const struct iovec *src, unsigned int n, size_t skip, size_t len,
			      struct iovec *dst)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n && len; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len)
			l = len;
		dst[k].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[k].iov_len = l;
		k++;
		len -= l;
		skip = 0;
	}
	return k;
}

/* ---- completion, on the I/O thread (or a test) with the device locked ---- */

void lg_blk_finish(struct blk *b, struct blk_req *r)
{
	struct lg_vdev *d = b->dev;

	if (r->gen == b->gen && d->vq[0].ready) {
		*r->status = r->res == 0 ? VIRTIO_BLK_S_OK :
			     r->res == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
		if (r->res)
			lg_log(d->vm, LG_LOG_DEBUG, "blk: request type %u at %llu failed: %s",
			       r->type, (unsigned long long)r->offset, strerror(-r->res));
		lg_vq_push(&d->vq[0], r->head, r->used_len);
		lg_vdev_used(d, &d->vq[0]);
	}
	r->next = b->free;
	b->free = r;
}

/* ---- submission, on the guest's thread with the device locked ----------- */

static void submit(struct blk *b, struct blk_req *r)
{
	r->iovp = r->iov;
	r->done = 0;
	r->res = 0;
	b->backend->submit(b, r);
}

/* Completes at once, without the backend (errors, GET_ID). */
static void complete_now(struct blk *b, struct blk_req *r, int res)
{
	r->res = res;
	lg_blk_finish(b, r);
}

static bool in_range(const struct blk *b, uint64_t sector, uint64_t nsect)
{
	return sector <= b->sectors && nsect <= b->sectors - sector;
}

/*
 * One request, checked from end to end.  A chain we cannot even answer
 * (no status byte) is the driver's fault: device error.  A request we can
 * answer but not perform gets IOERR or UNSUPP in its status byte.
 */
static int handle(struct blk *b, struct lg_chain *c)
{
	struct virtio_blk_outhdr hdr;
	struct virtio_blk_discard_write_zeroes dwz;
	struct iovec *last;
	struct blk_req *r;
	uint64_t data_len;

	if (c->out_len < sizeof(hdr) || c->in_len < 1)
		return -EIO;
	last = &c->iov[c->nout + c->nin - 1];
	if (last->iov_len < 1)
		return -EIO;
	r = b->free;
	if (!r)
		return -EIO;	/* more chains than the queue holds */
	b->free = r->next;
	r->gen = b->gen;
	r->head = c->head;
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	r->used_len = 1;
	r->niov = 0;
	r->len = 0;
	r->offset = 0;
	lg_iov_to_buf(c->iov, c->nout, 0, &hdr, sizeof(hdr));
	r->type = hdr.type;

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		data_len = c->in_len - 1;
		if (data_len % SECTOR || !in_range(b, hdr.sector, data_len / SECTOR) ||
		    c->out_len != sizeof(hdr)) {
			complete_now(b, r, -EIO);
			return 0;
		}
		r->niov = iov_slice(&c->iov[c->nout], c->nin, 0, data_len, r->iov);
		r->used_len = (uint32_t)c->in_len;
		r->op = BLK_READ;
		break;
	case VIRTIO_BLK_T_OUT:
		data_len = c->out_len - sizeof(hdr);
		if (b->ro || data_len % SECTOR || !in_range(b, hdr.sector, data_len / SECTOR) ||
		    c->in_len != 1) {
			complete_now(b, r, -EIO);
			return 0;
		}
		r->niov = iov_slice(c->iov, c->nout, sizeof(hdr), data_len, r->iov);
		r->op = BLK_WRITE;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (b->ro) {
			complete_now(b, r, 0);
			return 0;
		}
		data_len = 0;
		r->op = BLK_FLUSH;
		break;
	case VIRTIO_BLK_T_GET_ID:
		r->used_len = 1 + (uint32_t)lg_buf_to_iov(&c->iov[c->nout], c->nin, 0, b->serial,
							 c->in_len - 1 < sizeof(b->serial) ?
							 c->in_len - 1 : sizeof(b->serial));
		complete_now(b, r, 0);
		return 0;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		/* Exactly one range: we offer max_discard_seg = 1. */
		if (b->ro || c->out_len != sizeof(hdr) + sizeof(dwz) || c->in_len != 1) {
			complete_now(b, r, -EIO);
			return 0;
		}
		lg_iov_to_buf(c->iov, c->nout, sizeof(hdr), &dwz, sizeof(dwz));
		if (!in_range(b, dwz.sector, dwz.num_sectors) ||
		    dwz.num_sectors > MAX_DISCARD_SECTORS ||
		    (dwz.flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ||
		    (hdr.type == VIRTIO_BLK_T_DISCARD && dwz.flags)) {
			complete_now(b, r, -EIO);
			return 0;
		}
		hdr.sector = dwz.sector;
		data_len = dwz.num_sectors * SECTOR;
		/* Punched holes read back as zeroes too, so both may punch. */
		r->mode = hdr.type == VIRTIO_BLK_T_WRITE_ZEROES && !dwz.flags ?
			  FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE :
			  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		r->op = BLK_FALLOCATE;
		if (!data_len) {
			complete_now(b, r, 0);
			return 0;
		}
		break;
	default:
		complete_now(b, r, -EOPNOTSUPP);
		return 0;
	}
	r->offset = hdr.sector * SECTOR;
	r->len = data_len;
	submit(b, r);
	return 0;
}

static void blk_notify(struct lg_vdev *d, unsigned int q)
{
	struct blk *b = d->priv;
	struct lg_vq *vq = &d->vq[q];
	int r;

	while ((r = lg_vq_pop(vq, &b->chain)) > 0) {
		if (handle(b, &b->chain) < 0) {
			lg_vdev_fail(d, "malformed request (no header or status byte)");
			return;
		}
	}
	if (r < 0)
		lg_vdev_fail(d, "malformed descriptor chain");
}

/* Requests still in flight finish into the void (their generation is old). */
static void blk_reset(struct lg_vdev *d)
{
	struct blk *b = d->priv;

	b->gen++;
}

int lg_blk_event_fd(struct lg_vdev *d)
{
	return ((struct blk *)d->priv)->efd;
}

int lg_blk_backend(struct lg_vdev *d)
{
	return ((struct blk *)d->priv)->backend->id;
}

void lg_blk_complete(struct lg_vdev *d)
{
	struct blk *b = d->priv;
	uint64_t v;

	if (read(b->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&d->lock);
	b->backend->reap(b);
	pthread_mutex_unlock(&d->lock);
}

static void on_event(void *opaque, uint32_t events)
{
	(void)events;
	lg_blk_complete(opaque);
}

static void blk_destroy(struct lg_vdev *d)
{
	struct blk *b = d->priv;

	if (b->backend)
		b->backend->stop(b);
	if (b->efd >= 0)
		close(b->efd);
	if (b->fd >= 0)
		close(b->fd);
	free(b->reqs);
	free(b);
	lg_vdev_fini(d);
	free(d);
}

static const struct lg_vdev_ops blk_ops = {
	.name = "blk",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.notify = blk_notify,
	.reset = blk_reset,
	.destroy = blk_destroy,
};

static int open_disk(struct lg_vm *vm, const struct lg_disk_config *cfg, struct blk *b)
{
	struct stat st;
	uint64_t bytes;

	if (cfg->path) {
		b->fd = open(cfg->path, (cfg->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (b->fd < 0) {
			int err = -errno;

			return lg_err(vm, err, "disk %s: %s%s", cfg->path, strerror(-err),
				      err == -EACCES || err == -EROFS ?
				      " (hint: ro=on opens it read-only)" : "");
		}
	} else {
		b->fd = fcntl(cfg->fd, F_DUPFD_CLOEXEC, 3);
		if (b->fd < 0)
			return lg_err(vm, -errno, "disk fd %d: %s", cfg->fd, strerror(errno));
	}
	if (fstat(b->fd, &st) < 0)
		return lg_err(vm, -errno, "disk: fstat: %s", strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0)
			return lg_err(vm, -errno, "disk: BLKGETSIZE64: %s", strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		return lg_err(vm, -EINVAL, "disk %s: not a regular file or block device",
			      cfg->path ? cfg->path : "fd");
	}
	b->sectors = bytes / SECTOR;
	return 0;
}

static void fill_config(struct lg_vdev *d, const struct blk *b)
{
	struct virtio_blk_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.capacity = b->sectors;
	cfg.seg_max = BLK_QUEUE_SIZE - 2;	/* a header and a status besides */
	cfg.blk_size = SECTOR;
	cfg.max_discard_sectors = MAX_DISCARD_SECTORS;
	cfg.max_discard_seg = 1;
	cfg.discard_sector_alignment = 1;
	cfg.max_write_zeroes_sectors = MAX_DISCARD_SECTORS;
	cfg.max_write_zeroes_seg = 1;
	cfg.write_zeroes_may_unmap = 1;
	memcpy(d->config, &cfg, sizeof(cfg));
}

int lg_blk_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_io *io,
	       const struct lg_disk_config *cfg, struct lg_vdev **out)
{
	struct lg_vdev *d = calloc(1, sizeof(*d));
	struct blk *b = calloc(1, sizeof(*b));
	uint64_t features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
			    (1ULL << VIRTIO_BLK_F_FLUSH);
	const char *name;
	int err;

	if (!d || !b || !(b->reqs = calloc(BLK_QUEUE_SIZE, sizeof(*b->reqs)))) {
		free(d);
		free(b);
		return lg_err(vm, -ENOMEM, "disk: out of memory");
	}
	b->dev = d;
	b->fd = b->efd = -1;
	b->ro = cfg->readonly;
	for (unsigned int i = 0; i < BLK_QUEUE_SIZE; i++) {
		b->reqs[i].blk = b;
		b->reqs[i].next = b->free;
		b->free = &b->reqs[i];
	}
	if (b->ro)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	lg_vdev_init(d, &blk_ops, b, vm, mem, features, sizeof(struct virtio_blk_config));
	/* The serial number: the caller's, else the file's name (20 bytes, unterminated). */
	name = cfg->serial;
	if (!name && cfg->path) {
		name = strrchr(cfg->path, '/');
		name = name ? name + 1 : cfg->path;
	}
	if (name)
		memcpy(b->serial, name, strnlen(name, sizeof(b->serial)));

	err = open_disk(vm, cfg, b);
	if (err)
		goto fail;
	fill_config(d, b);
	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0) {
		err = lg_err(vm, -errno, "disk: eventfd: %s", strerror(errno));
		goto fail;
	}

	if (cfg->backend != LG_BLK_THREAD) {
		err = lg_blk_uring.start(b);
		if (!err) {
			b->backend = &lg_blk_uring;
		} else if (cfg->backend == LG_BLK_IO_URING) {
			err = lg_err(vm, err, "disk: io_uring: %s", strerror(-err));
			goto fail;
		} else {
			lg_log(vm, LG_LOG_INFO, "disk: io_uring refused (%s), using a worker thread",
			       strerror(-err));
		}
	}
	if (!b->backend) {
		err = lg_blk_thread.start(b);
		if (err) {
			err = lg_err(vm, err, "disk: worker thread: %s", strerror(-err));
			goto fail;
		}
		b->backend = &lg_blk_thread;
	}
	lg_log(vm, LG_LOG_INFO, "disk %s: %llu sectors%s, %s backend",
	       cfg->path ? cfg->path : "(fd)", (unsigned long long)b->sectors,
	       b->ro ? ", read-only" : "", b->backend->name);
	if (io) {
		err = lg_io_watch(io, b->efd, EPOLLIN, on_event, d);
		if (err) {
			err = lg_err(vm, err, "disk: cannot watch completions");
			goto fail;
		}
	}
	*out = d;
	return 0;
fail:
	blk_destroy(d);
	return err;
}
