// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Running the guest.
 *
 * lg_vm_open() finds the module and agrees on the ABI.  lg_vm_run() then
 * hands it everything at once: RAM and the MMIO windows (LGUEST_INIT), the
 * first registers (LGUEST_SET_REGS), and enters the loop every launcher
 * has: LGUEST_RUN, see why it came back, do what that asks, repeat.  Most
 * returns are MMIO exits, a guest touching a device register; the guest
 * ends with a SHUTDOWN (poweroff, reboot, panic) or the host KILLs it.
 *
 * The guest may sit in LGUEST_RUN for ever, halted.  lg_vm_stop() gets it
 * out with a signal to that thread: the module returns -EINTR when a
 * signal is pending.  liblguest installs an empty handler for that signal
 * (LG_STOP_SIGNAL below) when its disposition is the default.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"
#include "vm.h"

#define LG_STOP_SIGNAL (SIGRTMIN + 4)

const char *lg_dev_path(const char *path)
{
	const char *env = getenv("LGUEST_DEV");

	if (path)
		return path;
	return env && *env ? env : "/dev/lguest";
}

static int open_dev(struct lg_vm *vm, const char *path, int *fdp, struct lguest_version *v)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT || err == -ENXIO || err == -ENODEV)
			return lg_err(vm, err, "%s: %s (hint: is the lguest module loaded?"
				      " try: sudo modprobe lg)", path, strerror(-err));
		if (err == -EACCES || err == -EPERM)
			return lg_err(vm, err, "%s: %s (hint: run as root, or give your user"
				      " access to %s)", path, strerror(-err), path);
		return lg_err(vm, err, "%s: %s", path, strerror(-err));
	}
	err = lg_abi_query(fd, v);
	if (err) {
		close(fd);
		return lg_err(vm, err == -ENOTTY || err == -EINVAL ? -ENODEV : err,
			      "%s: not an lguest device (%s)", path, strerror(-err));
	}
	if (lg_abi_compatible(v)) {
		close(fd);
		return lg_err(vm, -EPROTO, "%s: the module speaks ABI %u, liblguest ABI %u"
			      " (hint: install matching lguest module and tools)",
			      path, v->abi_version, LGUEST_ABI_VERSION);
	}
	*fdp = fd;
	return 0;
}

