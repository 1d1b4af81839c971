// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-rng: the simplest device there is.  The guest hands us empty
 * buffers; we fill them from the host's getrandom() and hand them back.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include <linux/virtio_ids.h>

#include "internal.h"

static void rng_notify(struct lg_vdev *d, unsigned int q)
{
	struct lg_vq *vq = &d->vq[q];
	struct lg_chain *c = d->priv;
	int r;

	while ((r = lg_vq_pop(vq, c)) > 0) {
		uint64_t done = 0;

		if (c->nout) {
			lg_vdev_fail(d, "request with a device-readable buffer");
			return;
		}
		for (unsigned int i = 0; i < c->nin; i++) {
			ssize_t n = getrandom(c->iov[i].iov_base, c->iov[i].iov_len, 0);

			if (n < 0)
				break;
			done += (uint64_t)n;
			if ((size_t)n < c->iov[i].iov_len)
				break;
		}
		lg_vq_push(vq, c->head, (uint32_t)done);
		lg_vdev_used(d, vq);
	}
	if (r < 0)
		lg_vdev_fail(d, "malformed descriptor chain");
}

static void rng_destroy(struct lg_vdev *d)
{
	free(d->priv);
	lg_vdev_fini(d);
	free(d);
}

static const struct lg_vdev_ops rng_ops = {
	.name = "rng",
	.device_id = VIRTIO_ID_RNG,
	.nqueues = 1,
	.notify = rng_notify,
	.destroy = rng_destroy,
};

int lg_rng_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_vdev **out)
{
	struct lg_vdev *d = calloc(1, sizeof(*d));
	struct lg_chain *c = malloc(sizeof(*c));

	if (!d || !c) {
		free(d);
		free(c);
		return lg_err(vm, -ENOMEM, "rng: out of memory");
	}
	lg_vdev_init(d, &rng_ops, c, vm, mem, 0, 0);
	*out = d;
	return 0;
}
