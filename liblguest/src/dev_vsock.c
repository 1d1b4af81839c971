// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-vsock, with the host's end on Unix sockets (a "hybrid" vsock,
 * as Firecracker's): no vhost, no privileges, nothing in the host kernel.
 *
 * The guest is CID @cid and the host CID 2.  Connections go both ways:
 *
 *   guest -> host port P: we connect to the Unix socket "PATH_P", where
 *     a host program listens;
 *   host -> guest port P: a host program connects to "PATH", which we
 *     listen on, and writes "CONNECT P\n"; once the guest accepts we
 *     answer "OK <our port>\n" and the socket is the connection.
 *
 * Each connection is a stream with virtio-vsock's credit-based flow
 * control (virtio 1.2, 5.10.6.3): every packet tells the other side how
 * much it may buffer (buf_alloc) and how much it has passed on (fwd_cnt),
 * and neither side sends more than the other can hold.  What the guest
 * sends is written to the socket, and whatever the socket does not take
 * at once waits in a buffer of buf_alloc bytes; what the socket has for
 * the guest is read only as far as the guest's credit and its receive
 * buffers go.  A guest that sends more than it was allowed, or anything
 * else impossible, gets its connection reset; a malformed ring makes the
 * device need a reset, as for every other device.
 *
 * Transmits arrive on the vCPU thread (lg_vdev_ops.notify); the sockets
 * are waited for by the I/O thread through one epoll set of our own, so
 * the number of connections does not touch the I/O thread's table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_ids.h>
#include <linux/virtio_vsock.h>

#include "internal.h"

#define RXQ 0
#define TXQ 1
#define EVQ 2

#define HOST_CID	2
#define HDR		sizeof(struct virtio_vsock_hdr)
/* What we let the guest send ahead on one connection, and the most per packet. */
#define BUF_ALLOC	0x40000U	/* 256 KiB */
#define MAX_PKT		0x10000U	/* 64 KiB */
#define MAX_CONNS	LG_VSOCK_MAX_CONNS
#define HELLO_MAX	32	/* "CONNECT 4294967295\n" and then some */
#define NR_STRAY	32
#define LISTENER	UINT64_MAX

enum cstate {
	C_FREE,
	C_HELLO,	/* host connected to PATH, its CONNECT line not read yet */
	C_REQUESTED,	/* REQUEST sent to the guest, no answer yet */
	C_OPEN,
	C_RESET,	/* socket closed; an RST is owed, then the slot is free */
};

struct vconn {
	enum cstate state;
	uint32_t gen;			/* tells a reused slot's epoll events apart */
	int fd;
	uint32_t events;		/* what epoll waits for on fd; 0: not in the set */
	uint32_t host_port, guest_port;
	bool owe_request, owe_response, owe_credit, owe_credit_req;
	uint32_t owe_shutdown;		/* SHUTDOWN flags to send */
	/* host to guest */
	bool readable, host_eof, hup;	/* hup: the host's end is closed both ways */
	uint32_t rx_cnt;		/* payload bytes sent to the guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	/* guest to host */
	uint32_t guest_shut;		/* SHUTDOWN flags the guest sent */
	bool shut_wr;			/* shutdown(SHUT_WR) done on fd */
	uint32_t fwd_cnt, fwd_told;	/* bytes written to fd; what the guest last saw */
	uint8_t *buf;			/* what fd has not taken yet */
	uint32_t buf_len;
	char hello[HELLO_MAX];
	unsigned int hello_len;
};

struct vsock {
	struct lg_vm *vm;
	uint64_t cid;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) - 12];	/* and "_<port>" */
	int listen_fd, epfd;
	bool made_path;
	struct lg_io *io;
	bool starved;			/* something to send, no receive buffer */
	unsigned int cursor;		/* round robin over the connections */
	uint32_t next_port;
	bool watched;			/* the I/O thread waits on epfd */
	bool listen_paused;		/* out of file descriptors: accept later */
	struct { uint64_t cid; uint32_t host_port, guest_port; } stray[NR_STRAY];
	unsigned int nstray;
	struct vconn conn[MAX_CONNS];
	struct lg_chain chain;
};

