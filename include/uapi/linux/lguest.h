/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The /dev/lguest ABI: the one contract between lg.ko and the programs
 * that launch guests (liblguest, lguestctl).  This file is the single
 * source for both sides; nothing else may restate these numbers.
 *
 * Rules every call follows:
 *  - every reserved field and flag must be zero, or the call fails with
 *    EINVAL and changes nothing;
 *  - a structure grows only by adding fields in place of reserved ones,
 *    and LGUEST_ABI_VERSION changes only when an old binary would break.
 */
#ifndef _UAPI_LINUX_LGUEST_H
#define _UAPI_LINUX_LGUEST_H

#include <linux/const.h>
#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Assembly (guest entry code, test guests) may include this header for
 * its numbers; the structures are C only.
 */

#define LGUEST_ABI_VERSION	1

/* 0xA6 is unclaimed in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define LGUEST_IOC_MAGIC	0xA6

/*
 * Feature bits reported by LGUEST_VERSION.  A launcher uses what a bit
 * names only where the running module reports it (an older lg.ko answers
 * the ioctls with ENOTTY).
 *
 * LGUEST_FEATURE_EVENTFD: LGUEST_IOEVENTFD and LGUEST_IRQFD.
 */
#define LGUEST_FEATURE_EVENTFD	_AC(1, ULL)
#define LGUEST_FEATURES_ALL	LGUEST_FEATURE_EVENTFD

/**
 * struct lguest_version - what LGUEST_VERSION returns
 * @abi_version: out: LGUEST_ABI_VERSION of the running module
 * @flags: in: must be zero
 * @features: out: LGUEST_FEATURE_* bits the module supports
 * @reserved: in: must be zero
 */
#ifndef __ASSEMBLY__
struct lguest_version {
	__u32 abi_version;
	__u32 flags;
	__u64 features;
	__u64 reserved[2];
};
#endif

/* Limits a launcher can rely on. */
#define LGUEST_MIN_MEM		(_AC(2, ULL) << 20)	/* 2 MiB */
#define LGUEST_MAX_MEM		(_AC(64, ULL) << 30)	/* 64 GiB */
#define LGUEST_MAX_MMIO		16

/**
 * struct lguest_mmio_range - guest-physical range whose accesses exit
 * @base: page-aligned guest-physical address, at or above the RAM's end
 * @size: page-aligned length, nonzero; ranges may not overlap
 */
#ifndef __ASSEMBLY__
struct lguest_mmio_range {
	__u64 base;
	__u64 size;
};
#endif

/**
 * struct lguest_init - make this file a guest (once per file)
 * @mem_uaddr: page-aligned address in the caller of the guest's RAM,
 *	which becomes guest-physical 0..@mem_size (the caller keeps it mapped;
 *	a memfd mapping lets other threads and processes share it)
 * @mem_size: bytes of RAM, a multiple of 2 MiB, LGUEST_MIN_MEM..LGUEST_MAX_MEM
 * @flags: must be zero
 * @nr_mmio: how many entries of @mmio are used
 * @reserved0: must be zero
 * @mmio: ranges whose accesses become LGUEST_EXIT_MMIO
 * @reserved: must be zero
 *
 * The first vCPU starts with the registers set by LGUEST_SET_REGS.
 */
#ifndef __ASSEMBLY__
struct lguest_init {
	__u64 mem_uaddr;
	__u64 mem_size;
	__u64 flags;
	__u32 nr_mmio;
	__u32 reserved0;
	struct lguest_mmio_range mmio[LGUEST_MAX_MMIO];
	__u64 reserved[8];
};
#endif

/**
 * struct lguest_regs - a vCPU's registers, as LGUEST_GET/SET_REGS see them
 *
 * @rip and @rsp are guest-virtual; @cr3 is the guest-physical address of
 * the guest's PML4 (4-level paging, always).  Before the guest's first
 * run the launcher sets at least @rip, @cr3 and @rsi (the guest-physical
 * address of the boot parameters).  @rflags: only the arithmetic flags,
 * DF and AC are the guest's, but ring 1 is always entered with AC set
 * (SMAP stays on; AC opens user memory as stac would); IF is virtual
 * (lguest_data.irq_enabled).
 */
