/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring 3 and back: the guest kernel enters user mode with iretq, user
 * code makes system calls, the kernel answers them through the event
 * entry and returns with iretq.  Twice: first with a kernel stack whose
 * event frame would straddle two pages (the host delivers the syscall),
 * then with an aligned one (the Switcher's fast path delivers it).
 * Both must behave the same.
 */
#include "flat.h"

#define CALLS			1000

	.text
	.globl	_start
_start:
	mov	$KERNEL_BASE + 0x1200000, %rsp
	INIT_EVENTS event

	/* Round 1: the frame would cross a page: the slow path. */
	mov	$LHCALL_SET_STACK, %eax
	mov	$KERNEL_BASE + 0x1100000 + 16, %rdi
	int	$LGUEST_HCALL_VECTOR
	xor	%r15d, %r15d			/* round */
	jmp	to_user

round2:
	mov	$LHCALL_SET_STACK, %eax
	mov	$KERNEL_BASE + 0x1100000, %rdi
	int	$LGUEST_HCALL_VECTOR
	mov	$1, %r15d

to_user:
	TO_USER	user, 0x1300000

/* The event entry: only system calls are expected. */
event:
	cmpq	$LGUEST_EVENT_SYSCALL, (%rsp)
	jne	panic
	cmpq	$USER_CS, 24(%rsp)		/* it came from ring 3 */
	jne	panic
	cmp	16(%rsp), %rcx			/* rcx = return address, as native */
	jne	panic
	cmp	$42, %eax
	je	answer
	cmp	$99, %eax
	je	done
	jmp	panic
answer:
	mov	$43, %eax
	add	$16, %rsp
	iretq
done:
	test	%r15d, %r15d
	jz	round2
	POWEROFF
panic:
	PANIC

/* Ring 3: CALLS system calls, each must answer 43 and keep rbx. */
user:
	mov	$CALLS, %r12d
	mov	$0x5555, %ebx
1:	mov	$42, %eax
	syscall
	cmp	$43, %eax
	jne	ufail
	cmp	$0x5555, %ebx
	jne	ufail
	dec	%r12d
	jnz	1b
	mov	$99, %eax
	syscall
ufail:
	mov	$98, %eax
	syscall
