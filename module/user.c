// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/lguest interface: how a launcher talks to lg.ko.
 *
 * One open file is one guest, today with one vCPU: LGUEST_SET_REGS,
 * LGUEST_GET_REGS, LGUEST_RUN, LGUEST_IRQ and the run page are vCPU 0's.
 * Every call checks all of its input before it changes anything, so a
 * bad call returns an errno and leaves the guest exactly as it was.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "lg.h"

static bool all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long lg_version(struct lguest_version __user *uarg)
{
	struct lguest_version v;

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	if (v.flags || !all_zero(v.reserved, sizeof(v.reserved)))
		return -EINVAL;

	v.abi_version = LGUEST_ABI_VERSION;
	v.features = LGUEST_FEATURES_ALL;
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

/* The guest's physical address space: RAM from 0, then MMIO ranges. */
#define LG_GUEST_PHYS_LIMIT	BIT_ULL(46)

static int check_mmio(const struct lguest_init *init)
{
	unsigned int i, j;

	for (i = 0; i < LGUEST_MAX_MMIO; i++) {
		const struct lguest_mmio_range *r = &init->mmio[i];

		if (i >= init->nr_mmio) {
			if (r->base || r->size)
				return -EINVAL;
			continue;
		}
		if (!r->size || !PAGE_ALIGNED(r->base) || !PAGE_ALIGNED(r->size))
			return -EINVAL;
		if (r->base < init->mem_size || r->size > LG_GUEST_PHYS_LIMIT ||
		    r->base > LG_GUEST_PHYS_LIMIT - r->size)
			return -EINVAL;
		for (j = 0; j < i; j++) {
			const struct lguest_mmio_range *o = &init->mmio[j];

			if (r->base < o->base + o->size && o->base < r->base + r->size)
				return -EINVAL;
		}
	}
	return 0;
}

/*
 * Undo lg_vcpu_init() for every vCPU, all or the part it did (a vCPU it
 * never reached has nothing to free): a failed LGUEST_INIT may be retried.
 */
static void lg_free_vcpus(struct lguest *lg)
{
	unsigned int i;

	for (i = 0; i < lg->nr_vcpus; i++)
		lg_vcpu_free(lg->vcpus[i]);
}

static long lg_init(struct lguest *lg, struct lguest_init __user *uarg)
{
	struct lguest_init init;
	unsigned int i;
	int err;

	if (copy_from_user(&init, uarg, sizeof(init)))
		return -EFAULT;
	if (init.flags || init.reserved0 || !all_zero(init.reserved, sizeof(init.reserved)))
		return -EINVAL;
	if (init.mem_size < LGUEST_MIN_MEM || init.mem_size > LGUEST_MAX_MEM ||
	    !IS_ALIGNED(init.mem_size, LGUEST_MIN_MEM) || !PAGE_ALIGNED(init.mem_uaddr))
		return -EINVAL;
	if (init.nr_mmio > LGUEST_MAX_MMIO)
		return -EINVAL;
	err = check_mmio(&init);
	if (err)
		return err;
	/* The memory must be the caller's: user addresses, no wrap. */
	if (!access_ok((void __user *)init.mem_uaddr, init.mem_size))
		return -EFAULT;

	if (lg->initialised)
		return -EEXIST;

	for (i = 0; i < lg->nr_vcpus; i++) {
		err = lg_vcpu_init(lg->vcpus[i]);
		if (err) {
			lg_free_vcpus(lg);
			return err;
		}
	}
	lg->mem_uaddr = init.mem_uaddr;
	lg->mem_size = init.mem_size;
	err = lg_pt_watch(lg);
	if (err) {
		lg_free_vcpus(lg);
		lg->mem_uaddr = 0;
		lg->mem_size = 0;
		return err;
	}
	lg->nr_mmio = init.nr_mmio;
	memcpy(lg->mmio, init.mmio, sizeof(lg->mmio));
	mmgrab(current->mm);
	lg->mm = current->mm;
	/* Publish the guest to lockless LGUEST_IRQ callers. */
	smp_store_release(&lg->initialised, true);
	return 0;
}

static bool canonical(u64 addr)
{
	return ((s64)addr << 16 >> 16) == (s64)addr;
}

/* The flags a guest may own; IF is virtual and IOPL, NT, RF, VM are ours. */
#define LG_GUEST_RFLAGS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
			 X86_EFLAGS_DF | X86_EFLAGS_OF | X86_EFLAGS_AC | \
			 X86_EFLAGS_FIXED)

