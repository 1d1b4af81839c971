// SPDX-License-Identifier: GPL-2.0
/*
 * lguestctl run -- COMMAND, as a user types it: the command runs in a
 * fresh guest on this host's / (read-only, writes kept in the guest),
 * as the caller, in the caller's directory, its stdin, stdout and stderr
 * ours as pipes, its exit status lguestctl's.
 *
 * Exit statuses 0 and 42; a command killed by a signal (128+N); a
 * command that does not exist (127, and a message); 1 MiB of binary
 * data through cat, byte-exact; stdout and stderr kept apart; the
 * caller's directory and uid; writes to / stay in the guest; --rw writes
 * through, as the caller; a guest root cannot write the host's / even
 * by mounting the share itself; the same as a user in group lguest who
 * is not root, who writes only where that user may, with the Rust
 * virtiofsd (QEMU's is refused for a user, clearly).  lgtest.run=short:
 * the first run for each, and the data.
 */
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "lgtest.h"

#define DIR_	"/tmp/t_run"
#define SECS	180		/* a boot under a loaded software CPU, and then some */
#define USER	1000
#define LGGROUP	4242
#define BIG	(1 << 20)
/* A user's virtiofsd: the Rust one (tests/vm/mkinitramfs.sh). */
#define RUST_VIRTIOFSD	"/opt/rust-virtiofsd/virtiofsd"

struct result {
	int status;		/* lguestctl's exit status; -1 killed, timed out */
	char out[BIG + 4096], err[8192];
	size_t outlen, errlen;
};

static struct result res;
static bool log_info;		/* run() with --log-level info */

/* Reads what is there from @fd into @buf; false at its end. */
static bool drain(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	if (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
	} else {
		char junk[4096];

		n = read(fd, junk, sizeof(junk));
	}
	if (n > 0 && *len < cap)
		*len += (size_t)n;
	return n > 0 || (n < 0 && errno == EINTR);
}

/*
 * lguestctl run [--rw @rw] -- @cmd..., as root or as USER, with @in on
 * its stdin; fills res.
 */
