// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-vsock, end to end: the Linux guest run by lguestctl as a user
 * would, "lguestctl run --vsock cid=3,socket=PATH", with
 * tests/guests/linux/netinit.c (lgnet.family=vsock) as its /init.  Both
 * directions of the Unix-socket protocol (docs/devices.md):
 *
 * 1. The guest connects to host port P: we listen on PATH_P and the two
 *    ends exchange 64 MiB each way (tests/vm/progs/netxfer.h), each
 *    checking every byte and both comparing checksums.
 * 2. The guest opens many connections at once to port P+1, each of which
 *    we answer.
 * 3. We connect to PATH and say "CONNECT 9" where nothing listens: the
 *    guest refuses and our socket ends, no "OK".
 * 4. We connect to PATH and say "CONNECT P+2", where the guest listens,
 *    and exchange the other way round.
 *
 * Afterwards lguestctl exits 0 and has removed PATH.  And before all
 * that: a PATH that is something else than a socket is refused clearly.
 */
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "lgtest.h"
#include "netxfer.h"

#define PATH		"/tmp/t_vsock.sock"
#define PORT		5001
#define LEN		(64ULL << 20)
#define CONNS		64
#define SEED		3000
#define GUEST_SECS	300

static char out[1 << 17];
static uint64_t deadline;

