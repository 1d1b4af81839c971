/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liblguest: run a paravirtualized Linux guest through /dev/lguest.
 *
 * A launcher's life with a VM, in order:
 *
 *	struct lg_vm *vm = lg_vm_new();
 *	lg_vm_set_memory(vm, 128 << 20);		 guest RAM (a memfd)
 *	lg_vm_load_kernel(vm, "vmlinux");		 ELF with the lguest note
 *	lg_vm_set_cmdline(vm, "console=hvc0");
 *	lg_vm_add_disk(vm, &(struct lg_disk_config){ .path = "root.img" });
 *	lg_vm_open(vm, NULL);				 /dev/lguest
 *	lg_drop_privileges(vm);				 no capabilities from here
 *	lg_vm_run(vm, &exit);				 until the guest stops
 *	lg_vm_destroy(vm);
 *
 * Every call that can fail returns 0 or a negative errno, and leaves a
 * one-line message, retrievable with lg_vm_get_error().  The library
 * never prints: messages go to the log callback, if one is set.
 *
 * Thread safety: calls on one VM are serialized by a lock inside the VM,
 * so any thread may make them; lg_vm_stop() may be called from any thread
 * (not from a signal handler) while lg_vm_run() blocks in another.  Distinct
 * VMs share nothing.
 */
#ifndef LIBLGUEST_H
#define LIBLGUEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LG_VERSION_STRING "0.1.0"

struct lg_vm;

/* ---- creation, errors and logging ------------------------------------ */

/* A new, empty VM; NULL only when out of memory. */
struct lg_vm *lg_vm_new(void);

/* Stops the VM if it runs, joins its threads, closes and frees everything. */
void lg_vm_destroy(struct lg_vm *vm);

/* Copies the message of the last failed call on @vm into @buf. */
void lg_vm_get_error(struct lg_vm *vm, char *buf, size_t len);

/*
 * The message of the last failed call on @vm.  The pointer stays valid
 * until the next call on @vm; with several threads use lg_vm_get_error().
 */
const char *lg_vm_last_error(struct lg_vm *vm);

enum lg_log_level {
	LG_LOG_ERROR = 0,
	LG_LOG_WARN = 1,
	LG_LOG_INFO = 2,
	LG_LOG_DEBUG = 3,
};

typedef void (*lg_log_fn)(void *opaque, enum lg_log_level level, const char *msg);

/* Messages at @max_level or more important go to @fn (NULL: none). */
void lg_vm_set_log(struct lg_vm *vm, lg_log_fn fn, void *opaque,
		   enum lg_log_level max_level);

/* ---- what the guest is made of --------------------------------------- */

/*
 * Guest RAM in bytes: a multiple of 2 MiB from 2 MiB to 64 GiB (the
 * module's LGUEST_MIN_MEM..LGUEST_MAX_MEM).  Backed by a memfd, mapped
 * shared in this process.  Once only, before loading anything.
 */
int lg_vm_set_memory(struct lg_vm *vm, uint64_t bytes);

/*
 * The guest kernel: an ELF64 x86-64 file whose PT_LOAD segments are
 * copied to their physical addresses and whose entry point comes from the
 * lguest ELF note (docs/abi.md).  Fails with -ENOEXEC for a file that is
 * not such a kernel, -E2BIG when it does not fit in guest RAM.
 */
int lg_vm_load_kernel(struct lg_vm *vm, const char *path);
/* The same from a buffer (the caller keeps it). */
int lg_vm_load_kernel_mem(struct lg_vm *vm, const void *elf, size_t len);

/* An initial RAM disk, placed at the top of guest RAM. */
int lg_vm_load_initrd(struct lg_vm *vm, const char *path);

/*
 * The kernel command line.  liblguest appends one
 * virtio_mmio.device=<size>@<base>:<irq> per device when the VM starts.
 */
int lg_vm_set_cmdline(struct lg_vm *vm, const char *cmdline);

/*
 * Where the guest kernel's boot console goes (what it prints before its
 * virtio console is up): @fd, or nowhere with -1.  By default stdout,
 * or the console's @out_fd once lg_vm_add_console() has one.
 */
int lg_vm_set_boot_log(struct lg_vm *vm, int fd);

/* ---- devices ---------------------------------------------------------- */

/*
 * virtio-console on @in_fd / @out_fd (-1, -1: stdin and stdout).  When
 * @in_fd is a terminal it is put in raw mode while the VM runs and
 * restored when it stops (and by lg_vm_destroy()).
 */
int lg_vm_add_console(struct lg_vm *vm, int in_fd, int out_fd);

struct lg_disk_config {
	const char *path;	/* opened by liblguest, or */
	int fd;			/* an open file when path is NULL */
	int readonly;		/* nonzero: VIRTIO_BLK_F_RO, opened O_RDONLY */
	const char *serial;	/* VIRTIO_BLK_T_GET_ID; NULL: from the path */
	int backend;		/* LG_BLK_AUTO, LG_BLK_IO_URING, LG_BLK_THREAD */
};

enum { LG_BLK_AUTO = 0, LG_BLK_IO_URING = 1, LG_BLK_THREAD = 2 };

/* virtio-blk; the file is opened now. */
int lg_vm_add_disk(struct lg_vm *vm, const struct lg_disk_config *cfg);

struct lg_net_config {
	const char *tap;	/* an existing tap device by name, or */
	int fd;			/* an inherited tap fd (IFF_VNET_HDR) when tap is NULL */
	int has_mac;		/* nonzero: use @mac, else a random local MAC */
	uint8_t mac[6];
};

/* virtio-net over a tap device, with the virtio-net header and offloads. */
int lg_vm_add_net(struct lg_vm *vm, const struct lg_net_config *cfg);

