/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow roots per address-space id behave like PCIDs: a switch with
 * LGUEST_PGTABLE_NOFLUSH keeps that id's translations, even stale ones;
 * a switch without it starts afresh.
 *
 * Two PML4s, A (0x1000, the launcher's) and B (0x9000, a copy), differ in
 * slot 510: the test address T maps to a page holding 0xaaaa in A and
 * 0xbbbb in B.
 */
#define LGUEST_HCALL_VECTOR	0x80
#define LHCALL_SHUTDOWN		2
#define LHCALL_NEW_PGTABLE	9
#define NOFLUSH			(1 << 63)
#define KB			0xffffffff80000000
#define T			0xffffff0000000000	/* PML4 slot 510 */
#define MB			0x100000

.macro SWITCH root, asid
	mov	$LHCALL_NEW_PGTABLE, %eax
	mov	$\root, %edi
	mov	$\asid, %rsi
	int	$LGUEST_HCALL_VECTOR
.endm

.macro EXPECT value
	mov	(%r8), %rax
	cmp	$\value, %rax
	jne	bad
.endm

	.text
	.globl	_start
_start:
	/* Markers, through the kernel map. */
	movq	$0xaaaa, KB + 20 * MB
	movq	$0xbbbb, KB + 40 * MB
	movq	$0xcccc, KB + 42 * MB
	/* A: slot 510 -> PDPT 0xa000 -> PD 0xb000 -> 2 MiB at 20 MiB. */
	movq	$0xa003, KB + 0x1000 + 510 * 8
	movq	$0xb003, KB + 0xa000
	movq	$20 * MB + 0x83, KB + 0xb000
	/* B: a copy of A whose slot 510 leads to 40 MiB. */
	mov	$KB + 0x1000, %rsi
	mov	$KB + 0x9000, %rdi
	mov	$512, %ecx
	rep movsq
	movq	$0xc003, KB + 0x9000 + 510 * 8
	movq	$0xd003, KB + 0xc000
	movq	$40 * MB + 0x83, KB + 0xd000
	mov	$T, %r8

	SWITCH	0x1000, 0
	EXPECT	0xaaaa
	SWITCH	0x9000, 1
	EXPECT	0xbbbb
	/* Change A's mapping without telling the host. */
	movq	$42 * MB + 0x83, KB + 0xb000
	SWITCH	0x1000, NOFLUSH | 0
	EXPECT	0xaaaa			/* id 0 kept its (now stale) entry */
	SWITCH	0x9000, NOFLUSH | 1
	EXPECT	0xbbbb
	SWITCH	0x1000, 0
	EXPECT	0xcccc			/* a flushing switch sees the change */

	mov	$LHCALL_SHUTDOWN, %eax
	xor	%edi, %edi
	xor	%esi, %esi
	int	$LGUEST_HCALL_VECTOR
bad:
	mov	$LHCALL_SHUTDOWN, %eax
	mov	$2, %edi
	xor	%esi, %esi
	int	$LGUEST_HCALL_VECTOR
	ud2
