// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest's network initramfs (t_net): brings eth0 (the
 * virtio-net device) up with an address, runs one TCP exchange of
 * tests/vm/progs/netxfer.h as client or server, reports it on the console
 * and powers the guest off.
 *
 * What to do comes from the kernel command line:
 *   lgnet.role=client|server  lgnet.ip=A  lgnet.peer=B  lgnet.port=P
 *   lgnet.bytes=N  lgnet.seed=S
 * The client sends stream S and expects stream S+1 back; the server the
 * other way round.  The host (t_net) reads the "lgnet:" lines.
 *
 * With lgnet.family=vsock (t_vsock) there is no eth0: over AF_VSOCK the
 * guest connects to host port P and exchanges (streams S, S+1), opens
 * lgnet.conns=N connections at once to port P+1, each echoed by the host,
 * then listens on port P+2 for the host's connection (streams S+2, S+3).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>

#include <linux/vm_sockets.h>

#include "netxfer.h"

static char cmdline[4096];

struct params {
	char role[16], ip[32], peer[32], port[16], bytes[32], seed[32];
};

/* lgnet.@key from the command line into @val; false when it is missing. */
static bool param(const char *key, char *val, size_t len)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), " lgnet.%s=", key);
	p = strstr(cmdline, want);
	if (!p)
		return false;
	p += strlen(want);
	snprintf(val, len, "%.*s", (int)strcspn(p, " \n"), p);
	return true;
}

static int eth0_up(const char *ip, char *mac, size_t maclen)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	const unsigned char *m;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "eth0");
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	m = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
	snprintf(mac, maclen, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "eth0");
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1) {
		err = -EINVAL;
		goto out;
	}
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "eth0");
	ifr.ifr_flags = IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
out:
	close(s);
	return err;
}

/* The client retries: the peer may still be booting. */
static int connect_to(const struct sockaddr_in *peer, int secs)
{
	uint64_t end = nx_now_ns() + (uint64_t)secs * 1000000000ULL;

	for (;;) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (s < 0)
			return -errno;
		nx_timeouts(s, 10);
		if (connect(s, (const struct sockaddr *)peer, sizeof(*peer)) == 0)
			return s;
		close(s);
		if (nx_now_ns() > end)
			return -ETIMEDOUT;
		usleep(200000);
	}
}

static int accept_from(const struct sockaddr_in *me, int secs)
{
	struct pollfd p = { .events = POLLIN };
	int one = 1, s, c;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)me, sizeof(*me)) < 0 || listen(s, 1) < 0) {
		c = -errno;
		close(s);
		return c;
	}
	printf("lgnet: listening on port %u\n", ntohs(me->sin_port));
	fflush(stdout);
	p.fd = s;
	c = poll(&p, 1, secs * 1000);
	c = c == 1 ? accept4(s, NULL, NULL, SOCK_CLOEXEC) : -1;
	if (c < 0)
		c = errno ? -errno : -ETIMEDOUT;
	else
		nx_timeouts(c, 10);
	close(s);
	return c;
}

/* ---- AF_VSOCK ------------------------------------------------------------ */

static int vsock_connect(unsigned int port, int secs)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST,
				  .svm_port = port };
	uint64_t end = nx_now_ns() + (uint64_t)secs * 1000000000ULL;

	for (;;) {
		int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (s < 0)
			return -errno;
		nx_timeouts(s, 30);
		if (connect(s, (const struct sockaddr *)&sa, sizeof(sa)) == 0)
			return s;
		close(s);
		if (nx_now_ns() > end)
			return -ETIMEDOUT;
		usleep(200000);
	}
}

static int vsock_exchange(int fd, bool client, uint64_t seed, uint64_t len, const char *what)
{
	uint64_t s_out = seed + (client ? 0 : 1), s_in = seed + (client ? 1 : 0), sum = 0;
	uint64_t t0 = nx_now_ns();
	struct nx_recv r;
	int err;

	if (client) {
		err = nx_send(fd, s_out, len, &sum);
		shutdown(fd, SHUT_WR);
		nx_recv(fd, s_in, &r);
	} else {
		nx_recv(fd, s_in, &r);
		err = r.err ? 0 : nx_send(fd, s_out, len, &sum);
	}
	close(fd);
	printf("lgnet: vsock %s sent %llu bytes sum=%016llx err=%d; received %llu bytes"
	       " sum=%016llx first_bad=%lld err=%d; %llu ms\n", what, (unsigned long long)len,
	       (unsigned long long)sum, err, (unsigned long long)r.bytes,
	       (unsigned long long)r.sum, (long long)r.first_bad, r.err,
	       (unsigned long long)((nx_now_ns() - t0) / 1000000));
	fflush(stdout);
	return err || r.err || r.bytes != len || r.first_bad >= 0 ||
	       r.sum != nx_expected_sum(s_in, len);
}

/* @n connections open at once, each sending its number and reading it back changed. */
static int vsock_many(unsigned int port, unsigned int n)
{
	static int fd[256];
	unsigned int i, good = 0;

	if (n > 256)
		n = 256;
	for (i = 0; i < n; i++) {
		uint32_t v = i;

		fd[i] = vsock_connect(port, 5);
		if (fd[i] < 0 || write(fd[i], &v, sizeof(v)) != sizeof(v))
			break;
	}
	for (unsigned int j = 0; j < i; j++) {
		uint32_t v = 0;

		if (read(fd[j], &v, sizeof(v)) == sizeof(v) && v == (j ^ 0x5a5a5a5aU))
			good++;
	}
	for (unsigned int j = 0; j < i && j < n; j++)
		if (fd[j] >= 0)
			close(fd[j]);
	printf("lgnet: vsock %u connections at once, %u answered right\n", n, good);
	fflush(stdout);
	return good != n;
}

