// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The init of "lguestctl run -- COMMAND": PID 1 of a throwaway guest.
 *
 * lguestctl boots the guest kernel with an initramfs that holds only this
 * program, built static.  It asks the host what to run (runproto.h),
 * builds a root from the host's own -- its / over virtio-fs, read-only,
 * under a tmpfs overlay that takes the writes, with the --rw directories
 * written through -- runs the command there as the caller, in the
 * caller's directory and environment, reports how it ended, and powers
 * off when the host has all of its output.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "runproto.h"

#define MAX_ITEMS	65536

/* The request, parsed: pointers into one buffer. */
static char *req;
static const char *cwd = "/", *stdio_modes = "vvv", *groups = "";
static uid_t uid;
static gid_t gid;
static unsigned short rows, cols;
static const char *rw[LGRUN_MAX_RW];
static unsigned int nrw;
static char *env[MAX_ITEMS + 1], *argv_[MAX_ITEMS + 1];
static unsigned int nenv, nargv;

static int control = -1;

static void __attribute__((noreturn)) power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* Tells the host one line; the last thing an init that cannot go on does. */
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above */
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (control < 0 || write(control, line, (size_t)n) != n) {
		/* No host to tell: the console, if there is one, shows it. */
		int fd = open("/dev/console", O_WRONLY | O_NOCTTY);

		if (fd >= 0) {
			(void)!write(fd, line, (size_t)n);
			close(fd);
		}
	}
}

/* Waits for the host to have read what we said, then powers off. */
static void __attribute__((noreturn)) fail_quietly(void)
{
	if (control >= 0) {
		char c;

		shutdown(control, SHUT_WR);
		while (read(control, &c, 1) > 0)
			;
	}
	power_off();
}

static void __attribute__((noreturn)) fail(const char *what)
{
	say("error %s: %s", what, strerror(errno));
	fail_quietly();
}

static int connect_host(unsigned int port)
{
	struct sockaddr_vm a = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_HOST,
		.svm_port = port,
	};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return *s && !*end && !errno && *out <= max;
}

/* Reads the whole request and sorts its strings; NULL, or what is wrong. */
static const char *read_request(void)
{
	static char why[96];
	size_t len = 0;
	unsigned long v;
	ssize_t n;

	req = malloc(LGRUN_REQUEST_MAX + 1);
	if (!req)
		return "out of memory";
	while (len < LGRUN_REQUEST_MAX &&
	       (n = read(control, req + len, LGRUN_REQUEST_MAX - len)) > 0)
		len += (size_t)n;
	if (len == 0 || req[len - 1] != 0) {
		snprintf(why, sizeof(why), "%zu bytes, not ending in NUL", len);
		return why;
	}
	for (char *s = req, *next; s < req + len; s = next) {
		char *val = strchr(s, '=');

		next = s + strlen(s) + 1;
		snprintf(why, sizeof(why), "bad item '%.40s'", s);
		if (!val)
			return why;
		*val++ = 0;
		if ((!strcmp(s, "arg") && nargv == MAX_ITEMS) ||
		    (!strcmp(s, "env") && nenv == MAX_ITEMS))
			return "more than 65536 arguments or variables";
		if (!strcmp(s, "arg"))
			argv_[nargv++] = val;
		else if (!strcmp(s, "env"))
			env[nenv++] = val;
		else if (!strcmp(s, "uid") && number(val, (uid_t)-2, &v))
			uid = (uid_t)v;
		else if (!strcmp(s, "gid") && number(val, (gid_t)-2, &v))
			gid = (gid_t)v;
		else if (!strcmp(s, "rows") && number(val, 65535, &v))
			rows = (unsigned short)v;
		else if (!strcmp(s, "cols") && number(val, 65535, &v))
			cols = (unsigned short)v;
		else if (!strcmp(s, "groups"))
			groups = val;
		else if (!strcmp(s, "cwd") && val[0] == '/')
			cwd = val;
		else if (!strcmp(s, "stdio") && strlen(val) == 3 && strspn(val, "vtn") == 3)
			stdio_modes = val;
		else if (!strcmp(s, "rw") && val[0] == '/' && nrw < LGRUN_MAX_RW)
			rw[nrw++] = val;
		else
			return why;
	}
	return nargv > 0 ? NULL : "no command";
}

/* mkdir -p, as root, in the new root: where a mount goes must exist. */
static void make_dirs(const char *path)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void mount_at(const char *src, const char *dir, const char *type, unsigned long flags,
		     const char *data)
{
	make_dirs(dir);
	if (mount(src, dir, type, flags, data) < 0) {
		char what[4400];

		snprintf(what, sizeof(what), "mount %.16s on %.4200s", type, dir);
		fail(what);
	}
}

/*
 * The root: the host's / read-only (ro here; lguestctl made the share
 * read-only on the host too) under a tmpfs that takes every write, then
 * the guest's own /proc, /sys, /dev and /run, then the --rw directories,
 * written through to the host (over the guest's own too: --rw /dev/shm/x
 * is the host's).  /tmp is the host's, as the caller's directory may be
 * there; what the guest writes in it stays in the guest, as everywhere
 * but --rw.
 */