static long lg_set_regs(struct lg_vcpu *vcpu, struct lguest_regs __user *uarg)
{
	struct lguest_regs regs;

	if (copy_from_user(&regs, uarg, sizeof(regs)))
		return -EFAULT;
	if (!all_zero(regs.reserved, sizeof(regs.reserved)))
		return -EINVAL;
	if (regs.rflags & ~LG_GUEST_RFLAGS)
		return -EINVAL;
	if (!canonical(regs.rip) || !canonical(regs.rsp) || !canonical(regs.cr2) ||
	    !canonical(regs.fs_base) || !canonical(regs.gs_base) ||
	    !canonical(regs.kernel_gs_base))
		return -EINVAL;
	if (!PAGE_ALIGNED(regs.cr3) || regs.cr3 >= vcpu->lg->mem_size)
		return -EINVAL;

	regs.rflags |= X86_EFLAGS_FIXED;
	vcpu->regs = regs;
	return 0;
}

static long lg_get_regs(struct lg_vcpu *vcpu, struct lguest_regs __user *uarg)
{
	return copy_to_user(uarg, &vcpu->regs, sizeof(vcpu->regs)) ? -EFAULT : 0;
}

static long lg_irq(struct lguest *lg, struct lguest_irq __user *uarg)
{
	struct lguest_irq irq;

	/* Pairs with lg_init's release: the guest is fully set up. */
	if (!smp_load_acquire(&lg->initialised))
		return -EBADFD;
	if (copy_from_user(&irq, uarg, sizeof(irq)))
		return -EFAULT;
	/* Line 0 is the guest's own timer. */
	if (irq.flags || irq.irq == 0 || irq.irq >= LGUEST_NR_IRQS)
		return -EINVAL;
	lg_raise_irq(lg->vcpus[0], irq.irq);
	return 0;
}

/*
 * The counters, summed over the vCPUs, read while they may be running on
 * other threads: each is one whole u64 (lg_count), not all from one instant.
 */
static long lg_get_stats(struct lguest *lg, struct lguest_stats __user *uarg)
{
	struct lguest_stats *st;
	u32 size, flags;
	u64 *to;
	const u64 *from;
	unsigned int i, v;
	long ret;

	BUILD_BUG_ON(sizeof(*st) != LGUEST_STATS_SIZE_VER0);
	/* Pairs with lg_init's release: the guest is fully set up. */
	if (!smp_load_acquire(&lg->initialised))
		return -EBADFD;
	if (get_user(size, &uarg->size) || get_user(flags, &uarg->flags))
		return -EFAULT;
	if (size != sizeof(*st) || flags)
		return -EINVAL;
	ret = check_zeroed_user(uarg->reserved, sizeof(uarg->reserved));
	if (ret <= 0)
		return ret ? ret : -EINVAL;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->size = sizeof(*st);
	to = &st->world_switches;
	for (v = 0; v < lg->nr_vcpus; v++) {
		from = &lg->vcpus[v]->stats.world_switches;
		for (i = 0; to + i < (u64 *)st->reserved; i++)
			to[i] += READ_ONCE(from[i]);
	}
	ret = copy_to_user(uarg, st, sizeof(*st)) ? -EFAULT : 0;
	kfree(st);
	return ret;
}

long lg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct lguest *lg = file->private_data;
	struct lg_vcpu *vcpu = lg->vcpus[0];
	void __user *uarg = (void __user *)arg;
	long ret = -ENOTTY;

	if (cmd == LGUEST_VERSION)
		return lg_version(uarg);
#ifdef CONFIG_LG_HARNESS_SELFTEST
	if (cmd == LGUEST_SELFTEST_OOPS)
		return lg_selftest_oops();