#ifndef __ASSEMBLY__
struct lguest_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
	__u64 cr2, cr3;
	__u64 fs_base, gs_base, kernel_gs_base;
	__u64 reserved[5];
};
#endif

/* Why LGUEST_RUN returned (struct lguest_run.exit_reason). */
#define LGUEST_EXIT_NONE	0
#define LGUEST_EXIT_HCALL	1	/* a hypercall for the launcher */
#define LGUEST_EXIT_MMIO	2	/* an access to an MMIO range */
#define LGUEST_EXIT_SHUTDOWN	3	/* the guest powered off, rebooted or panicked */
#define LGUEST_EXIT_KILLED	4	/* the host stopped a misbehaving guest */

#define LGUEST_SHUTDOWN_POWEROFF	0
#define LGUEST_SHUTDOWN_REBOOT	1
#define LGUEST_SHUTDOWN_PANIC	2

#define LGUEST_MSG_LEN		256

/**
 * struct lguest_run - shared with the launcher by mmap() of the fd at offset 0
 *
 * LGUEST_RUN fills it before returning 0.  For LGUEST_EXIT_MMIO reads the
 * launcher stores the value in @mmio.data before the next LGUEST_RUN; for
 * LGUEST_EXIT_HCALL it stores the result in @hcall.ret.  The guest is not
 * resumed past a KILLED or SHUTDOWN exit: further LGUEST_RUN calls fail
 * with ESHUTDOWN.
 */
#ifndef __ASSEMBLY__
struct lguest_run {
	__u32 exit_reason;
	__u32 reserved0;
	union {
		struct {
			__u64 nr;
			__u64 args[5];
			__u64 ret;
		} hcall;
		struct {
			__u64 addr;	/* guest-physical */
			__u64 data;	/* little-endian, low @size bytes */
			__u32 size;	/* 1, 2, 4 or 8 */
			__u32 is_write;
		} mmio;
		struct {
			__u32 kind;	/* enum lguest_shutdown_kind */
			__u32 reserved;
			char msg[LGUEST_MSG_LEN];
		} shutdown;
		struct {
			char reason[LGUEST_MSG_LEN];
		} killed;
		__u8 pad[512];
	};
};
#endif

/**
 * struct lguest_irq - raise a virtual interrupt line of the guest
 * @irq: 0..LGUEST_NR_IRQS-1 (line 0 is the guest's timer: refused)
 * @flags: must be zero
 *
 * Any process holding the file may raise a line, also while another
 * thread runs the guest; a halted guest wakes up.  The line stays
 * pending until the guest takes it.
 */
#define LGUEST_NR_IRQS		64
#ifndef __ASSEMBLY__
struct lguest_irq {
	__u32 irq;
	__u32 flags;
};
#endif

/**
 * struct lguest_ioeventfd - signal an eventfd when the guest writes a register
 * @addr: guest-physical address inside one of LGUEST_INIT's MMIO ranges,
 *	a multiple of @len
 * @datamatch: with LGUEST_IOEVENTFD_DATAMATCH, only a write of this value
 *	matches (below 1 << (8 * @len)); without it, zero
 * @len: the size of the write that matches: 1, 2, 4 or 8
 * @fd: an eventfd
 * @flags: LGUEST_IOEVENTFD_DATAMATCH, LGUEST_IOEVENTFD_DEASSIGN
 * @pad: must be zero
 *
 * A guest write of @len bytes at @addr (of @datamatch, with DATAMATCH)
 * signals @fd inside lg.ko, and the guest goes on at once: LGUEST_RUN does
 * not return for it (LGUEST_GET_STATS counts it in @mmio_eventfds).  Reads,
 * and writes that match nothing, are LGUEST_EXIT_MMIO as before.  Two
 * entries may share an address only if both have DATAMATCH, with
 * different values (virtio-mmio's QueueNotify, one per queue); other
 * overlaps are EEXIST.  At most LGUEST_MAX_IOEVENTFDS (ENOSPC).  DEASSIGN
 * removes the entry with the same @addr, @len, @fd and, with DATAMATCH,
 * @datamatch (ENOENT if there is none).  lg.ko holds its own reference to
 * the eventfd: closing @fd changes nothing until DEASSIGN or the guest's
 * end.  EBUSY while a thread runs the guest.
 */
#define LGUEST_IOEVENTFD_DATAMATCH	1
#define LGUEST_IOEVENTFD_DEASSIGN	2
#define LGUEST_MAX_IOEVENTFDS		64
#ifndef __ASSEMBLY__
struct lguest_ioeventfd {
	__u64 addr;
	__u64 datamatch;
	__u32 len;
	__s32 fd;
	__u32 flags;
	__u32 pad;
};
#endif

/**
 * struct lguest_irqfd - raise an interrupt line when an eventfd is signalled
 * @fd: an eventfd
 * @irq: 1..LGUEST_NR_IRQS-1, as LGUEST_IRQ; zero with DEASSIGN
 * @flags: LGUEST_IRQFD_DEASSIGN, or zero
 * @pad: must be zero
 *
 * From then on a write to @fd raises line @irq as LGUEST_IRQ would, from
 * any process or from the kernel (io_uring's registered eventfd), with
 * no thread of the launcher in the way; one already pending when the
 * call is made raises it at once.  An eventfd may be bound once per guest
 * (EBUSY); at most LGUEST_MAX_IRQFDS (ENOSPC).  DEASSIGN unbinds @fd
 * (ENOENT if it is not bound); a count the eventfd holds then is
 * dropped, and one it held when it was bound raised the line then.
 * lg.ko holds its own reference, as for LGUEST_IOEVENTFD.  Allowed while
 * a thread runs the guest.
 */
#define LGUEST_IRQFD_DEASSIGN	1
#define LGUEST_MAX_IRQFDS	64
#ifndef __ASSEMBLY__
struct lguest_irqfd {
	__s32 fd;
	__u32 irq;
	__u32 flags;
	__u32 pad;
};
#endif

/*
 * struct lguest_stats - what LGUEST_GET_STATS returns: counters since
 * LGUEST_INIT of why the guest came back to the host (docs/abi.md)
 * @size: in: sizeof(struct lguest_stats) as the caller knows it (only
 *	LGUEST_STATS_SIZE_VER0 yet); out: the bytes the module filled.  A
 *	module that grows the structure keeps filling older sizes.
 * @flags: in: must be zero
 * @world_switches: entries into the guest
 * @hcalls: hypercalls made with int $LGUEST_HCALL_VECTOR
 * @ring_hcalls: hypercalls run from lguest_data's ring
 * @shadow_faults: page faults the host fixed by filling the shadow page
 *	tables, which the guest never saw
 * @mmio_exits: LGUEST_EXIT_MMIO exits
 * @user_exits: returns of LGUEST_RUN to the launcher (signals included)
 * @host_irqs: host interrupts, NMIs and machine checks that took the
 *	CPU back from the guest
 * @irqs: virtual interrupts delivered to the guest
 * @slow_syscalls: system calls from guest ring 3 that left the Switcher
 *	(the fast path does not)
 * @hcall: hypercalls by number (LHCALL_*), ring ones included
 * @traps: exceptions reflected to the guest, by vector (X86_TRAP_*)
 * @mmio_eventfds: guest writes that signalled an LGUEST_IOEVENTFD eventfd
 *	(not counted in @mmio_exits: LGUEST_RUN did not return)
 * @reserved: in: must be zero; out: zero
 *
 * Any process holding the file may ask, also while another thread runs
 * the guest; the counters are then read one by one, not as a single
 * snapshot.
 */
#define LGUEST_STATS_NR_HCALLS	32
#define LGUEST_STATS_NR_TRAPS	32
#ifndef __ASSEMBLY__
struct lguest_stats {
	__u32 size;
	__u32 flags;
	__u64 world_switches;
	__u64 hcalls;
	__u64 ring_hcalls;
	__u64 shadow_faults;
	__u64 mmio_exits;
	__u64 user_exits;
	__u64 host_irqs;
	__u64 irqs;
	__u64 slow_syscalls;
	__u64 hcall[LGUEST_STATS_NR_HCALLS];
	__u64 traps[LGUEST_STATS_NR_TRAPS];
	__u64 mmio_eventfds;
	__u64 reserved[53];
};
#endif
#define LGUEST_STATS_SIZE_VER0	1024

