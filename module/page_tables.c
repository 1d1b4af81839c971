// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow MMU: the page tables the CPU really uses while a guest runs.
 *
 * The guest keeps its own 4-level page tables in its memory, in guest-
 * physical terms.  The CPU cannot use them: they name guest frames, not
 * host ones, and they must never reach the Switcher.  So we keep a shadow
 * that behaves like a TLB: it starts empty, is filled one page at a time
 * when the guest faults, and is emptied when the guest flushes its TLB or
 * switches page tables, but for the guest's global pages, which survive
 * both as global TLB entries do.  Like a TLB, a shadow entry can only be
 * stale where the guest changed a mapping without the flush that real
 * hardware would need too.
 *
 * Each shadow root also maps the Switcher in the hypervisor hole, and a
 * second, host-side "transition" root maps the host kernel plus the hole,
 * so the Switcher can run while the CPU changes from one world to the
 * other.  The host's own page tables are never touched.
 *
 * Guest memory is the launcher's ordinary memory, never pinned: a shadow
 * entry holds no reference to its page.  An MMU notifier on the range
 * hears of every change to the launcher's mapping (munmap, mremap,
 * mprotect, MADV_DONTNEED, swap, migration, compaction, KSM) before the
 * page can go; it marks every vCPU's shadows stale, makes sure no vCPU is
 * running on them (lg_pt_kick()), and each vCPU empties its own before it
 * enters the guest again (lg_pt_resync()).  A new entry goes in only if
 * no such change came since its page was looked up (lg_pt_install()), as
 * KVM does it.  So guest memory swaps, migrates and is charged like any
 * other memory of the launcher's.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <asm/io.h>
#include <asm/trap_pf.h>
#include "lg.h"

#define HOLE_SLOT	256
#define PTE_ADDR	0x000ffffffffff000ULL
/* Intermediate shadow entries allow everything; the leaf decides. */
#define TABLE_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
#define HOLE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED)
/*
 * A shadow leaf made from a global guest entry, in a bit the CPU ignores
 * (not _PAGE_GLOBAL: a global shadow entry must never outlive our CR3).
 */
#define SHADOW_GLOBAL	_PAGE_SOFTW1
/* A shadow leaf made from a guest 2 MiB page (flush_one_asid()). */
#define SHADOW_HUGE	_PAGE_SOFTW2

/*
 * Every table we allocate is charged to the launcher's memory cgroup, and
 * fails rather than wake the OOM killer: a shadow table can always be
 * given up (a TLB may forget anything), and a launcher over its limit
 * gets ENOMEM from LGUEST_INIT.
 */
#define LG_GFP		(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_ZERO)

/* A table that lives as long as the vCPU: kept on its pt_pages by its page. */
static unsigned long *alloc_table(struct lg_vcpu *vcpu)
{
	struct page *page = alloc_page(LG_GFP);

	if (!page)
		return NULL;
	list_add(&page->lru, &vcpu->pt_pages);
	return page_address(page);
}

/*
 * Shadow tables below the PML4 come and go with flushes; they are
 * counted, and capped in proportion to the guest's memory (lg_pt_fault).
 */
static unsigned long *alloc_shadow_table(struct lg_vcpu *vcpu)
{
	unsigned long *table = (unsigned long *)get_zeroed_page(LG_GFP);

	if (table)
		vcpu->shadow_tables++;
	return table;
}

static void free_shadow_table(struct lg_vcpu *vcpu, unsigned long *table)
{
	free_page((unsigned long)table);
	vcpu->shadow_tables--;
}

static unsigned int levels(void)
{
	return pgtable_l5_enabled() ? 5 : 4;
}

/*
 * The chain of tables from a root's slot 256 down to the Switcher's
 * pages.  The state page is writable only in the transition root.
 */
