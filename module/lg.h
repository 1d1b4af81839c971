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

	struct lguest_regs regs;
	/* Shared with the launcher by mmap: why the last run stopped. */
	struct lguest_run *run;
	/* Once killed or shut down, the guest never runs again. */
	bool dead;
	/* The guest was in ring 3 when it last left. */
	bool user_mode;
	/* Set by LHCALL_INIT: the shared page and where events enter. */
	u64 data_gpa;
	u64 event_entry;
	/* The TSC's frequency offered to the guest; 0: we write clock_ns. */
	u64 tsc_khz;
	/* The next slot of lguest_data's hypercall ring to look at. */
	unsigned int ring_next;
	/* The kernel stack for events from ring 3 (LHCALL_SET_STACK). */
	u64 kernel_stack;
	/* Virtual interrupt lines waiting for the guest (bit n = line n). */
	unsigned long irq_pending;
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
	/* The thread inside LGUEST_RUN, to wake or kick; under lock. */
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
	/* Shadow tables below the roots, capped (page_tables.c). */
	u64 shadow_tables;
	/*
	 * Guest memory is the launcher's, not pinned: this notifier hears of
	 * every change to its mapping (munmap, swap, migration, ...) and the
	 * shadow is emptied before the guest runs again (page_tables.c).
	 */
	struct mmu_interval_notifier mn;
	bool mn_active;
	spinlock_t mn_lock;		/* orders a new shadow entry with mn's sequence */
	bool mm_changed;		/* set by the notifier, cleared by the vCPU */
	int guest_cpu;			/* where the guest runs now, or -1 */
	/* Host frames of guest frames, as of mn's sequence frames_seq. */
	struct xarray frames;
	unsigned long frames_seq;

	/*
	 * Why the guest came back to us (LGUEST_GET_STATS).  Only the thread
	 * running the guest counts; others may read at any time.
	 */
	struct lguest_stats stats;
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
int lg_pt_init(struct lguest *lg);
int lg_pt_watch(struct lguest *lg);
void lg_pt_free(struct lguest *lg);
void lg_pt_resync(struct lguest *lg);
void lg_pt_kick(struct lguest *lg);
void lg_pt_flush(struct lguest *lg);
void lg_pt_flush_all(struct lguest *lg);
void lg_pt_switch(struct lguest *lg, unsigned int asid, bool flush);
u64 lg_pt_root(struct lguest *lg);
int lg_pt_fault(struct lguest *lg, u64 va, u32 *errcode, u64 *mmio_gpa);
void lg_pt_flush_one(struct lguest *lg, u64 va);
unsigned long lg_pt_seq(struct lguest *lg);
struct page *lg_get_guest_page(struct lguest *lg, unsigned long gfn);
bool lg_pt_install(struct lguest *lg, unsigned long *pte, struct page *page, u64 flags,
		   unsigned long seq);
int lg_va_to_gfn(struct lguest *lg, u64 va, u32 access, u64 *gfn);
int lg_write_guest(struct lguest *lg, u64 va, const void *buf, size_t len);
int lg_read_guest(struct lguest *lg, u64 va, void *buf, size_t len);

/* mmio.c: device accesses, decoded for the launcher. */
int lg_mmio_exit(struct lguest *lg, u64 gpa);
void lg_mmio_complete(struct lguest *lg);

/* An address in the hole, where the Switcher's pages are (switcher.h). */
#define SW_ADDR(off)		(lg_switcher_va + (off))

static inline struct lg_frame *lg_frame(struct lguest *lg)
{
	return &lg->regs_page->frame;
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

/* run.c: the run loop. */
long lg_run(struct lguest *lg);
void lg_kill(struct lguest *lg, const char *fmt, ...) __printf(2, 3);

/* switch.c: the world switch. */
int lg_vcpu_init(struct lguest *lg);
void lg_vcpu_free(struct lguest *lg);
bool lg_switch(struct lguest *lg);

/* fpu.c: the guest's FPU, in the registers only around lg_switch(). */
void lg_fpu_setup(void);
int lg_fpu_init(struct lguest *lg);
void lg_fpu_free(struct lguest *lg);
void lg_fpu_load(struct lguest *lg);
void lg_fpu_save(struct lguest *lg);
void lg_fpu_put(struct lguest *lg);

/* events.c: exceptions, interrupts, the timer, halt. */
void lg_events_init(struct lguest *lg);
void lg_deliver_event(struct lguest *lg, u64 vector, u64 errcode);
void lg_deliver_interrupts(struct lguest *lg);
void lg_raise_irq(struct lguest *lg, unsigned int irq);
void lg_halt(struct lguest *lg);

/* hypercalls.c */
bool lg_do_hcall(struct lguest *lg);
void lg_set_aliases(struct lguest *lg);

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