static void run(bool user, const char *rw, const void *in, size_t inlen, const char *const *cmd)
{
	int pin[2], pout[2], perr[2], st;
	const char *argv[32];
	size_t inoff = 0;
	time_t end = time(NULL) + SECS;
	int n = 0;
	pid_t pid;

	argv[n++] = "/tests/lguestctl";
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = "/tests/vmlinux";
	argv[n++] = "--initrd";
	argv[n++] = "/tests/run-init.cpio";
	if (rw) {
		argv[n++] = "--rw";
		argv[n++] = rw;
	}
	if (log_info) {
		argv[n++] = "--log-level";
		argv[n++] = "info";
	}
	argv[n++] = "--";
	for (int i = 0; cmd[i] && n < 31; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;

	memset(&res, 0, sizeof(res));
	res.status = -1;
	if (pipe(pin) || pipe(pout) || pipe(perr))
		return;
	pid = fork();
	if (pid == 0) {
		gid_t groups[] = { USER, LGGROUP };

		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		if (chdir(DIR_))
			_exit(99);
		if (user && (setgroups(2, groups) || setgid(USER) || setuid(USER)))
			_exit(98);
		{
			static const char home[] = "HOME=" DIR_;
			const char *envp[] = { "PATH=/bin:/usr/bin", home, "LC_ALL=C",
					       user ? "LGUEST_VIRTIOFSD=" RUST_VIRTIOFSD : NULL,
					       NULL };

			execve(argv[0], (char *const *)argv, (char *const *)envp);
		}
		_exit(97);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	if (!inlen) {
		close(pin[1]);
		pin[1] = -1;
	}
	while ((pout[0] >= 0 || perr[0] >= 0) && time(NULL) < end) {
		struct pollfd p[3] = {
			{ .fd = pout[0], .events = POLLIN },
			{ .fd = perr[0], .events = POLLIN },
			{ .fd = pin[1], .events = POLLOUT },
		};

		if (poll(p, 3, 1000) <= 0)
			continue;
		if (p[0].revents && !drain(pout[0], res.out, sizeof(res.out), &res.outlen)) {
			close(pout[0]);
			pout[0] = -1;
		}
		if (p[1].revents && !drain(perr[0], res.err, sizeof(res.err) - 1, &res.errlen)) {
			close(perr[0]);
			perr[0] = -1;
		}
		if (p[2].revents) {
			ssize_t w = write(pin[1], (const char *)in + inoff, inlen - inoff);

			if (w > 0)
				inoff += (size_t)w;
			if (w < 0 || inoff == inlen) {
				close(pin[1]);
				pin[1] = -1;
			}
		}
	}
	bool hung = pout[0] >= 0 || perr[0] >= 0;

	if (hung)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	for (int i = 0; i < 2; i++) {
		int fd = i ? perr[0] : pout[0];

		if (fd >= 0)
			close(fd);
	}
	if (pin[1] >= 0)
		close(pin[1]);
	res.err[res.errlen] = 0;
	if (!hung && WIFEXITED(st))
		res.status = WEXITSTATUS(st);
}

/* The end of a long stderr, where the reason is. */
static const char *tail(const char *s)
{
	size_t n = strlen(s);

	return n > 400 ? s + n - 400 : s;
}

static const char *who(bool user)
{
	return user ? "as a user in group lguest" : "as root";
}

#define CMD(...) ((const char *const[]){ __VA_ARGS__, NULL })

/*
 * Who, where, the streams and an exit status, in one run: the short
 * form's check, and the full form's first.
 */
static void identity_streams_status(bool user)
{
	char want[64];

	run(user, NULL, NULL, 0, CMD("sh", "-c", "id -u; id -g; pwd; echo err >&2; exit 42"));
	snprintf(want, sizeof(want), "%d\n%d\n%s\n", user ? USER : 0, user ? USER : 0, DIR_);
	CHECK(res.status == 42 && res.outlen == strlen(want) && !memcmp(res.out, want, res.outlen) &&
	      !strcmp(res.err, "err\n"),
	      "command: as the caller, in the caller's directory; stdout and stderr apart and exact;"
	      " exit status 42",
	      "%s: status %d, stdout '%.*s', stderr '...%s'", who(user), res.status,
	      (int)(res.outlen > 100 ? 100 : res.outlen), res.out, tail(res.err));
}

/* 1 MiB of binary data through the command's stdin and stdout. */
static void data(bool user)
{
	static uint8_t in[BIG];
	uint32_t x = 2463534242u;
	const char *p;

	for (size_t i = 0; i < sizeof(in); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		in[i] = (uint8_t)x;
	}
	log_info = true;
	run(user, NULL, in, sizeof(in), CMD("cat"));
	log_info = false;
	CHECK(res.status == 0 && res.outlen == sizeof(in) && !memcmp(res.out, in, sizeof(in)),
	      "command: 1 MiB of binary data through cat's stdin and stdout, byte-exact",
	      "%s: status %d, %zu bytes back, stderr '...%s'", who(user), res.status, res.outlen,
	      tail(res.err));
	p = strstr(res.err, "the command started ");
	CHECK(p && strtod(p + strlen("the command started "), NULL) > 0,
	      "command: --log-level info says how long after lguestctl the command started",
	      "%s: stderr '...%s'", who(user), tail(res.err));
	if (p)
		printf("t_run: %s: %.*s\n", who(user), (int)strcspn(p, "\n"), p);
}

/* A signal, a missing command, exit status 0 with no output. */
static void endings(bool user)
{
	run(user, NULL, NULL, 0, CMD("sh", "-c", "kill -9 $$"));
	CHECK(res.status == 128 + 9 && res.outlen == 0, "command: a command killed by SIGKILL: 137",
	      "%s: status %d, stderr '...%s'", who(user), res.status, tail(res.err));
	run(user, NULL, NULL, 0, CMD("/no/such/command", "arg"));
	CHECK(res.status == 127 && strstr(res.err, "/no/such/command: command not found"),
	      "command: a command that does not exist: 127, and says so",
	      "%s: status %d, stderr '...%s'", who(user), res.status, tail(res.err));
}

/*
 * What reaches the host's files: only --rw, and only as the caller may.
 * One run: a write to / (in a directory the caller may write) stays in
 * the guest; a write to --rw DIR reaches the host, the caller's; and a
 * user's write where the user may not write fails, as it would here.
 */
static void writes(bool user)
{
	const char *mine = user ? DIR_ "/user-rw" : DIR_ "/root-rw";
	char cmd[512], path[128], buf[64] = "";
	struct stat st;
	int fd;

	snprintf(cmd, sizeof(cmd), "echo x >%s/kept && cat %s/kept && echo through >%s/f%s", DIR_
		 "/user-home", DIR_ "/user-home", mine, user ? " && ! echo no 2>/dev/null >" DIR_
		 "/no" : "");
	run(user, mine, NULL, 0, CMD("sh", "-c", cmd));
	snprintf(path, sizeof(path), "%s/f", mine);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		(void)!read(fd, buf, sizeof(buf) - 1);
		fstat(fd, &st);
		close(fd);
	}
	CHECK(res.status == 0 && res.outlen == 2 && access(DIR_ "/user-home/kept", F_OK) &&
	      errno == ENOENT, "command: a write to / stays in the guest",
	      "%s: status %d, stderr '...%s'", who(user), res.status, tail(res.err));
	CHECK(res.status == 0 && fd >= 0 && !strcmp(buf, "through\n") &&
	      st.st_uid == (user ? USER : 0),
	      "command: --rw DIR: the command's writes reach the host's DIR, owned by the caller",
	      "%s: status %d, stderr '...%s', host file: %s", who(user), res.status,
	      tail(res.err), fd < 0 ? strerror(errno) : buf);
	if (user) {
		CHECK(res.status == 0 && access(DIR_ "/no", F_OK),
		      "command: as a user, a write where the user may not write fails in the guest too",
		      "status %d, stderr '...%s'", res.status, tail(res.err));
		/* A --rw directory the user may not write: the guest may not either. */
		run(user, DIR_ "/root-only", NULL, 0, CMD("sh", "-c", "echo no >" DIR_ "/root-only/f"));
		CHECK(res.status != 0 && res.status != 125 && access(DIR_ "/root-only/f", F_OK),
		      "command: --rw on a directory the caller may not write: the write fails",
		      "status %d, stderr '...%s'", res.status, tail(res.err));
	} else {
		/* The guest's root mounting the share itself: still read-only. */
		run(user, NULL, NULL, 0, CMD("sh", "-c", "mkdir -p /m && mount -t virtiofs root /m && "
					     "echo no >/m" DIR_ "/escape"));
		CHECK(res.status != 0 && res.status != 125 && access(DIR_ "/escape", F_OK),
		      "command: the guest's root cannot write the host's / through the share",
		      "status %d, stderr '...%s'", res.status, tail(res.err));
	}
}

/* Everything, or (lgtest.run=short) one run of each kind that matters most. */
static void as(bool user, bool full)
{
	identity_streams_status(user);
	if (!full)
		return;
	data(user);
	endings(user);
	writes(user);
}

/* QEMU's virtiofsd cannot run as a user: said so, before any guest. */
static void c_daemon_refuses_users(void)
{
	struct stat st;
	int status = -1;
	pid_t pid;

	if (stat("/usr/lib/qemu/virtiofsd", &st))
		return;
	pid = fork();
	if (pid == 0) {
		int fd = open(DIR_ "/c-daemon.err", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		gid_t groups[] = { USER, LGGROUP };

		dup2(fd, 2);
		if (chdir(DIR_) || setgroups(2, groups) || setgid(USER) || setuid(USER))
			_exit(98);
		execle("/tests/lguestctl", "lguestctl", "run", "-k", "/tests/vmlinux", "-i",
		       "/tests/run-init.cpio", "--", "true", (char *)NULL,
		       (char *const[]){ "LGUEST_VIRTIOFSD=/usr/lib/qemu/virtiofsd", NULL });
		_exit(97);
	}
	waitpid(pid, &status, 0);
	memset(&res, 0, sizeof(res));
	{
		int fd = open(DIR_ "/c-daemon.err", O_RDONLY);

		if (fd >= 0) {
			drain(fd, res.err, sizeof(res.err) - 1, &res.errlen);
			close(fd);
		}
	}
	res.err[res.errlen] = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 125 &&
	      strstr(res.err, "runs only as root; as a user, install the virtiofsd package"),
	      "command: as a user, QEMU's virtiofsd is refused clearly, exit 125",
	      "status %#x, stderr '...%s'", status, tail(res.err));
}

int main(void)
{
	char cmdline[4096] = "";
	struct stat dev;
	bool full;
	int fd;

	if (access("/tests/vmlinux", R_OK) || access("/tests/run-init.cpio", R_OK)) {
		printf("LGTEST SKIP command: no /tests/vmlinux or run-init.cpio in this initramfs\n");
		return 0;
	}
	/* lgtest.run=short: the matrix's time; two entries run it all (docs/testing.md). */
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		(void)!read(fd, cmdline, sizeof(cmdline) - 1);
		close(fd);
	}
	full = !strstr(cmdline, "lgtest.run=short");
	if (!full)
		printf("LGTEST SKIP command: the full set (signals, missing commands, --rw, writes): on"
		       " two matrix entries, the short form here (lgtest.run=short)\n");
	if (lgtest_enter_real_root()) {
		CHECK(0, "command: a root file system for virtiofsd", "%s", strerror(errno));
		return 1;
	}
	if (mkdir(DIR_, 0755) || mkdir(DIR_ "/user-rw", 0755) || chown(DIR_ "/user-rw", USER, USER) ||
	    mkdir(DIR_ "/user-home", 0755) || chown(DIR_ "/user-home", USER, USER) ||
	    mkdir(DIR_ "/root-rw", 0755) || mkdir(DIR_ "/root-only", 0755) ||
	    stat("/dev/lguest", &dev)) {
		CHECK(0, "command: the test's directories", "%s", strerror(errno));
		return 1;
	}
	as(false, full);
	if (!full)
		data(false);
	c_daemon_refuses_users();
	/* A user in group lguest, as the packages' udev rule makes /dev/lguest. */
	if (chown("/dev/lguest", 0, LGGROUP) || chmod("/dev/lguest", 0660)) {
		CHECK(0, "command: /dev/lguest for group lguest", "%s", strerror(errno));
		return 1;
	}
	if (access(RUST_VIRTIOFSD, X_OK) == 0) {
		as(true, full);
	} else {
		printf("LGTEST SKIP command: as a user: no Rust virtiofsd (%s) in this initramfs\n",
		       RUST_VIRTIOFSD);
	}
	chown("/dev/lguest", dev.st_uid, dev.st_gid);
	chmod("/dev/lguest", dev.st_mode & 07777);
	return lgtest_failed;
}
