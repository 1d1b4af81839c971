/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest guest: say hello on the console, then power off.
 * Entered in ring 1 at its first byte, with paging on.
 */
#include "flat.h"

	.text
	.globl	_start
_start:
	/* FPU: our xmm7 must survive the launcher's trip to user space. */
	mov	$0x0123456789abcdef, %rax
	movq	%rax, %xmm7
	mov	$LHCALL_CONSOLE_WRITE, %eax
	lea	msg(%rip), %rdi
	/* guest-physical = virtual - 0xffffffff80000000 */
	mov	$0xffffffff80000000, %rcx
	sub	%rcx, %rdi
	mov	$msg_len, %esi
	int	$LGUEST_HCALL_VECTOR
	movq	%xmm7, %rax
	mov	$0x0123456789abcdef, %rcx
	cmp	%rcx, %rax
	jne	bad
	/* Registers survive a hypercall: r12 must still hold our value. */
	mov	$0x1234567890abcdef, %r12
	mov	$LHCALL_FLUSH_TLB, %eax
	xor	%edi, %edi			/* this address space */
	int	$LGUEST_HCALL_VECTOR
	mov	$0x1234567890abcdef, %rcx
	cmp	%rcx, %r12
	jne	bad

	/* Events: register the shared page and entry, then trip #UD and #GP. */
	mov	$KERNEL_BASE + 0x1200000, %rsp
	INIT_EVENTS event
	xor	%r13d, %r13d
	ud2
	cli				/* ring 1 may not: #GP */
	cmp	$0x0600 + 0x0d, %r13	/* #UD then #GP, in that order */
	jne	bad

	/* MMIO: a device page at guest-physical 256 MiB (t_hello.c). */
	mov	$KERNEL_BASE + 0x10000000, %rbx
	mov	$0xabcd1234, %ecx
	mov	%ecx, 4(%rbx)			/* writel */
	mov	$-1, %rdx
	mov	8(%rbx), %edx			/* readl: zero-extends */
	cmp	$0x55aa55aa, %rdx
	jne	bad
	movb	$0x77, %r9b
	mov	%r9b, 0x10(%rbx)		/* writeb */
	mov	$LHCALL_SHUTDOWN, %eax
	mov	$LGUEST_SHUTDOWN_POWEROFF, %edi
	lea	bye(%rip), %rsi
	mov	$0xffffffff80000000, %rcx
	sub	%rcx, %rsi
	int	$LGUEST_HCALL_VECTOR
	ud2
bad:
	PANIC

/* Count events in r13 (vector << 8 after the first), skip the instruction. */
event:
	shl	$8, %r13
	add	(%rsp), %r13
	cmpq	$6, (%rsp)
	je	1f
	cmpq	$13, (%rsp)
	jne	bad
	addq	$1, 16(%rsp)		/* cli is one byte */
	jmp	2f
1:	addq	$2, 16(%rsp)		/* ud2 is two */
2:	add	$16, %rsp
	iretq

msg:	.ascii	"hello from ring 1\n"
	msg_len = . - msg
bye:	.asciz	"bye"