/* lguestctl with --vsock socket=@path, a kernel and nothing else: its exit status and stderr. */
static int lguestctl_refuses(const char *path, char *err, size_t len)
{
	char opt[128];
	int p[2], status = -1;
	ssize_t n;
	pid_t pid;

	snprintf(opt, sizeof(opt), "socket=%s", path);
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		execl("/tests/lguestctl", "lguestctl", "run", "--console=off", "--vsock", opt,
		      "/tests/vmlinux", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], err, len - 1);
	err[n > 0 ? n : 0] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int listen_on(unsigned int port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", PATH, port);
	unlink(sa.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, CONNS) < 0) {
		printf("t_vsock: listening on %s: %s\n", sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A connection on @ls, unless the guest ends (or the time runs out) first. */
static int accept_from(int ls, pid_t pid)
{
	while (nx_now_ns() < deadline) {
		struct pollfd p = { .fd = ls, .events = POLLIN };

		if (poll(&p, 1, 1000) == 1)
			return accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (waitpid(pid, NULL, WNOHANG | WNOWAIT) == pid)
			return -1;
	}
	return -1;
}

/* "CONNECT @port\n" on PATH: the socket once the guest said OK, else -1 (@line: its answer). */
static int connect_guest(unsigned int port, char *line, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char hello[32];
	size_t got = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", PATH);
	line[0] = 0;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(line, len, "connect: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	nx_timeouts(fd, 30);
	snprintf(hello, sizeof(hello), "CONNECT %u\n", port);
	if (write(fd, hello, strlen(hello)) != (ssize_t)strlen(hello)) {
		close(fd);
		return -1;
	}
	/* Byte by byte: what follows the line is the guest's. */
	while (got + 1 < len) {
		ssize_t n = read(fd, line + got, 1);

		if (n <= 0)
			break;
		got++;
		if (line[got - 1] == '\n')
			break;
	}
	line[got] = 0;
	if (strncmp(line, "OK ", 3) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The guest's console, and whether its report line @what says it got @seed's stream. */
static bool guest_report(const char *console, const char *what, uint64_t seed, uint64_t *sent_sum,
			 uint64_t *got_sum)
{
	unsigned long long sent, ssum, got, gsum, ms;
	long long first_bad;
	int serr, gerr;
	char key[64];
	const char *p;
	ssize_t n;
	int fd = open(console, O_RDONLY | O_CLOEXEC);

	n = fd >= 0 ? read(fd, out, sizeof(out) - 1) : -1;
	out[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	snprintf(key, sizeof(key), "lgnet: vsock %s sent", what);
	p = strstr(out, key);
	if (!p || sscanf(p + strlen(key), " %llu bytes sum=%llx err=%d; received %llu bytes sum=%llx"
			 " first_bad=%lld err=%d; %llu ms", &sent, &ssum, &serr, &got, &gsum,
			 &first_bad, &gerr, &ms) != 8)
		return false;
	*sent_sum = ssum;
	*got_sum = gsum;
	printf("t_vsock: guest %s: %llu bytes each way in %llu ms (guest clock)\n", what, got, ms);
	return !serr && !gerr && got == LEN && first_bad < 0 && gsum == nx_expected_sum(seed, LEN);
}

int main(void)
{
	const char *console = "/tmp/t_vsock.console";
	uint64_t sent_sum = 0, g_sent = 0, g_got = 0;
	struct nx_recv r = { .err = -ETIMEDOUT, .first_bad = -1 };
	int ls0, ls1, c, status = -1, answered = 0, fds[CONNS];
	char params[256], line[160];
	unsigned int i;
	pid_t pid;

	if (access("/tests/vmlinux", R_OK) || access("/tests/linux-net.cpio", R_OK)) {
		printf("LGTEST SKIP vsock: no /tests/vmlinux or linux-net.cpio in this initramfs\n");
		return 0;
	}
	alarm(GUEST_SECS + 60);
	c = lguestctl_refuses("/tests", line, sizeof(line));
	CHECK(c == 1 && strstr(line, "/tests exists and is not a socket") &&
	      access("/tests/vmlinux", R_OK) == 0,
	      "vsock: lguestctl refuses a socket path that is not a socket, and leaves it",
	      "exit %d: %s", c, line);
	ls0 = listen_on(PORT);
	ls1 = listen_on(PORT + 1);
	CHECK(ls0 >= 0 && ls1 >= 0, "vsock: the host listens on PATH_P", "see above");
	if (ls0 < 0 || ls1 < 0)
		return 1;
	snprintf(params, sizeof(params), "panic=-1 lgnet.family=vsock lgnet.port=%d lgnet.bytes=%llu"
		 " lgnet.seed=%d lgnet.conns=%d", PORT, LEN, SEED, CONNS);
	pid = fork();
	if (pid == 0) {
		int o = open(console, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int n = open("/dev/null", O_RDONLY);

		dup2(n, 0);
		dup2(o, 1);
		dup2(o, 2);
		execl("/tests/lguestctl", "lguestctl", "run", "--stats", "--mem", "64", "--name",
		      "vsockg", "--vsock", "cid=3,socket=" PATH, "--initrd", "/tests/linux-net.cpio",
		      "-p", params, "/tests/vmlinux", (char *)NULL);
		_exit(127);
	}
	deadline = nx_now_ns() + GUEST_SECS * 1000000000ULL;

	/* 1: the guest connects to us. */
	c = accept_from(ls0, pid);
	CHECK(c >= 0, "vsock: the guest connects to host port P (PATH_P)", "no connection");
	if (c >= 0) {
		uint64_t t0, t1;

		nx_timeouts(c, 30);
		t0 = nx_now_ns();
		nx_recv(c, SEED, &r);
		t1 = nx_now_ns();
		sent_sum = 0;
		if (!r.err)
			r.err = nx_send(c, SEED + 1, LEN, &sent_sum);
		close(c);
		if (!r.err)
			printf("t_vsock: guest -> host %.1f MiB/s, host -> guest %.1f MiB/s"
			       " (%llu bytes each way)\n",
			       (double)LEN / (1 << 20) / ((double)(t1 - t0) / 1e9),
			       (double)LEN / (1 << 20) / ((double)(nx_now_ns() - t1) / 1e9), LEN);
	}
	CHECK(r.bytes == LEN && r.first_bad < 0 && !r.err && r.sum == nx_expected_sum(SEED, LEN),
	      "vsock: guest -> host: every byte arrives (its checksum)",
	      "%llu bytes, sum %016llx, first bad byte %lld, error %d",
	      (unsigned long long)r.bytes, (unsigned long long)r.sum, (long long)r.first_bad, r.err);
	close(ls0);

	/* 2: many at once. */
	for (i = 0; i < CONNS; i++) {
		fds[i] = accept_from(ls1, pid);
		if (fds[i] < 0)
			break;
		nx_timeouts(fds[i], 30);
	}
	for (unsigned int j = 0; j < i; j++) {
		uint32_t v;

		if (read(fds[j], &v, sizeof(v)) == sizeof(v)) {
			v ^= 0x5a5a5a5aU;
			answered += write(fds[j], &v, sizeof(v)) == sizeof(v);
		}
	}
	for (unsigned int j = 0; j < i; j++)
		close(fds[j]);
	close(ls1);
	CHECK(i == CONNS && answered == CONNS, "vsock: 64 guest connections open at once",
	      "%u accepted, %d answered", i, answered);

	/* 3: nothing listens on guest port 9. */
	c = connect_guest(9, line, sizeof(line));
	CHECK(c < 0 && line[0] == 0, "vsock: CONNECT to a guest port nobody listens on ends the socket",
	      "%s", c >= 0 ? "the guest accepted" : line);
	if (c >= 0)
		close(c);

	/* 4: we connect to the guest; it may not listen yet. */
	c = -1;
	while (c < 0 && nx_now_ns() < deadline && waitpid(pid, NULL, WNOHANG | WNOWAIT) != pid) {
		c = connect_guest(PORT + 2, line, sizeof(line));
		if (c < 0)
			usleep(200000);
	}
	CHECK(c >= 0, "vsock: CONNECT <port> on PATH reaches the guest's listener and says OK",
	      "last answer '%s'", line);
	memset(&r, 0, sizeof(r));
	r.err = -ETIMEDOUT;
	if (c >= 0) {
		int err = nx_send(c, SEED + 2, LEN, &sent_sum);

		shutdown(c, SHUT_WR);
		nx_recv(c, SEED + 3, &r);
		if (err)
			r.err = err;
		close(c);
	}
	CHECK(r.bytes == LEN && r.first_bad < 0 && !r.err && r.sum == nx_expected_sum(SEED + 3, LEN),
	      "vsock: host -> guest connection: every byte arrives both ways (checksums)",
	      "%llu bytes, sum %016llx, first bad byte %lld, error %d",
	      (unsigned long long)r.bytes, (unsigned long long)r.sum, (long long)r.first_bad, r.err);

	while (nx_now_ns() < deadline && waitpid(pid, &status, WNOHANG) != pid)
		usleep(100000);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		status = -1;
	}
	CHECK(guest_report(console, "client", SEED + 1, &g_sent, &g_got),
	      "vsock: the guest gets every byte of the host's answer", "no good report");
	CHECK(guest_report(console, "server", SEED + 2, &g_sent, &g_got) && g_got == sent_sum,
	      "vsock: the guest gets every byte the host sent it", "no good report");
	CHECK(strstr(out, "lgnet: vsock 64 connections at once, 64 answered right") != NULL,
	      "vsock: the guest's 64 connections all got their answers", "no such report");
	CHECK(!strstr(out, "BUG:") && !strstr(out, "WARNING:") && !strstr(out, "Call Trace"),
	      "vsock: the guest's kernel log is clean", "its console has a BUG or WARNING");
	CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "vsock: the guest powers off and lguestctl exits 0", "status %#x", status);
	CHECK(access(PATH, F_OK) == -1 && errno == ENOENT, "vsock: lguestctl removes its socket",
	      "%s is still there", PATH);
	if (lgtest_failed)
		printf("---- guest console ----\n%s\n----\n", out);
	return lgtest_failed;
}