/*
 * Who may call what (docs/abi.md).  The open file is the guest, and
 * holding it is the right to use it: a process it is passed to may make
 * every call but one.  LGUEST_RUN runs the guest in the memory of the
 * process that made LGUEST_INIT, so only that process's threads may make
 * it (EPERM for others); its argument must be 0 (EINVAL).  While one
 * thread is inside LGUEST_RUN, LGUEST_INIT, LGUEST_SET_REGS,
 * LGUEST_GET_REGS, LGUEST_RUN and LGUEST_IOEVENTFD fail with EBUSY;
 * LGUEST_IRQ, LGUEST_IRQFD and LGUEST_GET_STATS work meanwhile.  Before
 * LGUEST_INIT every call but LGUEST_VERSION and LGUEST_INIT fails with
 * EBADFD.
 */
#define LGUEST_VERSION		_IOWR(LGUEST_IOC_MAGIC, 0x00, struct lguest_version)
#define LGUEST_INIT		_IOW(LGUEST_IOC_MAGIC, 0x01, struct lguest_init)
#define LGUEST_RUN		_IO(LGUEST_IOC_MAGIC, 0x02)
#define LGUEST_GET_REGS		_IOR(LGUEST_IOC_MAGIC, 0x03, struct lguest_regs)
#define LGUEST_SET_REGS		_IOW(LGUEST_IOC_MAGIC, 0x04, struct lguest_regs)
#define LGUEST_IRQ		_IOW(LGUEST_IOC_MAGIC, 0x05, struct lguest_irq)
/* The number keeps the first size as the structure grows. */
#define LGUEST_GET_STATS	_IOC(_IOC_READ | _IOC_WRITE, LGUEST_IOC_MAGIC, 0x06, \
				     LGUEST_STATS_SIZE_VER0)
#define LGUEST_IOEVENTFD	_IOW(LGUEST_IOC_MAGIC, 0x07, struct lguest_ioeventfd)
#define LGUEST_IRQFD		_IOW(LGUEST_IOC_MAGIC, 0x08, struct lguest_irqfd)

/*
 * The guest's side of the ABI.  docs/abi.md tells the whole story.
 *
 * Hypercalls: the guest kernel (ring 1) executes int $LGUEST_HCALL_VECTOR
 * with the number in rax and arguments in rdi, rsi, rdx, r10, r8; the
 * result comes back in rax and every other register is preserved.  From
 * ring 3 the same instruction raises #GP.  An unknown number or a bad
 * argument kills the guest with a reason (LGUEST_EXIT_KILLED).
 */
#define LGUEST_HCALL_VECTOR	0x80

/* Hypercall numbers (rax), with their arguments (rdi, rsi). */
#define LHCALL_CONSOLE_WRITE	1	/* (gpa, len): bytes for the console */
#define LHCALL_SHUTDOWN		2	/* (LGUEST_SHUTDOWN_*, gpa of a message) */
#define LHCALL_FLUSH_TLB	3	/* (0 this asid, LGUEST_FLUSH_ALL all) */
#define LHCALL_INIT		4	/* (gpa of lguest_data, event entry): once */
#define LHCALL_SET_STACK	5	/* (va): kernel stack for events from ring 3 */
#define LHCALL_HALT		6	/* (0 or LGUEST_HALT_STI): sleep for a line */
#define LHCALL_SET_CLOCKEVENT	7	/* (ns): one-shot timer on line 0; 0 cancels */
#define LHCALL_SEND_INTERRUPTS	8	/* (): take the pending interrupt now */
#define LHCALL_NEW_PGTABLE	9	/* (gpa of a PML4, asid | NOFLUSH): CR3 load */
#define LHCALL_FLUSH_TLB_ONE	10	/* (va): forget one page, as invlpg */
#define LHCALL_FLUSH_ASYNC	11	/* (): run the queued ring (any call does) */

/*
 * LHCALL_HALT is hlt (0): sleep until a line is pending, whatever the
 * guest's irq_enabled, and deliver nothing.  With LGUEST_HALT_STI it is
 * "sti; hlt": the host turns irq_enabled on as the guest goes to sleep, so
 * a guest that checked for work with interrupts off cannot take the
 * interrupt in between and then sleep through its wake-up.
 */
#define LGUEST_HALT_STI		1

/*
 * LHCALL_NEW_PGTABLE is a CR3 load with a PCID: the host keeps one shadow
 * per asid (0..LGUEST_NR_ASIDS-1) and empties it unless NOFLUSH is set.
 */
