/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypercall ring in lguest_data: a queued flush takes effect at the
 * next hypercall, not before, and the slot is handed back empty.  Then a
 * hypercall that may not be queued (a shutdown) kills the guest.
 */
#include "flat.h"

#define PT		(KERNEL_BASE + 0x8000)		/* the 4K page table */
#define VA(n)		(KERNEL_BASE + 0x3e00000 + (n) * 4096)
#define DATA		(KERNEL_BASE + DATA_GPA)

	.text
	.globl	_start
_start:
	mov	$KERNEL_BASE + 0x1200000, %rsp
	INIT_EVENTS event
	movq	$0x1111, VA(5)
	movq	$0x2222, VA(6)
	cmpq	$0x1111, VA(5)			/* now in the shadow */
	jne	bad
	mov	PT + 6 * 8, %rax		/* page 5 -> page 6's frame */
	mov	%rax, PT + 5 * 8
	movq	$LHCALL_FLUSH_TLB_ONE, DATA + RING
	movq	$VA(5), %rax
	mov	%rax, DATA + RING + 8
	movb	$0, DATA + RING_STATUS
	cmpq	$0x1111, VA(5)			/* queued, not yet done */
	jne	bad
	HCALL	LHCALL_FLUSH_ASYNC
	cmpq	$0x2222, VA(5)
	jne	bad
	cmpb	$0xff, DATA + RING_STATUS	/* slot handed back */
	jne	bad
	HCALL	LHCALL_CONSOLE_WRITE, 0, 0	/* "so far so good" */

	movq	$LHCALL_SHUTDOWN, DATA + RING + 32
	movb	$0, DATA + RING_STATUS + 1
	HCALL	LHCALL_FLUSH_ASYNC
	POWEROFF				/* must not get here */
event:
bad:
	PANIC
