// SPDX-License-Identifier: GPL-2.0
/*
 * liblguest's devices against real guest drivers (tests/guests/vblk.c,
 * vcons.c): the guest writes, flushes and reads back sectors of a disk
 * image through virtio-blk, with each block backend, and the file is
 * checked here afterwards; a broken driver is contained; bytes cross
 * virtio-console both ways.  All of it twice: with interrupts through
 * lg.ko's irqfds (liblguest's default where lg.ko has them) and through
 * LGUEST_IRQ (LGUEST_EVENTFD=0).  (t_net checks the network's
 * notifications through ioeventfds.)
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <liblguest.h>
#include "lgtest.h"

#define DISK	"/tmp/vblk.img"

/* The module's counters for the last guest run_guest() ran. */
static struct lg_stats last;

/* Run GUEST with one device: a disk (@backend >= 0) or a console on fds. */
static int run_guest(const char *guest, const char *cmdline, int backend, int in, int out,
		     struct lg_exit *ex)
{
	struct lg_disk_config disk = { .path = DISK, .backend = backend };
	struct lg_vm *vm = lg_vm_new();
	char path[64];
	int err;

	if (!vm)
		return -1;
	snprintf(path, sizeof(path), "/tests/guests/%s.elf", guest);
	err = lg_vm_set_memory(vm, 64 << 20);
	if (!err)
		err = lg_vm_load_kernel(vm, path);
	if (!err)
		err = lg_vm_set_cmdline(vm, cmdline);
	if (!err)
		err = backend >= 0 ? lg_vm_add_disk(vm, &disk) : lg_vm_add_console(vm, in, out);
	if (!err)
		err = lg_vm_open(vm, NULL);
	if (!err)
		err = lg_vm_run(vm, ex);
	memset(&last, 0, sizeof(last));
	if (!err)
		err = lg_vm_get_stats(vm, &last, sizeof(last));
	if (err)
		printf("%s: %s\n", guest, lg_vm_last_error(vm));
	lg_vm_destroy(vm);
	return err;
}

/* The guest's own verdict, which it powers off with: "passed=N failed=M". */
static int guest_passed(const struct lg_exit *ex, unsigned int want)
{
	unsigned int passed = 0, failed = 1;

	return ex->reason == LG_EXIT_POWEROFF &&
	       sscanf(ex->msg, "passed=%u failed=%u", &passed, &failed) == 2 &&
	       failed == 0 && passed == want;
}

/* The image: 1 MiB of zeroes. */
static int fresh_disk(void)
{
	int fd = open(DISK, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int ok = fd >= 0 && ftruncate(fd, 1 << 20) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* Sectors 0-7 hold 0x40 + n, the rest is untouched. */
static int disk_as_written(void)
{
	unsigned char buf[9 * 512];
	int fd = open(DISK, O_RDONLY), i, ok;

	ok = fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf);
	for (i = 0; ok && i < 9 * 512; i++)
		ok = buf[i] == (i < 8 * 512 ? 0x40 + i / 512 : 0);
	if (fd >= 0)
		close(fd);
	return ok;
}

static int disk_zero(void)
{
	unsigned char buf[4096];
	int fd = open(DISK, O_RDONLY), i, ok;

	ok = fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf);
	for (i = 0; ok && i < 4096; i++)
		ok = !buf[i];
	if (fd >= 0)
		close(fd);
	return ok;
}

static int devices(const char *how);

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int pass = 0; pass < 2; pass++) {
		const char *how = pass ? "exits" : "eventfds";

		setenv("LGUEST_EVENTFD", pass ? "0" : "1", 1);
		if (devices(how))
			return 1;
	}
	return lgtest_failed;
}

/*
 * Every device check, the interrupts going @how (the disk's and the
 * console's notifications are exits either way: docs/design.md).
 */
static int devices(const char *how)
{
	static const struct {
		int backend;
		const char *name;
	} backends[] = { { LG_BLK_IO_URING, "io_uring" }, { LG_BLK_THREAD, "thread" } };
	struct lg_exit ex;
	char what[160];
	unsigned int i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		CHECK(fresh_disk(), "virtio: a fresh disk image", "%s", strerror(errno));
		memset(&ex, 0, sizeof(ex));
		snprintf(what, sizeof(what), "virtio (%s): blk guest writes, flushes, reads back "
			 "and powers off (%s backend)", how, backends[i].name);
		CHECK(run_guest("vblk", "case=rw", backends[i].backend, -1, -1, &ex) == 0 &&
		      guest_passed(&ex, 8), what, "exit %d: %s", ex.reason, ex.msg);
		/* The disk keeps the synchronous exit either way (docs/design.md). */
		snprintf(what, sizeof(what), "virtio (%s): the disk's notifications were all exits "
			 "(%s backend)", how, backends[i].name);
		CHECK(last.mmio_eventfds == 0 && last.mmio_exits > 0, what,
		      "mmio_eventfds %llu, mmio_exits %llu", (unsigned long long)last.mmio_eventfds,
		      (unsigned long long)last.mmio_exits);
		snprintf(what, sizeof(what),
			 "virtio (%s): the image holds what the guest wrote and flushed (%s backend)",
			 how, backends[i].name);
		CHECK(disk_as_written(), what, "sectors 0-8 differ");
	}

	CHECK(fresh_disk(), "virtio: a fresh disk image", "%s", strerror(errno));
	memset(&ex, 0, sizeof(ex));
	snprintf(what, sizeof(what), "virtio (%s): a broken driver is contained, the guest runs on",
		 how);
	CHECK(run_guest("vblk", "case=broken", LG_BLK_AUTO, -1, -1, &ex) == 0 && guest_passed(&ex, 7),
	      what, "exit %d: %s", ex.reason, ex.msg);
	snprintf(what, sizeof(what), "virtio (%s): the broken request wrote nothing", how);
	CHECK(disk_zero(), what, "image changed");
	unlink(DISK);

	/* virtio-console over pipes: "pong" waits for the guest, "ping" comes out. */
	{
		int to_guest[2], from_guest[2];
		char got[256] = "";
		ssize_t n;

		if (pipe(to_guest) || pipe(from_guest) ||
		    write(to_guest[1], "pong\n", 5) != 5)
			return 1;
		memset(&ex, 0, sizeof(ex));
		snprintf(what, sizeof(what), "virtio (%s): console guest receives what we send",
			 how);
		CHECK(run_guest("vcons", "", -1, to_guest[0], from_guest[1], &ex) == 0 &&
		      guest_passed(&ex, 5), what, "exit %d: %s", ex.reason, ex.msg);
		close(from_guest[1]);
		n = read(from_guest[0], got, sizeof(got) - 1);
		got[n > 0 ? n : 0] = '\0';
		snprintf(what, sizeof(what), "virtio (%s): the console's output is what the guest "
			 "sent", how);
		CHECK(strstr(got, "ping from the guest\n") != NULL, what, "got '%s'", got);
		close(to_guest[0]);
		close(to_guest[1]);
		close(from_guest[0]);
	}
	return 0;
}
