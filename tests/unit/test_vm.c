// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The public API up to the point where the module is needed: memory,
 * kernel, initrd, command line, devices, errors and logging, and the
 * messages a user sees when /dev/lguest is missing or wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "elfgen.h"
#include "vm.h"

static bool has(struct lg_vm *vm, const char *s)
{
	if (strstr(lg_vm_last_error(vm), s))
		return true;
	print_error("error '%s' lacks '%s'\n", lg_vm_last_error(vm), s);
	return false;
}

static void memory_bounds(void **state)
{
	struct lg_vm *vm = lg_vm_new();

	(void)state;
	assert_int_equal(lg_vm_set_memory(vm, 1ULL << 20), -EINVAL);
	assert_true(has(vm, "too small"));
	assert_int_equal(lg_vm_set_memory(vm, 65ULL << 30), -EINVAL);
	assert_true(has(vm, "too large"));
	assert_int_equal(lg_vm_set_memory(vm, 3ULL << 20), -EINVAL);
	assert_true(has(vm, "multiple of 2 MiB"));
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), -EBUSY);
	lg_vm_destroy(vm);
}

static void kernel_needs_memory_first(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	size_t len;
	uint8_t *img = eg_good_kernel(&len);

	(void)state;
	assert_int_equal(lg_vm_load_kernel_mem(vm, img, len), -EINVAL);
	assert_true(has(vm, "memory size first"));
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
	assert_int_equal(lg_vm_load_kernel_mem(vm, img, len), 0);
	assert_int_equal(lg_vm_load_kernel_mem(vm, img, len), -EBUSY);
	free(img);
	lg_vm_destroy(vm);
}

static void kernel_file_errors_name_the_file(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	char path[] = "/tmp/lg-unit-kernel-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
	assert_int_equal(lg_vm_load_kernel(vm, "/nonexistent/vmlinux"), -ENOENT);
	assert_true(has(vm, "/nonexistent/vmlinux"));
	assert_int_equal(lg_vm_load_kernel(vm, path), -ENOEXEC);
	assert_true(has(vm, path));
	assert_true(has(vm, "not an ELF"));
	assert_int_equal(lg_vm_load_kernel(vm, "/tmp"), -ENOEXEC);
	unlink(path);
	lg_vm_destroy(vm);
}

static void kernel_too_big_for_memory(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	size_t len;
	uint8_t *img = eg_good_kernel(&len);

	(void)state;
	/* The kernel loads at 16 MiB: 8 MiB of RAM cannot hold it. */
	assert_int_equal(lg_vm_set_memory(vm, 8ULL << 20), 0);
	assert_int_equal(lg_vm_load_kernel_mem(vm, img, len), -E2BIG);
	assert_true(has(vm, "more --mem"));
	free(img);
	lg_vm_destroy(vm);
}

static void initrd_goes_on_top(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	char path[] = "/tmp/lg-unit-initrd-XXXXXX";
	int fd = mkstemp(path);
	char data[5000];

	(void)state;
	memset(data, 'I', sizeof(data));
	assert_int_equal(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
	assert_int_equal(lg_vm_load_initrd(vm, path), 0);
	assert_int_equal(vm->initrd_gpa, ((32ULL << 20) - 5000) & ~0xfffULL);
	assert_int_equal(vm->initrd_size, 5000);
	assert_memory_equal(vm->mem.base + vm->initrd_gpa, data, sizeof(data));
	assert_int_equal(lg_vm_load_initrd(vm, path), -EBUSY);
	unlink(path);
	lg_vm_destroy(vm);
}

static void initrd_too_big(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	char path[] = "/tmp/lg-unit-initrd-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(ftruncate(fd, 3ULL << 20), 0);
	close(fd);
	assert_int_equal(lg_vm_set_memory(vm, 2ULL << 20), 0);
	assert_int_equal(lg_vm_load_initrd(vm, path), -E2BIG);
	assert_true(has(vm, "more --mem"));
	unlink(path);
	lg_vm_destroy(vm);
}

static void devices_appear_on_the_command_line(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	static const struct lg_mmio_ops ops = { NULL, NULL };
	char *c;

	(void)state;
	assert_int_equal(lg_vm_add_rng(vm), -EINVAL);	/* no memory yet */
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
	assert_int_equal(lg_vm_set_cmdline(vm, "quiet"), 0);
	assert_int_equal(lg_vm_add_rng(vm), 0);
	assert_int_equal(lg_vm_add_console(vm, -1, -1), 0);
	assert_int_equal(lg_vm_add_mmio(vm, 0x100, &ops, NULL, &(uint64_t){ 0 }, &(unsigned int){ 0 }),
			 -EINVAL);
	c = lg_vm_full_cmdline(vm);
	assert_string_equal(c, "quiet virtio_mmio.device=0x1000@0x1000000000:1"
			    " virtio_mmio.device=0x1000@0x1000001000:2");
	free(c);
	lg_vm_destroy(vm);
}

static uint64_t dummy_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)opaque;
	return off + size;
}

static void dummy_write(void *opaque, uint64_t off, unsigned int size, uint64_t v)
{
	(void)opaque;
	(void)off;
	(void)size;
	(void)v;
}

