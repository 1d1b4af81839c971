/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where Linux changed under us.  lg.ko builds on every kernel from 6.1 on;
 * each difference it must bridge is here, once, with the kernel version and
 * commit that made it necessary, so the rest of the module reads as if
 * there were one Linux.
 */
#ifndef LG_COMPAT_H
#define LG_COMPAT_H

#include <linux/thread_info.h>
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
 * wrmsrq twin; the old names are gone from 7.0.  Before: only the old.
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

#endif /* LG_COMPAT_H */
