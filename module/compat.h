/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where Linux changed under us.  lg.ko builds on every kernel from 6.1 on;
 * each difference it must bridge is here, once, with the kernel version and
 * commit that made it necessary, so the rest of the module reads as if
 * there were one Linux.
 */
#ifndef LG_COMPAT_H
#define LG_COMPAT_H

#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/thread_info.h>
#include <linux/version.h>
#include <asm/cpufeatures.h>
#include <asm/msr.h>

/*
 * 6.13, 26baa1f1c4bd ("sched: Add TIF_NEED_RESCHED_LAZY infrastructure"):
 * lazy preemption asks a task to reschedule with a flag of its own.
 * Before it, there is only the one flag.
 */
#ifndef TIF_NEED_RESCHED_LAZY
#define TIF_NEED_RESCHED_LAZY TIF_NEED_RESCHED
#endif

/*
 * 6.16, c435e608cf59 ("x86/msr: Rename 'rdmsrl()' to 'rdmsrq()'") and its
 * wrmsrq twin 78255eb23973; 666a5742b721 ("x86/msr: Remove rdmsrl()") and
 * b5884070f9da ("x86/msr: Remove wrmsrl()") took the old names away in
 * 7.x (Debian's 7.3 has only the new).  Before 6.16: only the old.
 */
#ifndef rdmsrq
#define rdmsrq(msr, val) rdmsrl(msr, val)
#define wrmsrq(msr, val) wrmsrl(msr, val)
#endif

/*
 * 6.15 ("x86/bugs: Remove X86_FEATURE_USE_IBPB"): whether to issue IBPB
 * between guests became the CPU feature alone, as KVM has it since.
 */
#ifdef X86_FEATURE_USE_IBPB
#define LG_FEATURE_IBPB X86_FEATURE_USE_IBPB
#else
#define LG_FEATURE_IBPB X86_FEATURE_IBPB
#endif

/*
 * 6.13, 908a1d775422 ("hrtimers: Introduce hrtimer_setup() to replace
 * hrtimer_init()"): one call sets the timer up with its function;
 * 6.15, 9779489a31d7 ("hrtimers: Delete hrtimer_init()") took the old way
 * away.  Before 6.13: the old way.  (By MAJOR and PATCHLEVEL, not
 * LINUX_VERSION_CODE, which checkpatch rightly bans in tree.)
 */
#if KERNEL_VERSION(LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL, 0) < KERNEL_VERSION(6, 13, 0)
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

/*
 * 55cbcb6731bb ("x86/cpu: Do not include the CPUID API header in
 * asm/processor.h"): cpuid_count() wants asm/cpuid/api.h of its own, and
 * that API names the XSAVE leaf CPUID_LEAF_XSTATE (asm/cpuid/types.h)
 * where older kernels have XSTATE_CPUID (asm/fpu/xstate.h).
 */
#if __has_include("asm/cpuid/api.h")
#include <asm/cpuid/api.h>
#endif
#ifndef CPUID_LEAF_XSTATE
#define CPUID_LEAF_XSTATE XSTATE_CPUID
#endif

/*
 * 6.8, "eventfd: simplify eventfd_signal()": the count,
 * always 1 in practice, went away.
 */
#if KERNEL_VERSION(LINUX_VERSION_MAJOR, LINUX_VERSION_PATCHLEVEL, 0) < KERNEL_VERSION(6, 8, 0)
#define lg_eventfd_signal(ctx) eventfd_signal(ctx, 1)
#else
#define lg_eventfd_signal(ctx) eventfd_signal(ctx)
#endif

#endif /* LG_COMPAT_H */
