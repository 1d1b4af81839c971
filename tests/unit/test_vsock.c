// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-vsock (dev_vsock.c), driven by a fake guest on one side and real
 * Unix sockets in a temporary directory on the other: connections both
 * ways, data, credit, shutdown and reset, and what a hostile guest or a
 * confused host program gets.  No I/O thread: the test calls
 * lg_vsock_service() where the thread would.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/virtio_vsock.h>

#include "fakeguest.h"

#define CID 3
#define HDR sizeof(struct virtio_vsock_hdr)
#define RXBUF (4096 + HDR)	/* what Linux posts */
#define TX_GPA 0x200000ULL
#define RX_GPA 0x300000ULL

struct vt {
	struct fg g;
	struct lg_vdev *d;
	char dir[64], path[80];
	uint64_t rx_gpa[FG_QSIZE];	/* by descriptor head */
	unsigned int rx_next;
};

static int setup(void **state)
{
	struct vt *t = calloc(1, sizeof(*t));
	struct lg_vsock_config cfg = { .guest_cid = CID };

	snprintf(t->dir, sizeof(t->dir), "/tmp/lgvsock.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/v.sock", t->dir);
	cfg.socket = t->path;
	fg_init(&t->g);
	assert_int_equal(lg_vsock_new(NULL, &t->g.mem, NULL, &cfg, &t->d), 0);
	assert_int_equal(((struct virtio_vsock_config *)t->d->config)->guest_cid, CID);
	fg_driver_init(&t->g, t->d, FG_V1, 3);
	assert_false(fg_needs_reset(t->d));
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct vt *t = *state;
	char cmd[128];

	t->d->ops->destroy(t->d);
	/* The device removes its own socket. */
	assert_int_equal(access(t->path, F_OK), -1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
	fg_fini(&t->g);
	free(t);
	return 0;
}

/* The guest sends one packet (header, then payload in its own buffer). */
static void tx(struct vt *t, uint32_t src_port, uint32_t dst_port, uint16_t op, uint32_t flags,
	       const void *data, uint32_t len, uint32_t buf_alloc, uint32_t fwd_cnt)
{
	struct virtio_vsock_hdr h = {
		.src_cid = CID, .dst_cid = 2, .src_port = src_port, .dst_port = dst_port,
		.len = len, .type = VIRTIO_VSOCK_TYPE_STREAM, .op = op, .flags = flags,
		.buf_alloc = buf_alloc, .fwd_cnt = fwd_cnt,
	};
	struct fg_buf b[2] = { { TX_GPA, HDR, 0 }, { TX_GPA + 0x1000, len, 0 } };

	memcpy(fg_ptr(&t->g, TX_GPA), &h, HDR);
	if (len)
		memcpy(fg_ptr(&t->g, TX_GPA + 0x1000), data, len);
	fg_post(&t->g, 1, b, len ? 2 : 1);
	fg_notify(t->d, 1);
}

static void tx_hdr(struct vt *t, const struct virtio_vsock_hdr *h, uint32_t payload)
{
	struct fg_buf b = { TX_GPA, (uint32_t)HDR + payload, 0 };

	memcpy(fg_ptr(&t->g, TX_GPA), h, HDR);
	fg_post(&t->g, 1, &b, 1);
	fg_notify(t->d, 1);
}

/* The guest posts @n receive buffers. */
static void rx_post(struct vt *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t gpa = RX_GPA + (uint64_t)(t->rx_next++ % FG_QSIZE) * 0x2000;
		struct fg_buf b = { gpa, RXBUF, 1 };
		uint16_t head = fg_post(&t->g, 0, &b, 1);

		t->rx_gpa[head] = gpa;
	}
	fg_notify(t->d, 0);
}

/* The next packet the device gave the guest: 1, or 0 when there is none. */
static int rx_get(struct vt *t, struct virtio_vsock_hdr *h, void *data, size_t size)
{
	struct vring_used *u = fg_used(&t->g, 0);
	struct vring_used_elem e;

	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == t->g.used_seen[0])
		return 0;
	e = u->ring[t->g.used_seen[0] % t->g.qsize];
	t->g.used_seen[0]++;
	assert_true(e.len >= HDR && e.len <= RXBUF);
	memcpy(h, fg_ptr(&t->g, t->rx_gpa[e.id]), HDR);
	assert_int_equal(h->len, e.len - HDR);
	assert_true(h->len <= size);
	memcpy(data, fg_ptr(&t->g, t->rx_gpa[e.id] + HDR), h->len);
	return 1;
}

