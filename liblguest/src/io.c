// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The I/O thread.  The guest runs on one thread, inside LGUEST_RUN, and
 * only comes back to us when it touches a device.  Everything that
 * arrives from outside -- keystrokes, packets from the tap, finished disk
 * requests -- is waited for here, with epoll, and handed to the device
 * that asked for it.  Device state is protected by each device's lock, so
 * the two threads never step on each other.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

int lg_io_init(struct lg_io *io)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	io->nwatch = 0;
	io->running = false;
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (io->epfd < 0)
		return -errno;
	io->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->stopfd < 0 || epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->stopfd, &ev) < 0) {
		int err = -errno;

		if (io->stopfd >= 0)
			close(io->stopfd);
		close(io->epfd);
		io->epfd = io->stopfd = -1;
		return err;
	}
	return 0;
}

void lg_io_fini(struct lg_io *io)
{
	lg_io_stop(io);
	if (io->epfd >= 0)
		close(io->epfd);
	if (io->stopfd >= 0)
		close(io->stopfd);
	io->epfd = io->stopfd = -1;
}

int lg_io_watch(struct lg_io *io, int fd, uint32_t events, lg_io_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct lg_io_watch *w;

	if (io->nwatch == LG_IO_MAX_WATCH)
		return -ENOSPC;
	w = &io->watch[io->nwatch];
	w->fd = fd;
	w->fn = fn;
	w->opaque = opaque;
	ev.data.ptr = w;
	if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	io->nwatch++;
	return 0;
}

int lg_io_modify(struct lg_io *io, int fd, uint32_t events)
{
	for (unsigned int i = 0; i < io->nwatch; i++) {
		struct epoll_event ev = { .events = events, .data.ptr = &io->watch[i] };

		if (io->watch[i].fd != fd)
			continue;
		return epoll_ctl(io->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
	}
	return -ENOENT;
}

/* Not waited for any more; its slot stays, empty, until lg_io_fini(). */
void lg_io_unwatch(struct lg_io *io, int fd)
{
	for (unsigned int i = 0; i < io->nwatch; i++) {
		if (io->watch[i].fd != fd)
			continue;
		if (io->epfd >= 0)
			(void)epoll_ctl(io->epfd, EPOLL_CTL_DEL, fd, NULL);
		io->watch[i].fd = -1;
	}
}

static void *io_thread(void *arg)
{
	struct lg_io *io = arg;

	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(io->epfd, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			struct lg_io_watch *w = ev[i].data.ptr;

			if (!w)		/* the stop eventfd */
				return NULL;
			w->fn(w->opaque, ev[i].events);
		}
	}
	return NULL;
}

int lg_io_start(struct lg_io *io)
{
	uint64_t v;
	int err;

	/* A stop left over from an earlier run must not end this one. */
	while (read(io->stopfd, &v, sizeof(v)) > 0)
		;
	err = pthread_create(&io->thread, NULL, io_thread, io);
	if (err)
		return -err;
	io->running = true;
	return 0;
}

void lg_io_stop(struct lg_io *io)
{
	uint64_t one = 1;

	if (!io->running)
		return;
	if (write(io->stopfd, &one, sizeof(one)) != sizeof(one))
		return;		/* cannot happen with an eventfd below its maximum */
	pthread_join(io->thread, NULL);
	io->running = false;
}
