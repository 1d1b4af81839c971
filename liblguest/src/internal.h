/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What liblguest's files share and the outside world does not see: guest
 * memory, errors and logging, the I/O thread, virtqueues, the virtio-mmio
 * transport, the device models, the boot layout and the ELF loader.
 */
#ifndef LG_INTERNAL_H
#define LG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/lguest.h>
#include "liblguest.h"

#define LG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- guest memory ---------------------------------------------------- */

/* Guest-physical 0..size is base[0..size) in this process. */
struct lg_mem {
	uint8_t *base;
	uint64_t size;
};

/*
 * The host address of guest-physical [gpa, gpa+len), or NULL when any
 * byte of it is outside guest RAM.  Every guest-supplied address goes
 * through here (or lg_vq's checks, which use it) before it is touched.
 */
static inline void *lg_mem_range(const struct lg_mem *m, uint64_t gpa, uint64_t len)
{
	if (!m->base || gpa > m->size || len > m->size - gpa)
		return NULL;
	return m->base + gpa;
}

/* ---- errors and logging (log.c) ---------------------------------------- */

/*
 * Both take @vm NULL (unit tests, or before a VM exists).  lg_err()
 * records the message as the VM's last error, logs it at debug level and
 * returns @err (a negative errno) so callers can "return lg_err(...)".
 */
int lg_err(struct lg_vm *vm, int err, const char *fmt, ...) LG_PRINTF(3, 4);
void lg_log(struct lg_vm *vm, enum lg_log_level level, const char *fmt, ...) LG_PRINTF(3, 4);

/* ---- the I/O thread (io.c) ------------------------------------------- */

typedef void (*lg_io_fn)(void *opaque, uint32_t events);

#define LG_IO_MAX_WATCH 64

struct lg_io_watch {
	int fd;
	lg_io_fn fn;
	void *opaque;
};

struct lg_io {
	int epfd;
	int stopfd;		/* eventfd: wakes the thread to stop */
	pthread_t thread;
	bool running;
	struct lg_io_watch watch[LG_IO_MAX_WATCH];
	unsigned int nwatch;
};

int lg_io_init(struct lg_io *io);
void lg_io_fini(struct lg_io *io);
/* @events: EPOLLIN/EPOLLOUT; 0 keeps the fd registered but quiet. */
int lg_io_watch(struct lg_io *io, int fd, uint32_t events, lg_io_fn fn, void *opaque);
int lg_io_modify(struct lg_io *io, int fd, uint32_t events);
void lg_io_unwatch(struct lg_io *io, int fd);
int lg_io_start(struct lg_io *io);
void lg_io_stop(struct lg_io *io);

/* ---- split virtqueues (virtqueue.c) ------------------------------------ */

/* The largest queue we offer: one chain never has more descriptors. */
#define LG_VQ_MAX_SIZE 256

struct lg_vq {
	const struct lg_mem *mem;
	uint16_t size;		/* QueueNum, a power of two <= LG_VQ_MAX_SIZE */
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host views of the three rings, set by lg_vq_enable(). */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;	/* next avail ring entry we will consume */
	uint16_t used_idx;	/* our copy of used->idx */
	/* VIRTIO_RING_F_EVENT_IDX: the driver says when to interrupt it. */
	bool event_idx;
	bool signalled_valid;	/* signalled_used holds something yet */
	uint16_t signalled_used;	/* used_idx when we last decided */
};

/*
 * One descriptor chain, flattened: iov[0..nout) are the buffers the
 * device reads, iov[nout..nout+nin) the ones it writes.  One spare entry
 * after them is the device's own (virtio-net's overflow byte).
 */
struct lg_chain {
	uint16_t head;
	unsigned int nout, nin;
	uint64_t out_len, in_len;
	struct iovec iov[LG_VQ_MAX_SIZE + 1];
};

void lg_vq_reset(struct lg_vq *vq, const struct lg_mem *mem);
int lg_vq_enable(struct lg_vq *vq);
int lg_vq_pop(struct lg_vq *vq, struct lg_chain *c);
int lg_vq_push(struct lg_vq *vq, uint16_t head, uint32_t len);
/* Gives back the chain just popped, untouched (nothing to put in it yet). */
void lg_vq_unpop(struct lg_vq *vq);
bool lg_vq_wants_interrupt(struct lg_vq *vq);
bool lg_vq_has_avail(struct lg_vq *vq);

/* Copies between chains and flat buffers; they return bytes copied. */
size_t lg_iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip, void *buf, size_t len);
size_t lg_buf_to_iov(const struct iovec *iov, unsigned int n, size_t skip, const void *buf, size_t len);

