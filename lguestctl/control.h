/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The control socket: how "lguestctl list" and "stop" find running VMs. */
#ifndef LGUESTCTL_CONTROL_H
#define LGUESTCTL_CONTROL_H

#include <stddef.h>

/* $XDG_RUNTIME_DIR/lguest (else /tmp/lguest-UID), created 0700 if @create. */
int ctl_dir(char *buf, size_t len, int create);

/*
 * Listens on DIR/NAME.sock.  Returns the listening fd, -EEXIST when a
 * live VM already has that name, or another -errno.
 */
int ctl_listen(const char *name, char *path, size_t pathlen);

/* Sends one command ("info", "stop") to VM @name; its reply goes to @reply. */
int ctl_request(const char *name, const char *cmd, char *reply, size_t len);

/* Calls @fn with the name of every VM that answers. */
int ctl_list(void (*fn)(const char *name, const char *info, void *opaque), void *opaque);

#endif
