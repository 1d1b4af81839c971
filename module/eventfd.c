// SPDX-License-Identifier: GPL-2.0
/*
 * Devices without the launcher in the way: eventfds for notifications
 * and interrupts, as KVM's ioeventfd and irqfd.
 *
 * A virtio driver tells its device about new buffers by writing the queue's
 * number to a register (virtio-mmio's QueueNotify); that is an MMIO exit,
 * and without help LGUEST_RUN returns, the launcher decodes the write and
 * hands it to its I/O thread.  With an ioeventfd registered for that
 * register, the run loop signals the eventfd itself (mmio.c finds the
 * match) and goes straight back into the guest; the I/O thread, which
 * waits on the eventfd anyway, takes it from there.
 *
 * The other way, a completion used to come back as an LGUEST_IRQ ioctl.
 * An irqfd is an eventfd bound to a line: our wait-queue entry on it runs
 * in whatever context signals it (a thread's write(), io_uring's
 * completion) and raises the line there.
 *
 * Ioeventfds change only while no thread runs the guest (user.c refuses
 * LGUEST_IOEVENTFD then), so the run loop reads them without a lock.
 * Irqfds may come and go at any time, under lguest.lock; the wait queue's
 * own lock orders their wake-ups with their removal.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "lg.h"

struct lg_irqfd {
	struct list_head link;		/* in lguest.irqfds, under lguest.lock */
	struct lg_vcpu *vcpu;
	unsigned int irq;
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	poll_table pt;
};

/* Is [addr, addr + len) inside one of LGUEST_INIT's MMIO ranges? */
static bool in_mmio(const struct lguest *lg, u64 addr, u32 len)
{
	u32 i;

	for (i = 0; i < lg->nr_mmio; i++)
		if (addr >= lg->mmio[i].base && addr - lg->mmio[i].base < lg->mmio[i].size &&
		    len <= lg->mmio[i].size - (addr - lg->mmio[i].base))
			return true;
	return false;
}

static bool ioeventfd_same(const struct lg_ioeventfd *e, const struct lguest_ioeventfd *a)
{
	return e->addr == a->addr && e->len == a->len &&
	       (e->flags & LGUEST_IOEVENTFD_DATAMATCH) == (a->flags & LGUEST_IOEVENTFD_DATAMATCH) &&
	       (!(a->flags & LGUEST_IOEVENTFD_DATAMATCH) || e->datamatch == a->datamatch);
}

/* May @e and the new @a both stand?  Only distinct values at one register. */
static bool ioeventfd_conflict(const struct lg_ioeventfd *e, const struct lguest_ioeventfd *a)
{
	if (a->addr >= e->addr + e->len || e->addr >= a->addr + a->len)
		return false;
	return !(e->addr == a->addr && e->len == a->len &&
		 (e->flags & a->flags & LGUEST_IOEVENTFD_DATAMATCH) &&
		 e->datamatch != a->datamatch);
}

static long lg_ioeventfd_deassign(struct lguest *lg, const struct lguest_ioeventfd *a)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fdget(a->fd);
	unsigned int i;

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	for (i = 0; i < lg->nr_ioeventfds; i++) {
		struct lg_ioeventfd *e = &lg->ioeventfds[i];

		if (e->ctx != ctx || !ioeventfd_same(e, a))
			continue;
		eventfd_ctx_put(e->ctx);
		*e = lg->ioeventfds[--lg->nr_ioeventfds];
		eventfd_ctx_put(ctx);
		return 0;
	}
	eventfd_ctx_put(ctx);
	return -ENOENT;
}

/* LGUEST_IOEVENTFD, under lguest.lock with no thread in the guest. */
long lg_ioeventfd(struct lguest *lg, const struct lguest_ioeventfd __user *uarg)
{
	struct lguest_ioeventfd a;
	struct eventfd_ctx *ctx;
	struct lg_ioeventfd *e;
	unsigned int i;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.pad || a.flags & ~(LGUEST_IOEVENTFD_DATAMATCH | LGUEST_IOEVENTFD_DEASSIGN))
		return -EINVAL;
	if ((a.len != 1 && a.len != 2 && a.len != 4 && a.len != 8) || a.addr % a.len ||
	    !in_mmio(lg, a.addr, a.len))
		return -EINVAL;
	if (!(a.flags & LGUEST_IOEVENTFD_DATAMATCH) ? a.datamatch :
	    a.len < 8 && a.datamatch >> (8 * a.len))
		return -EINVAL;
	if (a.flags & LGUEST_IOEVENTFD_DEASSIGN)
		return lg_ioeventfd_deassign(lg, &a);

	for (i = 0; i < lg->nr_ioeventfds; i++)
		if (ioeventfd_conflict(&lg->ioeventfds[i], &a))
			return -EEXIST;
	if (lg->nr_ioeventfds == LGUEST_MAX_IOEVENTFDS)
		return -ENOSPC;
	ctx = eventfd_ctx_fdget(a.fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	e = &lg->ioeventfds[lg->nr_ioeventfds++];
	e->addr = a.addr;
	e->datamatch = a.datamatch;
	e->len = a.len;
	e->flags = a.flags;
	e->ctx = ctx;
	return 0;
}