static int map_hole(struct lg_vcpu *vcpu, unsigned long *root, bool host_side)
{
	unsigned long *table = root, *next, *pt;
	unsigned int i, idx = HOLE_SLOT;

	for (i = levels(); i > 1; i--) {
		next = alloc_table(vcpu);
		if (!next)
			return -ENOMEM;
		table[idx] = __pa(next) | HOLE_TABLE;
		table = next;
		idx = 0;
	}
	pt = table;
	for (i = 0; i < SW_TEXT_PAGES; i++)
		pt[i] = page_to_phys(lg_switcher_text[i]) | _PAGE_PRESENT | _PAGE_ACCESSED;
	pt[SW_IDT_OFF >> PAGE_SHIFT] = page_to_phys(lg_idt_page) |
				       _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_NX;
	pt[SW_REGS_OFF >> PAGE_SHIFT] = __pa(vcpu->regs_page) | _PAGE_PRESENT | _PAGE_RW |
					_PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX;
	pt[SW_STATE_OFF >> PAGE_SHIFT] = __pa(vcpu->state_page) | _PAGE_PRESENT |
					 _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX |
					 (host_side ? _PAGE_RW : 0);
	if (host_side)
		pt[SW_HOST_OFF >> PAGE_SHIFT] = __pa(vcpu->host_page) | _PAGE_PRESENT | _PAGE_RW |
						_PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX;
	else
		vcpu->hole_pt = pt;
	return 0;
}

/*
 * The transition root is in CR3 for a moment with the host's IDT loaded
 * (lg_switch() before the Switcher runs, the Switcher's exit after it
 * loads the host's IDT), so a host NMI or machine check may run Linux's
 * paranoid entry on it.  With PTI that code reads CR3 bit 12 as "the user
 * half of an 8 KiB PGD pair" and clears it, loading the page below as the
 * PML4: the root must be the even page of an order-1 block, as Linux's own
 * PGDs are (pgd_alloc() with PGD_ALLOCATION_ORDER 1).  The buddy allocator
 * aligns a block to its size; we check anyway, and refuse otherwise.
 *
 * The guest's shadow roots need no such care: the Switcher loads one
 * only after its own IDT and puts the transition root back before the
 * host's IDT, so an NMI or #MC on a shadow root is always the Switcher's
 * (IST_ENTRY), which never reads CR3 bit 12.
 */
static unsigned long *alloc_trans_root(void)
{
	unsigned long root = __get_free_pages(LG_GFP, 1);

	if (root && WARN_ONCE(__pa(root) & PAGE_SIZE,
			      "lg: transition root %#lx not 8 KiB aligned\n", root)) {
		free_pages(root, 1);
		return NULL;
	}
	return (unsigned long *)root;
}

int lg_pt_init(struct lg_vcpu *vcpu)
{
	unsigned long *host_top = (unsigned long *)current->mm->pgd;
	int i, err;

	INIT_LIST_HEAD(&vcpu->pt_pages);
	vcpu->guest_cpu = -1;

	/* The host's kernel half, plus the hole the host never uses. */
	vcpu->trans_root = alloc_trans_root();
	if (!vcpu->trans_root)
		return -ENOMEM;
	if (host_top[HOLE_SLOT])
		return -EBUSY;
	for (i = HOLE_SLOT + 1; i < PTRS_PER_PGD; i++)
		vcpu->trans_root[i] = host_top[i];
	err = map_hole(vcpu, vcpu->trans_root, true);
	if (err)
		return err;

	/*
	 * The guest's roots, one per address-space id (as PCIDs are on the
	 * CPU).  On 5-level hosts each is a PML5 above the shadow PML4.  All
	 * share the one chain of tables that maps the Switcher.
	 */
	for (i = 0; i < LG_NR_ASIDS; i++) {
		struct lg_shadow *sh = &vcpu->shadows[i];

		sh->root = alloc_table(vcpu);
		if (!sh->root)
			return -ENOMEM;
		sh->pml4 = sh->root;
		if (levels() == 5) {
			sh->pml4 = alloc_table(vcpu);
			if (!sh->pml4)
				return -ENOMEM;
			sh->root[0] = __pa(sh->pml4) | TABLE_FLAGS;
			sh->root[511] = __pa(sh->pml4) | TABLE_FLAGS;
		}
		if (i == 0) {
			err = map_hole(vcpu, sh->root, false);
			if (err)
				return err;
		}
		sh->root[HOLE_SLOT] = vcpu->shadows[0].root[HOLE_SLOT];
	}
	vcpu->asid = 0;
	vcpu->shadow_pml4 = vcpu->shadows[0].pml4;
	return 0;
}

/*
 * Free everything lg_pt_init() and the faults since made, and forget it
 * all: a failed LGUEST_INIT frees what it had, and a retry must find
 * nothing of it (nor must the file's release).  The notifier, which
 * marks this vCPU's shadows, is gone by now (lg_pt_unwatch()) or was
 * never there.
 */
