/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test guests' entry points: boot, the event entry, setjmp/longjmp
 * and the way into ring 3.
 */
/*
 * include/uapi/linux/lguest.h has no __ASSEMBLY__ guard, so assembly
 * cannot include it: these restate its numbers, and rt.c checks at build
 * time that they still agree.
 */
#define LGUEST_ABI_VERSION	1
#define LGUEST_USER_CS		0x33
#define LGUEST_USER_DS		0x2b

/* The lguest ELF notes (docs/abi.md): the entry point and the ABI. */
	.section .note.Lguest, "a"
	.balign 4
	.long	2f - 1f, 4f - 3f, 1
1:	.asciz	"Lguest"
2:	.balign	4
3:	.quad	_start
4:	.balign	4
	.long	2f - 1f, 4f - 3f, 2
1:	.asciz	"Lguest"
2:	.balign	4
3:	.long	LGUEST_ABI_VERSION
4:	.balign	4

	.section .text.head, "ax"
	.globl	_start
_start:
	/* Our own stack, in the kernel map, 16-byte aligned. */
	lea	rt_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	rt_main
	ud2

	.text
/*
 * The event entry: the host pushed struct lguest_event_frame (vector,
 * error code, then an iretq frame) and came here in ring 1 with
 * irq_enabled cleared.  Save everything, let C look at it, go back.
 */
	.globl	rt_event_entry
rt_event_entry:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	mov	%rsp, %rbx
	and	$-16, %rsp
	cld
	call	rt_event		/* restores irq_enabled from RFLAGS.IF */
	mov	%rbx, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp
	iretq

/* int rt_setjmp(struct rt_jmp *j); void rt_longjmp(struct rt_jmp *j, int v) */
	.globl	rt_setjmp
rt_setjmp:
	mov	%rbx, 0(%rdi)
	mov	%rbp, 8(%rdi)
	mov	%r12, 16(%rdi)
	mov	%r13, 24(%rdi)
	mov	%r14, 32(%rdi)
	mov	%r15, 40(%rdi)
	lea	8(%rsp), %rax
	mov	%rax, 48(%rdi)
	mov	(%rsp), %rax
	mov	%rax, 56(%rdi)
	xor	%eax, %eax
	ret

	.globl	rt_longjmp
rt_longjmp:
	mov	%esi, %eax
	test	%eax, %eax
	jnz	1f
	inc	%eax
1:	mov	0(%rdi), %rbx
	mov	8(%rdi), %rbp
	mov	16(%rdi), %r12
	mov	24(%rdi), %r13
	mov	32(%rdi), %r14
	mov	40(%rdi), %r15
	mov	48(%rdi), %rsp
	jmp	*56(%rdi)

/* void rt_iret_to_user(u64 rip, u64 rsp): ring 3, never returns here. */
	.globl	rt_iret_to_user
rt_iret_to_user:
	push	$LGUEST_USER_DS
	push	%rsi
	push	$0x202
	push	$LGUEST_USER_CS
	push	%rdi
	xor	%eax, %eax
	xor	%ebx, %ebx
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%ebp, %ebp
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	iretq

	.bss
	.balign	4096
	.globl	rt_stack_top, rt_event_stack_top
	.space	32768
rt_stack_top:
	.space	16384
rt_event_stack_top:
