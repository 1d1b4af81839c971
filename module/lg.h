/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Things shared between the files of lg.ko.  The story of a guest starts
 * in core.c (module load) and user.c (the /dev/lguest file).
 */
#ifndef _LG_H
#define _LG_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/lguest.h>
#include <linux/hrtimer.h>
#include <asm/fpu/api.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include "switcher.h"

/* Shadow roots kept per guest address-space id (LHCALL_NEW_PGTABLE). */
#define LG_NR_ASIDS	8

/*
 * A guest is one VM (struct lguest) and its vCPUs (struct lg_vcpu).  The
 * VM has the memory, the devices' ranges, the notifier on the launcher's
 * mapping and what LHCALL_INIT set for the whole guest; a vCPU has the
 * registers, the run page, the events waiting for it, its Switcher pages
 * and the shadow page tables it runs on.  Today a guest has exactly one
 * vCPU (LG_MAX_VCPUS); the split is where SMP will begin.
 */
#define LG_MAX_VCPUS	1

struct lguest;

/*
 * One vCPU.  Changed by the thread running it (LGUEST_RUN), or by an
 * ioctl under lguest.lock while none runs, except where a field says.
 */
struct lg_vcpu {
	struct lguest *lg;
	unsigned int index;		/* in lg->vcpus[] */

	struct lguest_regs regs;
	/* Shared with the launcher by mmap: why the last run stopped. */
	struct lguest_run *run;
	/* The guest was in ring 3 when it last left. */
	bool user_mode;
	/*
	 * The next slot of lguest_data's hypercall ring to look at.  What is
	 * queued there (flushes, CR3 loads, the kernel stack) is this vCPU's
	 * own, so SMP wants a ring per vCPU, and the index goes with it.
	 */
	unsigned int ring_next;
	/* The kernel stack for events from ring 3 (LHCALL_SET_STACK). */
	u64 kernel_stack;
	/* Virtual interrupt lines waiting (bit n = line n): any thread sets them. */
	unsigned long irq_pending;
	/* irq_pending as lg_deliver_interrupts() last showed it: lg_switch()'s check. */
	unsigned long irq_shown;
	/* The guest is asleep in LHCALL_HALT. */
	bool halted;
	/* The guest's DS, ES, FS and GS selectors, as it left them. */
	u16 ds, es, fs, gs;
	/* The guest's FPU, SSE and AVX state: XSAVE's area (fpu.c). */
	struct fxregs_state *fpu;
	/* The launcher's XFD while the guest runs with its own (fpu.c). */
	u64 host_xfd;
	/* The guest's clockevent: raises line 0. */
	struct hrtimer timer;
	/* The MMIO access the launcher is completing (mmio.c). */
	unsigned int mmio_len, mmio_reg, mmio_size;
	bool mmio_high_byte;
	/* The thread inside LGUEST_RUN, to wake or kick; under lguest.lock. */
	struct task_struct *task;
	/* The last exit went to the launcher for this reason. */
	u32 pending_exit;
	/* Never reused, unlike our address: see lg_switch()'s IBPB. */
	u64 id;

	/* This vCPU's Switcher pages (switcher.h), by their kernel address. */
	struct lg_regs_page *regs_page;
	struct lg_state_page *state_page;
	struct lg_host_page *host_page;
	/* Roots: the guest's shadow, and the host's way into the hole. */
	struct lg_shadow {
		unsigned long *root;
		unsigned long *pml4;	/* == root on 4-level hosts */
		/* PML4 slots holding any non-global entry: what a flush walks. */
		DECLARE_BITMAP(nonglobal, PTRS_PER_PGD);
	} shadows[LG_NR_ASIDS];
	unsigned int asid;		/* the one in use */
	unsigned long *shadow_pml4;	/* shadows[asid].pml4 */
	/* 8 KiB aligned: PTI's entry code may see it in CR3 (page_tables.c). */
	unsigned long *trans_root;
	/* The page table mapping the Switcher's pages in the guest's root. */
	unsigned long *hole_pt;
	/* The roots and the hole's tables, by page->lru, to free at the end. */
	struct list_head pt_pages;
	/*
	 * Shadow tables below the roots.  Counted per vCPU, whose thread alone
	 * makes and frees them (no atomics); the cap is the guest's memory's
	 * (shadow_cap()) and bounds each vCPU's shadows, which only it can empty.
	 */
	u64 shadow_tables;
	/*
	 * Set by the VM's notifier (lguest.mn), cleared by this vCPU: its
	 * shadows are stale.  Per vCPU, as the shadows are: each must resync.
	 */
	bool mm_changed;
	int guest_cpu;			/* where this vCPU runs now, or -1 */