void lg_pt_free(struct lg_vcpu *vcpu)
{
	struct page *page, *n;

	if (vcpu->shadows[0].root)
		lg_pt_flush_all(vcpu);
	list_for_each_entry_safe(page, n, &vcpu->pt_pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	free_pages((unsigned long)vcpu->trans_root, 1);
	vcpu->trans_root = NULL;
	vcpu->hole_pt = NULL;
	memset(vcpu->shadows, 0, sizeof(vcpu->shadows));
	vcpu->shadow_pml4 = NULL;
	vcpu->asid = 0;
	WARN_ON_ONCE(vcpu->shadow_tables);
	vcpu->shadow_tables = 0;
}

/* A CPU a vCPU ran on when guest memory changed: an IPI is an exit. */
static void lg_kicked(void *unused)
{
}

/*
 * Make sure @vcpu is not running on translations from before now: if it
 * is in the guest's world (lg_switch()), interrupt it and wait, and its
 * next entry finds mm_changed.  lg_switch() sets guest_cpu, then reads
 * mm_changed; we set mm_changed, then read guest_cpu: one of us sees the
 * other's store.
 */
void lg_pt_kick(struct lg_vcpu *vcpu)
{
	int cpu;

	smp_mb();	/* mm_changed before guest_cpu; lg_switch() the other way */
	cpu = READ_ONCE(vcpu->guest_cpu);
	if (cpu >= 0)
		smp_call_function_single(cpu, lg_kicked, NULL, 1);
}

/*
 * The launcher's mapping of guest memory is changing: no shadow entry
 * may be used once we return, since the page behind it may be freed.
 * The shadows are each vCPU's to change, so we only mark every vCPU's
 * stale and kick each out; nothing here sleeps, so any caller is fine.
 */
static bool lg_mn_invalidate(struct mmu_interval_notifier *mn,
			     const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	struct lguest *lg = container_of(mn, struct lguest, mn);
	unsigned int i;

	spin_lock(&lg->mn_lock);
	mmu_interval_set_seq(mn, cur_seq);
	for (i = 0; i < lg->nr_vcpus; i++)
		WRITE_ONCE(lg->vcpus[i]->mm_changed, true);
	spin_unlock(&lg->mn_lock);
	for (i = 0; i < lg->nr_vcpus; i++)
		lg_pt_kick(lg->vcpus[i]);
	return true;
}

static const struct mmu_interval_notifier_ops lg_mn_ops = {
	.invalidate = lg_mn_invalidate,
};

/*
 * From LGUEST_INIT, once the guest's memory is known and its vCPUs have
 * their shadows (lg_pt_init()): watch it.
 */
int lg_pt_watch(struct lguest *lg)
{
	int err;

	spin_lock_init(&lg->mn_lock);
	xa_init(&lg->frames);
	err = mmu_interval_notifier_insert(&lg->mn, current->mm, lg->mem_uaddr, lg->mem_size,
					   &lg_mn_ops);
	lg->mn_active = !err;
	return err;
}

/* Stop watching, before the vCPUs the notifier marks are freed (lg_pt_free()). */
void lg_pt_unwatch(struct lguest *lg)
{
	if (lg->mn_active) {
		mmu_interval_notifier_remove(&lg->mn);
		lg->mn_active = false;
	}
	xa_destroy(&lg->frames);
}

/*
 * The vCPU, before it enters the guest after a change to guest memory:
 * forget every shadow entry and the Switcher's aliases of guest pages,
 * and make the aliases again from the launcher's mapping as it is now.
 * A change while we do this sets mm_changed again, for the next entry.
 */
void lg_pt_resync(struct lg_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->mm_changed, false);
	smp_mb();	/* cleared before we look at the launcher's mapping again */
	lg_pt_flush_all(vcpu);
	lg_set_aliases(vcpu);
}

/* Before looking up guest pages for new shadow entries: see lg_pt_install(). */
unsigned long lg_pt_seq(struct lguest *lg)
{
	return mmu_interval_read_begin(&lg->mn);
}

/*
 * Put @page in the shadow entry @pte with @flags, unless the launcher's
 * mapping changed since @seq (lg_pt_seq(), before the page was looked
 * up): then the page may already be on its way out, and the guest will
 * fault again.  Our reference to the page goes either way: from here on
 * the notifier keeps the entry honest.
 */
bool lg_pt_install(struct lguest *lg, unsigned long *pte, struct page *page, u64 flags,
		   unsigned long seq)
{
	bool ok;

	spin_lock(&lg->mn_lock);
	ok = !mmu_interval_read_retry(&lg->mn, seq);
	if (ok)
		*pte = page_to_phys(page) | flags;
	spin_unlock(&lg->mn_lock);
	put_page(page);
	return ok;
}

