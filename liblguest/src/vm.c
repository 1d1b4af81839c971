// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A VM before it runs: its memory, its kernel, initrd and command line,
 * and its devices.  Nothing here needs /dev/lguest, so a launcher can
 * check everything the user gave it before touching the module (run.c
 * does the rest).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

struct lg_vm *lg_vm_new(void)
{
	struct lg_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	if (lg_io_init(&vm->io) < 0) {
		free(vm);
		return NULL;
	}
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->log_lock, NULL);
	pthread_cond_init(&vm->stopped, NULL);
	vm->fd = -1;
	vm->memfd = -1;
	vm->early_console_fd = STDOUT_FILENO;
	vm->log_level = LG_LOG_ERROR;
	vm->mmio_next = LG_MMIO_BASE;
	return vm;
}

void lg_vm_destroy(struct lg_vm *vm)
{
	if (!vm)
		return;
	lg_vm_stop(vm);
	if (vm->started)
		lg_vm_wait(vm, NULL);
	lg_notify_teardown(vm);
	lg_io_fini(&vm->io);
	for (unsigned int i = 0; i < vm->ndev; i++) {
		struct lg_vdev *d = vm->dev[i].vdev;

		if (d)
			d->ops->destroy(d);
	}
	if (vm->run)
		munmap(vm->run, sizeof(*vm->run));
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->mem.base)
		munmap(vm->mem.base, vm->mem.size);
	if (vm->memfd >= 0)
		close(vm->memfd);
	free(vm->cmdline);
	pthread_cond_destroy(&vm->stopped);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->log_lock);
	free(vm);
}

/* ---- memory ------------------------------------------------------------- */

static int set_memory(struct lg_vm *vm, uint64_t bytes)
{
	void *p;

	if (vm->mem.base)
		return lg_err(vm, -EBUSY, "memory: already set");
	if (bytes < LGUEST_MIN_MEM)
		return lg_err(vm, -EINVAL, "memory: %llu KiB is too small (at least %llu MiB)",
			      (unsigned long long)(bytes >> 10), LGUEST_MIN_MEM >> 20);
	if (bytes > LGUEST_MAX_MEM)
		return lg_err(vm, -EINVAL, "memory: %llu MiB is too large (at most %llu MiB)",
			      (unsigned long long)(bytes >> 20), LGUEST_MAX_MEM >> 20);
	if (bytes % (2ULL << 20))
		return lg_err(vm, -EINVAL, "memory: %llu bytes is not a multiple of 2 MiB",
			      (unsigned long long)bytes);
	/*
	 * A memfd, not anonymous memory: other threads and processes (a
	 * device in its own process, a debugger) can map the same pages.
	 */
	vm->memfd = memfd_create("lguest-ram", MFD_CLOEXEC);
	if (vm->memfd < 0)
		return lg_err(vm, -errno, "memory: memfd_create: %s", strerror(errno));
	if (ftruncate(vm->memfd, (off_t)bytes) < 0) {
		int err = -errno;

		close(vm->memfd);
		vm->memfd = -1;
		return lg_err(vm, err, "memory: %llu MiB: %s", (unsigned long long)(bytes >> 20),
			      strerror(-err));
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, vm->memfd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;

		close(vm->memfd);
		vm->memfd = -1;
		return lg_err(vm, err, "memory: mmap of %llu MiB: %s",
			      (unsigned long long)(bytes >> 20), strerror(-err));
	}
	vm->mem.base = p;
	vm->mem.size = bytes;
	return 0;
}

int lg_vm_set_memory(struct lg_vm *vm, uint64_t bytes)
{
	int err;

	pthread_mutex_lock(&vm->lock);
	err = set_memory(vm, bytes);
	pthread_mutex_unlock(&vm->lock);
	return err;
}

/* ---- kernel, initrd, command line --------------------------------------- */

static int need_memory(struct lg_vm *vm, const char *what)
{
	if (!vm->mem.base)
		return lg_err(vm, -EINVAL, "%s: set the memory size first", what);
	if (vm->running)
		return lg_err(vm, -EBUSY, "%s: the VM is running", what);
	return 0;
}

static int load_kernel_mem(struct lg_vm *vm, const void *elf, size_t len)
{
	int err = need_memory(vm, "kernel");

	if (err)
		return err;
	if (vm->kernel_loaded)
		return lg_err(vm, -EBUSY, "kernel: already loaded");
	err = lg_elf_load(vm, &vm->mem, elf, len, vm->initrd_gpa,
			  vm->initrd_gpa + vm->initrd_size, &vm->kernel);
	if (!err)
		vm->kernel_loaded = true;
	return err;
}

