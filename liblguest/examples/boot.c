// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The smallest launcher: boot a kernel with a console and a random number
 * generator, and report how the guest ended.  Built with pkg-config only:
 *
 *	cc boot.c $(pkg-config --cflags --libs liblguest) -o boot
 *	./boot vmlinux "quiet"
 */
#include <stdio.h>
#include <stdlib.h>

#include <liblguest.h>

static void say(void *opaque, enum lg_log_level level, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "liblguest[%d]: %s\r\n", (int)level, msg);
}

int main(int argc, char **argv)
{
	struct lg_vm *vm;
	struct lg_exit ex;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s VMLINUX [CMDLINE]\n", argv[0]);
		return 2;
	}
	vm = lg_vm_new();
	if (!vm)
		return 1;
	lg_vm_set_log(vm, say, NULL, LG_LOG_INFO);
	err = lg_vm_set_memory(vm, 128ULL << 20);
	if (!err)
		err = lg_vm_load_kernel(vm, argv[1]);
	if (!err)
		err = lg_vm_set_cmdline(vm, argc > 2 ? argv[2] : "console=hvc0");
	if (!err)
		err = lg_vm_add_console(vm, -1, -1);
	if (!err)
		err = lg_vm_add_rng(vm);
	if (!err)
		err = lg_vm_open(vm, NULL);
	if (!err)
		err = lg_drop_privileges(vm);
	if (!err)
		err = lg_vm_run(vm, &ex);
	if (err) {
		fprintf(stderr, "%s\n", lg_vm_last_error(vm));
		lg_vm_destroy(vm);
		return 1;
	}
	printf("guest stopped: reason %d%s%s\n", (int)ex.reason, ex.msg[0] ? ": " : "", ex.msg);
	lg_vm_destroy(vm);
	return ex.reason == LG_EXIT_POWEROFF ? 0 : 3;
}