/* ---- connections ------------------------------------------------------- */

static uint32_t credit(const struct vconn *c)
{
	uint32_t in_flight = c->rx_cnt - c->peer_fwd_cnt;

	return in_flight > c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* Does the guest want (and may it take) what the host sends? */
static bool wants_data(const struct vconn *c)
{
	return c->state == C_OPEN && !c->host_eof && !(c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) &&
	       credit(c) > 0;
}

/*
 * Wait on the socket for exactly what the connection can use now.  A
 * socket we wait on for nothing leaves the epoll set altogether: epoll
 * reports a closed socket's EPOLLHUP whatever the mask, and would wake
 * the I/O thread for ever.
 */
static void update_interest(struct vsock *vs, struct vconn *c)
{
	struct epoll_event ev = { .data.u64 = ((uint64_t)c->gen << 32) | (uint64_t)(c - vs->conn) };
	uint32_t want = 0;

	if (c->fd < 0)
		return;
	if (c->state == C_HELLO || wants_data(c))
		want |= EPOLLIN;
	if (c->state == C_REQUESTED)
		want |= EPOLLRDHUP;	/* the host may give up before the guest answers */
	if (c->buf_len)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	if (!want)
		(void)epoll_ctl(vs->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	else if (epoll_ctl(vs->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return;
	c->events = want;
}

static struct vconn *conn_new(struct vsock *vs, int fd, enum cstate state)
{
	for (unsigned int i = 0; i < MAX_CONNS; i++) {
		struct vconn *c = &vs->conn[i];
		uint32_t gen = c->gen + 1;

		if (c->state != C_FREE)
			continue;
		memset(c, 0, sizeof(*c));
		c->gen = gen;
		c->fd = fd;
		c->state = state;
		update_interest(vs, c);
		if (!c->events && state == C_HELLO) {
			c->state = C_FREE;
			return NULL;
		}
		return c;
	}
	return NULL;
}

static void conn_close_fd(struct vsock *vs, struct vconn *c)
{
	if (c->fd >= 0) {
		if (c->events)
			(void)epoll_ctl(vs->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		c->events = 0;
		/* A file descriptor is free again: take the connections that waited. */
		if (vs->listen_paused) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTENER };

			if (epoll_ctl(vs->epfd, EPOLL_CTL_MOD, vs->listen_fd, &ev) == 0)
				vs->listen_paused = false;
		}
	}
	free(c->buf);
	c->buf = NULL;
	c->buf_len = 0;
}

static void conn_free(struct vsock *vs, struct vconn *c)
{
	conn_close_fd(vs, c);
	c->state = C_FREE;
}

/* Drop the host's end and tell the guest (if it knows of the connection). */
static void conn_reset(struct vsock *vs, struct vconn *c)
{
	bool guest_knows = c->state == C_OPEN || c->state == C_REQUESTED;

	conn_close_fd(vs, c);
	if (!guest_knows) {
		c->state = C_FREE;
		return;
	}
	c->state = C_RESET;
	c->owe_request = c->owe_response = c->owe_credit = c->owe_credit_req = false;
	c->owe_shutdown = 0;
}

static struct vconn *conn_find(struct vsock *vs, uint32_t host_port, uint32_t guest_port)
{
	for (unsigned int i = 0; i < MAX_CONNS; i++) {
		struct vconn *c = &vs->conn[i];

		if (c->state != C_FREE && c->state != C_HELLO && c->host_port == host_port &&
		    c->guest_port == guest_port)
			return c;
	}
	return NULL;
}

/*
 * An RST for ports we have no connection for (the spec's answer to
 * those), from the address the guest sent to, so its socket matches it.
 */
static void stray_rst(struct vsock *vs, uint64_t cid, uint32_t host_port, uint32_t guest_port)
{
	if (vs->nstray == NR_STRAY)
		return;		/* the guest times out instead */
	vs->stray[vs->nstray].cid = cid;
	vs->stray[vs->nstray].host_port = host_port;
	vs->stray[vs->nstray].guest_port = guest_port;
	vs->nstray++;
}

/*
 * Once what the guest sent is all written: pass its end of sending on,
 * and end the connection when both ends are done, or the guest closed.
 */
static void maybe_finish(struct vsock *vs, struct vconn *c)
{
	if (c->state != C_OPEN || c->buf_len)
		return;
	if ((c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) &&
	    (c->host_eof || (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV)))
		conn_reset(vs, c);
	else if ((c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) && !c->shut_wr && c->fd >= 0) {
		shutdown(c->fd, SHUT_WR);
		c->shut_wr = true;
	}
}

/* Write what waits for the socket; false when the socket is gone. */
static bool flush(struct vsock *vs, struct vconn *c)
{
	while (c->buf_len) {
		ssize_t n = send(c->fd, c->buf, c->buf_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return false;
		memmove(c->buf, c->buf + n, c->buf_len - (uint32_t)n);
		c->buf_len -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	if (c->fwd_cnt - c->fwd_told >= BUF_ALLOC / 4)
		c->owe_credit = true;
	update_interest(vs, c);
	return true;
}

/* ---- to the guest ------------------------------------------------------ */

/* Whether the I/O thread waits on our sockets at all. */
static void watch(struct vsock *vs, bool on)
{
	if (vs->io && vs->watched != on && lg_io_modify(vs->io, vs->epfd, on ? EPOLLIN : 0) == 0)
		vs->watched = on;
}

static void fill_hdr(struct vsock *vs, struct virtio_vsock_hdr *h, uint32_t host_port,
		     uint32_t guest_port, uint16_t op)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = HOST_CID;
	h->dst_cid = vs->cid;
	h->src_port = host_port;
	h->dst_port = guest_port;
	h->type = VIRTIO_VSOCK_TYPE_STREAM;
	h->op = op;
	h->buf_alloc = BUF_ALLOC;
}

/* The next connection with something for the guest, round robin. */
static struct vconn *next_to_send(struct vsock *vs)
{
	for (unsigned int k = 0; k < MAX_CONNS; k++) {
		struct vconn *c = &vs->conn[(vs->cursor + k) % MAX_CONNS];

		if (c->state == C_RESET || c->owe_request || c->owe_response || c->owe_shutdown ||
		    c->owe_credit || c->owe_credit_req || (c->readable && wants_data(c))) {
			vs->cursor = (unsigned int)(c - vs->conn) + 1;
			return c;
		}
	}
	return NULL;
}

/*
 * One packet for @c into the chain: a control packet it owes, or data
 * from its socket.  Returns the bytes written, 0 when there was nothing
 * after all (the chain is then unused).
 */
static uint32_t packet_for(struct vsock *vs, struct vconn *c, const struct lg_chain *ch)
{
	struct virtio_vsock_hdr h;
	uint32_t len = 0;

	if (c->state == C_RESET) {
		fill_hdr(vs, &h, c->host_port, c->guest_port, VIRTIO_VSOCK_OP_RST);
		c->state = C_FREE;
	} else if (c->owe_request) {
		fill_hdr(vs, &h, c->host_port, c->guest_port, VIRTIO_VSOCK_OP_REQUEST);
		c->owe_request = false;
	} else if (c->owe_response) {
		fill_hdr(vs, &h, c->host_port, c->guest_port, VIRTIO_VSOCK_OP_RESPONSE);
		c->owe_response = false;
	} else if (c->owe_credit_req) {
		fill_hdr(vs, &h, c->host_port, c->guest_port, VIRTIO_VSOCK_OP_CREDIT_REQUEST);
		c->owe_credit_req = false;
	} else if (c->readable && wants_data(c)) {
		struct iovec iov[LG_VQ_MAX_SIZE + 1];
		uint64_t room = ch->in_len - HDR;
		unsigned int n = 0;
		size_t skip = HDR;
		ssize_t got;

		if (room > credit(c))
			room = credit(c);
		if (room > MAX_PKT)
			room = MAX_PKT;
		/* The chain's writable buffers after the header, @room bytes of them. */
		for (unsigned int i = 0; i < ch->nin && room; i++) {
			size_t l = ch->iov[i].iov_len;

			if (skip >= l) {
				skip -= l;
				continue;
			}
			iov[n].iov_base = (uint8_t *)ch->iov[i].iov_base + skip;
			iov[n].iov_len = l - skip < room ? l - skip : room;
			room -= iov[n].iov_len;
			skip = 0;
			n++;
		}
		got = n ? readv(c->fd, iov, (int)n) : -1;
		if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
			c->readable = false;
			return 0;
		}
		if (got > 0) {
			fill_hdr(vs, &h, c->host_port, c->guest_port, VIRTIO_VSOCK_OP_RW);
			h.len = (uint32_t)got;
			len = (uint32_t)got;
			c->rx_cnt += len;
		} else if (got == 0) {
			/* The host's end will send no more. */
			c->host_eof = true;
			c->owe_shutdown |= VIRTIO_VSOCK_SHUTDOWN_SEND;
			update_interest(vs, c);
			maybe_finish(vs, c);
			return 0;
		} else {
			conn_reset(vs, c);
			return 0;
		}
		if (credit(c) == 0)
			c->owe_credit_req = true;	/* and wait for its answer */
		update_interest(vs, c);
	} else if (c->owe_shutdown) {
		fill_hdr(vs, &h, c->host_port, c->guest_port, VIRTIO_VSOCK_OP_SHUTDOWN);
		h.flags = c->owe_shutdown;
		c->owe_shutdown = 0;
	} else if (c->owe_credit) {
		fill_hdr(vs, &h, c->host_port, c->guest_port, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
		c->owe_credit = false;
	} else {
		return 0;
	}
	h.fwd_cnt = c->fwd_cnt;
	c->fwd_told = c->fwd_cnt;
	lg_buf_to_iov(ch->iov, ch->nin, 0, &h, HDR);
	return (uint32_t)HDR + len;
}

/* Packets for the guest, while it has receive buffers (lock held). */
static void rx_pump(struct lg_vdev *d)
{
	struct vsock *vs = d->priv;
	struct lg_vq *vq = &d->vq[RXQ];
	bool used = false;

	while (lg_vdev_live(d)) {
		struct vconn *c = vs->nstray ? NULL : next_to_send(vs);
		uint32_t len;
		int r;

		if (!vs->nstray && !c)
			break;
		r = lg_vq_pop(vq, &vs->chain);
		if (r < 0) {
			lg_vdev_fail(d, "malformed receive chain");
			break;
		}
		if (r == 0) {
			/* Until the guest posts buffers: no use reading the sockets. */
			vs->starved = true;
			watch(vs, false);
			break;
		}
		/* Linux posts 4 KiB and a header; one that holds no data cannot serve. */
		if (vs->chain.nout || vs->chain.in_len <= HDR) {
			lg_vdev_fail(d, "receive chain not writable or no longer than the header");
			break;
		}
		if (!c) {
			struct virtio_vsock_hdr h;

			vs->nstray--;
			fill_hdr(vs, &h, vs->stray[vs->nstray].host_port,
				 vs->stray[vs->nstray].guest_port, VIRTIO_VSOCK_OP_RST);
			h.src_cid = vs->stray[vs->nstray].cid;
			lg_buf_to_iov(vs->chain.iov, vs->chain.nin, 0, &h, HDR);
			len = HDR;
		} else {
			len = packet_for(vs, c, &vs->chain);
		}
		if (!len) {
			lg_vq_unpop(vq);
			continue;
		}
		lg_vq_push(vq, vs->chain.head, len);
		used = true;
	}
	if (used)
		lg_vdev_used(d, vq);
}

/* ---- from the guest ---------------------------------------------------- */

/* The guest asks for host port @h->dst_port: "PATH_<port>". */
static void guest_connect(struct vsock *vs, const struct virtio_vsock_hdr *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vconn *c;
	int fd;

	if (conn_find(vs, h->dst_port, h->src_port)) {
		stray_rst(vs, HOST_CID, h->dst_port, h->src_port);	/* a second REQUEST */
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", vs->path, h->dst_port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		lg_log(vs->vm, LG_LOG_DEBUG, "vsock: guest port %u to %s: %s", h->src_port,
		       sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		stray_rst(vs, HOST_CID, h->dst_port, h->src_port);
		return;
	}
	c = conn_new(vs, fd, C_OPEN);
	if (!c) {
		close(fd);
		stray_rst(vs, HOST_CID, h->dst_port, h->src_port);
		return;
	}
	c->host_port = h->dst_port;
	c->guest_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->owe_response = true;
	update_interest(vs, c);
}

/* RW: the payload after the header, to the socket or the buffer. */
static void guest_data(struct vsock *vs, struct vconn *c, const struct lg_chain *ch, uint32_t len)
{
	struct iovec iov[LG_VQ_MAX_SIZE];
	uint32_t left = len, room = BUF_ALLOC - c->buf_len;
	unsigned int n = 0;
	size_t skip = HDR;
	ssize_t w = 0;

	if (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND || c->shut_wr) {
		conn_reset(vs, c);	/* data after it said it was done */
		return;
	}
	for (unsigned int i = 0; i < ch->nout && left; i++) {
		size_t l = ch->iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		iov[n].iov_base = (uint8_t *)ch->iov[i].iov_base + skip;
		iov[n].iov_len = l - skip < left ? l - skip : left;
		left -= (uint32_t)iov[n].iov_len;
		skip = 0;
		n++;
	}
	if (!c->buf_len) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = n };

		do
			w = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN) {
			conn_reset(vs, c);
			return;
		}
		if (w < 0)
			w = 0;
		c->fwd_cnt += (uint32_t)w;
	}
	/* The rest waits; the guest may not send more than it was allowed. */
	if (len - (uint32_t)w > room) {
		lg_log(vs->vm, LG_LOG_DEBUG, "vsock: guest port %u sent beyond its credit",
		       c->guest_port);
		conn_reset(vs, c);
		return;
	}
	if (len - (uint32_t)w) {
		if (!c->buf) {
			c->buf = malloc(BUF_ALLOC);
			if (!c->buf) {
				conn_reset(vs, c);
				return;
			}
		}
		c->buf_len += (uint32_t)lg_iov_to_buf(iov, n, (size_t)w, c->buf + c->buf_len,
						      len - (uint32_t)w);
	}
	if (c->fwd_cnt - c->fwd_told >= BUF_ALLOC / 4)
		c->owe_credit = true;
	update_interest(vs, c);
}

/* One packet the guest sent. */
static void guest_packet(struct vsock *vs, const struct lg_chain *ch)
{
	struct virtio_vsock_hdr h;
	struct vconn *c;

	lg_iov_to_buf(ch->iov, ch->nout, 0, &h, HDR);
	/* Not from the guest's address: dropped, as the spec says. */
	if (h.src_cid != vs->cid)
		return;
	if (h.op == VIRTIO_VSOCK_OP_RST && (h.dst_cid != HOST_CID || !conn_find(vs, h.dst_port,
										 h.src_port)))
		return;		/* never answer an RST */
	if (h.dst_cid != HOST_CID || h.type != VIRTIO_VSOCK_TYPE_STREAM ||
	    (h.op == VIRTIO_VSOCK_OP_RW ? h.len > MAX_PKT || h.len > ch->out_len - HDR : h.len)) {
		c = h.dst_cid == HOST_CID ? conn_find(vs, h.dst_port, h.src_port) : NULL;
		if (c)
			conn_reset(vs, c);
		else
			stray_rst(vs, h.dst_cid, h.dst_port, h.src_port);
		return;
	}
	if (h.op == VIRTIO_VSOCK_OP_REQUEST) {
		guest_connect(vs, &h);
		return;
	}
	c = conn_find(vs, h.dst_port, h.src_port);
	if (!c || c->state == C_RESET) {
		if (!c)
			stray_rst(vs, h.dst_cid, h.dst_port, h.src_port);
		return;
	}
	/* Every packet carries the guest's buffer space. */
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state != C_REQUESTED) {
			conn_reset(vs, c);
			break;
		}
		c->state = C_OPEN;
		{
			char ok[24];
			int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);

			if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
				conn_reset(vs, c);
		}
		break;
	case VIRTIO_VSOCK_OP_RST:
		conn_free(vs, c);
		return;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state != C_OPEN) {
			conn_reset(vs, c);
			break;
		}
		guest_data(vs, c, ch, h.len);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		if (c->state != C_OPEN || (h.flags & ~3U)) {
			conn_reset(vs, c);
			break;
		}
		/* Closed or not, what it sent within its credit is written first. */
		c->guest_shut |= h.flags;
		maybe_finish(vs, c);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->owe_credit = true;
		break;
	default:
		conn_reset(vs, c);
		break;
	}
	if (c->state == C_OPEN)
		update_interest(vs, c);
}