/*
 * Empty a shadow subtree below @table (level 3 = PDPT), but for global
 * entries if @keep_global; free the tables left empty.  Returns true if
 * @table itself is left empty.
 */
static bool flush_subtree(struct lg_vcpu *vcpu, unsigned long *table, int level,
			  bool keep_global)
{
	bool empty = true;
	int i;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		unsigned long e = table[i], *child;

		if (!(e & _PAGE_PRESENT))
			continue;
		if (level == 1) {
			if (keep_global && (e & SHADOW_GLOBAL))
				empty = false;
			else
				table[i] = 0;
			continue;
		}
		child = __va(e & PTE_ADDR);
		if (flush_subtree(vcpu, child, level - 1, keep_global)) {
			table[i] = 0;
			free_shadow_table(vcpu, child);
		} else {
			empty = false;
		}
	}
	return empty;
}

/*
 * Forget one address-space id's shadow entries, as a CR3 load forgets a
 * PCID's: all of them, or (@keep_global) all but the global ones, which
 * Linux uses for the kernel half, so a new process finds the kernel
 * already shadowed.  Only slots that hold non-global entries are walked.
 */
static void flush_asid(struct lg_vcpu *vcpu, unsigned int asid, bool keep_global)
{
	struct lg_shadow *sh = &vcpu->shadows[asid];
	unsigned long *child;
	unsigned int i;

	if (!sh->pml4)
		return;
	for (i = 0; i < PTRS_PER_PGD; i++) {
		/* On 4-level hosts the hole is in this very table: keep it. */
		if ((levels() == 4 && i == HOLE_SLOT) || !(sh->pml4[i] & _PAGE_PRESENT))
			continue;
		if (keep_global && !test_bit(i, sh->nonglobal))
			continue;
		child = __va(sh->pml4[i] & PTE_ADDR);
		if (flush_subtree(vcpu, child, 3, keep_global)) {
			sh->pml4[i] = 0;
			free_shadow_table(vcpu, child);
		}
	}
	bitmap_zero(sh->nonglobal, PTRS_PER_PGD);
}

/* The guest flushed its TLB (for the current address-space id). */
void lg_pt_flush(struct lg_vcpu *vcpu)
{
	flush_asid(vcpu, vcpu->asid, true);
}

/* Every id's, global entries too (as a CR4.PGE toggle). */
void lg_pt_flush_all(struct lg_vcpu *vcpu)
{
	unsigned int i;

	for (i = 0; i < LG_NR_ASIDS; i++)
		flush_asid(vcpu, i, false);
}

/*
 * A CR3 load: run on @asid's shadow from now on, emptied unless the
 * guest says it is still good (as the CPU's PCID no-flush bit does).
 */
void lg_pt_switch(struct lg_vcpu *vcpu, unsigned int asid, bool flush)
{
	vcpu->asid = asid;
	vcpu->shadow_pml4 = vcpu->shadows[asid].pml4;
	if (flush)
		flush_asid(vcpu, asid, true);
}

u64 lg_pt_root(struct lg_vcpu *vcpu)
{
	return __pa(vcpu->shadows[vcpu->asid].root);
}

/* Read one guest page-table entry, by guest-physical address. */
static int read_gpte(struct lguest *lg, u64 gpa, u64 *val)
{
	if (gpa > lg->mem_size - 8)
		return -EFAULT;
	return get_user(*val, (u64 __user *)(lg->mem_uaddr + gpa));
}

static int write_gpte(struct lguest *lg, u64 gpa, u64 val)
{
	return put_user(val, (u64 __user *)(lg->mem_uaddr + gpa));
}

/*
 * The host page behind a guest frame, faulted in writable if need be,
 * with a reference for lg_pt_install() to drop; NULL if the launcher
 * has no writable memory there any more.
 */
struct page *lg_get_guest_page(struct lguest *lg, unsigned long gfn)
{
	struct page *page;

	if (get_user_pages_fast(lg->mem_uaddr + (gfn << PAGE_SHIFT), 1, FOLL_WRITE, &page) != 1)
		return NULL;
	return page;
}

/*
 * The host frame behind guest frame @gfn, for a shadow entry, or 0.
 * Looking it up (get_user_pages_fast) is most of a fault's cost under a
 * software CPU, so frames found since the last change to the launcher's
 * mapping are remembered, without references: the whole memo goes with
 * the next change (a new @seq).  *@page is the page when it was looked
 * up now, with a reference for install() to drop.
 */
