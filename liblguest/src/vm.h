/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM object itself: shared by vm.c, run.c and log.c only. */
#ifndef LG_VM_H
#define LG_VM_H

#include <stdatomic.h>
#include "internal.h"

#define LG_MAX_DEVICES 32
#define LG_ERR_LEN 256

/* One window in the MMIO area: a virtio device, or a caller's own. */
/* A virtio queue's notifications through an ioeventfd (notify.c). */
struct lg_notify {
	struct lg_vdev *vdev;
	unsigned int q;
	int fd;
};

struct lg_device {
	uint64_t base, size;
	unsigned int irq;
	struct lg_vdev *vdev;
	const struct lg_mmio_ops *ops;
	void *opaque;
	struct lg_notify notify[LG_VDEV_MAX_QUEUES];
	unsigned int nnotify;
	unsigned int nkick;		/* queues whose kick eventfd lg.ko signals */
};

struct lg_vm {
	/* Serializes the API calls; the run loop does not hold it. */
	pthread_mutex_t lock;
	/* Guards err and the log settings, so any thread may log. */
	pthread_mutex_t log_lock;
	char err[LG_ERR_LEN];
	char err_copy[LG_ERR_LEN];
	lg_log_fn log_fn;
	void *log_opaque;
	enum lg_log_level log_level;

	struct lg_mem mem;
	int memfd;
	int fd;				/* /dev/lguest, -1 until lg_vm_open() */
	uint64_t features;		/* LGUEST_FEATURE_* of that lg.ko */
	struct lguest_run *run;		/* mmap()ed from fd */

	bool kernel_loaded;
	struct lg_kernel kernel;
	uint64_t initrd_gpa, initrd_size;
	char *cmdline;

	struct lg_device dev[LG_MAX_DEVICES];
	unsigned int ndev;
	uint64_t mmio_next;		/* where the next window goes */

	struct lg_io io;
	/* Where LHCALL_CONSOLE_WRITE goes: the console's output, or stdout. */
	int early_console_fd;
	bool boot_log_set;		/* lg_vm_set_boot_log(): not the console's */

	/* Running: lg_vm_run() on vcpu, lg_vm_stop() sets stop and signals. */
	_Atomic bool stop;
	bool running, started;
	pthread_t vcpu;			/* the thread in lg_vm_run() */
	pthread_t vcpu_thread;		/* the one lg_vm_start() made */
	pthread_cond_t stopped;		/* signalled when running goes false */
	bool initialized;		/* LGUEST_INIT done */
	int thread_ret;
	struct lg_exit thread_exit;
};

/* vm.c: a virtio device's interrupt through LGUEST_IRQ. */
void lg_vm_raise_vdev(struct lg_vdev *d);

/* notify.c: virtio notifications and interrupts through lg.ko's eventfds. */
void lg_notify_setup(struct lg_vm *vm);
void lg_notify_teardown(struct lg_vm *vm);

/* run.c: the command line the guest will get; the device path to open. */
char *lg_vm_full_cmdline(struct lg_vm *vm);
const char *lg_dev_path(const char *path);

#endif
