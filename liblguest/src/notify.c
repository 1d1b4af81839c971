// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Notifications and interrupts through lg.ko's eventfds, where the module
 * has them (LGUEST_FEATURE_EVENTFD).
 *
 * Without them, a driver's QueueNotify write is an MMIO exit: LGUEST_RUN
 * returns, run.c decodes the write and calls the device on the vCPU
 * thread, and only then does the guest go on.  With an ioeventfd per
 * queue, lg.ko signals the eventfd and re-enters the guest at once; the
 * I/O thread, which waits on everything else from outside already, takes
 * the notification from there (for the devices that set
 * lg_vdev_ops.eventfd_notify: none yet, docs/design.md says why); a
 * device whose queues a vhost-user daemon serves has lg.ko signal the
 * daemon's own kick eventfd.  Interrupts go the other way through an
 * irqfd per device: a write to it raises the device's line inside lg.ko.
 *
 * Either way the device sees the same calls under its lock, so it cannot
 * tell the paths apart; LGUEST_EVENTFD=0 in the environment keeps the
 * old one (the tests run both and compare).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>

#include "vm.h"

/* An ioeventfd fired: the driver notified queue n->q. */
static void on_notify(void *opaque, uint32_t events)
{
	struct lg_notify *n = opaque;
	uint64_t count;

	(void)events;
	if (read(n->fd, &count, sizeof(count)) == sizeof(count))
		lg_vdev_notify(n->vdev, n->q);
}

static void raise_irqfd(struct lg_vdev *d)
{
	uint64_t one = 1;

	/* Cannot fail short of the counter's maximum, which the guest drains. */
	if (write(d->irq_fd, &one, sizeof(one)) != sizeof(one))
		lg_vm_irq(d->vm, d->irq);
}

static int ioeventfd(struct lg_vm *vm, uint64_t addr, unsigned int q, int fd)
{
	struct lguest_ioeventfd a = {
		.addr = addr, .len = 4, .fd = fd, .datamatch = q,
		.flags = LGUEST_IOEVENTFD_DATAMATCH,
	};

	return ioctl(vm->fd, LGUEST_IOEVENTFD, &a) < 0 ? -errno : 0;
}

static int irqfd(struct lg_vm *vm, unsigned int irq, int fd)
{
	struct lguest_irqfd a = { .fd = fd, .irq = irq };

	return ioctl(vm->fd, LGUEST_IRQFD, &a) < 0 ? -errno : 0;
}

/* One virtio device's eventfds; 0, or -errno with what it got undone by the caller. */
static int device_setup(struct lg_vm *vm, struct lg_device *dev)
{
	struct lg_vdev *d = dev->vdev;
	int err;

	/* Queues someone else serves: lg.ko signals that someone directly. */
	for (unsigned int q = 0; d->ops->kick_fd && q < d->ops->nqueues; q++) {
		err = ioeventfd(vm, dev->base + VIRTIO_MMIO_QUEUE_NOTIFY, q, d->ops->kick_fd(d, q));
		if (err)
			return err;
		dev->nkick++;
	}
	for (unsigned int q = 0; d->ops->eventfd_notify && q < d->ops->nqueues; q++) {
		struct lg_notify *n = &dev->notify[q];

		n->vdev = d;
		n->q = q;
		n->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->fd < 0)
			return -errno;
		dev->nnotify++;
		err = ioeventfd(vm, dev->base + VIRTIO_MMIO_QUEUE_NOTIFY, q, n->fd);
		if (!err)
			err = lg_io_watch(&vm->io, n->fd, EPOLLIN, on_notify, n);
		if (err)
			return err;
	}
	d->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->irq_fd < 0)
		return -errno;
	err = irqfd(vm, dev->irq, d->irq_fd);
	if (err) {
		close(d->irq_fd);
		d->irq_fd = -1;
		return err;
	}
	d->raise = raise_irqfd;
	return 0;
}

/*
 * After LGUEST_INIT, before the guest first runs: every virtio device's
 * queues and line through eventfds, or (older lg.ko, LGUEST_EVENTFD=0,
 * a refusal) none of them and the exits as before.
 */
void lg_notify_setup(struct lg_vm *vm)
{
	const char *env = getenv("LGUEST_EVENTFD");
	unsigned int nq = 0, ndev = 0;
	int err = 0;

	if (env && !strcmp(env, "0")) {
		lg_log(vm, LG_LOG_INFO, "eventfds: off (LGUEST_EVENTFD=0)");
		return;
	}
	if (!(vm->features & LGUEST_FEATURE_EVENTFD)) {
		lg_log(vm, LG_LOG_INFO, "eventfds: not in this lg.ko; notifications exit to us");
		return;
	}
	for (unsigned int i = 0; i < vm->ndev && !err; i++) {
		if (!vm->dev[i].vdev)
			continue;
		err = device_setup(vm, &vm->dev[i]);
		nq += vm->dev[i].nnotify + vm->dev[i].nkick;
		ndev++;
	}
	if (err) {
		lg_log(vm, LG_LOG_WARN, "eventfds: %s; notifications exit to us", strerror(-err));
		lg_notify_teardown(vm);
		return;
	}
	lg_log(vm, LG_LOG_INFO, "eventfds: %u queue notifications and %u devices' interrupts"
	       " bypass us", nq, ndev);
}

/*
 * Back to the exits: lg.ko drops its references when the file closes,
 * so closing ours is enough where the guest never runs again; where it
 * may, the registrations go first, so the notifications exit again.
 */
void lg_notify_teardown(struct lg_vm *vm)
{
	for (unsigned int i = 0; i < vm->ndev; i++) {
		struct lg_device *dev = &vm->dev[i];
		struct lg_vdev *d = dev->vdev;

		for (unsigned int q = 0; q < dev->nnotify; q++) {
			struct lguest_ioeventfd a = {
				.addr = dev->base + VIRTIO_MMIO_QUEUE_NOTIFY, .len = 4, .datamatch = q,
				.fd = dev->notify[q].fd,
				.flags = LGUEST_IOEVENTFD_DATAMATCH | LGUEST_IOEVENTFD_DEASSIGN,
			};

			if (vm->fd >= 0)
				(void)ioctl(vm->fd, LGUEST_IOEVENTFD, &a);
			lg_io_unwatch(&vm->io, dev->notify[q].fd);
			close(dev->notify[q].fd);
		}
		dev->nnotify = 0;
		for (unsigned int q = 0; q < dev->nkick; q++) {
			struct lguest_ioeventfd a = {
				.addr = dev->base + VIRTIO_MMIO_QUEUE_NOTIFY, .len = 4, .datamatch = q,
				.fd = d->ops->kick_fd(d, q),
				.flags = LGUEST_IOEVENTFD_DATAMATCH | LGUEST_IOEVENTFD_DEASSIGN,
			};

			if (vm->fd >= 0)
				(void)ioctl(vm->fd, LGUEST_IOEVENTFD, &a);
		}
		dev->nkick = 0;
		if (d && d->irq_fd >= 0) {
			struct lguest_irqfd a = { .fd = d->irq_fd, .flags = LGUEST_IRQFD_DEASSIGN };

			if (vm->fd >= 0)
				(void)ioctl(vm->fd, LGUEST_IRQFD, &a);
			d->raise = lg_vm_raise_vdev;
			close(d->irq_fd);
			d->irq_fd = -1;
		}
	}
}