int lg_vm_load_kernel_mem(struct lg_vm *vm, const void *elf, size_t len)
{
	int err;

	pthread_mutex_lock(&vm->lock);
	err = load_kernel_mem(vm, elf, len);
	pthread_mutex_unlock(&vm->lock);
	return err;
}

/* Opens @path for reading; a regular file of nonzero size, or an error. */
static int open_input(struct lg_vm *vm, const char *what, const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lg_err(vm, -errno, "%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return lg_err(vm, -ENOEXEC, "%s %s: not a regular, non-empty file", what, path);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int lg_vm_load_kernel(struct lg_vm *vm, const char *path)
{
	uint64_t size = 0;
	void *p;
	int fd, err;

	pthread_mutex_lock(&vm->lock);
	err = need_memory(vm, "kernel");
	if (err)
		goto out;
	fd = open_input(vm, "kernel", path, &size);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	/* Private and read-only: the loader copies out of it. */
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		err = lg_err(vm, -errno, "kernel %s: mmap: %s", path, strerror(errno));
		goto out;
	}
	err = load_kernel_mem(vm, p, size);
	munmap(p, size);
	if (err) {
		/* Say which file it was: the loader only knew a buffer. */
		char msg[LG_ERR_LEN];

		lg_vm_get_error(vm, msg, sizeof(msg));
		if (!strncmp(msg, "kernel: ", 8))
			lg_err(vm, err, "kernel %s: %s", path, msg + 8);
	}
out:
	pthread_mutex_unlock(&vm->lock);
	return err;
}

/*
 * The initrd goes at the top of RAM, page-aligned, where it is out of the
 * kernel's way until the kernel has unpacked it.
 */
static int load_initrd(struct lg_vm *vm, const char *path)
{
	uint64_t size = 0, gpa, done = 0;
	int fd, err = need_memory(vm, "initrd");

	if (err)
		return err;
	if (vm->initrd_size)
		return lg_err(vm, -EBUSY, "initrd: already loaded");
	fd = open_input(vm, "initrd", path, &size);
	if (fd < 0)
		return fd;
	gpa = size > vm->mem.size ? 0 : (vm->mem.size - size) & ~0xfffULL;
	if (gpa < LG_BOOT_END || (vm->kernel_loaded && gpa < vm->kernel.hi)) {
		close(fd);
		return lg_err(vm, -E2BIG, "initrd %s: %llu KiB does not fit in %llu MiB of memory"
			      " beside the kernel (hint: more --mem)", path,
			      (unsigned long long)(size >> 10),
			      (unsigned long long)(vm->mem.size >> 20));
	}
	while (done < size) {
		ssize_t n = pread(fd, vm->mem.base + gpa + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			close(fd);
			return lg_err(vm, err, "initrd %s: read: %s", path, strerror(-err));
		}
		done += (uint64_t)n;
	}
	close(fd);
	vm->initrd_gpa = gpa;
	vm->initrd_size = size;
	return 0;
}

int lg_vm_load_initrd(struct lg_vm *vm, const char *path)
{
	int err;

	pthread_mutex_lock(&vm->lock);
	err = load_initrd(vm, path);
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int lg_vm_set_cmdline(struct lg_vm *vm, const char *cmdline)
{
	char *copy;
	int err = 0;

	if (strlen(cmdline) >= LG_CMDLINE_MAX)
		return lg_err(vm, -E2BIG, "command line: longer than %u bytes", LG_CMDLINE_MAX - 1);
	copy = strdup(cmdline);
	if (!copy)
		return lg_err(vm, -ENOMEM, "command line: out of memory");
	pthread_mutex_lock(&vm->lock);
	if (vm->running) {
		err = lg_err(vm, -EBUSY, "command line: the VM is running");
		free(copy);
	} else {
		free(vm->cmdline);
		vm->cmdline = copy;
	}
	pthread_mutex_unlock(&vm->lock);
	return err;
}

/* ---- devices --------------------------------------------------------------- */

void lg_vm_raise_vdev(struct lg_vdev *d)
{
	lg_vm_irq(d->vm, d->irq);
}

/*
 * A window in the MMIO area and an interrupt line.  Line 0 is the guest's
 * timer, so devices get 1, 2, 3... in the order they were added.
 */
_Static_assert(LG_MAX_DEVICES < LGUEST_NR_IRQS, "every device needs its own line");

static struct lg_device *new_window(struct lg_vm *vm, uint64_t size)
{
	struct lg_device *dev;

	size = (size + 0xfff) & ~0xfffULL;
	if (vm->ndev >= LG_MAX_DEVICES || size == 0 ||
	    size > LG_MMIO_MAX_SIZE || vm->mmio_next + size > LG_MMIO_BASE + LG_MMIO_MAX_SIZE)
		return NULL;
	dev = &vm->dev[vm->ndev];
	memset(dev, 0, sizeof(*dev));
	dev->base = vm->mmio_next;
	dev->size = size;
	dev->irq = vm->ndev + 1;
	return dev;
}

static int add_vdev(struct lg_vm *vm, struct lg_vdev *d)
{
	struct lg_device *dev;

	dev = new_window(vm, LG_MMIO_DEV_SIZE);
	if (!dev) {
		d->ops->destroy(d);
		return lg_err(vm, -ENOSPC, "too many devices (at most %u)", LG_MAX_DEVICES);
	}
	dev->vdev = d;
	d->irq = dev->irq;
	d->raise = lg_vm_raise_vdev;
	vm->mmio_next += dev->size;
	vm->ndev++;
	lg_log(vm, LG_LOG_DEBUG, "%s: virtio-mmio at %#llx irq %u", d->ops->name,
	       (unsigned long long)dev->base, dev->irq);
	return 0;
}

static int can_add(struct lg_vm *vm, const char *what)
{
	int err = need_memory(vm, what);

	if (!err && vm->ndev == LG_MAX_DEVICES)
		err = lg_err(vm, -ENOSPC, "%s: too many devices (at most %u)", what, LG_MAX_DEVICES);
	return err;
}

/*
 * What a virtio device is made from: the arguments of its lg_vm_add_*()
 * call.  Each kind has a constructor (in its dev_*.c) behind one
 * registration path, add_virtio(): the VM must have memory and room, the
 * constructor builds the device, and it gets the next window and line.
 * A new kind of device is a constructor and a struct vdev_kind.
 */
struct vdev_args {
	int in_fd, out_fd;			/* console */
	const struct lg_disk_config *disk;
	const struct lg_net_config *net;
	const struct lg_vsock_config *vsock;
	const struct lg_fs_config *fs;
};

struct vdev_kind {
	const char *name;
	int (*make)(struct lg_vm *vm, const struct vdev_args *a, struct lg_vdev **out);
};

static int make_console(struct lg_vm *vm, const struct vdev_args *a, struct lg_vdev **out)
{
	return lg_console_new(vm, &vm->mem, &vm->io, a->in_fd, a->out_fd, out);
}

static int make_disk(struct lg_vm *vm, const struct vdev_args *a, struct lg_vdev **out)
{
	return lg_blk_new(vm, &vm->mem, &vm->io, a->disk, out);
}

static int make_net(struct lg_vm *vm, const struct vdev_args *a, struct lg_vdev **out)
{
	return lg_net_new(vm, &vm->mem, &vm->io, a->net, true, out);
}

static int make_rng(struct lg_vm *vm, const struct vdev_args *a, struct lg_vdev **out)
{
	(void)a;
	return lg_rng_new(vm, &vm->mem, out);
}

static int make_fs(struct lg_vm *vm, const struct vdev_args *a, struct lg_vdev **out)
{
	return lg_fs_new(vm, &vm->mem, vm->memfd, &vm->io, a->fs, out);
}

static int make_vsock(struct lg_vm *vm, const struct vdev_args *a, struct lg_vdev **out)
{
	return lg_vsock_new(vm, &vm->mem, &vm->io, a->vsock, out);
}

static const struct vdev_kind console_kind = { "console", make_console };
static const struct vdev_kind disk_kind = { "disk", make_disk };
static const struct vdev_kind net_kind = { "net", make_net };
static const struct vdev_kind rng_kind = { "rng", make_rng };
static const struct vdev_kind vsock_kind = { "vsock", make_vsock };
static const struct vdev_kind fs_kind = { "fs", make_fs };

static int add_virtio(struct lg_vm *vm, const struct vdev_kind *kind, const struct vdev_args *a)
{
	struct lg_vdev *d = NULL;
	int err;

	pthread_mutex_lock(&vm->lock);
	err = can_add(vm, kind->name);
	if (!err)
		err = kind->make(vm, a, &d);
	if (!err)
		err = add_vdev(vm, d);
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int lg_vm_add_console(struct lg_vm *vm, int in_fd, int out_fd)
{
	int err = add_virtio(vm, &console_kind,
			     &(struct vdev_args){ .in_fd = in_fd, .out_fd = out_fd });

	/* The console's output also takes the guest's early printk. */
	if (!err && out_fd >= 0) {
		pthread_mutex_lock(&vm->lock);
		if (!vm->boot_log_set)
			vm->early_console_fd = out_fd;
		pthread_mutex_unlock(&vm->lock);
	}
	return err;
}

int lg_vm_set_boot_log(struct lg_vm *vm, int fd)
{
	if (fd < -1)
		return lg_err(vm, -EBADF, "boot log: fd %d", fd);
	pthread_mutex_lock(&vm->lock);
	vm->early_console_fd = fd;
	vm->boot_log_set = true;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int lg_vm_add_disk(struct lg_vm *vm, const struct lg_disk_config *cfg)
{
	return add_virtio(vm, &disk_kind, &(struct vdev_args){ .disk = cfg });
}

int lg_vm_add_net(struct lg_vm *vm, const struct lg_net_config *cfg)
{
	return add_virtio(vm, &net_kind, &(struct vdev_args){ .net = cfg });
}

int lg_vm_add_rng(struct lg_vm *vm)
{
	return add_virtio(vm, &rng_kind, &(struct vdev_args){ .in_fd = -1 });
}

int lg_vm_add_fs(struct lg_vm *vm, const struct lg_fs_config *cfg)
{
	if (!cfg)
		return lg_err(vm, -EINVAL, "fs: no configuration");
	return add_virtio(vm, &fs_kind, &(struct vdev_args){ .fs = cfg });
}

int lg_vm_add_vsock(struct lg_vm *vm, const struct lg_vsock_config *cfg)
{
	if (!cfg)
		return lg_err(vm, -EINVAL, "vsock: no configuration");
	return add_virtio(vm, &vsock_kind, &(struct vdev_args){ .vsock = cfg });
}

int lg_vm_add_mmio(struct lg_vm *vm, uint64_t size, const struct lg_mmio_ops *ops,
		   void *opaque, uint64_t *base, unsigned int *irq)
{
	struct lg_device *dev;
	int err;

	if (!ops || !ops->read || !ops->write)
		return lg_err(vm, -EINVAL, "mmio device: read and write callbacks are required");
	pthread_mutex_lock(&vm->lock);
	err = can_add(vm, "mmio device");
	if (!err) {
		dev = new_window(vm, size);
		if (!dev) {
			err = lg_err(vm, -ENOSPC, "mmio device: no room for %llu bytes",
				     (unsigned long long)size);
		} else {
			dev->ops = ops;
			dev->opaque = opaque;
			vm->mmio_next += dev->size;
			vm->ndev++;
			*base = dev->base;
			*irq = dev->irq;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int lg_vm_irq(struct lg_vm *vm, unsigned int irq)
{
	struct lguest_irq arg = { .irq = irq };

	if (vm->fd < 0)
		return -EBADF;	/* not running: nobody to interrupt */
	return ioctl(vm->fd, LGUEST_IRQ, &arg) < 0 ? -errno : 0;
}

int lg_vm_get_stats(struct lg_vm *vm, struct lg_stats *stats, size_t size)
{
	struct lguest_stats ks = { .size = sizeof(ks) };
	struct lg_stats s;

	if (!size || size > sizeof(s) || size % sizeof(uint64_t))
		return -EINVAL;
	if (vm->fd < 0)
		return -EBADF;
	if (ioctl(vm->fd, LGUEST_GET_STATS, &ks) < 0)
		return errno == EBADFD ? -EBADF : -errno;
	s.world_switches = ks.world_switches;
	s.hcalls = ks.hcalls;
	s.ring_hcalls = ks.ring_hcalls;
	s.shadow_faults = ks.shadow_faults;
	s.mmio_exits = ks.mmio_exits;
	s.user_exits = ks.user_exits;
	s.host_irqs = ks.host_irqs;
	s.irqs = ks.irqs;
	s.slow_syscalls = ks.slow_syscalls;
	_Static_assert(sizeof(s.hcall) == sizeof(ks.hcall), "hcall counters");
	_Static_assert(sizeof(s.traps) == sizeof(ks.traps), "trap counters");
	memcpy(s.hcall, ks.hcall, sizeof(s.hcall));
	memcpy(s.traps, ks.traps, sizeof(s.traps));
	s.mmio_eventfds = ks.mmio_eventfds;
	memcpy(stats, &s, size);
	return 0;
}

const char *lg_library_version(void)
{
	return LG_VERSION_STRING;
}

unsigned int lg_library_abi_version(void)
{
	return LGUEST_ABI_VERSION;
}
