// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtiofsd for --fs path=DIR: lguestctl starts one per shared
 * directory, before it drops its privileges, and stops it when the guest
 * ends.  The daemon gets a listening socket that only we know of (an
 * abstract address the kernel picks) through --fd, and we connect to it
 * at once: no path to clean up, nobody else can connect, and no wait for
 * the daemon to be ready, since the connection waits in its backlog.
 *
 * Two daemons answer to the name: QEMU's C virtiofsd (Debian 12, in
 * qemu-system-common) and the Rust one (the virtiofsd package of Debian
 * 13, Fedora and others).  Both take --fd, -o source=DIR and
 * -o cache=auto; only the Rust one can share read-only (--readonly), so
 * ro=on with the other is refused rather than quietly writable.  Both
 * must run as root, or as root in a user namespace (docs/lguestctl.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "virtiofsd.h"

const char *ctl_virtiofsd_path(void)
{
	static const char *const places[] = {
		"/usr/libexec/virtiofsd",	/* Rust: Debian 13, Fedora */
		"/usr/lib/virtiofsd",
		"/usr/bin/virtiofsd",
		"/usr/lib/qemu/virtiofsd",	/* C: Debian 12's qemu-system-common */
	};
	const char *env = getenv("LGUEST_VIRTIOFSD");

	if (env && *env)
		return env;
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (access(places[i], X_OK) == 0)
			return places[i];
	return NULL;
}

/* Does its --help mention @word?  (How we tell what this virtiofsd can do.) */
static bool knows(const char *bin, const char *word)
{
	char buf[8192];
	size_t got = 0;
	int p[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return false;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl(bin, bin, "--help", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && got < sizeof(buf) - 1 &&
	       (n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	buf[got] = 0;
	return strstr(buf, word) != NULL;
}

int ctl_virtiofsd_start(const char *dir, bool readonly, pid_t *pid, int *fd, char *err,
			size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	const char *bin = ctl_virtiofsd_path();
	char fdopt[32], source[4200];
	struct stat st;
	int ls, c, e;

	if (!bin) {
		snprintf(err, errlen, "virtiofsd is not installed (the virtiofsd package on Debian 13"
			 " and Fedora, qemu-system-common on Debian 12; or set LGUEST_VIRTIOFSD)");
		return -ENOENT;
	}
	if (stat(dir, &st)) {
		e = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -ENOTDIR;
	}
	/* -o splits its value at commas: such a name would share another directory. */
	if (strchr(dir, ',')) {
		snprintf(err, errlen, "%s: a directory whose name has a comma cannot be shared", dir);
		return -EINVAL;
	}
	if (readonly && !knows(bin, "--readonly")) {
		snprintf(err, errlen, "ro=on: %s cannot share read-only (virtiofsd 1.11 or later,"
			 " the virtiofsd package, can)", bin);
		return -EOPNOTSUPP;
	}
	/* Bound to nothing: the kernel gives it an abstract address of its own. */
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls >= 0 && !bind(ls, (struct sockaddr *)&sa, len))
		len = sizeof(sa);	/* getsockname() fills in what it got */
	if (ls < 0 || len != sizeof(sa) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &len)) {
		e = -errno;
		snprintf(err, errlen, "virtiofsd's socket: %s", strerror(errno));
		if (ls >= 0)
			close(ls);
		return e;
	}
	snprintf(fdopt, sizeof(fdopt), "--fd=%d", ls);
	snprintf(source, sizeof(source), "source=%s", dir);
	*pid = fork();
	if (*pid == 0) {
		/* Its own process group: a ^C for the guest is not for it. */
		setpgid(0, 0);
		/*
		 * No thread pool: requests are answered in the order they came,
		 * which is how dev_fs.c knows which were left if the daemon dies.
		 */
		if (readonly)
			execl(bin, bin, fdopt, "-o", source, "-o", "cache=auto",
			      "--thread-pool-size=0", "--readonly", (char *)NULL);
		else
			execl(bin, bin, fdopt, "-o", source, "-o", "cache=auto",
			      "--thread-pool-size=0", (char *)NULL);
		fprintf(stderr, "lguestctl: %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	e = -errno;
	if (*pid > 0)
		setpgid(*pid, *pid);	/* as the child does: whoever is first */
	close(ls);
	if (*pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(-e));
		return e;
	}
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, len)) {
		e = -errno;
		snprintf(err, errlen, "connecting to virtiofsd: %s", strerror(errno));
		if (c >= 0)
			close(c);
		ctl_virtiofsd_stop(*pid);
		return e;
	}
	*fd = c;
	return 0;
}

void ctl_virtiofsd_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	/* Its group: QEMU's serves from a child in a PID namespace of its own. */
	kill(-pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(100000);
	}
	kill(-pid, SIGKILL);	/* five seconds is enough to say goodbye */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