static void vsock_notify(struct lg_vdev *d, unsigned int q)
{
	struct vsock *vs = d->priv;
	struct lg_vq *vq = &d->vq[TXQ];
	bool used = false;
	int r;

	if (q == RXQ) {
		vs->starved = false;
		watch(vs, true);
	} else if (q == TXQ) {
		while ((r = lg_vq_pop(vq, &vs->chain)) > 0) {
			if (vs->chain.nin || vs->chain.out_len < HDR) {
				lg_vdev_fail(d, "transmit chain writable or shorter than the header");
				return;
			}
			guest_packet(vs, &vs->chain);
			lg_vq_push(vq, vs->chain.head, 0);
			used = true;
		}
		if (used)
			lg_vdev_used(d, vq);
		if (r < 0) {
			lg_vdev_fail(d, "malformed transmit chain");
			return;
		}
	}
	/* The event queue only ever carries transport resets: we send none. */
	rx_pump(d);
}

/* ---- from the host ----------------------------------------------------- */

/* A host program connected to PATH: it names a guest port first. */
static void host_accept(struct vsock *vs)
{
	for (;;) {
		int fd = accept4(vs->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* Until a connection ends: the listener would wake us for ever. */
			struct epoll_event ev = { .events = 0, .data.u64 = LISTENER };

			if (epoll_ctl(vs->epfd, EPOLL_CTL_MOD, vs->listen_fd, &ev) == 0)
				vs->listen_paused = true;
			lg_log(vs->vm, LG_LOG_WARN, "vsock: out of file descriptors");
		}
		if (fd < 0)
			return;
		if (!conn_new(vs, fd, C_HELLO)) {
			lg_log(vs->vm, LG_LOG_DEBUG, "vsock: %u connections already", MAX_CONNS);
			close(fd);
		}
	}
}