	/*
	 * Why the guest came back to us (LGUEST_GET_STATS sums the vCPUs').
	 * Only the thread running the vCPU counts; others may read at any time.
	 */
	struct lguest_stats stats;
};

/* One guest: everything behind one open file of /dev/lguest. */
struct lguest {
	/* Held by every ioctl that reads or changes the guest's state. */
	struct mutex lock;
	/* The launcher's address space: only it may run the guest. */
	struct mm_struct *mm;
	bool initialised;

	/* Guest-physical 0..mem_size is the launcher's mem_uaddr.. */
	unsigned long mem_uaddr;
	u64 mem_size;
	u32 nr_mmio;
	struct lguest_mmio_range mmio[LGUEST_MAX_MMIO];

	/* Made at open(), for the run pages the launcher maps before LGUEST_INIT. */
	struct lg_vcpu *vcpus[LG_MAX_VCPUS];
	unsigned int nr_vcpus;

	/* Once killed or shut down, no vCPU of the guest runs again. */
	bool dead;
	/*
	 * Set by LHCALL_INIT, once for the whole guest: the shared page, and
	 * where events enter (which each vCPU's state page copies for the
	 * Switcher).
	 */
	u64 data_gpa;
	u64 event_entry;
	/* The TSC's frequency offered to the guest; 0: we write clock_ns. */
	u64 tsc_khz;

	/*
	 * Guest memory is the launcher's, not pinned: this notifier hears of
	 * every change to its mapping (munmap, swap, migration, ...) and every
	 * vCPU's shadow is emptied before it runs again (page_tables.c).
	 */
	struct mmu_interval_notifier mn;
	bool mn_active;
	spinlock_t mn_lock;		/* orders a new shadow entry with mn's sequence */
	/*
	 * Host frames of guest frames, as of mn's sequence frames_seq: the
	 * same for every vCPU.  Only a vCPU's thread touches them (SMP will
	 * need to order the reset at a new sequence between vCPUs).
	 */
	struct xarray frames;
	unsigned long frames_seq;

	/*
	 * Notifications and interrupts that bypass the launcher (eventfd.c):
	 * ioeventfds change only while no vCPU runs, irqfds under lock.
	 */
	struct lg_ioeventfd {
		u64 addr, datamatch;
		u32 len, flags;
		struct eventfd_ctx *ctx;
	} ioeventfds[LGUEST_MAX_IOEVENTFDS];
	unsigned int nr_ioeventfds;
	struct list_head irqfds;
};

/* One more of something: one writer, so no atomics, only whole stores. */
static inline void lg_count(u64 *counter)
{
	WRITE_ONCE(*counter, *counter + 1);
}

/* core.c: the Switcher's shared pages and where the hole is. */
extern unsigned long lg_switcher_va;
extern struct page *lg_switcher_text[SW_TEXT_PAGES], *lg_idt_page;

/* page_tables.c: the shadow MMU and the Switcher's mappings. */
int lg_pt_init(struct lg_vcpu *vcpu);
int lg_pt_watch(struct lguest *lg);
void lg_pt_unwatch(struct lguest *lg);
void lg_pt_free(struct lg_vcpu *vcpu);
void lg_pt_resync(struct lg_vcpu *vcpu);
void lg_pt_kick(struct lg_vcpu *vcpu);
void lg_pt_flush(struct lg_vcpu *vcpu);
void lg_pt_flush_all(struct lg_vcpu *vcpu);
void lg_pt_switch(struct lg_vcpu *vcpu, unsigned int asid, bool flush);
u64 lg_pt_root(struct lg_vcpu *vcpu);
int lg_pt_fault(struct lg_vcpu *vcpu, u64 va, u32 *errcode, u64 *mmio_gpa);
void lg_pt_flush_one(struct lg_vcpu *vcpu, u64 va);
unsigned long lg_pt_seq(struct lguest *lg);
struct page *lg_get_guest_page(struct lguest *lg, unsigned long gfn);
bool lg_pt_install(struct lguest *lg, unsigned long *pte, struct page *page, u64 flags,
		   unsigned long seq);
