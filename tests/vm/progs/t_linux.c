// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux guest: /tests/vmlinux (make guest-kernel) booted through
 * liblguest as lguestctl would, with its console in a file.  Checks the
 * milestones the guest reaches today; see docs/guest.md.
 *
 * Two boots: from the initramfs /tests/linux-initrd.cpio, and from an
 * ext4 root on a virtio disk, /tests/linux-root.img.  Both hold the same
 * static init (tests/guests/linux/init.c), which writes a line and
 * powers off.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "liblguest.h"
#include "lgtest.h"

#define OUT	"/tmp/t_linux.console"

static char out[1 << 16];

static void boot(bool disk)
{
	const char *how = disk ? "linux (ext4 root on virtio-blk)" : "linux (initramfs)";
	char name[160];
	struct lg_exit ex = { 0 };
	struct lg_vm *vm;
	int ofd, nfd, err;
	long long guest_time;
	const char *tline;
	ssize_t n;

	ofd = open(OUT, O_RDWR | O_CREAT | O_TRUNC, 0600);
	nfd = open("/dev/null", O_RDONLY);
	vm = lg_vm_new();
	err = !vm || lg_vm_set_memory(vm, 128ULL << 20) ||
	      lg_vm_load_kernel(vm, "/tests/vmlinux") ||
	      (disk ? lg_vm_set_cmdline(vm, "console=hvc0 panic=-1 root=/dev/vda rw") :
		      lg_vm_set_cmdline(vm, "console=hvc0 panic=-1")) ||
	      lg_vm_add_console(vm, nfd, ofd) ||
	      (disk ? lg_vm_add_disk(vm, &(struct lg_disk_config){ .path = "/tests/linux-root.img" }) :
		      lg_vm_load_initrd(vm, "/tests/linux-initrd.cpio")) ||
	      lg_vm_open(vm, NULL);
	snprintf(name, sizeof(name), "%s: vmlinux loads and the guest is created", how);
	CHECK(!err, name, "%s", vm ? lg_vm_last_error(vm) : "no memory");
	if (err)
		return;
	err = lg_vm_run(vm, &ex);
	snprintf(name, sizeof(name), "%s: the guest runs to an exit", how);
	CHECK(err == 0, name, "%s", lg_vm_last_error(vm));

	n = pread(ofd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = 0;
	printf("---- guest console ----\n%s\n---- exit reason %d: %s\n", out, ex.reason, ex.msg);
	snprintf(name, sizeof(name), "%s: the guest prints its banner", how);
	CHECK(strstr(out, "Linux version 6.12") != NULL, name, "console has no 'Linux version 6.12'");
	snprintf(name, sizeof(name),
		 "%s: the guest finds its virtio-mmio device on the command line", how);
	CHECK(strstr(out, "virtio-mmio: Registering device virtio-mmio.0") != NULL, name,
	      "no 'Registering device virtio-mmio.0'");
	snprintf(name, sizeof(name), "%s: the virtio console takes over from the boot console",
		 how);
	CHECK(strstr(out, "console [hvc0] enabled") != NULL, name, "no hvc0");
	if (disk) {
		snprintf(name, sizeof(name), "%s: the root file system mounts", how);
		CHECK(strstr(out, "VFS: Mounted root (ext4 filesystem)") != NULL, name,
		      "no 'Mounted root (ext4 filesystem)'");
	}
	snprintf(name, sizeof(name),
		 "%s: init runs in user space and writes through the virtio console", how);
	CHECK(strstr(out, "lguest-init: hello from user space, pid 1") != NULL, name,
	      "no line from init");
	tline = strstr(out, "lguest-init: time ");
	guest_time = tline ? strtoll(tline + 18, NULL, 10) : 0;
	snprintf(name, sizeof(name), "%s: the guest's time of day is the host's", how);
	CHECK(llabs(guest_time - (long long)time(NULL)) < 120, name,
	      "guest says %lld, host %lld", guest_time, (long long)time(NULL));
	snprintf(name, sizeof(name), "%s: init powers the guest off", how);
	CHECK(ex.reason == LG_EXIT_POWEROFF, name, "exit reason %d: %s", ex.reason, ex.msg);
	lg_vm_destroy(vm);
	close(ofd);
	close(nfd);
}

int main(void)
{
	if (access("/tests/vmlinux", R_OK)) {
		printf("LGTEST SKIP linux: no /tests/vmlinux in this initramfs\n");
		return 0;
	}
	boot(false);
	boot(true);
	return lgtest_failed;
}
