// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-fs, served by a vhost-user daemon (virtiofsd): the guest mounts
 * a host directory with "mount -t virtiofs TAG DIR".
 *
 * We keep the device's registers and its config space (the tag); the
 * queues -- one for high-priority requests, one for the rest -- belong to
 * the daemon once the driver says DRIVER_OK (vhost_user.c hands them
 * over).  A guest kick reaches the daemon through the queue's kick
 * eventfd: lg.ko signals it directly where it can (notify.c), else the
 * exit comes to us and we write it.  The daemon's call eventfds come to
 * the I/O thread, which sets the interrupt status and raises our line:
 * the guest's driver reads that status to know there is work.
 *
 * If the daemon goes away, we answer the requests it had not answered
 * with EIO, and all that follow, so the guest's programs see I/O errors
 * instead of waiting forever, and lguestctl says what happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "internal.h"

#define NQ 2	/* hiprio and one request queue */

struct fs {
	struct lg_vm *vm;
	struct lg_vhost vhost;
	struct lg_io *io;
	int memfd;
	int kick[NQ], call[NQ];
	bool dead;
	struct lg_chain chain;
};

static void on_ready(void *opaque, uint32_t events);

/* ---- the daemon gone: every request gets EIO ----------------------------- */

static void fail_requests(struct lg_vdev *d)
{
	struct fs *fs = d->priv;

	for (unsigned int q = 0; q < NQ; q++) {
		struct lg_vq *vq = &d->vq[q];
		bool used = false;
		int r;

		if (!vq->ready)
			continue;
		while ((r = lg_vq_pop(vq, &fs->chain)) != 0) {
			if (r < 0) {
				lg_vdev_fail(d, "malformed request chain");
				return;
			}
			struct fuse_in_header in;
			struct fuse_out_header out = { .len = sizeof(out), .error = -EIO };

			if (lg_iov_to_buf(fs->chain.iov, fs->chain.nout, 0, &in, sizeof(in)) ==
			    sizeof(in))
				out.unique = in.unique;
			if (fs->chain.in_len < sizeof(out)) {
				lg_vq_push(vq, fs->chain.head, 0);
			} else {
				lg_buf_to_iov(fs->chain.iov + fs->chain.nout, fs->chain.nin, 0, &out,
					      sizeof(out));
				lg_vq_push(vq, fs->chain.head, sizeof(out));
			}
			used = true;
		}
		if (used)
			lg_vdev_interrupt(d);
	}
}

/*
 * The daemon went away.  What it took from the rings it never answered;
 * it answered in order (virtiofsd without a thread pool does), so the
 * requests from the used index on are the ones left.  Those, and all
 * that come after, get EIO from us.
 */
static void daemon_gone(struct lg_vdev *d)
{
	struct fs *fs = d->priv;

	if (fs->dead)
		return;
	fs->dead = true;
	lg_log(fs->vm, LG_LOG_ERROR, "fs: virtiofsd went away: the guest gets I/O errors"
	       " from its file system");
	/*
	 * Hang up on it, so that one merely slow stops touching the rings;
	 * and take the kicks lg.ko signals for it ourselves from now on.
	 */
	if (fs->io)
		lg_io_unwatch(fs->io, fs->vhost.fd);
	lg_vhost_close(&fs->vhost);
	for (unsigned int q = 0; fs->io && q < NQ; q++)
		(void)lg_io_watch(fs->io, fs->kick[q], EPOLLIN, on_ready, d);
	for (unsigned int q = 0; q < NQ; q++) {
		struct lg_vq *vq = &d->vq[q];

		if (!vq->ready)
			continue;
		vq->used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
		vq->last_avail = vq->used_idx;
		vq->signalled_valid = false;
	}
	fail_requests(d);
}

/* ---- the I/O thread ------------------------------------------------------ */

/*
 * What the I/O thread does when a call eventfd or the daemon's socket
 * wakes it (and tests, by hand): the daemon used buffers, so interrupt
 * the guest; or the daemon went away (it never speaks unasked).
 */
