// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net, end to end: the Linux guest (make guest-kernel) run by
 * lguestctl the way a user would, "lguestctl run --net tap=NAME,mac=MAC",
 * with tests/guests/linux/netinit.c as its /init.
 *
 * 1. Guest and host over a tap: the tap's host end gets an address, the
 *    guest connects to us and we exchange 4 MiB each way
 *    (tests/vm/progs/netxfer.h), each end checking what it got.
 * 2. Two guests on one bridge: lguest's inter-guest networking.  Two taps
 *    joined by a Linux bridge; guest A connects to guest B and they
 *    exchange the same way, both reporting on their consoles.
 *
 * The taps and the bridge are made with the same ioctls "ip tuntap add"
 * and "ip link add type bridge" use, and removed at the end.  The tun and
 * bridge modules of the host kernel come in the initramfs, in /lib/net/
 * (tests/vm/mkinitramfs.sh).  Addresses are IPv4 link-local: the traffic
 * never leaves this VM.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lgtest.h"
#include "netxfer.h"

#define LEN		(4ULL << 20)
#define PORT		5001
#define GUEST_SECS	240	/* boot, transfer and poweroff under TCG */

static char out[1 << 17];

/* ---- the host's network plumbing ------------------------------------------ */

/* A network ioctl (an ifreq, or a bridge's name) on a throwaway socket. */
static int net_ioctl(unsigned long req, const void *arg)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	r = ioctl(s, req, arg) < 0 ? -errno : 0;
	close(s);
	return r;
}

static void ifr_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

/* A persistent tap, as "ip tuntap add NAME mode tap" makes it. */
static int tap_persist(const char *name, int on)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	ifr_init(&ifr, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, on) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int link_up(const char *name)
{
	struct ifreq ifr;
	int r;

	ifr_init(&ifr, name);
	r = net_ioctl(SIOCGIFFLAGS, &ifr);
	if (r)
		return r;
	ifr.ifr_flags |= IFF_UP;
	return net_ioctl(SIOCSIFFLAGS, &ifr);
}

static int set_addr(const char *name, const char *ip)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int r;

	ifr_init(&ifr, name);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	r = net_ioctl(SIOCSIFADDR, &ifr);
	if (r)
		return r;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	return net_ioctl(SIOCSIFNETMASK, &ifr);
}

static int bridge_add_port(const char *br, const char *port)
{
	struct ifreq ifr;

	ifr_init(&ifr, br);
	ifr.ifr_ifindex = (int)if_nametoindex(port);
	if (!ifr.ifr_ifindex)
		return -ENODEV;
	return net_ioctl(SIOCBRADDIF, &ifr);
}

/* A counter from /sys/class/net/@dev/statistics/, or -1. */
static long long stat_of(const char *dev, const char *what)
{
	char path[128], buf[32] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -1;
}

/* What a slow figure may hide: packets the tap dropped because its guest was not reading. */
static void print_drops(const char *tap)
{
	printf("net: %s: %lld packets to the guest, %lld dropped; %lld from it\n", tap,
	       stat_of(tap, "tx_packets"), stat_of(tap, "tx_dropped"), stat_of(tap, "rx_packets"));
}

/* ---- the guests -------------------------------------------------------------- */

struct guest {
	const char *name, *tap, *mac, *role, *ip, *peer;
	unsigned int seed;
	char console[64];
	pid_t pid;
	int status;
};

