// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-net over a tap device.
 *
 * The tap speaks the virtio-net header itself (IFF_VNET_HDR), so packets
 * pass between the guest's buffers and the tap without being copied or
 * rewritten: the guest's transmit chains go out with one writev(), and
 * one readv() fills a receive chain.  Checksum and segmentation offloads
 * therefore cost nothing: what the guest may send (HOST_*) the tap takes
 * as is, and what it may receive (GUEST_*) we tell the tap with
 * TUNSETOFFLOAD once the guest has chosen.
 *
 * Without VIRTIO_NET_F_MRG_RXBUF each packet gets its own chain, so the
 * guest posts buffers big enough for a whole (segmentation-offloaded)
 * packet.  Creating a tap needs CAP_NET_ADMIN; attaching to one made for
 * our user (ip tuntap add NAME mode tap user USER) does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "internal.h"

#define RXQ 0
#define TXQ 1
#define HDR_LEN sizeof(struct virtio_net_hdr_v1)

struct net {
	int fd;
	bool is_tap;
	bool offloads_set;
	bool rx_on;
	struct lg_io *io;
	struct lg_chain chain;
	uint8_t overflow;
};

static void rx_interest(struct lg_vdev *d, bool on)
{
	struct net *n = d->priv;

	if (n->io && n->rx_on != on && lg_io_modify(n->io, n->fd, on ? EPOLLIN : 0) == 0)
		n->rx_on = on;
}