void lg_fs_service(struct lg_vdev *d)
{
	struct fs *fs = d->priv;
	struct pollfd p = { .fd = fs->vhost.fd, .events = POLLRDHUP };
	bool kicked = false;
	uint64_t n;

	pthread_mutex_lock(&d->lock);
	for (unsigned int q = 0; q < NQ; q++) {
		if (read(fs->call[q], &n, sizeof(n)) == sizeof(n) && lg_vdev_live(d))
			lg_vdev_interrupt(d);
		/* Once the daemon is gone, lg.ko's kicks are ours to answer. */
		if (fs->dead && read(fs->kick[q], &n, sizeof(n)) == sizeof(n))
			kicked = true;
	}
	if (!fs->dead && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		daemon_gone(d);
	else if (kicked && lg_vdev_live(d))
		fail_requests(d);
	pthread_mutex_unlock(&d->lock);
}

static void on_ready(void *opaque, uint32_t events)
{
	(void)events;
	lg_fs_service(opaque);
}

/* ---- the device ------------------------------------------------------------ */

static int fs_kick_fd(struct lg_vdev *d, unsigned int q)
{
	struct fs *fs = d->priv;

	return q < NQ ? fs->kick[q] : -1;
}

static void fs_notify(struct lg_vdev *d, unsigned int q)
{
	struct fs *fs = d->priv;
	uint64_t one = 1;

	if (fs->dead) {
		fail_requests(d);
		return;
	}
	if (write(fs->kick[q], &one, sizeof(one)) != sizeof(one))
		lg_log(fs->vm, LG_LOG_DEBUG, "fs: kick of queue %u lost", q);
}

static void fs_driver_ok(struct lg_vdev *d)
{
	struct fs *fs = d->priv;
	int err;

	if (fs->dead) {
		fail_requests(d);
		return;
	}
	/* A driver that skipped FEATURES_OK has chosen nothing we checked. */
	if (!(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		lg_vdev_fail(d, "DRIVER_OK without FEATURES_OK");
		return;
	}
	err = lg_vhost_start(&fs->vhost, d->guest_features & d->host_features, d->mem, fs->memfd,
			     d->vq, NQ, fs->kick, fs->call);
	if (err) {
		lg_log(fs->vm, LG_LOG_ERROR, "fs: virtiofsd refused the queues: %s", strerror(-err));
		daemon_gone(d);
		return;
	}
}

static void fs_reset(struct lg_vdev *d)
{
	struct fs *fs = d->priv;

	if (!fs->dead && lg_vhost_stop(&fs->vhost))
		daemon_gone(d);
}

static void fs_destroy(struct lg_vdev *d)
{
	struct fs *fs = d->priv;

	lg_vhost_close(&fs->vhost);
	for (unsigned int q = 0; q < NQ; q++) {
		if (fs->kick[q] >= 0)
			close(fs->kick[q]);
		if (fs->call[q] >= 0)
			close(fs->call[q]);
	}
	free(fs);
	lg_vdev_fini(d);
	free(d);
}

static const struct lg_vdev_ops fs_ops = {
	.name = "fs",
	.device_id = VIRTIO_ID_FS,
	.nqueues = NQ,
	.kick_fd = fs_kick_fd,
	.driver_ok = fs_driver_ok,
	.notify = fs_notify,
	.reset = fs_reset,
	.destroy = fs_destroy,
};

int lg_fs_new(struct lg_vm *vm, const struct lg_mem *mem, int memfd, struct lg_io *io,
	      const struct lg_fs_config *cfg, struct lg_vdev **out)
{
	struct lg_vdev *d = calloc(1, sizeof(*d));
	struct fs *fs = calloc(1, sizeof(*fs));
	struct virtio_fs_config *fc;
	int err = 0;

	if (!d || !fs) {
		free(d);
		free(fs);
		return lg_err(vm, -ENOMEM, "fs: out of memory");
	}
	fs->vm = vm;
	fs->io = io;
	fs->memfd = memfd;
	fs->vhost.fd = -1;
	for (unsigned int q = 0; q < NQ; q++)
		fs->kick[q] = fs->call[q] = -1;
	lg_vdev_init(d, &fs_ops, fs, vm, mem, 0, sizeof(struct virtio_fs_config));
	if (!cfg->tag || !cfg->tag[0] || strlen(cfg->tag) > sizeof(fc->tag)) {
		fs_destroy(d);
		return lg_err(vm, -EINVAL, "fs: a tag of 1 to %zu characters", sizeof(fc->tag));
	}
	fc = (struct virtio_fs_config *)d->config;
	memcpy(fc->tag, cfg->tag, strlen(cfg->tag));
	fc->num_request_queues = NQ - 1;
	for (unsigned int q = 0; q < NQ; q++) {
		fs->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		fs->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fs->kick[q] < 0 || fs->call[q] < 0) {
			err = lg_err(vm, -errno, "fs: eventfd: %s", strerror(errno));
			fs_destroy(d);
			return err;
		}
	}
	/* A connected socket given to us stays the caller's: we use a copy. */
	if (cfg->socket) {
		err = lg_vhost_connect(&fs->vhost, cfg->socket);
	} else {
		int fd = fcntl(cfg->fd, F_DUPFD_CLOEXEC, 3);

		err = fd < 0 ? -errno : lg_vhost_open(&fs->vhost, fd);
	}
	if (err)
		err = lg_err(vm, err, "fs %s: the vhost-user daemon at %s: %s", cfg->tag,
			     cfg->socket ? cfg->socket : "its socket", strerror(-err));
	if (!err && !(fs->vhost.features & (1ULL << VIRTIO_F_VERSION_1)))
		err = lg_err(vm, -EPROTO, "fs %s: the daemon does not speak virtio 1", cfg->tag);
	if (!err && io) {
		err = lg_io_watch(io, fs->call[0], EPOLLIN, on_ready, d);
		if (!err)
			err = lg_io_watch(io, fs->call[1], EPOLLIN, on_ready, d);
		if (!err)
			err = lg_io_watch(io, fs->vhost.fd, EPOLLRDHUP, on_ready, d);
		if (err)
			lg_err(vm, err, "fs: cannot watch the daemon");
	}
	if (err) {
		fs_destroy(d);
		return err;
	}
	*out = d;
	return 0;
}
