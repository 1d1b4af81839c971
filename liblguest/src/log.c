// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Errors and logging.  A library must not print: a launcher may own the
 * terminal (the guest's console is on it) or have no terminal at all.  So
 * every failure leaves one line in the VM, for the caller to fetch, and
 * everything worth saying goes to a callback the caller may install.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"

static void deliver(struct lg_vm *vm, enum lg_log_level level, const char *msg)
{
	lg_log_fn fn;
	void *opaque;

	pthread_mutex_lock(&vm->log_lock);
	fn = level <= vm->log_level ? vm->log_fn : NULL;
	opaque = vm->log_opaque;
	pthread_mutex_unlock(&vm->log_lock);
	if (fn)
		fn(opaque, level, msg);
}

void lg_log(struct lg_vm *vm, enum lg_log_level level, const char *fmt, ...)
{
	char msg[LG_ERR_LEN];
	va_list ap;

	if (!vm)
		return;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	deliver(vm, level, msg);
}

int lg_err(struct lg_vm *vm, int err, const char *fmt, ...)
{
	char msg[LG_ERR_LEN];
	va_list ap;

	if (!vm)
		return err;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&vm->log_lock);
	memcpy(vm->err, msg, sizeof(vm->err));
	pthread_mutex_unlock(&vm->log_lock);
	deliver(vm, LG_LOG_DEBUG, msg);
	return err;
}

void lg_vm_get_error(struct lg_vm *vm, char *buf, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&vm->log_lock);
	snprintf(buf, len, "%s", vm->err);
	pthread_mutex_unlock(&vm->log_lock);
}

const char *lg_vm_last_error(struct lg_vm *vm)
{
	lg_vm_get_error(vm, vm->err_copy, sizeof(vm->err_copy));
	return vm->err_copy;
}

void lg_vm_set_log(struct lg_vm *vm, lg_log_fn fn, void *opaque, enum lg_log_level max_level)
{
	pthread_mutex_lock(&vm->log_lock);
	vm->log_fn = fn;
	vm->log_opaque = opaque;
	vm->log_level = max_level;
	pthread_mutex_unlock(&vm->log_lock);
}