static u64 guest_frame(struct lguest *lg, unsigned long gfn, unsigned long seq,
		       struct page **page)
{
	void *e;

	if (lg->frames_seq != seq) {
		xa_destroy(&lg->frames);
		lg->frames_seq = seq;
	}
	e = xa_load(&lg->frames, gfn);
	*page = e ? NULL : lg_get_guest_page(lg, gfn);
	if (e)
		return (u64)xa_to_value(e) << PAGE_SHIFT;
	return *page ? page_to_phys(*page) : 0;
}

/* lg_pt_install() for a frame from guest_frame(), which it then remembers. */
static bool install(struct lguest *lg, unsigned long *pte, unsigned long gfn, u64 phys,
		    struct page *page, u64 flags, unsigned long seq)
{
	bool ok;

	spin_lock(&lg->mn_lock);
	ok = !mmu_interval_read_retry(&lg->mn, seq);
	if (ok)
		*pte = phys | flags;
	spin_unlock(&lg->mn_lock);
	if (page) {
		/* A memo that cannot be stored is only a lookup next time. */
		if (ok)
			xa_store(&lg->frames, gfn, xa_mk_value(phys >> PAGE_SHIFT), GFP_KERNEL);
		put_page(page);
	}
	return ok;
}

static bool in_mmio(struct lguest *lg, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < lg->nr_mmio; i++)
		if (gpa >= lg->mmio[i].base && gpa - lg->mmio[i].base < lg->mmio[i].size)
			return true;
	return false;
}

/* What a walk of the guest's page tables found. */
struct gwalk {
	u64 gfn;		/* the guest frame @va lands in */
	bool writable, user, nx;
	bool present;		/* every level present: a denial is a protection fault */
	bool dirty;		/* the leaf entry's D bit (after this walk) */
	bool global;		/* the leaf entry's G bit */
	bool huge;		/* the leaf is a 2 MiB page */
	u64 leaf_gpa;		/* where the leaf entry is */
	bool up_writable, up_user, up_nx;	/* the levels above the leaf */
};

/*
 * Walk the guest's page tables for @va as the CPU would, setting the
 * accessed bits (and, for a write, the dirty bit) the CPU would set.
 * Returns 0 with @w filled, 1 if the guest's tables do not allow the
 * access (a fault for the guest), or -errno after killing the guest.
 */
static int guest_walk(struct lg_vcpu *vcpu, u64 va, u32 access, struct gwalk *w)
{
	struct lguest *lg = vcpu->lg;
	bool write = access & X86_PF_WRITE, user = access & X86_PF_USER;
	bool fetch = access & X86_PF_INSTR;
	u64 gpa = vcpu->regs.cr3, e = 0;
	int level;

	w->writable = true;
	w->user = true;
	w->nx = false;
	w->present = false;
	if (((s64)va << 16 >> 16) != (s64)va)
		return 1;
	/*
	 * The hole is not the guest's: to its user mode it is unmapped, like
	 * any kernel address; its kernel has no business there at all.
	 */
	if (((va >> 39) & 511) == HOLE_SLOT) {
		if (user)
			return 1;
		lg_kill(vcpu, "guest touched the hypervisor hole at %#llx", va);
		return -EFAULT;
	}
	for (level = 4; level >= 1; level--) {
		gpa = (gpa & PTE_ADDR) + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
		if (read_gpte(lg, gpa, &e)) {
			lg_kill(vcpu, "guest page table at %#llx is outside its memory", gpa);
			return -EFAULT;
		}
		if (!(e & _PAGE_PRESENT))
			return 1;
		w->up_writable = w->writable;
		w->up_user = w->user;
		w->up_nx = w->nx;
		w->writable &= !!(e & _PAGE_RW);
		w->user &= !!(e & _PAGE_USER);
		w->nx |= !!(e & _PAGE_NX);
		if (level == 3 && (e & _PAGE_PSE)) {
			lg_kill(vcpu, "guest uses 1 GiB pages at %#llx (unsupported)", va);
			return -EINVAL;
		}
		if (level == 1 || (level == 2 && (e & _PAGE_PSE)))
			break;
		if (!(e & _PAGE_ACCESSED) && write_gpte(lg, gpa, e | _PAGE_ACCESSED))
			return -EFAULT;
		gpa = e;
	}
	w->present = true;
	if ((write && !w->writable) || (user && !w->user) || (fetch && w->nx))
		return 1;

	/* The leaf: accessed always, dirty on a write. */
	if (level == 2)
		w->gfn = ((e & PTE_ADDR & ~((1ULL << 21) - 1)) >> PAGE_SHIFT) + ((va >> 12) & 511);
	else
		w->gfn = (e & PTE_ADDR) >> PAGE_SHIFT;
	w->huge = level == 2;
	w->leaf_gpa = gpa;
	w->dirty = write || (e & _PAGE_DIRTY);
	w->global = e & _PAGE_GLOBAL;
	if ((!(e & _PAGE_ACCESSED) || (write && !(e & _PAGE_DIRTY))) &&
	    write_gpte(lg, gpa, e | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)))
		return -EFAULT;
	return 0;
}

