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
 * -o cache=auto.  A read-only share is read-only twice over as root:
 * the host's kernel binds it so for the daemon (isolate()), and the Rust
 * daemon is told --readonly, which is all a user can do.  As a user only
 * the Rust daemon runs (QEMU's must drop supplementary groups, which a
 * user cannot), as the user.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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

/*
 * The Rust daemon, or QEMU's?  The Rust one's --help mentions --readonly.
 * Asked once: a command's guest starts up to four daemons.
 */
static bool is_rust(const char *bin)
{
	static char asked[4096];
	static bool rust;
	char buf[8192];
	size_t got = 0;
	int p[2], status;
	pid_t pid;
	ssize_t n;

	if (!strcmp(asked, bin))
		return rust;
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
	rust = strstr(buf, "--readonly") != NULL;
	snprintf(asked, sizeof(asked), "%s", bin);
	return rust;
}

/*
 * In the child, as root, before it becomes the daemon: a mount namespace
 * of its own, private (a mount the host makes later, read-write, must not
 * appear in it), where a read-only share is bound read-only by the
 * kernel, whatever the daemon is asked to do.  mount_setattr() wants a mount: @dir
 * is bound over itself first, unless it is / (a mount already, and one
 * that cannot be bound over itself usefully).  For / the daemon's own
 * sandbox is chroot(2), which has no network namespace: here is one.
 */
static int isolate(const char *dir, bool readonly, char *why, size_t len)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	bool root = !strcmp(dir, "/");

	if (unshare(CLONE_NEWNS | (root ? CLONE_NEWNET : 0)) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		snprintf(why, len, "namespaces for virtiofsd: %s", strerror(errno));
		return -1;
	}
	if (readonly && ((!root && mount(dir, dir, NULL, MS_BIND | MS_REC, NULL)) ||
			 mount_setattr(AT_FDCWD, dir, AT_RECURSIVE, &ro, sizeof(ro)))) {
		snprintf(why, len, "making %s read-only for virtiofsd: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_virtiofsd_start(const char *dir, unsigned int flags, pid_t *pid, int *fd, char *err,
			size_t errlen)
{
	bool readonly = flags & CTL_VFSD_READONLY;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	const char *bin = ctl_virtiofsd_path();
	char fdopt[32], source[4200], why[512];
	int ls, c, e, report[2];
	struct stat st;
	const char *args[16];
	bool rust;
	ssize_t got;
	int n = 0;

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
	/*
	 * QEMU's daemon drops supplementary groups, which a user cannot; the
	 * Rust daemon runs as a user.
	 */
	rust = is_rust(bin);
	if (geteuid() != 0 && !rust) {
		snprintf(err, errlen, "%s runs only as root; as a user, install the virtiofsd"
			 " package (virtiofsd 1.11 or later), which runs as you", bin);
		return -EPERM;
	}
	/* -o splits its value at commas: such a name would share another directory. */
	if (strchr(dir, ',')) {
		snprintf(err, errlen, "%s: a directory whose name has a comma cannot be shared", dir);
		return -EINVAL;
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
	/* The child's story until exec: nothing on it means it got there. */
	if (pipe2(report, O_CLOEXEC)) {
		e = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(ls);
		return e;
	}
	snprintf(fdopt, sizeof(fdopt), "--fd=%d", ls);
	snprintf(source, sizeof(source), "source=%s", dir);
	/*
	 * No thread pool: requests are answered in the order they came,
	 * which is how dev_fs.c knows which were left if the daemon dies.
	 * The sandbox: the daemon's own (a mount namespace it pivots into
	 * @dir), but chroot(2) for /, which nothing can pivot into from
	 * itself; and none for a user, whose daemon reaches only what the
	 * user may anyway (the Rust daemon's own namespace sandbox needs
	 * newuidmap and /etc/subuid).
	 */
	args[n++] = bin;
	args[n++] = fdopt;
	args[n++] = "-o";
	args[n++] = source;
	args[n++] = "-o";
	args[n++] = "cache=auto";
	args[n++] = "--thread-pool-size=0";
	if (geteuid() != 0) {
		args[n++] = "--sandbox=none";
	} else if (!strcmp(dir, "/") && rust) {
		args[n++] = "--sandbox=chroot";
	} else if (!strcmp(dir, "/")) {
		args[n++] = "-o";
		args[n++] = "sandbox=chroot";
	}
	if (readonly && rust)
		args[n++] = "--readonly";
	/* Overlayfs takes no lower layer with automounts in it (EREMOTE). */
	if ((flags & CTL_VFSD_FLAT) && rust)
		args[n++] = "--no-announce-submounts";
	args[n] = NULL;
	*pid = fork();
	if (*pid == 0) {
		/* Not our stdin and stdout: a reader of ours must not wait for it. */
		int null = open("/dev/null", O_RDWR);

		/* Its own process group: a ^C for the guest is not for it. */
		setpgid(0, 0);
		close(report[0]);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			if (flags & CTL_VFSD_QUIET)
				dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
		if (geteuid() != 0 || isolate(dir, readonly, why, sizeof(why)) == 0) {
			execv(bin, (char *const *)args);
			snprintf(why, sizeof(why), "%s: %s", bin, strerror(errno));
		}
		(void)!write(report[1], why, strlen(why));
		_exit(127);
	}
	e = -errno;
	close(report[1]);
	if (*pid > 0)
		setpgid(*pid, *pid);	/* as the child does: whoever is first */
	close(ls);
	if (*pid < 0) {
		close(report[0]);
		snprintf(err, errlen, "fork: %s", strerror(-e));
		return e;
	}
	got = read(report[0], why, sizeof(why) - 1);
	close(report[0]);
	if (got > 0) {
		why[got] = 0;
		snprintf(err, errlen, "%s", why);
		waitpid(*pid, NULL, 0);
		*pid = 0;
		return -EPERM;
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
