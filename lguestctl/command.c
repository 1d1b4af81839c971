// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lguestctl run [OPTIONS] [VMLINUX] -- COMMAND [ARGS...]: the command, run
 * in a fresh guest on the host's files, as if it ran here.
 *
 * The guest is the packaged kernel with an initramfs holding only our
 * init (guest-init.c).  Its devices are the host's / shared read-only
 * (tag "root") and each --rw directory written through (tags rw0...),
 * both through virtiofsd; a vsock device whose host end is a directory of
 * ours; and the console, when one of the command's streams is a
 * terminal.  Over vsock the init asks what to run and lguestctl answers
 * (runproto.h), then carries the command's streams that are not the
 * terminal and hears how it ended, which becomes lguestctl's exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "runproto.h"

#ifndef LGUEST_GUESTDIR
#define LGUEST_GUESTDIR "/usr/lib/lguest"
#endif

enum { CONTROL, STDIN, STDOUT, STDERR, NSOCK };

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

const char *ctl_command_kernel(void)
{
	return LGUEST_GUESTDIR "/vmlinux";
}

const char *ctl_command_initrd(void)
{
	return LGUEST_GUESTDIR "/run-init.cpio";
}

/* Listens on DIR/vsock_PORT, where the vsock device sends the guest's connection. */
static int listen_port(const struct ctl_command *c, unsigned int port)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", c->vsock_path, port) >=
	    sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Appends "key=value\0" to the request; false when it no longer fits. */
static bool add(struct ctl_command *c, const char *key, const char *val)
{
	size_t need = strlen(key) + 1 + strlen(val) + 1;

	if (c->reqlen + need > LGRUN_REQUEST_MAX)
		return false;
	if (c->reqlen + need > c->reqcap) {
		size_t cap = c->reqcap ? c->reqcap : 4096;
		char *n;

		while (cap < c->reqlen + need)
			cap *= 2;
		n = realloc(c->req, cap);
		if (!n)
			return false;
		c->req = n;
		c->reqcap = cap;
	}
	c->reqlen += (size_t)sprintf(c->req + c->reqlen, "%s=%s", key, val) + 1;
	return true;
}

static bool add_number(struct ctl_command *c, const char *key, unsigned long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", v);
	return add(c, key, buf);
}

extern char **environ;

/* Who, where and what: the request the guest's init reads. */
static bool build_request(struct ctl_command *c, const struct ctl_run *r)
{
	int n = getgroups(0, NULL);
	gid_t *list = calloc(n > 0 ? (size_t)n : 1, sizeof(*list));
	char *groups = calloc(n > 0 ? (size_t)n * 11 + 1 : 1, 1);
	char cwd[PATH_MAX];
	struct winsize ws;
	size_t len = 0;
	bool ok;

	/* Every supplementary group: fewer could deny, or grant, access. */
	if (!list || !groups || (n > 0 && getgroups(n, list) != n)) {
		free(list);
		free(groups);
		return false;
	}
	for (int i = 0; i < n; i++)
		len += (size_t)sprintf(groups + len, "%s%u", i ? "," : "", (unsigned int)list[i]);
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	ok = add_number(c, "uid", getuid()) && add_number(c, "gid", getgid()) &&
	     add(c, "groups", groups) && add(c, "cwd", cwd) && add(c, "stdio", c->modes);
	free(list);
	free(groups);
	if (!ok)
		return false;
	if (c->console_fd >= 0 && ioctl(c->console_fd, TIOCGWINSZ, &ws) == 0 &&
	    (!add_number(c, "rows", ws.ws_row) || !add_number(c, "cols", ws.ws_col)))
		return false;
	for (unsigned int i = 0; i < r->nrw; i++)
		if (!add(c, "rw", c->rw[i]))
			return false;
	for (char **e = environ; *e; e++)
		if (!add(c, "env", *e))
			return false;
	for (char **a = r->command; *a; a++)
		if (!add(c, "arg", *a))
			return false;
	return true;
}