/* By guest-virtual address: through the vCPU's page tables (its CR3). */
int lg_va_to_gfn(struct lg_vcpu *vcpu, u64 va, u32 access, u64 *gfn);
int lg_write_guest(struct lg_vcpu *vcpu, u64 va, const void *buf, size_t len);
int lg_read_guest(struct lg_vcpu *vcpu, u64 va, void *buf, size_t len);

/* mmio.c: device accesses, decoded for the launcher. */
int lg_mmio_exit(struct lg_vcpu *vcpu, u64 gpa);
void lg_mmio_complete(struct lg_vcpu *vcpu);

/* An address in the hole, where the Switcher's pages are (switcher.h). */
#define SW_ADDR(off)		(lg_switcher_va + (off))

static inline struct lg_frame *lg_frame(struct lg_vcpu *vcpu)
{
	return &vcpu->regs_page->frame;
}

static inline bool lg_canonical(u64 addr)
{
	return ((s64)addr << 16 >> 16) == (s64)addr;
}

/* The shared page: it lives in guest memory, which is the launcher's. */
static inline struct lguest_data __user *lgdata(struct lguest *lg)
{
	return (struct lguest_data __user *)(lg->mem_uaddr + lg->data_gpa);
}

/* eventfd.c: ioeventfds and irqfds. */
long lg_ioeventfd(struct lguest *lg, const struct lguest_ioeventfd __user *uarg);
bool lg_ioeventfd_signal(struct lguest *lg, u64 gpa, u32 len, u64 val);
long lg_irqfd(struct lguest *lg, const struct lguest_irqfd __user *uarg);
void lg_eventfd_release(struct lguest *lg);

/* run.c: the run loop. */
long lg_run(struct lg_vcpu *vcpu);
void lg_kill(struct lg_vcpu *vcpu, const char *fmt, ...) __printf(2, 3);

/* switch.c: the world switch. */
int lg_vcpu_init(struct lg_vcpu *vcpu);
void lg_vcpu_free(struct lg_vcpu *vcpu);
bool lg_switch(struct lg_vcpu *vcpu);

/* fpu.c: the guest's FPU, in the registers only around lg_switch(). */
void lg_fpu_setup(void);
int lg_fpu_init(struct lg_vcpu *vcpu);
void lg_fpu_free(struct lg_vcpu *vcpu);
void lg_fpu_load(struct lg_vcpu *vcpu);
void lg_fpu_save(struct lg_vcpu *vcpu);
void lg_fpu_put(struct lg_vcpu *vcpu);

/* events.c: exceptions, interrupts, the timer, halt. */
void lg_events_init(struct lg_vcpu *vcpu);
void lg_deliver_event(struct lg_vcpu *vcpu, u64 vector, u64 errcode);
void lg_deliver_interrupts(struct lg_vcpu *vcpu);
void lg_raise_irq(struct lg_vcpu *vcpu, unsigned int irq);
void lg_halt(struct lg_vcpu *vcpu);

/* hypercalls.c */
bool lg_do_hcall(struct lg_vcpu *vcpu);
void lg_set_aliases(struct lg_vcpu *vcpu);

long lg_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int lg_open(struct inode *inode, struct file *file);
int lg_release(struct inode *inode, struct file *file);
int lg_mmap(struct file *file, struct vm_area_struct *vma);

#ifdef CONFIG_LG_HARNESS_SELFTEST
/*
 * A deliberately broken ioctl, compiled only into the module that the
 * test harness uses to prove it notices a host oops.  Never shipped.
 */
#define LGUEST_SELFTEST_OOPS	_IO(LGUEST_IOC_MAGIC, 0xff)
long lg_selftest_oops(void);
#endif

#endif /* _LG_H */