/* Tell the tap which offloaded packets the guest accepts. */
static void set_offloads(struct lg_vdev *d)
{
	struct net *n = d->priv;
	unsigned int off = 0;

	if (n->offloads_set)
		return;
	n->offloads_set = true;
	if (lg_vdev_has_feature(d, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (lg_vdev_has_feature(d, VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (lg_vdev_has_feature(d, VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (lg_vdev_has_feature(d, VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	if (n->is_tap && ioctl(n->fd, TUNSETOFFLOAD, off) < 0)
		lg_log(d->vm, LG_LOG_WARN, "net: TUNSETOFFLOAD %#x: %s", off, strerror(errno));
}

/* Packets from the tap into receive chains, while both last (lock held). */
static void receive(struct lg_vdev *d)
{
	struct net *n = d->priv;
	struct lg_vq *vq = &d->vq[RXQ];
	bool used = false;

	for (;;) {
		static const uint16_t one = 1;
		ssize_t got;
		int r = lg_vq_pop(vq, &n->chain);

		if (r < 0) {
			lg_vdev_fail(d, "malformed receive chain");
			break;
		}
		if (r == 0) {
			rx_interest(d, false);	/* until the guest posts more */
			break;
		}
		if (n->chain.nout || n->chain.in_len < HDR_LEN) {
			lg_vdev_fail(d, "receive chain not writable or shorter than the header");
			break;
		}
		/*
		 * A packet longer than the chain spills into the overflow
		 * byte (or, on older kernels, the tap returns its full
		 * length anyway): either way we learn it did not fit.
		 */
		n->chain.iov[n->chain.nin].iov_base = &n->overflow;
		n->chain.iov[n->chain.nin].iov_len = sizeof(n->overflow);
		got = readv(n->fd, n->chain.iov, (int)n->chain.nin + 1);
		if (got < (ssize_t)HDR_LEN) {
			/* Nothing (EAGAIN) or a runt: keep the chain for the next packet. */
			lg_vq_unpop(vq);
			if (got < 0 && errno != EAGAIN && errno != EINTR)
				lg_log(d->vm, LG_LOG_WARN, "net: read: %s", strerror(errno));
			if (got < 0)
				break;
			continue;
		}
		/*
		 * Too long for the chain: drop it, as a NIC drops a frame
		 * bigger than its buffer, and never report more than fits.
		 */
		if ((uint64_t)got > n->chain.in_len) {
			lg_vq_unpop(vq);
			lg_log(d->vm, LG_LOG_DEBUG, "net: dropped a %zd-byte packet: the"
			       " receive chain holds %llu", got,
			       (unsigned long long)n->chain.in_len);
			continue;
		}
		/* One chain per packet: num_buffers is 1. */
		lg_buf_to_iov(n->chain.iov, n->chain.nin,
			      offsetof(struct virtio_net_hdr_v1, num_buffers), &one, sizeof(one));
		lg_vq_push(vq, n->chain.head, (uint32_t)got);
		used = true;
	}
	if (used)
		lg_vdev_used(d, vq);
}

static void on_readable(void *opaque, uint32_t events)
{
	struct lg_vdev *d = opaque;

	(void)events;
	pthread_mutex_lock(&d->lock);
	if (lg_vdev_live(d))
		receive(d);
	else
		rx_interest(d, false);
	pthread_mutex_unlock(&d->lock);
}

static void transmit(struct lg_vdev *d)
{
	struct net *n = d->priv;
	struct lg_vq *vq = &d->vq[TXQ];
	bool used = false;
	int r;

	while ((r = lg_vq_pop(vq, &n->chain)) > 0) {
		if (n->chain.nin || n->chain.out_len < HDR_LEN) {
			lg_vdev_fail(d, "transmit chain writable or shorter than the header");
			return;
		}
		/* A full tap queue drops the packet, as a real NIC would. */
		if (writev(n->fd, n->chain.iov, (int)n->chain.nout) < 0 && errno != EAGAIN)
			lg_log(d->vm, LG_LOG_DEBUG, "net: write: %s", strerror(errno));
		lg_vq_push(vq, n->chain.head, 0);
		used = true;
	}
	if (used)
		lg_vdev_used(d, vq);
	if (r < 0)
		lg_vdev_fail(d, "malformed transmit chain");
}

static void net_notify(struct lg_vdev *d, unsigned int q)
{
	set_offloads(d);
	if (q == TXQ) {
		transmit(d);
	} else {
		/* New buffers: fill what we can now, the I/O thread does the rest. */
		rx_interest(d, true);
		receive(d);
	}
}

static void net_reset(struct lg_vdev *d)
{
	struct net *n = d->priv;

	n->offloads_set = false;
	rx_interest(d, false);
}

static void net_destroy(struct lg_vdev *d)
{
	struct net *n = d->priv;

	if (n->fd >= 0)
		close(n->fd);
	free(n);
	lg_vdev_fini(d);
	free(d);
}

static const struct lg_vdev_ops net_ops = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.notify = net_notify,
	.reset = net_reset,
	.destroy = net_destroy,
};

static int open_tap(struct lg_vm *vm, const struct lg_net_config *cfg, bool check, int *fdp)
{
	struct ifreq ifr;
	int hdr = (int)HDR_LEN, fd;

	memset(&ifr, 0, sizeof(ifr));
	if (cfg->tap) {
		if (strlen(cfg->tap) >= IFNAMSIZ)
			return lg_err(vm, -EINVAL, "tap %s: name too long", cfg->tap);
		fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return lg_err(vm, -errno, "/dev/net/tun: %s", strerror(errno));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
		memcpy(ifr.ifr_name, cfg->tap, strlen(cfg->tap));
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			int err = -errno;

			close(fd);
			return lg_err(vm, err, "tap %s: %s%s", cfg->tap, strerror(-err),
				      err == -EPERM ? " (hint: create it for your user with"
				      " 'ip tuntap add NAME mode tap user USER', or run with"
				      " CAP_NET_ADMIN)" : "");
		}
	} else {
		fd = fcntl(cfg->fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return lg_err(vm, -errno, "net fd %d: %s", cfg->fd, strerror(errno));
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
			close(fd);
			return lg_err(vm, -errno, "net fd %d: %s", cfg->fd, strerror(errno));
		}
		if (check && (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_TAP) ||
			      !(ifr.ifr_flags & IFF_VNET_HDR) || !(ifr.ifr_flags & IFF_NO_PI))) {
			close(fd);
			return lg_err(vm, -EINVAL, "net fd %d: not a tap opened with"
				      " IFF_TAP|IFF_NO_PI|IFF_VNET_HDR", cfg->fd);
		}
	}
	if (check && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		int err = -errno;

		close(fd);
		return lg_err(vm, err, "tap: TUNSETVNETHDRSZ: %s", strerror(-err));
	}
	*fdp = fd;
	return 0;
}

int lg_net_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_io *io,
	       const struct lg_net_config *cfg, bool check_tap, struct lg_vdev **out)
{
	struct lg_vdev *d = calloc(1, sizeof(*d));
	struct net *n = calloc(1, sizeof(*n));
	uint64_t features = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_CSUM) |
			    (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |
			    (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) |
			    (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
			    (1ULL << VIRTIO_NET_F_GUEST_ECN);
	struct virtio_net_config *nc;
	int err;

	if (!d || !n) {
		free(d);
		free(n);
		return lg_err(vm, -ENOMEM, "net: out of memory");
	}
	n->fd = -1;
	n->io = io;
	n->is_tap = check_tap;
	lg_vdev_init(d, &net_ops, n, vm, mem, features, sizeof(struct virtio_net_config));
	nc = (struct virtio_net_config *)d->config;
	if (cfg->has_mac) {
		memcpy(nc->mac, cfg->mac, 6);
	} else {
		/* A random, locally administered, unicast address. */
		if (getrandom(nc->mac, 6, 0) != 6)
			memset(nc->mac, 0x42, 6);
		nc->mac[0] = (uint8_t)((nc->mac[0] & 0xfe) | 0x02);
	}
	err = open_tap(vm, cfg, check_tap, &n->fd);
	if (!err && io) {
		err = lg_io_watch(io, n->fd, 0, on_readable, d);
		if (err)
			lg_err(vm, err, "net: cannot watch the tap");
	}
	if (err) {
		net_destroy(d);
		return err;
	}
	*out = d;
	return 0;
}
