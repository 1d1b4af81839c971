/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core benchmark guest (make bench-core).  Each phase runs N
 * operations between two console hypercalls, which are the launcher's
 * clock marks (the launcher times the phases; see
 * tests/vm/progs/t_bench_core.c):
 *
 *   1  hypercall round trip (LHCALL_SEND_INTERRUPTS: two world switches)
 *   2  system call from ring 3 to the guest kernel and back, fast path
 *   3  the same through the host (slow path)
 *   4  shadow page fault fill (touch a page after a full flush)
 *   5  one PTE update: write the guest PTE, LHCALL_FLUSH_TLB_ONE
 *   6  batched PTE updates: 64 PTE writes, 64 LHCALL_FLUSH_TLB_ONE queued
 *      in lguest_data's ring, one LHCALL_FLUSH_ASYNC
 */
#include "flat.h"

#define N			20000
#define PAGES			4096		/* page touches in phase 4 */
#define PT_VA			(KERNEL_BASE + 0x3e00000)	/* 4K-mapped (flatguest.h) */
#define PT_GPA			0x8000

.macro MARK n
	HCALL	LHCALL_CONSOLE_WRITE, \n
.endm

	.text
	.globl	_start
_start:
	mov	$KERNEL_BASE + 0x1200000, %rsp
	INIT_EVENTS event
	mov	$LHCALL_SET_STACK, %eax
	mov	$KERNEL_BASE + 0x1100000, %rdi
	int	$LGUEST_HCALL_VECTOR

	MARK	0
	mov	$N, %ecx
1:	mov	$LHCALL_SEND_INTERRUPTS, %eax
	int	$LGUEST_HCALL_VECTOR
	dec	%ecx
	jnz	1b
	MARK	1

	xor	%r15d, %r15d			/* 0: fast path round */
	jmp	to_user
after_user:
	test	%r15d, %r15d
	jnz	after_slow
	MARK	2
	/* The frame straddles two pages: no alias, the slow path. */
	mov	$LHCALL_SET_STACK, %eax
	mov	$KERNEL_BASE + 0x1100000 + 16, %rdi
	int	$LGUEST_HCALL_VECTOR
	mov	$1, %r15d
	jmp	to_user
after_slow:
	MARK	3

	/*
	 * Shadow fills: every touch after a full flush is a fault.  In the
	 * 4 KiB-mapped 2 MiB, 8 times: a 2 MiB page would be filled whole
	 * at its first fault.  Each time its entries are made not accessed
	 * first, or the host's fault-around would fill 16 at a time.
	 */
	mov	$PAGES / 512, %r12d
2:	mov	$KERNEL_BASE + PT_GPA, %rbx
	mov	$512, %ecx
3:	andq	$~0x20, (%rbx)
	add	$8, %rbx
	dec	%ecx
	jnz	3b
	mov	$LHCALL_FLUSH_TLB, %eax
	xor	%edi, %edi			/* this address space */
	int	$LGUEST_HCALL_VECTOR
	mov	$PT_VA, %rbx
	mov	$512, %ecx
1:	mov	(%rbx), %al
	add	$4096, %rbx
	dec	%ecx
	jnz	1b
	dec	%r12d
	jnz	2b
	MARK	4

	/* One PTE update at a time: write, flush that page. */
	mov	$KERNEL_BASE + PT_GPA, %rbx	/* the PT, through the kernel map */
	mov	$N, %r12d
1:	xorq	$2, 8(%rbx)			/* toggle RW of the PTE for page 1 */
	mov	$LHCALL_FLUSH_TLB_ONE, %eax
	mov	$PT_VA + 4096, %rdi
	int	$LGUEST_HCALL_VECTOR
	dec	%r12d
	jnz	1b
	MARK	5

	/* Batched: 64 PTE writes, their flushes queued, one hypercall. */
	mov	$KERNEL_BASE + DATA_GPA, %r13		/* lguest_data */
	mov	$N / 64, %r12d
1:	xor	%ecx, %ecx
2:	xorq	$2, (%rbx, %rcx, 8)
	mov	%rcx, %rdx
	shl	$5, %rdx				/* 32-byte slots */
	movq	$LHCALL_FLUSH_TLB_ONE, RING(%r13, %rdx)
	mov	%rcx, %rax
	shl	$12, %rax
	add	$PT_VA, %rax
	mov	%rax, RING + 8(%r13, %rdx)
	movb	$0, RING_STATUS(%r13, %rcx)
	inc	%ecx
	cmp	$64, %ecx
	jne	2b
	HCALL	LHCALL_FLUSH_ASYNC
	dec	%r12d
	jnz	1b
	MARK	6

	POWEROFF

to_user:
	TO_USER	user, 0x1300000

/* System calls: 1 returns at once, 2 ends the round. */
event:
	cmpq	$LGUEST_EVENT_SYSCALL, (%rsp)
	jne	bad
	cmp	$2, %eax
	je	1f
	add	$16, %rsp
	iretq
1:	add	$56, %rsp			/* drop the frame: back in the kernel */
	jmp	after_user
bad:
	PANIC

user:
	mov	$N, %r12d
1:	mov	$1, %eax
	syscall
	dec	%r12d
	jnz	1b
	mov	$2, %eax
	syscall