/*
 * The flags of a shadow leaf: writable only once the guest's entry is
 * dirty, so the CPU faults to us for the dirty bit.  A non-global entry
 * marks its PML4 slot for the next flush to walk.
 */
static u64 shadow_flags(struct lg_vcpu *vcpu, u64 va, bool writable, bool user, bool nx,
			bool global)
{
	u64 sflags = _PAGE_PRESENT | _PAGE_ACCESSED;

	if (writable)
		sflags |= _PAGE_RW | _PAGE_DIRTY;
	if (user)
		sflags |= _PAGE_USER;
	if (nx)
		sflags |= _PAGE_NX;
	if (global)
		sflags |= SHADOW_GLOBAL;
	else
		set_bit((va >> 39) & 511, vcpu->shadows[vcpu->asid].nonglobal);
	return sflags;
}

/*
 * Fault-around, as Linux's own for the page cache: the guest entries
 * beside a 4 KiB one are often just as ready (Linux maps a file's pages
 * 16 at a time).  Fill those of the aligned 16 that the guest's tables
 * mark accessed (like KVM's prefetch, never an entry the guest has not
 * used), sparing a fault each.  Anything odd is left to fault.
 */
#define AROUND	16

static void fill_around(struct lg_vcpu *vcpu, unsigned long *table, u64 va,
			const struct gwalk *w, unsigned long seq)
{
	struct lguest *lg = vcpu->lg;
	unsigned int first = ((va >> 12) & 511) & ~(AROUND - 1), i;
	u64 gpte[AROUND], at = (w->leaf_gpa & PAGE_MASK) + first * 8, phys;
	struct page *page;

	if (at > lg->mem_size - sizeof(gpte) ||
	    copy_from_user(gpte, (void __user *)(lg->mem_uaddr + at), sizeof(gpte)))
		return;
	for (i = 0; i < AROUND; i++) {
		u64 e = gpte[i], gfn = (e & PTE_ADDR) >> PAGE_SHIFT;

		if ((table[first + i] & _PAGE_PRESENT) ||
		    (e & (_PAGE_PRESENT | _PAGE_ACCESSED)) != (_PAGE_PRESENT | _PAGE_ACCESSED) ||
		    gfn >= lg->mem_size >> PAGE_SHIFT || in_mmio(lg, gfn << PAGE_SHIFT))
			continue;
		phys = guest_frame(lg, gfn, seq, &page);
		if (phys &&
		    !install(lg, &table[first + i], gfn, phys, page,
			     shadow_flags(vcpu, va, w->up_writable && (e & _PAGE_RW) &&
					  (e & _PAGE_DIRTY), w->up_user && (e & _PAGE_USER),
					  w->up_nx || (e & _PAGE_NX), e & _PAGE_GLOBAL), seq))
			return;
	}
}

/*
 * A 2 MiB guest page is one translation, as Linux's direct map uses them:
 * fill the rest of its 512 shadow entries (@table) now rather than take
 * 511 more faults, which would each find the same guest entry (a write
 * that just set its dirty bit makes them all writable).  What cannot be
 * filled (device memory, pages that will not pin) is left to fault.
 */
static void fill_huge(struct lg_vcpu *vcpu, unsigned long *table, u64 gfn, u64 sflags,
		      unsigned long seq)
{
	struct lguest *lg = vcpu->lg;
	struct page *page;
	unsigned int i;
	u64 phys;

	gfn &= ~511ULL;
	for (i = 0; i < PTRS_PER_PTE; i++, gfn++) {
		if (gfn >= lg->mem_size >> PAGE_SHIFT || in_mmio(lg, gfn << PAGE_SHIFT))
			continue;
		phys = guest_frame(lg, gfn, seq, &page);
		if (phys && !install(lg, &table[i], gfn, phys, page, sflags, seq))
			return;
	}
}