int ctl_command_prepare(struct ctl_command *c, const struct ctl_run *r, char *err, size_t errlen)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	memset(c, 0, sizeof(*c));
	c->console_fd = -1;
	c->wake[0] = c->wake[1] = -1;
	for (int i = 0; i < NSOCK; i++)
		c->listen[i] = c->conn[i] = -1;
	c->t0 = now();
	/* Each stream the terminal's goes through the console, the rest over vsock. */
	for (int i = 0; i < 3; i++) {
		c->modes[i] = isatty(i) ? 't' : 'v';
		if (c->modes[i] == 't' && c->console_fd < 0)
			c->console_fd = i;
	}
	for (unsigned int i = 0; i < r->nrw; i++) {
		c->rw[i] = realpath(r->rw[i], NULL);
		if (!c->rw[i]) {
			snprintf(err, errlen, "--rw %s: %s", r->rw[i], strerror(errno));
			return -1;
		}
	}
	if (!build_request(c, r)) {
		snprintf(err, errlen, "the command, its environment and its directory are too"
			 " long together (at most %d bytes)", LGRUN_REQUEST_MAX);
		return -1;
	}
	/* The vsock device's sockets: a directory only we can enter. */
	if (!base || !*base || strlen(base) + sizeof("/lguest-run-XXXXXX") > sizeof(c->dir))
		base = "/tmp";	/* a socket's path has 108 bytes */
	snprintf(c->dir, sizeof(c->dir), "%s/lguest-run-XXXXXX", base);
	if (!mkdtemp(c->dir)) {
		snprintf(err, errlen, "%s: %s", c->dir, strerror(errno));
		c->dir[0] = 0;
		return -1;
	}
	snprintf(c->vsock_path, sizeof(c->vsock_path), "%s/vsock", c->dir);
	for (int i = 0; i < NSOCK; i++) {
		if (i != CONTROL && c->modes[i - STDIN] != 'v')
			continue;
		c->listen[i] = listen_port(c, LGRUN_PORT_CONTROL + (unsigned int)i);
		if (c->listen[i] < 0) {
			snprintf(err, errlen, "%s: %s", c->dir, strerror(errno));
			return -1;
		}
	}
	if (pipe2(c->wake, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	c->status = -1;
	return 0;
}

/* The kernel command line: quiet, so the terminal shows only the command. */
char *ctl_command_cmdline(const struct ctl_command *c, const struct ctl_run *r)
{
	const char *base = c->console_fd >= 0 ? "console=hvc0 loglevel=1" : "loglevel=1";
	const char *user = r->params ? r->params : "";
	char *s = malloc(strlen(base) + strlen(user) + 2);

	if (s)
		sprintf(s, "%s%s%s", base, *user ? " " : "", user);
	return s;
}

/* ---- the pump: requests, streams and the status, on a thread --------------- */

/*
 * Writes all of @len or fails.  @fd may not block (a caller's stdout may
 * be non-blocking): then it waits for room.  A blocking write is where
 * the pump can be stuck; ctl_command_finish() cancels it there.
 */
static bool write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd w = { .fd = fd, .events = POLLOUT };

			poll(&w, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* The guest's line on the control connection. */
static void control_line(struct ctl_command *c, char *line)
{
	int v;

	if (!strcmp(line, "run")) {
		c->t_run = now();
		c->started = true;
	} else if (sscanf(line, "exit %d", &v) == 1 && v >= 0 && v <= 255) {
		c->status = v;
	} else if (sscanf(line, "signal %d", &v) == 1 && v > 0 && v < 128) {
		c->status = 128 + v;
	} else if (!strncmp(line, "error ", 6)) {
		snprintf(c->error, sizeof(c->error), "%s", line + 6);
		c->status = CTL_EXIT_COMMAND;
	} else {
		snprintf(c->error, sizeof(c->error), "the guest's init said '%.64s'", line);
		c->status = CTL_EXIT_COMMAND;
	}
}

static void read_control(struct ctl_command *c)
{
	char buf[512];
	ssize_t n = read(c->conn[CONTROL], buf, sizeof(buf));

	/*
	 * The guest's end: kept open, since closing it is what lets the guest
	 * power off, and the pump does that only once all the output is here.
	 */
	if (n <= 0) {
		c->control_eof = true;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (c->linelen < sizeof(c->line) - 1)
				c->line[c->linelen++] = buf[i];
			continue;
		}
		c->line[c->linelen] = 0;
		c->linelen = 0;
		control_line(c, c->line);
	}
}

/*
 * Output from the guest, to our stdout or stderr: > 0 bytes were passed
 * on, 0 the stream ended, < 0 nothing there now.
 */
static ssize_t read_output(struct ctl_command *c, int i, int flags)
{
	char buf[65536];
	ssize_t n = recv(c->conn[i], buf, sizeof(buf), flags);

	if (n > 0 && write_all(i - STDIN, buf, (size_t)n))
		return n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	/* The end of it, or nobody reading ours: the guest's writes fail too. */
	close(c->conn[i]);
	c->conn[i] = -1;
	c->out_done[i - STDOUT] = true;
	return 0;
}

/*
 * Input for the guest: our stdin, a buffer at a time.  The socket does
 * not block, so a guest that writes before it reads never waits on us;
 * the end of our stdin is a shutdown.
 */
static void pump_input(struct ctl_command *c, bool readable)
{
	ssize_t n;

	if (readable && c->inoff == c->inlen) {
		n = read(STDIN_FILENO, c->inbuf, sizeof(c->inbuf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			shutdown(c->conn[STDIN], SHUT_WR);
			c->in_done = true;
			return;
		}
		c->inoff = 0;
		c->inlen = (size_t)n;
	}
	while (c->inoff < c->inlen) {
		n = send(c->conn[STDIN], c->inbuf + c->inoff, c->inlen - c->inoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The guest closed its stdin: what is left is nobody's. */
			c->in_done = true;
			return;
		}
		c->inoff += (size_t)n;
	}
}

/* Has the guest said how the command ended, and sent all its output? */
static bool finished(const struct ctl_command *c)
{
	if (c->status < 0)
		return false;
	for (int i = 0; i < 2; i++)
		if (c->modes[1 + i] == 'v' && !c->out_done[i] && !c->error[0])
			return false;
	return true;
}

static void *pump(void *arg)
{
	struct ctl_command *c = arg;
	bool closed = false;

	for (;;) {
		struct pollfd p[2 * NSOCK + 2];
		int who[2 * NSOCK + 2], n = 0;

		/* Everything said: let the guest power off. */
		if (!closed && finished(c) && c->conn[CONTROL] >= 0) {
			shutdown(c->conn[CONTROL], SHUT_RDWR);
			closed = true;
		}
		p[n] = (struct pollfd){ .fd = c->wake[0], .events = POLLIN };
		who[n++] = -1;
		for (int i = 0; i < NSOCK; i++) {
			if (c->listen[i] >= 0 && c->conn[i] < 0) {
				p[n] = (struct pollfd){ .fd = c->listen[i], .events = POLLIN };
				who[n++] = i;
			}
			if (c->conn[i] >= 0 && i != STDIN && !(i == CONTROL && c->control_eof)) {
				p[n] = (struct pollfd){ .fd = c->conn[i], .events = POLLIN };
				who[n++] = NSOCK + i;
			}
		}
		if (c->conn[STDIN] >= 0 && !c->in_done && c->status < 0) {
			/* Our stdin when the buffer is empty, the socket when it is not. */
			if (c->inoff == c->inlen)
				p[n] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
			else
				p[n] = (struct pollfd){ .fd = c->conn[STDIN], .events = POLLOUT };
			who[n++] = 2 * NSOCK;
		}
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		if (p[0].revents)
			break;	/* the guest is gone: ctl_command_finish() drains */
		for (int k = 1; k < n; k++) {
			int w = who[k];

			if (!p[k].revents)
				continue;
			if (w < NSOCK) {
				c->conn[w] = accept4(c->listen[w], NULL, NULL, SOCK_CLOEXEC);
				if (w == CONTROL && c->conn[w] >= 0 &&
				    (!write_all(c->conn[w], c->req, c->reqlen) ||
				     shutdown(c->conn[w], SHUT_WR)))
					snprintf(c->error, sizeof(c->error), "the request: %s",
						 strerror(errno));
			} else if (w == NSOCK + CONTROL) {
				read_control(c);
			} else if (w < 2 * NSOCK) {
				read_output(c, w - NSOCK, 0);
			} else {
				pump_input(c, p[k].fd == STDIN_FILENO);
			}
		}
	}
	return NULL;
}

int ctl_command_start(struct ctl_command *c)
{
	int err = pthread_create(&c->thread, NULL, pump, c);

	if (err)
		return -err;
	c->running = true;
	return 0;
}

int ctl_command_finish(struct ctl_command *c, bool powered_off, const char *why, int log_level)
{
	char stop = 0;

	if (c->running) {
		struct timespec until;

		/* A pump stuck writing to a reader that does not read: cancelled. */
		(void)!write(c->wake[1], &stop, 1);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		if (pthread_timedjoin_np(c->thread, NULL, &until)) {
			pthread_cancel(c->thread);
			pthread_join(c->thread, NULL);
		}
		c->running = false;
	}
	/* What the guest sent before it went: already in our sockets. */
	for (int i = STDOUT; i <= STDERR; i++)
		while (c->conn[i] >= 0 && read_output(c, i, MSG_DONTWAIT) > 0)
			;
	while (c->conn[CONTROL] >= 0 && !c->control_eof && c->status < 0) {
		struct pollfd p = { .fd = c->conn[CONTROL], .events = POLLIN };

		if (poll(&p, 1, 0) != 1)
			break;
		read_control(c);
	}
	if (c->started && log_level >= 2)
		fprintf(stderr, "lguestctl: info: the command started %.3f s after lguestctl\n",
			c->t_run - c->t0);
	if (c->error[0]) {
		fprintf(stderr, "lguestctl: in the guest: %s\n", c->error);
		return CTL_EXIT_COMMAND;
	}
	if (c->status >= 0)
		return c->status;
	if (powered_off)
		fprintf(stderr, "lguestctl: the guest ended before the command did\n");
	else
		fprintf(stderr, "lguestctl: %s\n", why);
	return CTL_EXIT_COMMAND;
}

void ctl_command_cleanup(struct ctl_command *c)
{
	char path[sizeof(c->vsock_path) + 16];

	for (int i = 0; i < NSOCK; i++) {
		if (c->listen[i] >= 0)
			close(c->listen[i]);
		if (c->conn[i] >= 0)
			close(c->conn[i]);
		snprintf(path, sizeof(path), "%s_%d", c->vsock_path, LGRUN_PORT_CONTROL + i);
		unlink(path);
	}
	for (int i = 0; i < 2; i++)
		if (c->wake[i] >= 0)
			close(c->wake[i]);
	if (c->dir[0]) {
		unlink(c->vsock_path);
		rmdir(c->dir);
	}
	for (unsigned int i = 0; i < CTL_MAX_RW; i++)
		free(c->rw[i]);
	free(c->req);
	memset(c, 0, sizeof(*c));
}