/* virtio-rng, fed by getrandom(). */
int lg_vm_add_rng(struct lg_vm *vm);

struct lg_fs_config {
	const char *tag;	/* what the guest mounts: mount -t virtiofs TAG DIR */
	const char *socket;	/* a vhost-user daemon (virtiofsd) listening here, or */
	int fd;			/* a socket connected to one, when socket is NULL (still yours) */
};

/*
 * virtio-fs, its file system served by a vhost-user daemon such as
 * virtiofsd (docs/liblguest.md); the daemon is asked for its features
 * now, so it must be listening.  Needs the memory set first: the daemon
 * maps it.
 */
int lg_vm_add_fs(struct lg_vm *vm, const struct lg_fs_config *cfg);

struct lg_vsock_config {
	uint64_t guest_cid;	/* the guest's address: 3 or more */
	const char *socket;	/* the host's end, a Unix socket path */
};

/*
 * virtio-vsock, the host's end on Unix sockets (docs/devices.md): a host
 * program connects to @socket and writes "CONNECT <port>\n" to reach the
 * guest's port; the guest's connections to host port P reach a program
 * listening on "<socket>_P".  @socket is created now (a stale socket file
 * there is replaced) and removed by lg_vm_destroy().
 */
int lg_vm_add_vsock(struct lg_vm *vm, const struct lg_vsock_config *cfg);

/*
 * A device of your own: guest accesses to its MMIO window call @read or
 * @write on the thread running the guest.  @offset is from the window's
 * base, @size is 1, 2, 4 or 8; values are little-endian.
 */
struct lg_mmio_ops {
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	void (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
};

/*
 * Adds a window of @size bytes (rounded up to pages).  The window's
 * guest-physical base and its interrupt line are stored in @base and @irq.
 * The device is not added to the command line: describe it to the guest
 * yourself.
 */
int lg_vm_add_mmio(struct lg_vm *vm, uint64_t size, const struct lg_mmio_ops *ops,
		   void *opaque, uint64_t *base, unsigned int *irq);

/* Raises an interrupt line of a running guest (for custom devices). */
int lg_vm_irq(struct lg_vm *vm, unsigned int irq);

/* ---- running ----------------------------------------------------------- */

/*
 * Opens the lguest device (@path NULL: $LGUEST_DEV, else /dev/lguest) and
 * checks that the module speaks this library's ABI.
 */
int lg_vm_open(struct lg_vm *vm, const char *path);

/*
 * Drops every capability (effective, permitted, inheritable, and the
 * bounding set when allowed) with libcap-ng and sets PR_SET_NO_NEW_PRIVS.
 * Call it after lg_vm_open() and after adding devices: from here on this
 * process can open nothing privileged.  Affects the whole process.
 */
int lg_drop_privileges(struct lg_vm *vm);

enum lg_exit_reason {
	LG_EXIT_POWEROFF = 0,	/* the guest powered off */
	LG_EXIT_REBOOT = 1,	/* the guest asked to reboot */
	LG_EXIT_PANIC = 2,	/* the guest panicked */
	LG_EXIT_KILLED = 3,	/* the host killed a misbehaving guest */
	LG_EXIT_STOPPED = 4,	/* lg_vm_stop() */
};

struct lg_exit {
	enum lg_exit_reason reason;
	char msg[256];		/* the guest's or the module's words, if any */
};

/*
 * Runs the guest on this thread until it stops.  Returns 0 and fills
 * @exit when the guest stopped, a negative errno on a host error.
 */
int lg_vm_run(struct lg_vm *vm, struct lg_exit *exit);

/* The same on a new thread; lg_vm_wait() collects the result. */
int lg_vm_start(struct lg_vm *vm);
int lg_vm_wait(struct lg_vm *vm, struct lg_exit *exit);

/* Asks a running guest to stop: lg_vm_run() returns LG_EXIT_STOPPED. */
int lg_vm_stop(struct lg_vm *vm);

/* ---- where the time goes ------------------------------------------------ */

/*
 * Counters lg.ko keeps for a VM from its first run: how often the CPU went
 * into the guest, and why it came back (docs/liblguest.md).  A later
 * library may add fields at the end, never change these.
 */
struct lg_stats {
	uint64_t world_switches;	/* entries into the guest */
	uint64_t hcalls;		/* hypercalls the guest made */
	uint64_t ring_hcalls;		/* hypercalls it queued in the shared ring */
	uint64_t shadow_faults;		/* page faults fixed in the shadow page tables */
	uint64_t mmio_exits;		/* device accesses handed to the launcher */
	uint64_t user_exits;		/* returns from the module to the launcher */
	uint64_t host_irqs;		/* host interrupts that took the CPU back */
	uint64_t irqs;			/* virtual interrupts delivered */
	uint64_t slow_syscalls;		/* guest system calls through the host */
	uint64_t hcall[32];		/* hypercalls (both kinds) by number */
	uint64_t traps[32];		/* exceptions handed to the guest, by vector */
	uint64_t mmio_eventfds;		/* device writes that signalled an eventfd in
					 * the module, not handed to the launcher */
};

/*
 * Fills the first @size bytes of @stats (sizeof(*stats): callers built
 * against an older struct lg_stats get what they know).  Any thread may
 * call it, also while the guest runs; -EBADF before the guest's first run.
 */
int lg_vm_get_stats(struct lg_vm *vm, struct lg_stats *stats, size_t size);

/* ---- odds and ends ------------------------------------------------------ */

/* The module's ABI version behind @path (NULL: as lg_vm_open()), or -errno. */
int lg_module_abi_version(const char *path);

/* This library's version and the /dev/lguest ABI version it speaks. */
const char *lg_library_version(void);
unsigned int lg_library_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBLGUEST_H */