/* ---- the virtio-mmio transport (virtio_mmio.c) -------------------------- */

#define LG_VDEV_MAX_QUEUES 4
#define LG_VDEV_CONFIG_MAX 256
#define LG_MMIO_DEV_SIZE 0x1000

struct lg_vdev;

struct lg_vdev_ops {
	const char *name;
	uint32_t device_id;
	unsigned int nqueues;
	/*
	 * Notifications may arrive on the I/O thread, through an ioeventfd,
	 * while the guest runs on (notify.c).  Only where that pays: not for
	 * a driver that spins until its buffer is used (virtio-console's
	 * output), nor for a disk, whose synchronous requests then wait for
	 * a second thread to be scheduled (docs/design.md).
	 */
	bool eventfd_notify;
	/*
	 * A device whose queues someone else serves (vhost-user) gives the
	 * eventfd that someone reads: lg.ko signals it for us (notify.c).
	 */
	int (*kick_fd)(struct lg_vdev *d, unsigned int q);
	/* The driver set DRIVER_OK (lock held); optional. */
	void (*driver_ok)(struct lg_vdev *d);
	/* The driver notified queue @q (device lock held, device live). */
	void (*notify)(struct lg_vdev *d, unsigned int q);
	/* The driver reset the device, or it failed (lock held). */
	void (*reset)(struct lg_vdev *d);
	/* The driver wrote its config space (lock held); optional. */
	void (*config_write)(struct lg_vdev *d, uint32_t off, uint32_t len);
	/* The VM starts and stops running (no lock); optional. */
	void (*start)(struct lg_vdev *d);
	void (*stop)(struct lg_vdev *d);
	void (*destroy)(struct lg_vdev *d);
};

struct lg_vdev {
	const struct lg_vdev_ops *ops;
	void *priv;
	struct lg_vm *vm;
	const struct lg_mem *mem;
	unsigned int irq;
	/* How interrupts reach the guest: lg_vm_irq(), or a unit test's fake. */
	void (*raise)(struct lg_vdev *d);
	unsigned int raised;	/* how many times raise() was called */
	int irq_fd;		/* its irqfd (notify.c), or -1 */

	pthread_mutex_t lock;
	uint64_t host_features, guest_features;
	uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel;
	uint32_t isr, generation;
	bool failed;
	uint8_t config[LG_VDEV_CONFIG_MAX];
	uint32_t config_len;
	struct lg_vq vq[LG_VDEV_MAX_QUEUES];
	uint16_t queue_max;
};

void lg_vdev_init(struct lg_vdev *d, const struct lg_vdev_ops *ops, void *priv,
		  struct lg_vm *vm, const struct lg_mem *mem, uint64_t features,
		  uint32_t config_len);
void lg_vdev_fini(struct lg_vdev *d);
/* A guest access at @off in the device's window; takes the lock. */
/* The driver notified queue @q through an ioeventfd (notify.c). */
void lg_vdev_notify(struct lg_vdev *d, unsigned int q);
void lg_vdev_mmio(struct lg_vdev *d, uint64_t off, unsigned int size, bool is_write,
		  uint64_t *val);
/* The driver broke the rules: DEVICE_NEEDS_RESET until it resets (lock held). */
void lg_vdev_fail(struct lg_vdev *d, const char *fmt, ...) LG_PRINTF(2, 3);
/* The device used buffers of a queue it does not see itself (lock held). */
void lg_vdev_interrupt(struct lg_vdev *d);
/* Used buffers were added to @vq: interrupt unless suppressed (lock held). */
void lg_vdev_used(struct lg_vdev *d, struct lg_vq *vq);
/* DRIVER_OK, and not failed: the queues may be processed. */
bool lg_vdev_live(const struct lg_vdev *d);
bool lg_vdev_has_feature(const struct lg_vdev *d, unsigned int bit);

/* ---- device models ------------------------------------------------------ */

int lg_console_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_io *io,
		   int in_fd, int out_fd, struct lg_vdev **out);
int lg_blk_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_io *io,
	       const struct lg_disk_config *cfg, struct lg_vdev **out);
/* Completions of @d's backend: what the I/O thread runs on its eventfd. */
int lg_blk_event_fd(struct lg_vdev *d);
void lg_blk_complete(struct lg_vdev *d);
/* Which backend a disk ended up with: LG_BLK_IO_URING or LG_BLK_THREAD. */
int lg_blk_backend(struct lg_vdev *d);
/* @check_tap false: accept any fd that keeps packet boundaries (tests). */
int lg_net_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_io *io,
	       const struct lg_net_config *cfg, bool check_tap, struct lg_vdev **out);
