// SPDX-License-Identifier: GPL-2.0
/*
 * lg.ko: where the host side of lguest begins.
 *
 * Loading the module makes /dev/lguest appear; each open() of it will be
 * one guest.  Unloading is only possible when no file is open, because
 * the misc device holds a module reference for every open file.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <asm/desc.h>
#include <asm/pgtable.h>
#include <asm/trapnr.h>
#include "lg.h"

/*
 * The hypervisor hole: PML4 slot 256 with 4-level paging, PML5 slot 256
 * with 5-level.  Linux reserves it and never maps anything there.
 */
unsigned long lg_switcher_va;
struct page *lg_switcher_text[SW_TEXT_PAGES], *lg_idt_page;

static void lg_free_switcher(void)
{
	int i;

	for (i = 0; i < SW_TEXT_PAGES; i++)
		if (lg_switcher_text[i])
			__free_page(lg_switcher_text[i]);
	if (lg_idt_page)
		__free_page(lg_idt_page);
}

/*
 * Copy the Switcher's text into pages of its own, and build the one IDT
 * every guest runs with: vector N goes to stub N, all ring 0 only but the
 * hypercall (ring 1) and int3 (so guest code can break into itself).
 * NMI, #DF, #MC and #DB have stacks of their own (IST): they can arrive
 * in the Switcher itself (switcher.S).
 */
static int lg_setup_switcher(void)
{
	size_t len = lg_switcher_end - lg_switcher_start;
	gate_desc *idt;
	int i;

	if (len > SW_TEXT_PAGES * PAGE_SIZE)
		return -E2BIG;
	lg_switcher_va = pgtable_l5_enabled() ? 0xff00000000000000UL : 0xffff800000000000UL;

	for (i = 0; i < SW_TEXT_PAGES; i++) {
		lg_switcher_text[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!lg_switcher_text[i])
			goto nomem;
		memcpy(page_address(lg_switcher_text[i]), lg_switcher_start + i * PAGE_SIZE,
		       min_t(size_t, PAGE_SIZE, len - min_t(size_t, len, i * PAGE_SIZE)));
	}
	lg_idt_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!lg_idt_page)
		goto nomem;

	idt = page_address(lg_idt_page);
	for (i = 0; i < 256; i++) {
		unsigned long stub = lg_switcher_va + (lg_sw_vectors - lg_switcher_start) + 16 * i;
		unsigned int dpl = 0, ist = 0;

		if (i == LG_HCALL_VECTOR)
			dpl = 1;
		else if (i == X86_TRAP_BP)
			dpl = 3;
		else if (i == X86_TRAP_NMI)
			ist = 1;
		else if (i == X86_TRAP_DF)
			ist = 2;
		else if (i == X86_TRAP_MC)
			ist = 3;
		else if (i == X86_TRAP_DB)
			ist = 4;
		pack_gate(&idt[i], GATE_INTERRUPT, stub, dpl, ist, SW_CS);
	}
	return 0;
nomem:
	lg_free_switcher();
	return -ENOMEM;
}

static const struct file_operations lg_fops = {
	.owner		= THIS_MODULE,
	.open		= lg_open,
	.release	= lg_release,
	.mmap		= lg_mmap,
	.unlocked_ioctl	= lg_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice lg_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "lguest",
	.fops	= &lg_fops,
	/* Who may use it is policy: the packaged udev rule sets it. */
	.mode	= 0600,
};

/*
 * Is vector 0x80 Linux's own int $0x80 entry, which user space may raise
 * (DPL 3), rather than a device interrupt's stub (DPL 0)?
 */
static bool __init lg_int80_reserved(void)
{
	struct desc_ptr idt;
	const gate_desc *gate;

	if (!IS_ENABLED(CONFIG_IA32_EMULATION))
		return false;
	store_idt(&idt);
	gate = (const gate_desc *)idt.address + IA32_SYSCALL_VECTOR;
	return gate->bits.p && gate->bits.dpl == 3;
}

static int __init lg_init(void)
{
	int err;

	if (!IS_ENABLED(CONFIG_X86_64))
		return -ENODEV;
#ifdef X86_FEATURE_FRED
	/* With FRED the CPU ignores the IDT the Switcher relies on. */
	if (cpu_feature_enabled(X86_FEATURE_FRED)) {
		pr_err("lguest: hosts running FRED event delivery are not supported yet\n");
		return -ENODEV;
	}
#endif
	/*
	 * The hypercall is int $0x80 in our IDT.  A device interrupt on that
	 * vector would arrive as a hypercall: only a kernel that keeps 0x80
	 * for its own int $0x80 entry (IA32 emulation) never hands it out.
	 * Built in is not enough: "ia32_emulation=false" (6.7 on) leaves the
	 * vector to devices, so ask the IDT.
	 */
	if (!lg_int80_reserved()) {
		pr_err("lguest: needs vector 0x80 reserved: a host kernel with CONFIG_IA32_EMULATION, not booted with ia32_emulation=false\n");
		return -ENODEV;
	}

	lg_fpu_setup();
	err = lg_setup_switcher();
	if (err)
		return err;
	err = misc_register(&lg_dev);
	if (err) {
		lg_free_switcher();
		return err;
	}

	pr_info("lguest: /dev/lguest ready (ABI %d)\n", LGUEST_ABI_VERSION);
	return 0;
}

static void __exit lg_exit(void)
{
	misc_deregister(&lg_dev);
	lg_free_switcher();
}

module_init(lg_init);
module_exit(lg_exit);
MODULE_DESCRIPTION("lguest: paravirtual Linux-on-Linux hypervisor");
MODULE_LICENSE("GPL");
MODULE_ALIAS_MISCDEV(MISC_DYNAMIC_MINOR);
MODULE_ALIAS("devname:lguest");