#endif

	switch (cmd) {
	case LGUEST_INIT:
	case LGUEST_SET_REGS:
	case LGUEST_GET_REGS:
	case LGUEST_RUN:
	case LGUEST_IOEVENTFD:
	case LGUEST_IRQFD:
		break;
	case LGUEST_IRQ:
		/* No lock: any thread may raise a line while the guest runs. */
		return lg_irq(lg, uarg);
	case LGUEST_GET_STATS:
		/* Nor to read the counters. */
		return lg_get_stats(lg, uarg);
	default:
		return -ENOTTY;
	}

	mutex_lock(&lg->lock);
	if (cmd != LGUEST_INIT && !lg->initialised) {
		ret = -EBADFD;
		goto out;
	}
	/* Interrupts may be bound while the guest runs, as LGUEST_IRQ raises them. */
	if (cmd == LGUEST_IRQFD) {
		ret = lg_irqfd(lg, uarg);
		goto out;
	}
	/* While one thread runs the guest its state is that thread's. */
	if (vcpu->task) {
		ret = -EBUSY;
		goto out;
	}
	switch (cmd) {
	case LGUEST_INIT:
		ret = lg_init(lg, uarg);
		break;
	case LGUEST_SET_REGS:
		ret = lg_set_regs(vcpu, uarg);
		break;
	case LGUEST_GET_REGS:
		ret = lg_get_regs(vcpu, uarg);
		break;
	case LGUEST_IOEVENTFD:
		ret = lg_ioeventfd(lg, uarg);
		break;
	case LGUEST_RUN:
		if (arg) {
			ret = -EINVAL;
			break;
		}
		WRITE_ONCE(vcpu->task, current);
		mutex_unlock(&lg->lock);
		ret = lg_run(vcpu);
		mutex_lock(&lg->lock);
		WRITE_ONCE(vcpu->task, NULL);
		break;
	}
out:
	mutex_unlock(&lg->lock);
	return ret;
}

/* The vCPUs' own allocations, and the guest's: lg_vcpu_free() did the rest. */
static void lg_free(struct lguest *lg)
{
	unsigned int i;

	for (i = 0; i < lg->nr_vcpus; i++) {
		free_page((unsigned long)lg->vcpus[i]->run);
		kfree(lg->vcpus[i]);
	}
	kfree(lg);
}

/*
 * A guest and its vCPUs, each with its run page: the launcher may map
 * that before LGUEST_INIT, so they are made here.
 */
int lg_open(struct inode *inode, struct file *file)
{
	struct lguest *lg = kzalloc(sizeof(*lg), GFP_KERNEL);
	struct lg_vcpu *vcpu;

	if (!lg)
		return -ENOMEM;
	BUILD_BUG_ON(sizeof(struct lguest_run) > PAGE_SIZE);
	while (lg->nr_vcpus < LG_MAX_VCPUS) {
		vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL);
		if (!vcpu) {
			lg_free(lg);
			return -ENOMEM;
		}
		vcpu->run = (struct lguest_run *)get_zeroed_page(GFP_KERNEL);
		if (!vcpu->run) {
			kfree(vcpu);
			lg_free(lg);
			return -ENOMEM;
		}
		vcpu->lg = lg;
		vcpu->index = lg->nr_vcpus;
		lg->vcpus[lg->nr_vcpus++] = vcpu;
	}
	mutex_init(&lg->lock);
	INIT_LIST_HEAD(&lg->irqfds);
	file->private_data = lg;
	return 0;
}

int lg_release(struct inode *inode, struct file *file)
{
	struct lguest *lg = file->private_data;

	/* First, so that no eventfd raises a line of a vCPU being freed. */
	lg_eventfd_release(lg);
	if (lg->initialised) {
		lg_pt_unwatch(lg);
		lg_free_vcpus(lg);
		mmdrop(lg->mm);
	}
	lg_free(lg);
	return 0;
}

/* The run page is data: it may never become executable. */
static int lg_run_mprotect(struct vm_area_struct *vma, unsigned long start,
			   unsigned long end, unsigned long newflags)
{
	return newflags & VM_EXEC ? -EACCES : 0;
}

static const struct vm_operations_struct lg_run_vm_ops = {
	.mprotect = lg_run_mprotect,
};

/* vCPU 0's run page: offset 0, one page, shared, never executable. */
int lg_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct lguest *lg = file->private_data;

	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vma->vm_ops = &lg_run_vm_ops;
	return vm_insert_page(vma, vma->vm_start, virt_to_page(lg->vcpus[0]->run));
}
