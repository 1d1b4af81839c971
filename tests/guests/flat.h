/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the flat assembly guests (launched by tests/vm/progs/flatguest.h):
 * the ABI's numbers (include/uapi/linux/lguest.h, assembled with
 * -D__ASSEMBLY__) and the few moves every one of them makes.
 */
#ifndef FLAT_H
#define FLAT_H

#include <linux/lguest.h>

#define USER_CS			LGUEST_USER_CS
#define USER_DS			LGUEST_USER_DS
#define KERNEL_BASE		0xffffffff80000000
#define DATA_GPA		0x5000		/* a free page for lguest_data */
#define RING_STATUS		48		/* offsets in struct lguest_data */
#define RING			112

/* Hypercall NR with up to two arguments (clobbers rax, rdi, rsi). */
.macro HCALL nr, a0=0, a1=0
	mov	$\nr, %eax
	mov	$\a0, %rdi
	mov	$\a1, %rsi
	int	$LGUEST_HCALL_VECTOR
.endm

.macro POWEROFF
	HCALL	LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_POWEROFF
	ud2
.endm

.macro PANIC
	HCALL	LHCALL_SHUTDOWN, LGUEST_SHUTDOWN_PANIC
	ud2
.endm

/* Register lguest_data and EVENT as the event entry. */
.macro INIT_EVENTS event
	mov	$LHCALL_INIT, %eax
	mov	$DATA_GPA, %edi
	lea	\event(%rip), %rsi
	int	$LGUEST_HCALL_VECTOR
.endm

/* iretq to ring 3 at LABEL (run from the identity map), stack STACK. */
.macro TO_USER label, stack
	lea	\label(%rip), %rax
	mov	$KERNEL_BASE, %rcx
	sub	%rcx, %rax
	push	$USER_DS
	push	$\stack
	push	$0x202
	push	$USER_CS
	push	%rax
	iretq
.endm

#endif