static int vsock_accept(unsigned int port, int secs)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	struct pollfd p = { .events = POLLIN };
	int s, c;

	s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (const struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0) {
		c = -errno;
		close(s);
		return c;
	}
	printf("lgnet: vsock listening on port %u\n", port);
	fflush(stdout);
	p.fd = s;
	c = poll(&p, 1, secs * 1000);
	c = c == 1 ? accept4(s, NULL, NULL, SOCK_CLOEXEC) : -1;
	if (c < 0)
		c = errno ? -errno : -ETIMEDOUT;
	else
		nx_timeouts(c, 30);
	close(s);
	return c;
}

static int run_vsock(unsigned int port, uint64_t len, uint64_t seed, unsigned int conns)
{
	int fd, bad = 0;

	fd = vsock_connect(port, 60);
	if (fd < 0) {
		printf("lgnet: FAIL: vsock connect to host port %u: %s\n", port, strerror(-fd));
		return 1;
	}
	bad |= vsock_exchange(fd, true, seed, len, "client");
	bad |= vsock_many(port + 1, conns);
	fd = vsock_accept(port + 2, 90);
	if (fd < 0) {
		printf("lgnet: FAIL: vsock accept on port %u: %s\n", port + 2, strerror(-fd));
		return 1;
	}
	bad |= vsock_exchange(fd, false, seed + 2, len, "server");
	printf("lgnet: %s\n", bad ? "FAIL: a vsock exchange went wrong (see above)" : "ok");
	return bad;
}

static int run(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t len, s_out, s_in, sent_sum = 0, t0;
	struct params p;
	struct nx_recv r;
	bool client;
	char mac[32];
	int fd, err;

	if (param("family", p.role, sizeof(p.role)) && !strcmp(p.role, "vsock")) {
		char conns[16] = "16";

		if (!param("port", p.port, sizeof(p.port)) || !param("bytes", p.bytes, sizeof(p.bytes)) ||
		    !param("seed", p.seed, sizeof(p.seed))) {
			printf("lgnet: FAIL: want lgnet.port, bytes and seed\n");
			return 1;
		}
		param("conns", conns, sizeof(conns));
		return run_vsock((unsigned int)atoi(p.port), strtoull(p.bytes, NULL, 0),
				 strtoull(p.seed, NULL, 0), (unsigned int)atoi(conns));
	}
	if (!param("role", p.role, sizeof(p.role)) || !param("ip", p.ip, sizeof(p.ip)) ||
	    !param("peer", p.peer, sizeof(p.peer)) || !param("port", p.port, sizeof(p.port)) ||
	    !param("bytes", p.bytes, sizeof(p.bytes)) || !param("seed", p.seed, sizeof(p.seed))) {
		printf("lgnet: FAIL: want lgnet.role, ip, peer, port, bytes and seed\n");
		return 1;
	}
	client = !strcmp(p.role, "client");
	len = strtoull(p.bytes, NULL, 0);
	s_out = strtoull(p.seed, NULL, 0) + (client ? 0 : 1);
	s_in = strtoull(p.seed, NULL, 0) + (client ? 1 : 0);
	sa.sin_port = htons((uint16_t)atoi(p.port));
	if (inet_pton(AF_INET, client ? p.peer : p.ip, &sa.sin_addr) != 1) {
		printf("lgnet: FAIL: bad address\n");
		return 1;
	}
	err = eth0_up(p.ip, mac, sizeof(mac));
	if (err) {
		printf("lgnet: FAIL: eth0: %s\n", strerror(-err));
		return 1;
	}
	printf("lgnet: eth0 up, mac %s, address %s\n", mac, p.ip);
	fflush(stdout);

	fd = client ? connect_to(&sa, 90) : accept_from(&sa, 90);
	if (fd < 0) {
		printf("lgnet: FAIL: %s: %s\n", client ? "connect" : "accept", strerror(-fd));
		return 1;
	}
	t0 = nx_now_ns();
	if (client) {
		err = nx_send(fd, s_out, len, &sent_sum);
		shutdown(fd, SHUT_WR);
		nx_recv(fd, s_in, &r);
	} else {
		nx_recv(fd, s_in, &r);
		err = r.err ? 0 : nx_send(fd, s_out, len, &sent_sum);
	}
	close(fd);
	printf("lgnet: %s sent %llu bytes sum=%016llx err=%d; received %llu bytes sum=%016llx"
	       " first_bad=%lld err=%d; %llu ms\n", p.role, (unsigned long long)len,
	       (unsigned long long)sent_sum, err, (unsigned long long)r.bytes,
	       (unsigned long long)r.sum, (long long)r.first_bad, r.err,
	       (unsigned long long)((nx_now_ns() - t0) / 1000000));
	if (err || r.err || r.bytes != len || r.first_bad >= 0 ||
	    r.sum != nx_expected_sum(s_in, len)) {
		printf("lgnet: FAIL: the exchange went wrong (see above)\n");
		return 1;
	}
	printf("lgnet: ok\n");
	return 0;
}

int main(void)
{
	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", 0, NULL) == 0) {
		int fd = open("/proc/cmdline", O_RDONLY);

		cmdline[0] = ' ';
		if (fd >= 0 && read(fd, cmdline + 1, sizeof(cmdline) - 2) < 0)
			cmdline[1] = 0;
		if (fd >= 0)
			close(fd);
	}
	run();
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