int lg_rng_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_vdev **out);

/* ---- vhost-user, the front end (vhost_user.c) ----------------------------- */

struct lg_vhost {
	int fd;			/* connected to the daemon */
	uint64_t features;	/* what it offers */
	bool protocol;		/* VHOST_USER_F_PROTOCOL_FEATURES */
	uint32_t started;	/* the queues it serves (bit n: queue n) */
};

/* Over a connected socket, or to a listening one at @path. */
int lg_vhost_open(struct lg_vhost *v, int fd);
int lg_vhost_connect(struct lg_vhost *v, const char *path);
void lg_vhost_close(struct lg_vhost *v);
int lg_vhost_start(struct lg_vhost *v, uint64_t features, const struct lg_mem *mem, int memfd,
		   const struct lg_vq *vq, unsigned int nq, const int *kick, const int *call);
int lg_vhost_stop(struct lg_vhost *v);

int lg_fs_new(struct lg_vm *vm, const struct lg_mem *mem, int memfd, struct lg_io *io,
	      const struct lg_fs_config *cfg, struct lg_vdev **out);
/* Calls from the daemon, or its going away: what the I/O thread runs. */
void lg_fs_service(struct lg_vdev *d);

#define LG_VSOCK_MAX_CONNS 128

int lg_vsock_new(struct lg_vm *vm, const struct lg_mem *mem, struct lg_io *io,
		 const struct lg_vsock_config *cfg, struct lg_vdev **out);
/* Its sockets' epoll set, and what the I/O thread runs when it is ready. */
int lg_vsock_event_fd(struct lg_vdev *d);
void lg_vsock_service(struct lg_vdev *d);

/* ---- the guest-physical layout and boot (boot.c), docs/abi.md ------------- */

#define LG_BOOT_PARAMS_GPA	0x1000ULL	/* struct boot_params, the zero page */
#define LG_CMDLINE_GPA		0x2000ULL	/* NUL-terminated command line */
#define LG_CMDLINE_MAX		2048U		/* x86's COMMAND_LINE_SIZE */
#define LG_STACK_TOP_GPA	0x8000ULL	/* a 16 KiB scratch stack below */
#define LG_PGTABLE_GPA		0x10000ULL	/* PML4, two PDPTs, the PDs */
#define LG_BOOT_END		0x100000ULL	/* the kernel loads at or above */
#define LG_MMIO_BASE		0x1000000000ULL	/* 64 GiB: above any guest RAM */
#define LG_MMIO_MAX_SIZE	0x10000000ULL	/* 256 MiB of MMIO windows */
#define LG_DIRECT_MAP		0xffff888000000000ULL
#define LG_KERNEL_MAP		0xffffffff80000000ULL
#define LG_KERNEL_MAP_SIZE	0x40000000ULL	/* the first GiB */

struct lg_boot {
	uint64_t entry;		/* guest-virtual, from the ELF note */
	const char *cmdline;	/* complete, devices included */
	uint64_t initrd_gpa, initrd_size;
};

/* The host-visible translation of our initial page tables; ~0 if unmapped. */
uint64_t lg_boot_virt_to_phys(uint64_t mem_size, uint64_t va);
/* Writes the zero page, command line and page tables; fills @regs. */
int lg_boot_setup(struct lg_vm *vm, const struct lg_mem *mem, const struct lg_boot *b,
		  struct lguest_regs *regs);

/* ---- the kernel loader (elf.c), docs/abi.md ---------------------------- */

#define LG_NOTE_NAME		"Lguest"
#define LG_NOTE_ENTRY		1	/* desc: __u64 guest-virtual entry point */
#define LG_NOTE_ABI		2	/* desc: __u32 LGUEST_ABI_VERSION */
#define LG_ELF_MAX_PHDRS	64

struct lg_kernel {
	uint64_t entry;
	uint64_t lo, hi;	/* guest-physical span of the PT_LOAD segments */
};

/*
 * Checks everything about @elf first, then copies its segments into
 * @mem.  Memory in [avoid_lo, avoid_hi) (an initrd) may not be touched.
 */
int lg_elf_load(struct lg_vm *vm, const struct lg_mem *mem, const void *elf, size_t len,
		uint64_t avoid_lo, uint64_t avoid_hi, struct lg_kernel *k);

/* ---- privileges (priv.c) ---------------------------------------------- */

int lg_priv_drop(struct lg_vm *vm);

#endif /* LG_INTERNAL_H */