int lg_module_abi_version(const char *path)
{
	struct lguest_version v;
	int fd = open(lg_dev_path(path), O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = lg_abi_query(fd, &v);
	close(fd);
	return err ? err : (int)v.abi_version;
}

int lg_vm_open(struct lg_vm *vm, const char *path)
{
	struct lguest_version v = { 0 };
	int err = 0;

	pthread_mutex_lock(&vm->lock);
	if (vm->fd >= 0)
		err = lg_err(vm, -EBUSY, "lguest device: already open");
	else
		err = open_dev(vm, lg_dev_path(path), &vm->fd, &v);
	pthread_mutex_unlock(&vm->lock);
	if (!err) {
		vm->features = v.features;
		lg_log(vm, LG_LOG_INFO, "module ABI %u, features %#llx", v.abi_version,
		       (unsigned long long)v.features);
	}
	return err;
}

int lg_drop_privileges(struct lg_vm *vm)
{
	return lg_priv_drop(vm);
}

static void stop_handler(int sig)
{
	(void)sig;	/* only here to make LGUEST_RUN return -EINTR */
}

static void install_stop_handler(void)
{
	struct sigaction sa, old;

	if (sigaction(LG_STOP_SIGNAL, NULL, &old) == 0 && old.sa_handler != SIG_DFL)
		return;		/* the application handles it itself */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_handler;	/* no SA_RESTART: the ioctl must return */
	sigemptyset(&sa.sa_mask);
	sigaction(LG_STOP_SIGNAL, &sa, NULL);
}

/* The user's command line plus one virtio_mmio.device= per virtio device. */
char *lg_vm_full_cmdline(struct lg_vm *vm)
{
	size_t len = (vm->cmdline ? strlen(vm->cmdline) : 0) + (size_t)64 * (vm->ndev + 1);
	char *s = malloc(len);
	size_t n;

	if (!s)
		return NULL;
	n = (size_t)snprintf(s, len, "%s", vm->cmdline ? vm->cmdline : "");
	for (unsigned int i = 0; i < vm->ndev; i++) {
		const struct lg_device *dev = &vm->dev[i];

		if (!dev->vdev)
			continue;
		n += (size_t)snprintf(s + n, len - n, "%svirtio_mmio.device=0x%llx@0x%llx:%u",
				      n ? " " : "", (unsigned long long)dev->size,
				      (unsigned long long)dev->base, dev->irq);
	}
	return s;
}

/* LGUEST_INIT, LGUEST_SET_REGS and the run page: lock held. */
static int prepare(struct lg_vm *vm)
{
	struct lguest_init init;
	struct lguest_regs regs;
	struct lg_boot boot;
	char *cmdline;
	void *run;
	int err;

	if (vm->fd < 0)
		return lg_err(vm, -EBADF, "run: the lguest device is not open");
	if (!vm->mem.base || !vm->kernel_loaded)
		return lg_err(vm, -EINVAL, "run: no %s", vm->mem.base ? "kernel" : "memory");
	if (vm->initialized)
		return lg_err(vm, -EBUSY, "run: a guest runs only once");
	cmdline = lg_vm_full_cmdline(vm);
	if (!cmdline)
		return lg_err(vm, -ENOMEM, "run: out of memory");
	boot.entry = vm->kernel.entry;
	boot.cmdline = cmdline;
	boot.initrd_gpa = vm->initrd_gpa;
	boot.initrd_size = vm->initrd_size;
	err = lg_boot_setup(vm, &vm->mem, &boot, &regs);
	if (!err)
		lg_log(vm, LG_LOG_INFO, "command line: %s", cmdline);
	free(cmdline);
	if (err)
		return err;

	memset(&init, 0, sizeof(init));
	init.mem_uaddr = (uint64_t)(uintptr_t)vm->mem.base;
	init.mem_size = vm->mem.size;
	/* The windows are contiguous: one range covers them all. */
	if (vm->ndev) {
		init.nr_mmio = 1;
		init.mmio[0].base = LG_MMIO_BASE;
		init.mmio[0].size = vm->mmio_next - LG_MMIO_BASE;
	}
	if (ioctl(vm->fd, LGUEST_INIT, &init) < 0)
		return lg_err(vm, -errno, "LGUEST_INIT: %s%s", strerror(errno),
			      errno == ENOTTY ? " (hint: the module cannot run guests yet)" : "");
	vm->initialized = true;
	if (ioctl(vm->fd, LGUEST_SET_REGS, &regs) < 0)
		return lg_err(vm, -errno, "LGUEST_SET_REGS: %s", strerror(errno));
	run = mmap(NULL, sizeof(*vm->run), PROT_READ | PROT_WRITE, MAP_SHARED, vm->fd, 0);
	if (run == MAP_FAILED)
		return lg_err(vm, -errno, "mmap of the run page: %s", strerror(errno));
	vm->run = run;
	lg_notify_setup(vm);
	return 0;
}

static void mmio_exit(struct lg_vm *vm)
{
	struct lguest_run *run = vm->run;
	uint64_t addr = run->mmio.addr;
	unsigned int size = run->mmio.size;

	for (unsigned int i = 0; i < vm->ndev; i++) {
		struct lg_device *dev = &vm->dev[i];

		if (addr < dev->base || addr - dev->base >= dev->size ||
		    size > dev->size - (addr - dev->base))
			continue;
		if (dev->vdev) {
			uint64_t val = run->mmio.data;

			lg_vdev_mmio(dev->vdev, addr - dev->base, size, run->mmio.is_write, &val);
			run->mmio.data = val;
		} else if (run->mmio.is_write) {
			dev->ops->write(dev->opaque, addr - dev->base, size, run->mmio.data);
		} else {
			run->mmio.data = dev->ops->read(dev->opaque, addr - dev->base, size);
		}
		return;
	}
	/* Nothing there: reads float high, writes vanish, like a real bus. */
	lg_log(vm, LG_LOG_DEBUG, "mmio: %s of %u bytes at unclaimed %#llx",
	       run->mmio.is_write ? "write" : "read", size, (unsigned long long)addr);
	if (!run->mmio.is_write)
		run->mmio.data = ~0ULL;
}

/*
 * LHCALL_CONSOLE_WRITE(gpa, len): the guest's early console, before it
 * has a virtio console.  The bytes go where the console device's go.
 */
static void early_console_write(struct lg_vm *vm)
{
	struct lguest_run *run = vm->run;
	uint64_t gpa = run->hcall.args[0], len = run->hcall.args[1];
	const uint8_t *p = len <= 4096 ? lg_mem_range(&vm->mem, gpa, len) : NULL;

	if (!p) {
		run->hcall.ret = (uint64_t)-EINVAL;
		return;
	}
	while (len && vm->early_console_fd >= 0) {
		ssize_t n = write(vm->early_console_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= (uint64_t)n;
	}
	run->hcall.ret = 0;
}

/* Returns 1 when the guest is finished (and @ex says how), 0 to go on. */
static int handle_exit(struct lg_vm *vm, struct lg_exit *ex)
{
	struct lguest_run *run = vm->run;

	switch (run->exit_reason) {
	case LGUEST_EXIT_MMIO:
		mmio_exit(vm);
		return 0;
	case LGUEST_EXIT_HCALL:
		if (run->hcall.nr == LHCALL_CONSOLE_WRITE) {
			early_console_write(vm);
			return 0;
		}
		/* No other hypercalls are the launcher's business yet. */
		lg_log(vm, LG_LOG_DEBUG, "hypercall %llu to the launcher: ENOSYS",
		       (unsigned long long)run->hcall.nr);
		run->hcall.ret = (uint64_t)-ENOSYS;
		return 0;
	case LGUEST_EXIT_SHUTDOWN:
		ex->reason = run->shutdown.kind == LGUEST_SHUTDOWN_REBOOT ? LG_EXIT_REBOOT :
			     run->shutdown.kind == LGUEST_SHUTDOWN_PANIC ? LG_EXIT_PANIC :
			     LG_EXIT_POWEROFF;
		snprintf(ex->msg, sizeof(ex->msg), "%.*s", (int)sizeof(run->shutdown.msg),
			 run->shutdown.msg);
		return 1;
	case LGUEST_EXIT_KILLED:
		ex->reason = LG_EXIT_KILLED;
		snprintf(ex->msg, sizeof(ex->msg), "%.*s", (int)sizeof(run->killed.reason),
			 run->killed.reason);
		return 1;
	default:
		return 0;	/* NONE, or a reason newer than us: just run again */
	}
}

static void devices_start(struct lg_vm *vm, bool start)
{
	for (unsigned int i = 0; i < vm->ndev; i++) {
		struct lg_vdev *d = vm->dev[i].vdev;

		if (d && start && d->ops->start)
			d->ops->start(d);
		else if (d && !start && d->ops->stop)
			d->ops->stop(d);
	}
}

int lg_vm_run(struct lg_vm *vm, struct lg_exit *ex)
{
	int err;

	memset(ex, 0, sizeof(*ex));
	pthread_mutex_lock(&vm->lock);
	if (vm->running) {
		pthread_mutex_unlock(&vm->lock);
		return lg_err(vm, -EBUSY, "run: already running");
	}
	err = prepare(vm);
	if (!err) {
		err = lg_io_start(&vm->io);
		if (err)
			err = lg_err(vm, err, "run: cannot start the I/O thread: %s", strerror(-err));
	}
	if (err) {
		pthread_mutex_unlock(&vm->lock);
		return err;
	}
	install_stop_handler();
	vm->vcpu = pthread_self();
	vm->running = true;
	pthread_mutex_unlock(&vm->lock);
	devices_start(vm, true);

	for (;;) {
		if (vm->stop) {
			ex->reason = LG_EXIT_STOPPED;
			break;
		}
		if (ioctl(vm->fd, LGUEST_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			err = lg_err(vm, -errno, "LGUEST_RUN: %s", strerror(errno));
			break;
		}
		if (handle_exit(vm, ex))
			break;
	}

	devices_start(vm, false);
	lg_io_stop(&vm->io);
	pthread_mutex_lock(&vm->lock);
	vm->running = false;
	pthread_cond_broadcast(&vm->stopped);
	pthread_mutex_unlock(&vm->lock);
	if (!err)
		lg_log(vm, LG_LOG_INFO, "guest stopped: reason %d%s%s", ex->reason,
		       ex->msg[0] ? ": " : "", ex->msg);
	return err;
}

static void *vcpu_thread(void *arg)
{
	struct lg_vm *vm = arg;

	vm->thread_ret = lg_vm_run(vm, &vm->thread_exit);
	return NULL;
}

int lg_vm_start(struct lg_vm *vm)
{
	int err;

	pthread_mutex_lock(&vm->lock);
	if (vm->started) {
		pthread_mutex_unlock(&vm->lock);
		return lg_err(vm, -EBUSY, "start: already started");
	}
	err = pthread_create(&vm->vcpu_thread, NULL, vcpu_thread, vm);
	if (!err)
		vm->started = true;
	pthread_mutex_unlock(&vm->lock);
	return err ? lg_err(vm, -err, "start: %s", strerror(err)) : 0;
}

int lg_vm_wait(struct lg_vm *vm, struct lg_exit *ex)
{
	if (!vm->started)
		return lg_err(vm, -EINVAL, "wait: not started");
	pthread_join(vm->vcpu_thread, NULL);
	vm->started = false;
	if (ex)
		*ex = vm->thread_exit;
	return vm->thread_ret;
}

int lg_vm_stop(struct lg_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->stop = true;
	if (vm->running && !pthread_equal(vm->vcpu, pthread_self())) {
		/*
		 * The signal may land just before the thread enters
		 * LGUEST_RUN, and be lost; so repeat it until the loop ends.
		 */
		while (vm->running) {
			struct timespec ts;

			pthread_kill(vm->vcpu, LG_STOP_SIGNAL);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20000000L;	/* 20 ms */
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&vm->stopped, &vm->lock, &ts);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return 0;
}
