// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux guest: /tests/vmlinux (make guest-kernel) booted through
 * liblguest as lguestctl would, with its console in a file.  Checks the
 * milestones the guest reaches today; see docs/guest.md.  The guest's
 * initramfs is /tests/linux-initrd.cpio: a static /init
 * (tests/guests/linux/init.c) that writes a line and powers off.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liblguest.h"
#include "lgtest.h"

#define OUT	"/tmp/t_linux.console"

static char out[1 << 16];

int main(void)
{
	struct lg_exit ex = { 0 };
	struct lg_vm *vm;
	int ofd, nfd, err;
	ssize_t n;

	if (access("/tests/vmlinux", R_OK)) {
		printf("LGTEST SKIP linux: no /tests/vmlinux in this initramfs\n");
		return 0;
	}
	ofd = open(OUT, O_RDWR | O_CREAT | O_TRUNC, 0600);
	nfd = open("/dev/null", O_RDONLY);
	vm = lg_vm_new();
	err = !vm || lg_vm_set_memory(vm, 128ULL << 20) ||
	      lg_vm_load_kernel(vm, "/tests/vmlinux") ||
	      lg_vm_load_initrd(vm, "/tests/linux-initrd.cpio") ||
	      lg_vm_set_cmdline(vm, "console=hvc0 panic=-1") ||
	      lg_vm_add_console(vm, nfd, ofd) || lg_vm_open(vm, NULL);
	CHECK(!err, "linux: vmlinux loads and the guest is created", "%s",
	      vm ? lg_vm_last_error(vm) : "no memory");
	if (err)
		return 1;
	err = lg_vm_run(vm, &ex);
	CHECK(err == 0, "linux: the guest runs to an exit", "%s", lg_vm_last_error(vm));

	n = pread(ofd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = 0;
	printf("---- guest console ----\n%s\n---- exit reason %d: %s\n", out, ex.reason, ex.msg);
	CHECK(strstr(out, "Linux version 6.12") != NULL, "linux: the guest prints its banner",
	      "console has no 'Linux version 6.12'");
	CHECK(strstr(out, "virtio-mmio: Registering device virtio-mmio.0") != NULL,
	      "linux: the guest finds its virtio-mmio device on the command line",
	      "no 'Registering device virtio-mmio.0'");
	CHECK(strstr(out, "console [hvc0] enabled") != NULL,
	      "linux: the virtio console takes over from the boot console", "no hvc0");
	CHECK(strstr(out, "lguest-init: hello from user space, pid 1") != NULL,
	      "linux: /init runs in user space and writes through the virtio console",
	      "no line from /init");
	CHECK(ex.reason == LG_EXIT_POWEROFF, "linux: /init powers the guest off",
	      "exit reason %d: %s", ex.reason, ex.msg);
	lg_vm_destroy(vm);
	return lgtest_failed;
}