static void build_root(void)
{
	char dir[4200], tag[16];

	mount_at(LGRUN_ROOT_TAG, "/lower", "virtiofs", MS_RDONLY, NULL);
	mount_at("upper", "/upper", "tmpfs", 0, "mode=755");
	make_dirs("/upper/data");
	make_dirs("/upper/work");
	mount_at("overlay", "/root", "overlay", 0,
		 "lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work");
	mount_at("proc", "/root/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_at("sys", "/root/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_at("dev", "/root/dev", "devtmpfs", MS_NOSUID, NULL);
	mount_at("shm", "/root/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	mount_at("run", "/root/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
	/* Last, and the shallowest first, so none hides another (--rw /a/b --rw /a). */
	for (size_t depth = 1; depth < sizeof(dir); depth++) {
		for (unsigned int i = 0; i < nrw; i++) {
			if (strlen(rw[i]) != depth)
				continue;
			snprintf(tag, sizeof(tag), "rw%u", i);
			snprintf(dir, sizeof(dir), "/root%s", rw[i]);
			mount_at(tag, dir, "virtiofs", 0, NULL);
		}
	}
	if (chdir("/root") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		fail("enter the root");
}

/* The command's fd @i: a vsock stream, the console, or /dev/null. */
static int open_stream(int i)
{
	int fd;

	switch (stdio_modes[i]) {
	case 'v':
		fd = connect_host(LGRUN_PORT_STDIN + (unsigned int)i);
		break;
	case 't':
		fd = open("/dev/hvc0", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0 && rows && cols) {
			struct winsize ws = { .ws_row = rows, .ws_col = cols };

			ioctl(fd, TIOCSWINSZ, &ws);
		}
		break;
	default:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		break;
	}
	if (fd < 0)
		fail(stdio_modes[i] == 'v' ? "connect the command's streams" : "open the console");
	return fd;
}

/* The caller's supplementary groups, every one, or the command does not run. */
static void set_groups(void)
{
	size_t n = 0, max = 1 + strlen(groups) / 2;
	gid_t *list = calloc(max, sizeof(*list));
	char *save = NULL, *copy = strdup(groups);
	unsigned long v;

	for (char *t = list && copy ? strtok_r(copy, ",", &save) : NULL; t && n < max;
	     t = strtok_r(NULL, ",", &save))
		if (number(t, (gid_t)-2, &v))
			list[n++] = (gid_t)v;
	free(copy);
	if (!list || setgroups(n, list) < 0) {
		dprintf(2, "lguestctl: cannot take the caller's %zu groups: %s\n", n,
			strerror(errno));
		_exit(125);
	}
	free(list);
}

/* The child: becomes the command, or says why it could not (126, 127). */
static void __attribute__((noreturn)) run_command(const int fds[3])
{
	bool tty = false;

	setsid();
	for (int i = 0; i < 3; i++) {
		if (stdio_modes[i] == 't' && !tty) {
			ioctl(fds[i], TIOCSCTTY, 0);
			tty = true;
		}
		if (dup2(fds[i], i) < 0)
			_exit(125);
	}
	set_groups();
	if (setgid(gid) < 0 || setuid(uid) < 0) {
		dprintf(2, "lguestctl: cannot become uid %u: %s\n", (unsigned int)uid,
			strerror(errno));
		_exit(125);
	}
	if (chdir(cwd) < 0) {
		dprintf(2, "lguestctl: cannot enter %s in the guest: %s\n", cwd, strerror(errno));
		_exit(125);
	}
	/* execvp() searches the PATH of environ, which is the caller's now. */
	environ = env;
	execvp(argv_[0], argv_);
	if (errno == ENOENT) {
		dprintf(2, "lguestctl: %s: command not found\n", argv_[0]);
		_exit(127);
	}
	dprintf(2, "lguestctl: %s: %s\n", argv_[0], strerror(errno));
	_exit(126);
}

int main(void)
{
	int fds[3], status = 0;
	const char *bad;
	pid_t pid, w;
	char c;

	mkdir("/dev", 0755);
	mount("dev", "/dev", "devtmpfs", MS_NOSUID, NULL);
	control = connect_host(LGRUN_PORT_CONTROL);
	if (control < 0)
		fail("connect to the host");
	bad = read_request();
	if (bad) {
		say("error the request: %s", bad);
		fail_quietly();
	}
	build_root();
	sethostname("lguest", 6);
	for (int i = 0; i < 3; i++)
		fds[i] = open_stream(i);

	say("run");
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0)
		run_command(fds);

	/* PID 1 reaps every orphan too; the command is the one we wait for. */
	while ((w = wait(&status)) != pid)
		if (w < 0 && errno == ECHILD)
			break;
	/*
	 * The end of output for the host, even if something the command left
	 * behind still holds the streams: the guest's vsock sends these after
	 * all the data already written, and before the status below.
	 */
	for (int i = 1; i < 3; i++) {
		if (stdio_modes[i] == 'v')
			shutdown(fds[i], SHUT_WR);
		else if (stdio_modes[i] == 't')
			tcdrain(fds[i]);	/* the console's last bytes, before we go */
	}
	if (WIFSIGNALED(status))
		say("signal %d", WTERMSIG(status));
	else
		say("exit %d", WEXITSTATUS(status));
	/* The host closes the connection when it has everything. */
	shutdown(control, SHUT_WR);
	while (read(control, &c, 1) > 0)
		;
	power_off();
}
