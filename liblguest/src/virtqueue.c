// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Split virtqueues, as the device sees them.
 *
 * The rings live in guest memory and the guest may scribble on them at any
 * moment, from another vCPU or out of malice.  So we follow three rules:
 * every address and length the guest gives us is checked against guest RAM
 * before we make a pointer of it; every descriptor is copied out of the
 * ring once and only the copy is used; and anything impossible (an index
 * beyond the queue, a chain longer than the queue, which means a loop, a
 * writable buffer before a readable one) is an error the caller turns into
 * DEVICE_NEEDS_RESET.  The host never crashes and never reads or writes
 * outside guest memory.
 *
 * With VIRTIO_RING_F_EVENT_IDX (virtio 1.x, 2.7.10) each side tells the
 * other when it next wants to hear: the driver writes used_event after
 * the avail ring (interrupt me when the used index passes it), we write
 * avail_event after the used ring (notify us when the avail index passes
 * what we consumed).  A driver that sets them badly only gets too many
 * or too few interrupts of its own.
 */
#include <errno.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "internal.h"

void lg_vq_reset(struct lg_vq *vq, const struct lg_mem *mem)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

/*
 * The driver set QueueReady: its three addresses and the size must describe
 * rings entirely inside guest RAM, with the alignment the spec requires.
 */
int lg_vq_enable(struct lg_vq *vq)
{
	uint64_t n = vq->size;

	if (n == 0 || n > LG_VQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -EINVAL;
	vq->desc = lg_mem_range(vq->mem, vq->desc_gpa, 16 * n);
	/* flags, idx, ring[n], used_event */
	vq->avail = lg_mem_range(vq->mem, vq->avail_gpa, 6 + 2 * n);
	/* flags, idx, ring[n] of {id, len}, avail_event */
	vq->used = lg_mem_range(vq->mem, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -EFAULT;
	}
	/* The device owns the used ring: it starts empty, whatever is there. */
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	if (vq->event_idx)
		__atomic_store_n((uint16_t *)&vq->used->ring[n], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vq->used->idx, 0, __ATOMIC_RELEASE);
	vq->ready = true;
	return 0;
}

static uint16_t avail_idx(const struct lg_vq *vq)
{
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
}

/* EVENT_IDX: notify us once the avail index passes @idx. */
static void set_avail_event(struct lg_vq *vq, uint16_t idx)
{
	uint16_t *avail_event = (uint16_t *)&vq->used->ring[vq->size];

	__atomic_store_n(avail_event, idx, __ATOMIC_RELAXED);
}

/*
 * Is a chain waiting?  With EVENT_IDX an empty queue asks for a
 * notification at the next chain, then looks again, for one the driver
 * made before it could see the ask: a device that waits for buffers
 * (console and network input) must hear of them.
 */
bool lg_vq_has_avail(struct lg_vq *vq)
{
	if (!vq->ready)
		return false;
	if (avail_idx(vq) != vq->last_avail)
		return true;
	if (!vq->event_idx)
		return false;
	set_avail_event(vq, vq->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return avail_idx(vq) != vq->last_avail;
}

/*
 * Takes the next chain the driver made available.  Returns 1 with @c
 * filled, 0 when there is none, -EIO when the driver broke the rules (the
 * queue is then unusable until reset).
 */
int lg_vq_pop(struct lg_vq *vq, struct lg_chain *c)
{
	uint16_t idx, head, i;
	unsigned int count = 0;

	if (!lg_vq_has_avail(vq))
		return 0;
	idx = avail_idx(vq);
	/* More than a queue's worth outstanding: the index is garbage. */
	if ((uint16_t)(idx - vq->last_avail) > vq->size)
		return -EIO;
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail % vq->size], __ATOMIC_RELAXED);
	if (head >= vq->size)
		return -EIO;

	c->head = head;
	c->nout = c->nin = 0;
	c->out_len = c->in_len = 0;
	i = head;
	for (;;) {
		struct vring_desc d;
		void *p;

		/* A chain can visit each descriptor once: more is a loop. */
		if (++count > vq->size)
			return -EIO;
		memcpy(&d, &vq->desc[i], sizeof(d));	/* once: the guest may change it */
		/* We never offer VIRTIO_F_RING_INDIRECT_DESC. */
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -EIO;
		p = lg_mem_range(vq->mem, d.addr, d.len);
		if (!p)
			return -EIO;
		if (d.flags & VRING_DESC_F_WRITE) {
			c->iov[c->nout + c->nin].iov_base = p;
			c->iov[c->nout + c->nin].iov_len = d.len;
			c->nin++;
			c->in_len += d.len;
		} else {
			/* Readable buffers come first (virtio 1.x, 2.7.4.2). */
			if (c->nin)
				return -EIO;
			c->iov[c->nout].iov_base = p;
			c->iov[c->nout].iov_len = d.len;
			c->nout++;
			c->out_len += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= vq->size)
			return -EIO;
		i = d.next;
	}
	vq->last_avail++;
	return 1;
}

void lg_vq_unpop(struct lg_vq *vq)
{
	vq->last_avail--;
}

/* Returns a chain to the driver, @len bytes written into it. */
int lg_vq_push(struct lg_vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;

	if (!vq->ready || head >= vq->size)
		return -EIO;
	e = &vq->used->ring[vq->used_idx % vq->size];
	e->id = head;
	e->len = len;
	vq->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	return 0;
}

/*
 * After pushing: does the driver want an interrupt for what we used since
 * we last asked?  Without EVENT_IDX it may only turn them all off.
 */
bool lg_vq_wants_interrupt(struct lg_vq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, event;
	bool valid = vq->signalled_valid;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = now;
	vq->signalled_valid = true;
	event = __atomic_load_n(&vq->avail->ring[vq->size], __ATOMIC_RELAXED);
	/* vring_need_event(): did the index step over used_event? */
	return !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

size_t lg_iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - done)
			l = len - done;
		memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + skip, l);
		done += l;
		skip = 0;
	}
	return done;
}

size_t lg_buf_to_iov(const struct iovec *iov, unsigned int n, size_t skip, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - done)
			l = len - done;
		memcpy((uint8_t *)iov[i].iov_base + skip, (const uint8_t *)buf + done, l);
		done += l;
		skip = 0;
	}
	return done;
}
