// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The front end of the vhost-user protocol (QEMU's docs/interop/
 * vhost-user.rst): how we hand a virtio device's queues to a daemon that
 * serves them itself, such as virtiofsd.
 *
 * The daemon gets guest memory as the memfd it is (SET_MEM_TABLE), each
 * queue's rings at our addresses for them, an eventfd it reads to learn
 * of new buffers (kick) and one it writes when it has used some (call).
 * From then on the rings pass between the guest and the daemon without
 * us; we only translate the virtio-mmio registers into these messages.
 *
 * Every message is a header (request, flags, payload size) and a payload;
 * file descriptors travel beside it (SCM_RIGHTS).  We speak only the
 * messages below; the daemon's replies are checked for size and request
 * before anything in them is used.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "vhost_user.h"

static int vu_send(struct lg_vhost *v, uint32_t req, const void *payload, uint32_t size, int fd)
{
	struct vu_hdr h = { req, VU_VERSION, size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, size } };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(v->fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(h) + size ? 0 : -EIO;
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		int r = poll(&p, 1, VU_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

/* A reply to @req of exactly @size bytes into @out. */
static int vu_reply(struct lg_vhost *v, uint32_t req, void *out, uint32_t size)
{
	struct vu_hdr h;
	union vu_payload p;
	int err = read_full(v->fd, &h, sizeof(h));

	if (err)
		return err;
	if (h.request != req || !(h.flags & VU_REPLY) || h.size != size || size > sizeof(p))
		return -EPROTO;
	err = read_full(v->fd, &p, size);
	if (!err)
		memcpy(out, &p, size);
	return err;
}

static int vu_get_u64(struct lg_vhost *v, uint32_t req, uint64_t *val)
{
	int err = vu_send(v, req, NULL, 0, -1);

	return err ? err : vu_reply(v, req, val, sizeof(*val));
}

static int vu_set_u64(struct lg_vhost *v, uint32_t req, uint64_t val, int fd)
{
	return vu_send(v, req, &val, sizeof(val), fd);
}

static int vu_state(struct lg_vhost *v, uint32_t req, unsigned int q, uint32_t num)
{
	struct vu_state s = { q, num };

	return vu_send(v, req, &s, sizeof(s), -1);
}

int lg_vhost_open(struct lg_vhost *v, int fd)
{
	struct timeval tv = { .tv_sec = VU_TIMEOUT_MS / 1000 };
	int err;

	memset(v, 0, sizeof(*v));
	v->fd = fd;
	/* A daemon that stops reading cannot hold us for ever either. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	err = vu_get_u64(v, VU_GET_FEATURES, &v->features);
	if (!err && (v->features & (1ULL << VU_F_PROTOCOL_FEATURES))) {
		uint64_t pf;

		/* We need none of them, but saying so makes the rings start disabled. */
		err = vu_get_u64(v, VU_GET_PROTOCOL_FEATURES, &pf);
		if (!err)
			err = vu_set_u64(v, VU_SET_PROTOCOL_FEATURES, 0, -1);
		v->protocol = true;
	}
	if (!err)
		err = vu_send(v, VU_SET_OWNER, NULL, 0, -1);
	return err;
}

int lg_vhost_connect(struct lg_vhost *v, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	err = lg_vhost_open(v, fd);
	if (err) {
		close(fd);
		v->fd = -1;
	}
	return err;
}

void lg_vhost_close(struct lg_vhost *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

/*
 * The driver said DRIVER_OK: the features it took, guest memory, and
 * each queue with its kick and call eventfds, in the order the spec's
 * "starting a ring" wants (the kick last but for the enable).
 */
int lg_vhost_start(struct lg_vhost *v, uint64_t features, const struct lg_mem *mem, int memfd,
		   const struct lg_vq *vq, unsigned int nq, const int *kick, const int *call)
{
	struct vu_mem m = { .nregions = 1 };
	int err;

	if (v->protocol)
		features |= 1ULL << VU_F_PROTOCOL_FEATURES;
	err = vu_set_u64(v, VU_SET_FEATURES, features, -1);
	m.region[0] = (struct vu_region){ 0, mem->size, (uintptr_t)mem->base, 0 };
	if (!err)
		err = vu_send(v, VU_SET_MEM_TABLE, &m, (uint32_t)offsetof(struct vu_mem, region[1]),
			      memfd);
	for (unsigned int q = 0; q < nq && !err; q++) {
		struct vu_addr a = {
			.index = q,
			.desc = (uintptr_t)vq[q].desc,
			.used = (uintptr_t)vq[q].used,
			.avail = (uintptr_t)vq[q].avail,
		};

		if (!vq[q].ready)
			continue;
		err = vu_state(v, VU_SET_VRING_NUM, q, vq[q].size);
		if (!err)
			err = vu_send(v, VU_SET_VRING_ADDR, &a, sizeof(a), -1);
		if (!err)
			err = vu_state(v, VU_SET_VRING_BASE, q, 0);
		if (!err)
			err = vu_set_u64(v, VU_SET_VRING_CALL, q, call[q]);
		if (!err)
			err = vu_set_u64(v, VU_SET_VRING_KICK, q, kick[q]);
		if (!err && v->protocol)
			err = vu_state(v, VU_SET_VRING_ENABLE, q, 1);
		if (!err)
			v->started |= 1U << q;
	}
	return err;
}

/*
 * The device was reset: the daemon stops each queue it was given (not
 * the ones the driver calls ready now: it may have changed its mind).
 */
int lg_vhost_stop(struct lg_vhost *v)
{
	int err = 0;

	for (unsigned int q = 0; q < 32 && !err; q++) {
		struct vu_state s;

		if (!(v->started & (1U << q)))
			continue;
		v->started &= ~(1U << q);
		if (v->protocol)
			err = vu_state(v, VU_SET_VRING_ENABLE, q, 0);
		if (!err)
			err = vu_state(v, VU_GET_VRING_BASE, q, 0);
		if (!err)
			err = vu_reply(v, VU_GET_VRING_BASE, &s, sizeof(s));
	}
	return err;
}