/* "CONNECT <port>\n", read up to its newline and no further. */
static void host_hello(struct vsock *vs, struct vconn *c)
{
	char *nl, *end;
	unsigned long port;
	ssize_t n = recv(c->fd, c->hello + c->hello_len, HELLO_MAX - 1 - c->hello_len, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(vs, c);
		return;
	}
	c->hello[c->hello_len + (unsigned int)n] = '\0';
	nl = strchr(c->hello + c->hello_len, '\n');
	n = nl ? nl - (c->hello + c->hello_len) + 1 : n;
	if (recv(c->fd, c->hello + c->hello_len, (size_t)n, 0) != n) {
		conn_free(vs, c);
		return;
	}
	c->hello_len += (unsigned int)n;
	c->hello[c->hello_len] = '\0';
	if (!nl) {
		if (c->hello_len == HELLO_MAX - 1)
			conn_free(vs, c);	/* no newline where one must be */
		return;
	}
	errno = 0;
	port = strncmp(c->hello, "CONNECT ", 8) ? 0 : strtoul(c->hello + 8, &end, 10);
	if (!port || errno || *end != '\n' || port > UINT32_MAX - 1) {
		static const char no[] = "ERROR want CONNECT <port>\n";

		(void)send(c->fd, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		conn_free(vs, c);
		return;
	}
	/* Ours from 2^30 up, as Firecracker's, never one in use. */
	do
		c->host_port = vs->next_port++ | (1U << 30);
	while (conn_find(vs, c->host_port, (uint32_t)port));
	c->guest_port = (uint32_t)port;
	c->state = C_REQUESTED;
	c->owe_request = true;
	update_interest(vs, c);
}

static void host_event(struct vsock *vs, struct vconn *c, uint32_t events)
{
	if (c->state == C_HELLO) {
		host_hello(vs, c);
		return;
	}
	if (events & EPOLLOUT) {
		if (!flush(vs, c)) {
			conn_reset(vs, c);
			return;
		}
		maybe_finish(vs, c);
	}
	if (events & (EPOLLHUP | EPOLLERR) || (c->state == C_REQUESTED && (events & EPOLLRDHUP))) {
		c->hup = true;
		/* Gone before the guest answered, or after it read all there was. */
		if (c->state == C_REQUESTED || (c->state == C_OPEN && c->host_eof)) {
			conn_reset(vs, c);
			return;
		}
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->state == C_OPEN)
		c->readable = true;
	update_interest(vs, c);
	maybe_finish(vs, c);
}

/* What the I/O thread calls when a socket of ours is ready; lg_vsock_service(). */
static void vsock_service(struct lg_vdev *d)
{
	struct vsock *vs = d->priv;
	struct epoll_event ev[32];
	int n;

	pthread_mutex_lock(&d->lock);
	n = epoll_wait(vs->epfd, ev, 32, 0);
	for (int i = 0; i < n && lg_vdev_live(d); i++) {
		uint64_t key = ev[i].data.u64;
		struct vconn *c;

		if (key == LISTENER) {
			host_accept(vs);
			continue;
		}
		c = &vs->conn[(uint32_t)key % MAX_CONNS];
		/* Freed, or freed and reused, since epoll_wait(): not this event's. */
		if (c->state == C_FREE || c->gen != (uint32_t)(key >> 32) || c->fd < 0)
			continue;
		host_event(vs, c, ev[i].events);
	}
	if (!lg_vdev_live(d))
		watch(vs, false);	/* until DRIVER_OK (vsock_driver_ok()) */
	else
		rx_pump(d);
	pthread_mutex_unlock(&d->lock);
}

static void on_ready(void *opaque, uint32_t events)
{
	(void)events;
	vsock_service(opaque);
}

void lg_vsock_service(struct lg_vdev *d)
{
	vsock_service(d);
}

int lg_vsock_event_fd(struct lg_vdev *d)
{
	return ((struct vsock *)d->priv)->epfd;
}

/* ---- the device -------------------------------------------------------- */

static void vsock_reset(struct lg_vdev *d)
{
	struct vsock *vs = d->priv;

	/* The guest forgot every connection: so do we, and no RST is owed. */
	for (unsigned int i = 0; i < MAX_CONNS; i++)
		if (vs->conn[i].state != C_FREE)
			conn_free(vs, &vs->conn[i]);
	vs->nstray = 0;
	vs->starved = false;
}

/* The driver is ready: what waited for it (a host connection, say) goes now. */
static void vsock_driver_ok(struct lg_vdev *d)
{
	struct vsock *vs = d->priv;

	vs->starved = false;
	watch(vs, true);
	rx_pump(d);
}

static void vsock_destroy(struct lg_vdev *d)
{
	struct vsock *vs = d->priv;

	for (unsigned int i = 0; i < MAX_CONNS; i++)
		if (vs->conn[i].state != C_FREE)
			conn_free(vs, &vs->conn[i]);
	if (vs->listen_fd >= 0)
		close(vs->listen_fd);
	if (vs->made_path)
		unlink(vs->path);
	if (vs->epfd >= 0)
		close(vs->epfd);
	free(vs);
	lg_vdev_fini(d);
	free(d);
}

static const struct lg_vdev_ops vsock_ops = {
	.name = "vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.nqueues = 3,
	.notify = vsock_notify,
	.driver_ok = vsock_driver_ok,
	.reset = vsock_reset,
	.destroy = vsock_destroy,
};

/*
 * Listen on @path.  A socket file nobody listens on is left from an
 * earlier run and is replaced; anything else there is the user's.
 */
static int listen_on(struct lg_vm *vm, struct vsock *vs)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	memcpy(sa.sun_path, vs->path, strlen(vs->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return lg_err(vm, -errno, "vsock: socket: %s", strerror(errno));
	if (lstat(vs->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			return lg_err(vm, -EEXIST, "vsock: %s exists and is not a socket", vs->path);
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != ECONNREFUSED) {
			close(fd);
			return lg_err(vm, -EADDRINUSE, "vsock: %s is in use", vs->path);
		}
		unlink(vs->path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		int err = -errno;

		close(fd);
		return lg_err(vm, err, "vsock: listening on %s: %s", vs->path, strerror(-err));
	}
	vs->listen_fd = fd;
	vs->made_path = true;
	return 0;
}

int lg_vsock_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_io *io,
		 const struct lg_vsock_config *cfg, struct lg_vdev **out)
{
	struct lg_vdev *d = calloc(1, sizeof(*d));
	struct vsock *vs = calloc(1, sizeof(*vs));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTENER };
	struct virtio_vsock_config *vc;
	int err;

	if (!d || !vs) {
		free(d);
		free(vs);
		return lg_err(vm, -ENOMEM, "vsock: out of memory");
	}
	vs->listen_fd = vs->epfd = -1;
	vs->io = io;
	vs->vm = vm;
	lg_vdev_init(d, &vsock_ops, vs, vm, mem, 0, sizeof(struct virtio_vsock_config));
	if (cfg->guest_cid < 3 || cfg->guest_cid >= UINT32_MAX) {
		vsock_destroy(d);
		return lg_err(vm, -EINVAL, "vsock: guest CID %llu: 0, 1 and 2 are reserved and"
			      " CIDs are 32 bits", (unsigned long long)cfg->guest_cid);
	}
	if (!cfg->socket || !cfg->socket[0] || strlen(cfg->socket) >= sizeof(vs->path)) {
		vsock_destroy(d);
		return lg_err(vm, -EINVAL, "vsock: a socket path of 1 to %zu characters",
			      sizeof(vs->path) - 1);
	}
	vs->cid = cfg->guest_cid;
	memcpy(vs->path, cfg->socket, strlen(cfg->socket) + 1);
	vc = (struct virtio_vsock_config *)d->config;
	vc->guest_cid = cfg->guest_cid;
	vs->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (vs->epfd < 0) {
		err = lg_err(vm, -errno, "vsock: epoll: %s", strerror(errno));
		vsock_destroy(d);
		return err;
	}
	err = listen_on(vm, vs);
	if (!err && epoll_ctl(vs->epfd, EPOLL_CTL_ADD, vs->listen_fd, &ev) < 0)
		err = lg_err(vm, -errno, "vsock: epoll: %s", strerror(errno));
	if (!err && io) {
		err = lg_io_watch(io, vs->epfd, EPOLLIN, on_ready, d);
		vs->watched = !err;
		if (err)
			lg_err(vm, err, "vsock: cannot watch its sockets");
	}
	if (err) {
		vsock_destroy(d);
		return err;
	}
	*out = d;
	return 0;
}