static void expect(struct vt *t, uint16_t op, uint32_t src_port, uint32_t dst_port,
		   struct virtio_vsock_hdr *h)
{
	static char data[RXBUF];

	memset(h, 0, sizeof(*h));
	assert_int_equal(rx_get(t, h, data, sizeof(data)), 1);
	assert_int_equal(h->op, op);
	assert_int_equal(h->src_cid, 2);
	assert_int_equal(h->dst_cid, CID);
	assert_int_equal(h->type, VIRTIO_VSOCK_TYPE_STREAM);
	if (src_port)
		assert_int_equal(h->src_port, src_port);
	assert_int_equal(h->dst_port, dst_port);
	assert_int_equal(h->buf_alloc, 256 * 1024);
}

static int host_listen(struct vt *t, unsigned int port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", t->path, port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int host_connect(struct vt *t, const char *hello)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, hello, strlen(hello)), (ssize_t)strlen(hello));
	lg_vsock_service(t->d);		/* accept */
	lg_vsock_service(t->d);		/* the CONNECT line */
	return fd;
}

static ssize_t read_timeout(int fd, void *buf, size_t len)
{
	struct timeval tv = { .tv_sec = 2 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return read(fd, buf, len);
}

static void guest_connects_to_the_host(void **state)
{
	struct vt *t = *state;
	struct virtio_vsock_hdr h;
	char buf[64];
	int l = host_listen(t, 1234), s;

	rx_post(t, 8);
	tx(t, 5000, 1234, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0);
	expect(t, VIRTIO_VSOCK_OP_RESPONSE, 1234, 5000, &h);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);

	/* Guest to host. */
	tx(t, 5000, 1234, VIRTIO_VSOCK_OP_RW, 0, "hello", 5, 65536, 0);
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);

	/* Host to guest, counted against the guest's credit. */
	assert_int_equal(write(s, "world!", 6), 6);
	lg_vsock_service(t->d);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 1);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_int_equal(h.len, 6);
	assert_memory_equal(buf, "world!", 6);
	assert_int_equal(h.fwd_cnt, 5);		/* what we passed on so far */

	/* The guest shuts its sending side: the host reads the end. */
	tx(t, 5000, 1234, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, NULL, 0, 65536, 6);
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 0);
	/* The host answers and closes: the guest hears the end, then the reset. */
	assert_int_equal(write(s, "bye", 3), 3);
	close(s);
	lg_vsock_service(t->d);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 1);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_memory_equal(buf, "bye", 3);
	expect(t, VIRTIO_VSOCK_OP_RST, 1234, 5000, &h);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 0);
	close(l);
}

static void host_connects_to_the_guest(void **state)
{
	struct vt *t = *state;
	struct virtio_vsock_hdr h;
	unsigned int port;
	char buf[64];
	int s;

	rx_post(t, 8);
	s = host_connect(t, "CONNECT 80\n");
	expect(t, VIRTIO_VSOCK_OP_REQUEST, 0, 80, &h);
	port = h.src_port;
	assert_true(port >= 1U << 30);
	tx(t, 80, port, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0, 65536, 0);
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), snprintf(NULL, 0, "OK %u\n", port));
	snprintf(buf + 32, 32, "OK %u\n", port);
	assert_memory_equal(buf, buf + 32, strlen(buf + 32));

	assert_int_equal(write(s, "GET /", 5), 5);
	lg_vsock_service(t->d);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 1);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_memory_equal(buf, "GET /", 5);
	tx(t, 80, port, VIRTIO_VSOCK_OP_RW, 0, "200", 3, 65536, 5);
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 3);

	/* The guest closes: RCV and SEND, and we reset, as Linux expects. */
	tx(t, 80, port, VIRTIO_VSOCK_OP_SHUTDOWN, 3, NULL, 0, 65536, 5);
	expect(t, VIRTIO_VSOCK_OP_RST, port, 80, &h);
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 0);
	close(s);
}

