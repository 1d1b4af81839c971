// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lguestctl run -- COMMAND, the host's half (lguestctl/command.c), against
 * a guest's init played here over its Unix sockets: the request it reads,
 * and what lguestctl makes of what a guest says back -- an exit status, a
 * signal, an error, and nonsense (out-of-range statuses, a line far too
 * long, unknown words), which must end in 125 with a message, never in a
 * status the command did not have.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "command.h"
#include "runproto.h"

static char dir[] = "/tmp/lg-unit-cmd-XXXXXX";

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("XDG_RUNTIME_DIR", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rmdir(dir);
	return 0;
}

/*
 * Plays the guest: connects to the control port, reads the request to
 * its end, says @says, then waits for lguestctl to close (or not: @wait).
 * Returns lguestctl's exit status; @req gets the request.
 */
static int guest_says(const char *says, size_t len, bool wait_close, char *req, size_t reqlen)
{
	static char *const cmd[] = { "sh", "-c", "exit 7", NULL };
	struct ctl_run r = { .command = (char **)cmd };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ctl_command c;
	char err[256], byte;
	size_t got = 0;
	ssize_t n;
	int fd, rc;

	assert_int_equal(ctl_command_prepare(&c, &r, err, sizeof(err)), 0);
	assert_int_equal(ctl_command_start(&c), 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s_%d", c.vsock_path, LGRUN_PORT_CONTROL);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	while (got < reqlen - 1 && (n = read(fd, req + got, reqlen - 1 - got)) > 0)
		got += (size_t)n;
	req[got] = 0;
	assert_true(got > 0 && got < reqlen - 1);	/* lguestctl ended it */
	assert_int_equal(write(fd, says, len), (ssize_t)len);
	if (wait_close)
		assert_int_equal(read(fd, &byte, 1), 0);	/* lguestctl let it go */
	rc = ctl_command_finish(&c, true, "", 0);
	close(fd);
	ctl_command_cleanup(&c);
	return rc;
}

static bool has_item(const char *req, size_t len, const char *item)
{
	for (const char *s = req; s < req + len; s += strlen(s) + 1)
		if (!strcmp(s, item))
			return true;
	return false;
}

/* The request: who, where, what, each item NUL-terminated. */
static void the_request(void **state)
{
	char req[65536], cwd[PATH_MAX], want[PATH_MAX + 8];
	size_t len;

	(void)state;
	memset(req, 0, sizeof(req));
	assert_int_equal(guest_says("error just looking\n", 19, true, req, sizeof(req)), 125);
	for (len = sizeof(req) - 1; len && !req[len - 1]; len--)
		;
	len++;
	assert_true(has_item(req, len, "arg=sh"));
	assert_true(has_item(req, len, "arg=-c"));
	assert_true(has_item(req, len, "arg=exit 7"));
	snprintf(want, sizeof(want), "uid=%u", (unsigned int)getuid());
	assert_true(has_item(req, len, want));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "cwd=%s", cwd);
	assert_true(has_item(req, len, want));
}

/* What a guest says becomes the status: exit, signal, error. */
static void statuses(void **state)
{
	char req[65536];

	(void)state;
	assert_int_equal(guest_says("run\nexit 7\n", 11, false, req, sizeof(req)), 7);
	assert_int_equal(guest_says("run\nexit 0\n", 11, false, req, sizeof(req)), 0);
	assert_int_equal(guest_says("signal 9\n", 9, false, req, sizeof(req)), 128 + 9);
	assert_int_equal(guest_says("error mount: nope\n", 18, true, req, sizeof(req)), 125);
}

/* Nonsense from the guest is 125, never a status the command did not have. */
static void nonsense(void **state)
{
	static char longline[100000];
	char req[65536];

	(void)state;
	assert_int_equal(guest_says("exit 999\n", 9, true, req, sizeof(req)), 125);
	assert_int_equal(guest_says("exit -1\n", 8, true, req, sizeof(req)), 125);
	assert_int_equal(guest_says("signal 0\n", 9, true, req, sizeof(req)), 125);
	assert_int_equal(guest_says("hello\n", 6, true, req, sizeof(req)), 125);
	memset(longline, 'A', sizeof(longline) - 9);
	snprintf(longline + sizeof(longline) - 9, 9, "\nexit 3\n");
	assert_int_equal(guest_says(longline, sizeof(longline) - 1, true, req, sizeof(req)), 125);
	/* Nothing said at all: the guest ended before the command did. */
	assert_int_equal(guest_says("", 0, false, req, sizeof(req)), 125);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_request),
		cmocka_unit_test(statuses),
		cmocka_unit_test(nonsense),
	};

	return cmocka_run_group_tests_name("command", tests, setup, teardown);
}
