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
#include "flat.h"

#define NOFLUSH			(1 << 63)
#define KB			KERNEL_BASE
#define T			0xffffff0000000000	/* PML4 slot 510 */
#define MB			0x100000

.macro SWITCH root, asid
	HCALL	LHCALL_NEW_PGTABLE, \root, \asid
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

	POWEROFF
bad:
	PANIC