static void refusals_both_ways(void **state)
{
	struct vt *t = *state;
	struct virtio_vsock_hdr h;
	char buf[64];
	int s;

	rx_post(t, 8);
	/* Nobody listens on host port 7: RST. */
	tx(t, 5001, 7, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0);
	expect(t, VIRTIO_VSOCK_OP_RST, 7, 5001, &h);

	/* The guest refuses the host: the host's socket ends. */
	s = host_connect(t, "CONNECT 81\n");
	expect(t, VIRTIO_VSOCK_OP_REQUEST, 0, 81, &h);
	tx(t, 81, h.src_port, VIRTIO_VSOCK_OP_RST, 0, NULL, 0, 0, 0);
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 0);
	close(s);

	/* A host program that does not say CONNECT is told so and dropped. */
	s = host_connect(t, "HELLO 81\n");
	assert_true(read_timeout(s, buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "ERROR", 5);
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 0);
	close(s);
	s = host_connect(t, "CONNECT 99999999999\n");
	assert_true(read_timeout(s, buf, sizeof(buf)) > 0);
	close(s);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 0);

	/* Data for a connection that does not exist: RST. */
	tx(t, 5002, 1234, VIRTIO_VSOCK_OP_RW, 0, "x", 1, 65536, 0);
	expect(t, VIRTIO_VSOCK_OP_RST, 1234, 5002, &h);
	/* But never an RST for an RST. */
	tx(t, 5002, 1234, VIRTIO_VSOCK_OP_RST, 0, NULL, 0, 0, 0);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 0);
	assert_false(fg_needs_reset(t->d));
}

/* The host sends more than the guest has room for: it waits for credit. */
static void host_waits_for_the_guests_credit(void **state)
{
	struct vt *t = *state;
	struct virtio_vsock_hdr h;
	static char big[3000], buf[RXBUF];
	uint32_t got = 0;
	int l = host_listen(t, 9), s;

	rx_post(t, 8);
	tx(t, 6000, 9, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 1000, 0);
	expect(t, VIRTIO_VSOCK_OP_RESPONSE, 9, 6000, &h);
	s = accept(l, NULL, NULL);
	memset(big, 'z', sizeof(big));
	assert_int_equal(write(s, big, sizeof(big)), (ssize_t)sizeof(big));
	lg_vsock_service(t->d);
	while (rx_get(t, &h, buf, sizeof(buf)) && h.op == VIRTIO_VSOCK_OP_RW)
		got += h.len;
	assert_int_equal(got, 1000);
	/* Out of credit: it asked for an update. */
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_CREDIT_REQUEST);
	lg_vsock_service(t->d);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 0);
	/* The guest read it all: the rest comes. */
	tx(t, 6000, 9, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, 1000, 1000);
	rx_post(t, 4);
	lg_vsock_service(t->d);
	while (rx_get(t, &h, buf, sizeof(buf)))
		if (h.op == VIRTIO_VSOCK_OP_RW)
			got += h.len;
	assert_int_equal(got, 2000);
	close(s);
	close(l);
}

/* A guest that sends beyond the credit we gave it loses the connection. */
static void guest_beyond_its_credit_is_reset(void **state)
{
	struct vt *t = *state;
	struct virtio_vsock_hdr h = {
		.src_cid = CID, .dst_cid = 2, .src_port = 7000, .dst_port = 10, .len = 60000,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_RW, .buf_alloc = 65536,
	}, r;
	static char buf[RXBUF];
	int l = host_listen(t, 10), s;
	unsigned int sent;
	bool reset = false;

	rx_post(t, 8);
	tx(t, 7000, 10, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0);
	expect(t, VIRTIO_VSOCK_OP_RESPONSE, 10, 7000, &r);
	s = accept(l, NULL, NULL);
	/* Nobody reads the host's end: the socket fills, then our buffer. */
	for (sent = 0; sent < 64 && !reset; sent++) {
		unsigned int n = 0;

		tx_hdr(t, &h, h.len);
		while (rx_get(t, &r, buf, sizeof(buf))) {
			reset |= r.op == VIRTIO_VSOCK_OP_RST;
			n++;
		}
		if (n)
			rx_post(t, n);
	}
	assert_true(reset);
	assert_true(sent > 4);		/* 256 KiB plus what the socket took */
	assert_false(fg_needs_reset(t->d));
	close(s);
	close(l);
}

