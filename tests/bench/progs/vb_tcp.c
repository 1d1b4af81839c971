// SPDX-License-Identifier: GPL-2.0
/*
 * TCP: a server, and two clients of it.
 *
 *	vb_tcp server PORT                       serve until killed
 *	vb_tcp stream KEY HOST PORT [reps [n]]   n times 4 MiB, acked (ms each)
 *	vb_tcp ping KEY HOST PORT [reps [n]]     n one-byte round trips (ns each)
 *
 * The client's first byte says which service it wants.  The client
 * retries connecting for a minute: its server may still be booting.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>

#include "bench.h"

#define STREAM (4UL << 20)

static int sock;
static char *buf;

static void full(ssize_t (*op)(int, void *, size_t), int fd, char *p, size_t n, const char *what)
{
	while (n) {
		ssize_t k = op(fd, p, n);

		if (k <= 0) {
			if (k == 0)
				errno = ECONNRESET;
			vb_die(what);
		}
		p += k;
		n -= (size_t)k;
	}
}

static ssize_t do_write(int fd, void *p, size_t n)
{
	return write(fd, p, n);
}

static void serve(int c)
{
	char mode;

	if (read(c, &mode, 1) != 1)
		_exit(0);
	for (;;) {
		size_t n = mode == 's' ? STREAM : 1;

		for (size_t got = 0; got < n;) {
			ssize_t k = read(c, buf + got, n - got);

			if (k <= 0)
				_exit(0);
			got += (size_t)k;
		}
		if (write(c, buf, 1) != 1)
			_exit(0);
	}
}

static _Noreturn void server(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	signal(SIGCHLD, SIG_IGN);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 8))
		vb_die("listen");
	printf("vb_tcp: listening on %d\n", port);
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (fork() == 0)
			serve(c);
		close(c);
	}
}

static void stream(long iters)
{
	for (long i = 0; i < iters; i++) {
		full(do_write, sock, buf, STREAM, "send");
		full(read, sock, buf, 1, "ack");
	}
}

static void ping(long iters)
{
	for (long i = 0; i < iters; i++) {
		full(do_write, sock, buf, 1, "ping");
		full(read, sock, buf, 1, "pong");
	}
}

static void connect_to(const char *host, int port, char mode)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "vb_tcp: bad address %s\n", host);
		exit(2);
	}
	for (int tries = 0;; tries++) {
		sock = socket(AF_INET, SOCK_STREAM, 0);
		if (sock < 0)
			vb_die("socket");
		if (!connect(sock, (struct sockaddr *)&a, sizeof(a)))
			break;
		if (tries == 600)
			vb_die("connect");
		close(sock);
		usleep(100000);
	}
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	full(do_write, sock, &mode, 1, "hello");
}

int main(int argc, char **argv)
{
	int reps = 5;
	long iters;
	char key[64];

	buf = malloc(STREAM);
	if (!buf)
		vb_die("malloc");
	memset(buf, 'v', STREAM);
	if (argc == 3 && !strcmp(argv[1], "server"))
		server((int)vb_num(argv[2], "port", 1, 65535));
	if (argc < 5 || (strcmp(argv[1], "stream") != 0 && strcmp(argv[1], "ping") != 0)) {
		fprintf(stderr, "usage: vb_tcp server PORT | vb_tcp stream|ping KEY HOST PORT [reps [n]]\n");
		return 2;
	}
	iters = argv[1][0] == 's' ? 1 : 500;
	vb_args(argc, argv, 5, &reps, &iters);
	connect_to(argv[3], (int)vb_num(argv[4], "port", 1, 65535), argv[1][0]);
	snprintf(key, sizeof(key), "%s", argv[2]);
	if (argv[1][0] == 's')
		vb_run(key, "ms", 1e6, reps, iters, stream);
	else
		vb_run(key, "ns", 1, reps, iters, ping);
	return 0;
}
