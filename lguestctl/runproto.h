/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "lguestctl run -- COMMAND": what lguestctl (command.c) and the guest's
 * init (guest-init.c) say to each other over vsock.  docs/lguestctl.md
 * tells the same story for people.
 *
 * The guest connects to the host (CID 2) on four ports; lguestctl
 * listens on them through the hybrid vsock device (PATH_PORT sockets).
 *
 *  - CONTROL: lguestctl sends the request, "key=value" strings each ended
 *    by a NUL, and shuts its side down; the guest answers with lines:
 *    "run" when the command is about to start, then one of "exit N",
 *    "signal N" or "error WHY".  The guest powers off when lguestctl
 *    closes the connection, which it does once it has all the output.
 *  - STDIN, STDOUT, STDERR: the command's standard streams that are not
 *    the terminal, as plain byte streams.  End of input is a shutdown.
 *
 * Request keys: uid, gid, groups (comma-separated), cwd, stdio (three
 * letters for fds 0, 1 and 2: v vsock, t the console, n /dev/null),
 * rows and cols (the terminal's size), rw (a directory written through,
 * in order: the first is the share tagged "rw0"), env (NAME=VALUE, in
 * order), arg (argv, in order).  The host's / is the share tagged "root".
 */
#ifndef LGUESTCTL_RUNPROTO_H
#define LGUESTCTL_RUNPROTO_H

#define LGRUN_PORT_CONTROL	1024
#define LGRUN_PORT_STDIN	1025	/* STDIN + fd for each stream */
#define LGRUN_REQUEST_MAX	(4 << 20)
#define LGRUN_MAX_RW		3	/* plus the root: lguestctl's CTL_MAX_FS */
#define LGRUN_ROOT_TAG		"root"

#endif