/* Nothing left for the I/O thread: the device's epoll set is quiet. */
static bool quiet(struct vt *t)
{
	struct pollfd p = { .fd = lg_vsock_event_fd(t->d), .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* A host end that closes while nothing can be read from it wakes no one for ever. */
static void closed_host_ends_do_not_spin(void **state)
{
	struct vt *t = *state;
	struct virtio_vsock_hdr h;
	char buf[RXBUF];
	int l = host_listen(t, 11), s;

	rx_post(t, 8);
	/* Closed before the guest answered its REQUEST: the guest gets an RST. */
	s = host_connect(t, "CONNECT 90\n");
	expect(t, VIRTIO_VSOCK_OP_REQUEST, 0, 90, &h);
	close(s);
	lg_vsock_service(t->d);
	expect(t, VIRTIO_VSOCK_OP_RST, h.src_port, 90, &h);
	assert_true(quiet(t));

	/* Closed while the guest has no credit: its data waits, the set is quiet. */
	tx(t, 8000, 11, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 4, 0);
	expect(t, VIRTIO_VSOCK_OP_RESPONSE, 11, 8000, &h);
	s = accept(l, NULL, NULL);
	assert_int_equal(write(s, "0123456789", 10), 10);
	close(s);
	lg_vsock_service(t->d);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 1);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_int_equal(h.len, 4);
	expect(t, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 11, 8000, &h);
	lg_vsock_service(t->d);
	assert_true(quiet(t));
	/* Credit: the rest, then the end, then (the host gone) the reset. */
	tx(t, 8000, 11, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, 64, 4);
	lg_vsock_service(t->d);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 1);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_int_equal(h.len, 6);
	assert_memory_equal(buf, "456789", 6);
	lg_vsock_service(t->d);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 1);
	assert_true(h.op == VIRTIO_VSOCK_OP_SHUTDOWN || h.op == VIRTIO_VSOCK_OP_RST);
	assert_true(quiet(t));
	close(l);
}

