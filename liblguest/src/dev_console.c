// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-console: the guest's hvc0 on our stdin and stdout.
 *
 * One port, no multiport.  Queue 0 carries keystrokes to the guest,
 * queue 1 its output to us.  Output is written as it comes, on the thread
 * running the guest; input is read on the I/O thread when the fd is
 * readable and the guest has posted buffers.  While the VM runs, a
 * terminal on the input side is raw, so ^C and friends reach the guest;
 * it is restored when the VM stops, whatever the reason.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "internal.h"

struct console {
	int in_fd, out_fd;
	struct lg_io *io;
	bool in_watched, in_eof;
	bool raw;
	struct termios saved;
	struct lg_chain chain;
};

#define RXQ 0
#define TXQ 1

static void want_input(struct lg_vdev *d, bool on)
{
	struct console *con = d->priv;

	if (con->io && con->in_watched && !con->in_eof)
		lg_io_modify(con->io, con->in_fd, on ? EPOLLIN : 0);
}

/* The I/O thread: input is waiting on in_fd. */
static void con_input(void *opaque, uint32_t events)
{
	struct lg_vdev *d = opaque;
	struct console *con = d->priv;
	struct lg_vq *vq = &d->vq[RXQ];
	ssize_t n;
	int r;

	(void)events;
	pthread_mutex_lock(&d->lock);
	if (!lg_vdev_live(d) || !lg_vq_has_avail(vq)) {
		want_input(d, false);	/* until the guest posts buffers */
		goto out;
	}
	r = lg_vq_pop(vq, &con->chain);
	if (r < 0) {
		lg_vdev_fail(d, "malformed receive chain");
		goto out;
	}
	if (con->chain.nout) {
		lg_vdev_fail(d, "receive chain with a device-readable buffer");
		goto out;
	}
	n = readv(con->in_fd, con->chain.iov, (int)con->chain.nin);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		lg_vq_unpop(vq);	/* nothing after all: keep the buffer */
		goto out;
	}
	if (n <= 0) {
		/* End of input: the guest simply hears nothing more. */
		con->in_eof = true;
		if (con->io)
			lg_io_modify(con->io, con->in_fd, 0);
		n = 0;
	}
	lg_vq_push(vq, con->chain.head, (uint32_t)n);
	lg_vdev_used(d, vq);
out:
	pthread_mutex_unlock(&d->lock);
}

static void write_all(int fd, const struct iovec *iov, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left) {
			ssize_t w = write(fd, p, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return;	/* output gone: the guest's words are lost */
			p += w;
			left -= (size_t)w;
		}
	}
}

static void con_notify(struct lg_vdev *d, unsigned int q)
{
	struct console *con = d->priv;
	struct lg_vq *vq = &d->vq[q];
	int r;

	if (q == RXQ) {
		want_input(d, true);
		return;
	}
	while ((r = lg_vq_pop(vq, &con->chain)) > 0) {
		if (con->chain.nin) {
			lg_vdev_fail(d, "transmit chain with a device-writable buffer");
			return;
		}
		write_all(con->out_fd, con->chain.iov, con->chain.nout);
		lg_vq_push(vq, con->chain.head, 0);
		lg_vdev_used(d, vq);
	}
	if (r < 0)
		lg_vdev_fail(d, "malformed transmit chain");
}

static void con_start(struct lg_vdev *d)
{
	struct console *con = d->priv;
	struct termios t;

	if (con->raw || tcgetattr(con->in_fd, &con->saved) < 0)
		return;		/* not a terminal: nothing to do */
	t = con->saved;
	cfmakeraw(&t);
	if (tcsetattr(con->in_fd, TCSAFLUSH, &t) == 0)
		con->raw = true;
}

static void con_stop(struct lg_vdev *d)
{
	struct console *con = d->priv;

	if (con->raw && tcsetattr(con->in_fd, TCSAFLUSH, &con->saved) == 0)
		con->raw = false;
}

static void con_destroy(struct lg_vdev *d)
{
	con_stop(d);
	free(d->priv);
	lg_vdev_fini(d);
	free(d);
}

static const struct lg_vdev_ops console_ops = {
	.name = "console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.notify = con_notify,
	.start = con_start,
	.stop = con_stop,
	.destroy = con_destroy,
};

int lg_console_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_io *io,
		   int in_fd, int out_fd, struct lg_vdev **out)
{
	struct lg_vdev *d = calloc(1, sizeof(*d));
	struct console *con = calloc(1, sizeof(*con));

	if (!d || !con) {
		free(d);
		free(con);
		return lg_err(vm, -ENOMEM, "console: out of memory");
	}
	con->in_fd = in_fd < 0 ? STDIN_FILENO : in_fd;
	con->out_fd = out_fd < 0 ? STDOUT_FILENO : out_fd;
	con->io = io;
	/* No features: one port, no size reports, no emergency writes. */
	lg_vdev_init(d, &console_ops, con, vm, mem, 0, sizeof(struct virtio_console_config));
	if (io) {
		int err = lg_io_watch(io, con->in_fd, 0, con_input, d);

		/* A regular file or /dev/null cannot be polled: no input then. */
		con->in_watched = err == 0;
		if (err && err != -EPERM) {
			con_destroy(d);
			return lg_err(vm, err, "console: cannot watch input fd %d", con->in_fd);
		}
	}
	*out = d;
	return 0;
}