#define LGUEST_NR_ASIDS		8
#define LGUEST_PGTABLE_NOFLUSH	_BITULL(63)
#define LGUEST_FLUSH_ALL	1

/*
 * struct lguest_data - the page guest and host share (LHCALL_INIT)
 * @irq_enabled: the guest's interrupt flag: nonzero when on.  Events are
 *	delivered with it cleared; the guest sets it to enable interrupts.
 * @irq_pending: lines waiting for delivery (bit n = line n), set by the
 *	host.  A guest enabling interrupts with a bit set here makes
 *	LHCALL_SEND_INTERRUPTS.
 * @cr2: the faulting address of the last #PF delivered
 * @kernel_gs: the guest kernel's GS base (as MSR_KERNEL_GS_BASE)
 * @user_gs: on an event from ring 3 the host stores ring 3's GS base
 *	here and loads @kernel_gs; to return, the guest kernel loads it
 *	back with wrgsbase before iretq
 * @tsc_khz: the TSC's frequency, when it is a usable clocksource
 * @wallclock_ns: the host's time of day (CLOCK_REALTIME, ns since the
 *	epoch) when LHCALL_INIT was made; the guest keeps time from there
 * @clock_ns: when @tsc_khz is 0, the host's CLOCK_MONOTONIC in ns, written
 *	before every entry into the guest (so it moves at least at every
 *	host interrupt): a clocksource for a guest without a usable TSC
 * @ring_status: per slot of @ring: 0xff while empty; the guest fills the
 *	slot, then sets its status to 0.  The host runs filled slots in
 *	order before every hypercall, and sets them back to 0xff.
 * @ring: hypercalls the guest queues instead of making them one by one
 *	(batched TLB flushes, a context switch's page tables and stack);
 *	only LHCALL_FLUSH_TLB, LHCALL_FLUSH_TLB_ONE, LHCALL_NEW_PGTABLE and
 *	LHCALL_SET_STACK may be queued.
 */
#define LGUEST_RING_SIZE	64
#ifndef __ASSEMBLY__
struct lguest_hcall_slot {
	__u64 nr;
	__u64 args[3];
};
#endif

#ifndef __ASSEMBLY__
struct lguest_data {
	__u8 irq_enabled;
	__u8 pad[7];
	__u64 irq_pending;
	__u64 cr2;
	__u64 kernel_gs;
	__u64 user_gs;
	__u64 tsc_khz;
	__u8 ring_status[LGUEST_RING_SIZE];
	struct lguest_hcall_slot ring[LGUEST_RING_SIZE];
	__u64 wallclock_ns;
	__u64 clock_ns;
	__u64 reserved[240];
};
#endif

/*
 * Events: exceptions, interrupts and system calls from ring 3 all reach
 * the guest kernel the same way, FRED-style.  The host switches to the
 * kernel stack (the LHCALL_SET_STACK one if the event interrupted ring 3,
 * else the interrupted stack, aligned down to 16), pushes this frame, and
 * enters the event entry in ring 1 with irq_enabled cleared.  The guest
 * returns with "add $16, %rsp; iretq", after restoring irq_enabled from
 * the frame's RFLAGS.IF.
 */
#ifndef __ASSEMBLY__
struct lguest_event_frame {
	__u64 vector;		/* 0-31 exception, 32 + n line n, or the below */
	__u64 error_code;	/* 0 where the CPU gives none; #DB: DR6, as FRED */
	__u64 rip;
	__u64 cs;
	__u64 rflags;		/* IF: irq_enabled when the event came */
	__u64 rsp;
	__u64 ss;
};
#endif
#define LGUEST_EVENT_SYSCALL	0x100	/* syscall from ring 3; rcx, r11 as native */
#define LGUEST_IRQ_BASE		32

/* The selectors the guest runs with. */
#define LGUEST_KERNEL_CS	0x39	/* ring 1, 64-bit */
#define LGUEST_KERNEL_DS	0x41
#define LGUEST_USER_DS		0x2b	/* ring 3, as Linux's __USER_DS */
#define LGUEST_USER_CS		0x33	/* ring 3, as Linux's __USER_CS */

#endif /* _UAPI_LINUX_LGUEST_H */