/* What the guest sent within its credit reaches the host even if it closes at once. */
static void guest_close_keeps_what_it_sent(void **state)
{
	struct vt *t = *state;
	struct virtio_vsock_hdr h = {
		.src_cid = CID, .dst_cid = 2, .src_port = 9000, .dst_port = 12, .len = 60000,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_RW, .buf_alloc = 65536,
	}, r;
	static char buf[RXBUF], sink[65536];
	uint64_t sent = 0, got = 0;
	int l = host_listen(t, 12), s;

	rx_post(t, 8);
	tx(t, 9000, 12, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, 65536, 0);
	expect(t, VIRTIO_VSOCK_OP_RESPONSE, 12, 9000, &r);
	s = accept(l, NULL, NULL);
	/* More than the socket takes, within our 256 KiB of credit; then close. */
	for (int i = 0; i < 6; i++) {
		tx_hdr(t, &h, h.len);
		sent += h.len;
		while (rx_get(t, &r, buf, sizeof(buf)))
			assert_int_not_equal(r.op, VIRTIO_VSOCK_OP_RST);
		rx_post(t, 1);
	}
	tx(t, 9000, 12, VIRTIO_VSOCK_OP_SHUTDOWN, 3, NULL, 0, 65536, 0);
	assert_int_equal(rx_get(t, &r, buf, sizeof(buf)), 0);	/* not reset yet */
	/* The host reads it all; the reset comes once the last byte is written. */
	for (int i = 0; i < 1000 && got < sent; i++) {
		ssize_t n;

		while ((n = recv(s, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
			got += (uint64_t)n;
		lg_vsock_service(t->d);
	}
	assert_int_equal(got, sent);
	expect(t, VIRTIO_VSOCK_OP_RST, 12, 9000, &r);
	assert_int_equal(read_timeout(s, sink, 1), 0);
	close(s);
	close(l);
}

static void malformed_packets(void **state)
{
	struct vt *t = *state;
	struct virtio_vsock_hdr h = {
		.src_cid = CID + 1, .dst_cid = 2, .src_port = 1, .dst_port = 2,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_REQUEST,
	};
	char buf[64];
	struct fg_buf b = { TX_GPA, 10, 0 };

	rx_post(t, 8);
	/* Another CID's packet: dropped without a word. */
	tx_hdr(t, &h, 0);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 0);
	/* A length beyond the chain, a datagram, an unknown op: RST. */
	h.src_cid = CID;
	h.op = VIRTIO_VSOCK_OP_RW;
	h.len = 100;
	tx_hdr(t, &h, 10);
	expect(t, VIRTIO_VSOCK_OP_RST, 2, 1, &h);
	h = (struct virtio_vsock_hdr){ .src_cid = CID, .dst_cid = 2, .src_port = 1,
				       .dst_port = 2, .type = 3, .op = 1 };
	tx_hdr(t, &h, 0);
	expect(t, VIRTIO_VSOCK_OP_RST, 2, 1, &h);
	/* A packet for another guest's CID: the RST comes from that address. */
	h = (struct virtio_vsock_hdr){ .src_cid = CID, .dst_cid = 7, .src_port = 1,
				       .dst_port = 2, .type = 1, .op = 1 };
	tx_hdr(t, &h, 0);
	assert_int_equal(rx_get(t, &h, buf, sizeof(buf)), 1);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RST);
	assert_int_equal(h.src_cid, 7);
	assert_int_equal(h.src_port, 2);
	assert_int_equal(h.dst_port, 1);
	assert_false(fg_needs_reset(t->d));
	/* A chain shorter than a header is a broken driver. */
	fg_post(&t->g, 1, &b, 1);
	fg_notify(t->d, 1);
	assert_true(fg_needs_reset(t->d));
}

static void configuration_is_checked(void **state)
{
	struct vt *t = *state;
	struct lg_vsock_config cfg = { .guest_cid = 2, .socket = t->path };
	struct lg_vdev *d = NULL;
	char path[200], spath[80];
	int fd;

	assert_int_equal(lg_vsock_new(NULL, &t->g.mem, NULL, &cfg, &d), -EINVAL);
	cfg.guest_cid = 1ULL << 32;
	assert_int_equal(lg_vsock_new(NULL, &t->g.mem, NULL, &cfg, &d), -EINVAL);
	cfg.guest_cid = 4;
	/* Ours is in use. */
	assert_int_equal(lg_vsock_new(NULL, &t->g.mem, NULL, &cfg, &d), -EADDRINUSE);
	/* Not a socket: left alone. */
	snprintf(path, sizeof(path), "%s/file", t->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	cfg.socket = path;
	assert_int_equal(lg_vsock_new(NULL, &t->g.mem, NULL, &cfg, &d), -EEXIST);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	/* A stale socket is replaced. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(spath, sizeof(spath), "%s/stale", t->dir);
		memcpy(sa.sun_path, spath, strlen(spath) + 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	cfg.socket = spath;
	assert_int_equal(lg_vsock_new(NULL, &t->g.mem, NULL, &cfg, &d), 0);
	d->ops->destroy(d);
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	cfg.socket = path;
	assert_int_equal(lg_vsock_new(NULL, &t->g.mem, NULL, &cfg, &d), -EINVAL);
	cfg.socket = "";
	assert_int_equal(lg_vsock_new(NULL, &t->g.mem, NULL, &cfg, &d), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(guest_connects_to_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(host_connects_to_the_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(host_waits_for_the_guests_credit, setup, teardown),
		cmocka_unit_test_setup_teardown(guest_beyond_its_credit_is_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(closed_host_ends_do_not_spin, setup, teardown),
		cmocka_unit_test_setup_teardown(guest_close_keeps_what_it_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(configuration_is_checked, setup, teardown),
	};

	return cmocka_run_group_tests_name("vsock", tests, NULL, NULL);
}