/*
 * The most shadow tables below the PML4s a guest may hold at once: for
 * each address-space id, enough to map all of its memory twice with
 * 4 KiB leaves (one table per 2 MiB: a Linux guest maps its RAM in the
 * direct map and again in its processes), plus 512 for the levels above
 * and for sparse mappings.  In memory that is 1/32 of the guest's plus
 * 2 MiB: 6 MiB for a 128 MiB guest, 2 GiB for the largest (64 GiB); KVM's
 * default is 1/50 (KVM_PERMILLE_MMU_PAGES).  A guest that aliases its
 * memory over more address space than that, in ids it never flushes,
 * reaches the cap; the other ids' shadows are then emptied, and the
 * current one's if need be, as a TLB may forget anything at any time,
 * and the guest faults back in what it uses.
 */
#define SHADOW_SLACK	512

static u64 shadow_cap(struct lguest *lg)
{
	return LG_NR_ASIDS * 2 * (lg->mem_size >> PMD_SHIFT) + SHADOW_SLACK;
}

/*
 * At the cap: forget the other ids' translations, all of them, and if
 * that is not enough the current id's too.  The guest's working set is
 * usually in the id it runs on.
 */
static void shadow_reclaim(struct lg_vcpu *vcpu)
{
	unsigned int i;

	for (i = 0; i < LG_NR_ASIDS; i++)
		if (i != vcpu->asid)
			flush_asid(vcpu, i, false);
	if (vcpu->shadow_tables + 3 > shadow_cap(vcpu->lg))
		flush_asid(vcpu, vcpu->asid, false);
}

/* The current shadow's page table for @va, made if need be; NULL: no memory. */
static unsigned long *shadow_pt(struct lg_vcpu *vcpu, u64 va)
{
	unsigned long *table = vcpu->shadow_pml4;
	int level;

	for (level = 4; level > 1; level--) {
		unsigned int idx = (va >> (12 + 9 * (level - 1))) & 511;

		if (!(table[idx] & _PAGE_PRESENT)) {
			unsigned long *next = alloc_shadow_table(vcpu);

			if (!next)
				return NULL;
			table[idx] = __pa(next) | TABLE_FLAGS;
		}
		table = __va(table[idx] & PTE_ADDR);
	}
	return table;
}

/*
 * The guest faulted at @va.  If its page tables allow the access, fill
 * the shadow.  Returns 0 when the guest can retry, 1 when the fault is
 * the guest's own (to reflect, with *@errcode as the guest's tables
 * would have made it), 2 for an MMIO access, or -errno when the guest
 * must die (lg_kill was called).
 */
int lg_pt_fault(struct lg_vcpu *vcpu, u64 va, u32 *errcode, u64 *mmio_gpa)
{
	struct lguest *lg = vcpu->lg;
	unsigned long *table;
	struct gwalk w;
	unsigned long seq = lg_pt_seq(lg), *pte;
	struct page *page;
	u64 sflags, phys;
	int ret;

	ret = guest_walk(vcpu, va, *errcode, &w);
	/* The guest's own fault: P as its tables, not the shadow, say. */
	if (ret == 1)
		*errcode = (*errcode & ~X86_PF_PROT) | (w.present ? X86_PF_PROT : 0);
	if (ret)
		return ret;
	if (in_mmio(lg, w.gfn << PAGE_SHIFT)) {
		*mmio_gpa = (w.gfn << PAGE_SHIFT) | (va & ~PAGE_MASK);
		return 2;
	}
	if (w.gfn >= lg->mem_size >> PAGE_SHIFT) {
		lg_kill(vcpu, "guest mapped %#llx to frame %#llx outside its memory", va, w.gfn);
		return -EFAULT;
	}
	phys = guest_frame(lg, w.gfn, seq, &page);
	if (!phys) {
		lg_kill(vcpu, "guest memory at %#llx is not the launcher's writable memory",
			w.gfn << PAGE_SHIFT);
		return -EFAULT;
	}

	/* Down the shadow, making tables as needed; a TLB may forget. */
	if (vcpu->shadow_tables + 3 > shadow_cap(lg))
		shadow_reclaim(vcpu);
	table = shadow_pt(vcpu, va);
	if (!table) {
		lg_pt_flush_all(vcpu);
		table = shadow_pt(vcpu, va);
	}
	if (!table) {
		if (page)
			put_page(page);
		lg_kill(vcpu, "out of memory for shadow page tables");
		return -ENOMEM;
	}
	sflags = shadow_flags(vcpu, va, w.writable && w.dirty, w.user, w.nx, w.global) |
		 (w.huge ? SHADOW_HUGE : 0);
	/*
	 * Already so: the CPU faulted for a reason of the guest's own (SMEP
	 * in ring 1, or SMAP for a guest kernel that cleared RFLAGS.AC), not
	 * for a missing shadow entry.
	 */
	pte = &table[(va >> 12) & 511];
	if (*pte == (phys | sflags)) {
		if (page)
			put_page(page);
		return 1;
	}
	/* The launcher's mapping changed meanwhile: the guest faults again. */
	if (!install(lg, pte, w.gfn, phys, page, sflags, seq))
		return 0;
	if (w.huge)
		fill_huge(vcpu, table, w.gfn, sflags, seq);
	else
		fill_around(vcpu, table, va, &w, seq);
	return 0;
}