static void start(struct guest *g)
{
	char net[64], params[256];

	snprintf(g->console, sizeof(g->console), "/tmp/t_net.%s.console", g->name);
	snprintf(net, sizeof(net), "tap=%s,mac=%s", g->tap, g->mac);
	snprintf(params, sizeof(params),
		 "panic=-1 lgnet.role=%s lgnet.ip=%s lgnet.peer=%s lgnet.port=%d lgnet.bytes=%llu"
		 " lgnet.seed=%u", g->role, g->ip, g->peer, PORT, LEN, g->seed);
	g->status = -1;
	g->pid = fork();
	if (g->pid == 0) {
		int o = open(g->console, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int i = open("/dev/null", O_RDONLY);

		dup2(i, 0);
		dup2(o, 1);
		dup2(o, 2);
		execl("/tests/lguestctl", "lguestctl", "run", "--stats", "--mem", "64", "--name", g->name,
		      "--initrd", "/tests/linux-net.cpio", "--net", net, "-p", params,
		      "/tests/vmlinux", (char *)NULL);
		_exit(127);
	}
}

/* Waits for @g until @deadline (nx_now_ns()), then kills it; true if it exited. */
static bool reap(struct guest *g, uint64_t deadline)
{
	while (g->pid > 0) {
		pid_t r = waitpid(g->pid, &g->status, WNOHANG);

		if (r == g->pid || r < 0) {
			g->pid = 0;
			return r > 0;
		}
		if (nx_now_ns() > deadline) {
			kill(g->pid, SIGKILL);
			waitpid(g->pid, &g->status, 0);
			g->pid = 0;
			g->status = -1;
			return false;
		}
		usleep(100000);
	}
	return g->status != -1;
}

struct report {
	unsigned long long sent, sent_sum, got, got_sum, ms;
	long long first_bad;
	int sent_err, got_err;
	bool found, ok;
};

/* Reads @g's console into out[] and its "lgnet:" report, printing its lines. */
static void read_report(const struct guest *g, struct report *rep)
{
	char role[16];
	const char *p;
	ssize_t n;
	int fd = open(g->console, O_RDONLY);

	n = fd >= 0 ? read(fd, out, sizeof(out) - 1) : -1;
	out[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	memset(rep, 0, sizeof(*rep));
	for (p = strstr(out, "lgnet:"); p; p = strstr(p + 1, "lgnet:"))
		printf("[%s] %.*s\n", g->name, (int)strcspn(p, "\r\n"), p);
	p = strstr(out, "lgnet: client sent");
	if (!p)
		p = strstr(out, "lgnet: server sent");
	rep->found = p && sscanf(p, "lgnet: %15s sent %llu bytes sum=%llx err=%d; received %llu"
				  " bytes sum=%llx first_bad=%lld err=%d; %llu ms", role, &rep->sent,
				  &rep->sent_sum, &rep->sent_err, &rep->got, &rep->got_sum,
				  &rep->first_bad, &rep->got_err, &rep->ms) == 9;
	rep->ok = strstr(out, "lgnet: ok") != NULL;
}

static void dump_console(const struct guest *g)
{
	printf("---- %s console (%s) ----\n%s\n----\n", g->name, g->console, out);
}

/* The checks every guest's own account must pass; @rep is that account. */
static bool check_guest(const struct guest *g, const char *test, uint64_t got_seed,
			struct report *rep_out)
{
	struct report rep;
	char name[160], mac_line[96];
	bool good = true;

	read_report(g, &rep);
	*rep_out = rep;
	snprintf(mac_line, sizeof(mac_line), "lgnet: eth0 up, mac %s", g->mac);
	snprintf(name, sizeof(name), "%s: %s probes virtio-net as eth0 with the MAC we gave",
		 test, g->name);
	CHECK(strstr(out, mac_line) != NULL, name, "no '%s' on its console", mac_line);
	good &= strstr(out, mac_line) != NULL;
	snprintf(name, sizeof(name), "%s: %s receives %llu bytes intact (its checksum)", test,
		 g->name, LEN);
	CHECK(rep.found && rep.got == LEN && rep.first_bad < 0 && !rep.got_err &&
	      rep.got_sum == nx_expected_sum(got_seed, LEN), name,
	      "report %s: %llu bytes, sum %016llx, first bad byte %lld, error %d",
	      rep.found ? "found" : "missing", rep.got, rep.got_sum, rep.first_bad, rep.got_err);
	good &= rep.found && rep.ok;
	snprintf(name, sizeof(name), "%s: %s's kernel log is clean", test, g->name);
	CHECK(!strstr(out, "BUG:") && !strstr(out, "WARNING:") && !strstr(out, "Oops") &&
	      !strstr(out, "Call Trace"), name, "its console has a BUG, WARNING or Oops");
	snprintf(name, sizeof(name), "%s: %s powers off and lguestctl exits 0", test, g->name);
	CHECK(WIFEXITED(g->status) && WEXITSTATUS(g->status) == 0, name, "status %#x", g->status);
	good &= WIFEXITED(g->status) && WEXITSTATUS(g->status) == 0;
	if (!good)
		dump_console(g);
	return good;
}

/* ---- 1: guest and host over a tap --------------------------------------------- */

static void guest_to_host(void)
{
	const char *test = "net: guest <-> host over a tap";
	struct guest g = { .name = "netg0", .tap = "lgt0", .mac = "02:00:00:00:10:02",
			   .role = "client", .ip = "169.254.10.2", .peer = "169.254.10.1",
			   .seed = 1000 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	uint64_t deadline, sent_sum = 0;
	struct nx_recv r = { .err = -ETIMEDOUT, .first_bad = -1 };
	struct report rep;
	char name[160];
	int ls, c = -1, one = 1, err = -1;

	err = tap_persist(g.tap, 1);
	if (!err)
		err = set_addr(g.tap, g.peer);
	if (!err)
		err = link_up(g.tap);
	CHECK(!err, "net: a tap with an address for the host end", "%s: %s", g.tap,
	      strerror(-err));
	if (err)
		return;
	inet_pton(AF_INET, g.peer, &sa.sin_addr);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		CHECK(0, "net: the host listens on the tap's address", "%s", strerror(errno));
		close(ls);
		tap_persist(g.tap, 0);
		return;
	}

	start(&g);
	deadline = nx_now_ns() + GUEST_SECS * 1000000000ULL;
	/* Accept, unless the guest gives up first. */
	while (c < 0 && nx_now_ns() < deadline) {
		struct pollfd p = { .fd = ls, .events = POLLIN };

		if (poll(&p, 1, 1000) == 1)
			c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		else if (waitpid(g.pid, &g.status, WNOHANG) == g.pid)
			break;
	}
	close(ls);
	snprintf(name, sizeof(name), "%s: the guest connects to the host", test);
	CHECK(c >= 0, name, "no connection from %s", g.ip);
	if (c >= 0) {
		uint64_t t0, t1, t2;

		nx_timeouts(c, 30);
		t0 = nx_now_ns();
		nx_recv(c, g.seed, &r);
		t1 = nx_now_ns();
		err = r.err ? r.err : nx_send(c, g.seed + 1, LEN, &sent_sum);
		close(c);	/* the guest's read ends when ours is sent */
		t2 = nx_now_ns();
		if (!r.err && r.bytes)
			printf("net: guest -> host %.1f MiB/s, host -> guest %.1f MiB/s"
			       " (%llu bytes each way)\n",
			       (double)r.bytes / (1 << 20) / ((double)(t1 - t0) / 1e9),
			       (double)LEN / (1 << 20) / ((double)(t2 - t1) / 1e9), LEN);
	}
	snprintf(name, sizeof(name), "%s: the host receives %llu bytes intact (its checksum)",
		 test, LEN);
	CHECK(r.bytes == LEN && r.first_bad < 0 && !r.err &&
	      r.sum == nx_expected_sum(g.seed, LEN), name,
	      "%llu bytes, sum %016llx, first bad byte %lld, error %d",
	      (unsigned long long)r.bytes, (unsigned long long)r.sum, (long long)r.first_bad,
	      r.err);
	snprintf(name, sizeof(name), "%s: the host sends %llu bytes", test, LEN);
	CHECK(c >= 0 && !err, name, "%s", strerror(-err));

	if (g.pid > 0)
		reap(&g, deadline);
	check_guest(&g, test, g.seed + 1, &rep);
	print_drops(g.tap);
	snprintf(name, sizeof(name), "%s: both ends agree on the checksums", test);
	CHECK(rep.found && rep.sent_sum == r.sum && rep.got_sum == sent_sum, name,
	      "guest sent %016llx, host got %016llx; host sent %016llx, guest got %016llx",
	      rep.sent_sum, (unsigned long long)r.sum, (unsigned long long)sent_sum,
	      rep.got_sum);
	tap_persist(g.tap, 0);
}

/* ---- 2: two guests on one bridge ----------------------------------------------- */

/* Runs server @b and client @a at once and checks both accounts. */
static void exchange_between(struct guest *a, struct guest *b)
{
	const char *test = "net: guest <-> guest over a bridge";
	uint64_t deadline = nx_now_ns() + GUEST_SECS * 1000000000ULL;
	struct report ra, rb;
	char name[160];

	start(b);
	start(a);
	reap(a, deadline);
	reap(b, deadline);
	check_guest(a, test, a->seed + 1, &ra);
	check_guest(b, test, b->seed, &rb);
	snprintf(name, sizeof(name), "%s: each guest got what the other sent", test);
	CHECK(ra.found && rb.found && ra.sent_sum == rb.got_sum && rb.sent_sum == ra.got_sum,
	      name, "A sent %016llx, B got %016llx; B sent %016llx, A got %016llx",
	      ra.sent_sum, rb.got_sum, rb.sent_sum, ra.got_sum);
	print_drops(a->tap);
	print_drops(b->tap);
	if (ra.found && ra.ms)
		printf("net: guest <-> guest %.1f MiB/s (%llu bytes each way in %llu ms,"
		       " guest A's clock)\n", 2.0 * (double)LEN / (1 << 20) / ((double)ra.ms / 1e3),
		       LEN, ra.ms);
}

static void guest_to_guest(void)
{
	struct guest b = { .name = "netb", .tap = "lgt2", .mac = "02:00:00:00:20:02",
			   .role = "server", .ip = "169.254.20.2", .peer = "169.254.20.1",
			   .seed = 2000 };
	struct guest a = { .name = "neta", .tap = "lgt1", .mac = "02:00:00:00:20:01",
			   .role = "client", .ip = "169.254.20.1", .peer = "169.254.20.2",
			   .seed = 2000 };
	struct ifreq ifr;
	int err;

	err = net_ioctl(SIOCBRADDBR, "lgbr0");
	if (!err)
		err = tap_persist(a.tap, 1);
	if (!err)
		err = tap_persist(b.tap, 1);
	if (!err)
		err = bridge_add_port("lgbr0", a.tap);
	if (!err)
		err = bridge_add_port("lgbr0", b.tap);
	if (!err)
		err = link_up(a.tap);
	if (!err)
		err = link_up(b.tap);
	if (!err)
		err = link_up("lgbr0");
	CHECK(!err, "net: a bridge joining two taps", "%s", strerror(-err));
	if (!err)
		exchange_between(&a, &b);
	tap_persist(a.tap, 0);
	tap_persist(b.tap, 0);
	/* A bridge must be down to be deleted. */
	ifr_init(&ifr, "lgbr0");
	if (!net_ioctl(SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags &= ~IFF_UP;
		net_ioctl(SIOCSIFFLAGS, &ifr);
	}
	net_ioctl(SIOCBRDELBR, "lgbr0");
}

int main(void)
{
	static const char *const bridge_mods[] = { "llc", "stp", "bridge" };
	const char *what = "tun";
	uint64_t t0;
	int err;

	if (access("/tests/vmlinux", R_OK) || access("/tests/linux-net.cpio", R_OK)) {
		printf("LGTEST SKIP net: no /tests/vmlinux or linux-net.cpio in this initramfs\n");
		return 0;
	}
	err = lgtest_load_module("tun");
	CHECK(!err, "net: the host's tun module loads", "tun.ko: %s", strerror(-err));
	for (unsigned int i = 0; i < 3 && !err; i++) {
		what = bridge_mods[i];
		err = lgtest_load_module(what);
	}
	CHECK(!err, "net: the host's bridge modules load", "%s.ko: %s", what, strerror(-err));
	if (err)
		return 1;
	alarm(3 * GUEST_SECS);
	t0 = nx_now_ns();
	guest_to_host();
	guest_to_guest();
	printf("net: t_net took %.1f s\n", (double)(nx_now_ns() - t0) / 1e9);
	return lgtest_failed;
}
