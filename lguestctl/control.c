// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Each running "lguestctl run" listens on a Unix socket named after its
 * VM in the user's runtime directory.  The protocol is one line each way:
 * "info" answers "pid=N mem=MiB kernel=PATH", "stop" answers "ok" and
 * stops the guest.  The directory is the user's own (0700), so only the
 * user who started a VM can stop it.  A socket nobody answers on was left
 * by a VM that died; it is removed when met.
 */
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "opts.h"

int ctl_dir(char *buf, size_t len, int create)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	int n;

	if (rt && *rt)
		n = snprintf(buf, len, "%s/lguest", rt);
	else
		n = snprintf(buf, len, "/tmp/lguest-%u", (unsigned int)getuid());
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int sock_path(const char *name, struct sockaddr_un *sa, int create)
{
	char dir[sizeof(sa->sun_path)];
	int err = ctl_dir(dir, sizeof(dir), create);
	int n;

	if (err)
		return err;
	if (!ctl_valid_name(name))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s.sock", dir, name);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

static int connect_to(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int ctl_listen(const char *name, char *path, size_t pathlen)
{
	struct sockaddr_un sa;
	int fd, err = sock_path(name, &sa, 1);

	if (err)
		return err;
	fd = connect_to(&sa);
	if (fd >= 0) {
		close(fd);
		return -EEXIST;
	}
	unlink(sa.sun_path);	/* stale, if it exists */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	snprintf(path, pathlen, "%s", sa.sun_path);
	return fd;
}

int ctl_request(const char *name, const char *cmd, char *reply, size_t len)
{
	struct sockaddr_un sa;
	size_t got = 0;
	int fd, err = sock_path(name, &sa, 0);

	if (err)
		return err;
	fd = connect_to(&sa);
	if (fd < 0) {
		if (fd == -ECONNREFUSED)
			unlink(sa.sun_path);	/* its VM is gone */
		return fd == -ECONNREFUSED ? -ENOENT : fd;
	}
	if (dprintf(fd, "%s\n", cmd) < 0) {
		close(fd);
		return -EIO;
	}
	while (got + 1 < len) {
		ssize_t n = read(fd, reply + got, len - got - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(reply, '\n', got))
			break;
	}
	close(fd);
	reply[got] = 0;
	reply[strcspn(reply, "\n")] = 0;
	return got ? 0 : -EIO;
}

int ctl_list(void (*fn)(const char *name, const char *info, void *opaque), void *opaque)
{
	char dir[108];
	struct dirent *de;
	DIR *d;
	int err = ctl_dir(dir, sizeof(dir), 0);

	if (err)
		return err;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char name[CTL_NAME_MAX], info[256];
		size_t n = strlen(de->d_name);

		if (n < 6 || n - 5 >= sizeof(name) || strcmp(de->d_name + n - 5, ".sock") != 0)
			continue;
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = 0;
		if (ctl_request(name, "info", info, sizeof(info)) == 0)
			fn(name, info, opaque);
	}
	closedir(d);
	return 0;
}
