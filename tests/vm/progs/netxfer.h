/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TCP transfer both ends of t_net run: the VM host (t_net) and the
 * Linux guest's /init (tests/guests/linux/netinit.c).
 *
 * The data is a stream anyone can regenerate from its seed, so the
 * receiver checks every byte against what the sender must have sent and
 * also sums what arrived (FNV-1a, 64 bits) for the other end to compare
 * with the sum of what it sent.  A corrupted checksum offload, a segment
 * put back in the wrong place or a truncated buffer all show up.
 *
 * The exchange: the client sends its stream and shuts down its side; the
 * server reads to the end, then sends its own stream and closes; the
 * client reads that to the end.  One direction at a time, so neither end
 * needs threads and both directions of the device are used.
 */
#ifndef NETXFER_H
#define NETXFER_H

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NX_FNV_START	0xcbf29ce484222325ULL
#define NX_CHUNK	65536

/* Block @blk (8 bytes) of the stream named @seed: splitmix64. */
static inline uint64_t nx_block(uint64_t seed, uint64_t blk)
{
	uint64_t z = seed + (blk + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Bytes [@off, @off + @n) of stream @seed into @buf. */
static inline void nx_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t o = off + i;

		buf[i] = (uint8_t)(nx_block(seed, o / 8) >> (8 * (o % 8)));
	}
}

static inline uint64_t nx_fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* The sum of the first @len bytes of stream @seed: what a receiver must see. */
static inline uint64_t nx_expected_sum(uint64_t seed, uint64_t len)
{
	static uint8_t buf[NX_CHUNK];
	uint64_t h = NX_FNV_START;

	for (uint64_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);

		nx_fill(seed, off, buf, n);
		h = nx_fnv(h, buf, n);
	}
	return h;
}

static inline uint64_t nx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Sends @len bytes of stream @seed; returns 0 or a negative errno. */
static inline int nx_send(int fd, uint64_t seed, uint64_t len, uint64_t *sum)
{
	static uint8_t buf[NX_CHUNK];
	uint64_t off = 0;

	*sum = NX_FNV_START;
	while (off < len) {
		size_t n = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);
		size_t done = 0;

		nx_fill(seed, off, buf, n);
		*sum = nx_fnv(*sum, buf, n);
		while (done < n) {
			ssize_t w = send(fd, buf + done, n - done, MSG_NOSIGNAL);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EPIPE;
			done += (size_t)w;
		}
		off += n;
	}
	return 0;
}

struct nx_recv {
	uint64_t bytes;		/* how many arrived before the end of the stream */
	uint64_t sum;		/* FNV-1a of them */
	int64_t first_bad;	/* offset of the first wrong byte, or -1 */
	int err;		/* 0, or the negative errno that ended it early */
};

/* Reads to the end of the stream, checking it against stream @seed. */
static inline void nx_recv(int fd, uint64_t seed, struct nx_recv *r)
{
	static uint8_t buf[NX_CHUNK], want[NX_CHUNK];

	r->bytes = 0;
	r->sum = NX_FNV_START;
	r->first_bad = -1;
	r->err = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->err = -errno;
			return;
		}
		if (n == 0)
			return;
		nx_fill(seed, r->bytes, want, (size_t)n);
		for (ssize_t i = 0; i < n && r->first_bad < 0; i++)
			if (buf[i] != want[i])
				r->first_bad = (int64_t)(r->bytes + (uint64_t)i);
		r->sum = nx_fnv(r->sum, buf, (size_t)n);
		r->bytes += (uint64_t)n;
	}
}

/* A receive or send that waits longer than this has failed. */
static inline void nx_timeouts(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

#endif