static void custom_mmio_and_device_limits(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	static const struct lg_mmio_ops ops = { dummy_read, dummy_write };
	uint64_t base;
	unsigned int irq, n = 1;
	char *c;

	(void)state;
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
	assert_int_equal(lg_vm_add_rng(vm), 0);
	assert_int_equal(lg_vm_add_mmio(vm, 0x2001, &ops, NULL, &base, &irq), 0);
	assert_int_equal(base, LG_MMIO_BASE + 0x1000);
	assert_int_equal(irq, 2);
	/* Custom devices are the caller's to describe: not on the command line. */
	c = lg_vm_full_cmdline(vm);
	assert_string_equal(c, "virtio_mmio.device=0x1000@0x1000000000:1");
	free(c);
	assert_int_equal(lg_vm_add_mmio(vm, 1ULL << 40, &ops, NULL, &base, &irq), -ENOSPC);
	n = 2;
	while (lg_vm_add_rng(vm) == 0)
		n++;
	assert_int_equal(n, 32);
	assert_true(has(vm, "too many devices"));
	lg_vm_destroy(vm);
}

static void cmdline_limit(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	char big[3000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(lg_vm_set_cmdline(vm, big), -E2BIG);
	lg_vm_destroy(vm);
}

static void missing_module_says_so(void **state)
{
	struct lg_vm *vm = lg_vm_new();

	(void)state;
	assert_int_equal(lg_vm_open(vm, "/nonexistent/lguest"), -ENOENT);
	assert_true(has(vm, "modprobe lg"));
	setenv("LGUEST_DEV", "/nonexistent/lguest2", 1);
	assert_int_equal(lg_vm_open(vm, NULL), -ENOENT);
	assert_true(has(vm, "/nonexistent/lguest2"));
	unsetenv("LGUEST_DEV");
	assert_int_equal(lg_vm_open(vm, "/dev/null"), -ENODEV);
	assert_true(has(vm, "not an lguest device"));
	assert_int_equal(lg_module_abi_version("/nonexistent/lguest"), -ENOENT);
	assert_int_equal(lg_module_abi_version("/dev/null"), -ENOTTY);
	lg_vm_destroy(vm);
}

static void run_without_device_fails_cleanly(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	struct lg_exit ex;

	(void)state;
	assert_int_equal(lg_vm_run(vm, &ex), -EBADF);
	assert_true(has(vm, "not open"));
	assert_int_equal(lg_vm_stop(vm), 0);
	assert_int_equal(lg_vm_wait(vm, &ex), -EINVAL);
	lg_vm_destroy(vm);
}

struct logged {
	int n;
	enum lg_log_level level;
	char msg[256];
};

static void log_cb(void *opaque, enum lg_log_level level, const char *msg)
{
	struct logged *l = opaque;

	l->n++;
	l->level = level;
	snprintf(l->msg, sizeof(l->msg), "%s", msg);
}

static void log_callback_levels(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	struct logged l = { 0 };
	char buf[16];

	(void)state;
	/* Errors are logged at debug level: an ERROR-level callback hears nothing. */
	lg_vm_set_log(vm, log_cb, &l, LG_LOG_ERROR);
	lg_vm_set_memory(vm, 1);
	assert_int_equal(l.n, 0);
	lg_vm_set_log(vm, log_cb, &l, LG_LOG_DEBUG);
	lg_vm_set_memory(vm, 1);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.level, LG_LOG_DEBUG);
	assert_non_null(strstr(l.msg, "too small"));
	/* lg_vm_get_error truncates safely. */
	lg_vm_get_error(vm, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	lg_vm_destroy(vm);
}

static void *hammer(void *arg)
{
	struct lg_vm *vm = arg;
	char buf[LG_ERR_LEN];

	for (int i = 0; i < 2000; i++) {
		lg_vm_set_memory(vm, (uint64_t)i);
		lg_vm_get_error(vm, buf, sizeof(buf));
		if (strncmp(buf, "memory: ", 8) != 0)
			return (void *)1;
	}
	return NULL;
}

static void errors_are_thread_safe(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	pthread_t t[4];
	void *ret;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, vm), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	lg_vm_destroy(vm);
}

static void versions(void **state)
{
	(void)state;
	assert_string_equal(lg_library_version(), LG_VERSION_STRING);
	assert_int_equal(lg_library_abi_version(), LGUEST_ABI_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memory_bounds),
		cmocka_unit_test(kernel_needs_memory_first),
		cmocka_unit_test(kernel_file_errors_name_the_file),
		cmocka_unit_test(kernel_too_big_for_memory),
		cmocka_unit_test(initrd_goes_on_top),
		cmocka_unit_test(initrd_too_big),
		cmocka_unit_test(devices_appear_on_the_command_line),
		cmocka_unit_test(custom_mmio_and_device_limits),
		cmocka_unit_test(cmdline_limit),
		cmocka_unit_test(missing_module_says_so),
		cmocka_unit_test(run_without_device_fails_cleanly),
		cmocka_unit_test(log_callback_levels),
		cmocka_unit_test(errors_are_thread_safe),
		cmocka_unit_test(versions),
	};

	return cmocka_run_group_tests_name("vm", tests, NULL, NULL);
}