/*
 * The guest wrote @val (@len bytes) at @gpa: signal the eventfd that
 * matches, if one does (mmio.c).  True if one did: the write is done.
 */
bool lg_ioeventfd_signal(struct lguest *lg, u64 gpa, u32 len, u64 val)
{
	unsigned int i;

	for (i = 0; i < lg->nr_ioeventfds; i++) {
		const struct lg_ioeventfd *e = &lg->ioeventfds[i];

		if (e->addr != gpa || e->len != len)
			continue;
		if ((e->flags & LGUEST_IOEVENTFD_DATAMATCH) && e->datamatch != val)
			continue;
		lg_eventfd_signal(e->ctx);
		return true;
	}
	return false;
}

/* Someone wrote to an irqfd's eventfd; its wait queue's lock is held. */
static int lg_irqfd_wake(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct lg_irqfd *f = container_of(wait, struct lg_irqfd, wait);
	u64 count;

	if (key_to_poll(key) & EPOLLIN) {
		/* Empty it, so the next write wakes us again. */
		eventfd_ctx_do_read(f->ctx, &count);
		lg_raise_irq(f->vcpu, f->irq);
	}
	return 0;
}

static void lg_irqfd_queue(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct lg_irqfd *f = container_of(pt, struct lg_irqfd, pt);

	add_wait_queue(wqh, &f->wait);
}

/* Unbind: once off the wait queue no wake-up can be running on it. */
static void lg_irqfd_free(struct lg_irqfd *f)
{
	u64 count;

	eventfd_ctx_remove_wait_queue(f->ctx, &f->wait, &count);
	eventfd_ctx_put(f->ctx);
	list_del(&f->link);
	kfree(f);
}

static long lg_irqfd_assign(struct lguest *lg, const struct lguest_irqfd *a)
{
	struct lg_irqfd *f, *old;
	unsigned int n = 0;
	struct file *file;
	__poll_t events;
	long err;

	file = fget(a->fd);
	if (!file)
		return -EBADF;
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f) {
		err = -ENOMEM;
		goto out;
	}
	f->ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(f->ctx)) {
		err = PTR_ERR(f->ctx);
		kfree(f);
		goto out;
	}
	err = 0;
	list_for_each_entry(old, &lg->irqfds, link) {
		if (old->ctx == f->ctx)
			err = -EBUSY;
		n++;
	}
	if (!err && n == LGUEST_MAX_IRQFDS)
		err = -ENOSPC;
	if (err) {
		eventfd_ctx_put(f->ctx);
		kfree(f);
		goto out;
	}
	f->vcpu = lg->vcpus[0];
	f->irq = a->irq;
	init_waitqueue_func_entry(&f->wait, lg_irqfd_wake);
	init_poll_funcptr(&f->pt, lg_irqfd_queue);
	list_add_tail(&f->link, &lg->irqfds);
	/* Queues our entry; a write from before is already there to see. */
	events = vfs_poll(file, &f->pt);
	if (events & EPOLLIN)
		lg_raise_irq(f->vcpu, f->irq);
out:
	fput(file);
	return err;
}

/* LGUEST_IRQFD, under lguest.lock, with or without a thread in the guest. */
long lg_irqfd(struct lguest *lg, const struct lguest_irqfd __user *uarg)
{
	struct lguest_irqfd a;
	struct eventfd_ctx *ctx;
	struct lg_irqfd *f;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.pad || a.flags & ~LGUEST_IRQFD_DEASSIGN)
		return -EINVAL;
	if ((a.flags & LGUEST_IRQFD_DEASSIGN) && a.irq)
		return -EINVAL;
	if (!(a.flags & LGUEST_IRQFD_DEASSIGN)) {
		/* Line 0 is the guest's own timer. */
		if (a.irq == 0 || a.irq >= LGUEST_NR_IRQS)
			return -EINVAL;
		return lg_irqfd_assign(lg, &a);
	}
	ctx = eventfd_ctx_fdget(a.fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	list_for_each_entry(f, &lg->irqfds, link) {
		if (f->ctx == ctx) {
			lg_irqfd_free(f);
			eventfd_ctx_put(ctx);
			return 0;
		}
	}
	eventfd_ctx_put(ctx);
	return -ENOENT;
}

/* The guest's end: every eventfd goes back. */
void lg_eventfd_release(struct lguest *lg)
{
	struct lg_irqfd *f, *n;

	list_for_each_entry_safe(f, n, &lg->irqfds, link)
		lg_irqfd_free(f);
	while (lg->nr_ioeventfds)
		eventfd_ctx_put(lg->ioeventfds[--lg->nr_ioeventfds].ctx);
}