/* The guest frame behind @va, if the guest kernel may access it so. */
int lg_va_to_gfn(struct lg_vcpu *vcpu, u64 va, u32 access, u64 *gfn)
{
	struct gwalk w;
	int ret = guest_walk(vcpu, va, access, &w);

	if (ret)
		return ret < 0 ? ret : -EFAULT;
	if (w.gfn >= vcpu->lg->mem_size >> PAGE_SHIFT)
		return -EFAULT;
	*gfn = w.gfn;
	return 0;
}

/*
 * Drop one page's translation from one shadow, if it has one.  invlpg
 * drops whatever translation covers @va, a 2 MiB one too (Linux flushes
 * a huge page's unmap with one invlpg): if the entry came from a guest
 * 2 MiB page, or there is none and one may cover @va, drop every entry
 * made from a 2 MiB page in this table (they can only be that page's,
 * in this or an older version), or the other 511 would outlive the flush.
 */
static void flush_one_asid(struct lg_vcpu *vcpu, unsigned int asid, u64 va)
{
	unsigned long *table = vcpu->shadows[asid].pml4, old;
	unsigned int i;
	int level;

	if (!table)
		return;
	for (level = 4; level > 1; level--) {
		unsigned long e = table[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(e & _PAGE_PRESENT) || (level == 4 && ((va >> 39) & 511) == HOLE_SLOT))
			return;
		table = __va(e & PTE_ADDR);
	}
	old = table[(va >> 12) & 511];
	table[(va >> 12) & 511] = 0;
	if ((old & _PAGE_PRESENT) && !(old & SHADOW_HUGE))
		return;
	for (i = 0; i < PTRS_PER_PTE; i++)
		if (table[i] & SHADOW_HUGE)
			table[i] = 0;
}

/*
 * The guest invalidated one page, as invlpg, which also drops global
 * translations cached for other PCIDs: every id forgets the page.
 */
void lg_pt_flush_one(struct lg_vcpu *vcpu, u64 va)
{
	unsigned int i;

	for (i = 0; i < LG_NR_ASIDS; i++)
		flush_one_asid(vcpu, i, va);
}

/*
 * Copy to or from guest-virtual @va as the guest kernel would: used to
 * push event frames and fetch MMIO instructions.  Fails, without killing,
 * unless every byte is mapped to ring 1 (writable, for a write) in
 * ordinary guest RAM.
 */
static int copy_guest(struct lg_vcpu *vcpu, u64 va, void *buf, size_t len, bool write)
{
	struct lguest *lg = vcpu->lg;

	while (len) {
		size_t n = min_t(size_t, len, PAGE_SIZE - (va & ~PAGE_MASK));
		void __user *p;
		struct gwalk w;
		int ret = guest_walk(vcpu, va, write ? X86_PF_WRITE : 0, &w);

		if (ret)
			return ret < 0 ? ret : -EFAULT;
		if (w.gfn >= lg->mem_size >> PAGE_SHIFT)
			return -EFAULT;
		p = (void __user *)(lg->mem_uaddr + (w.gfn << PAGE_SHIFT) + (va & ~PAGE_MASK));
		if (write ? copy_to_user(p, buf, n) : copy_from_user(buf, p, n))
			return -EFAULT;
		buf += n;
		va += n;
		len -= n;
	}
	return 0;
}

int lg_write_guest(struct lg_vcpu *vcpu, u64 va, const void *buf, size_t len)
{
	return copy_guest(vcpu, va, (void *)buf, len, true);
}

int lg_read_guest(struct lg_vcpu *vcpu, u64 va, void *buf, size_t len)
{
	return copy_guest(vcpu, va, buf, len, false);
}
