/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host interrupts and NMIs that arrived while the guest ran were taken by
 * the Switcher's IDT.  Once home, run.c hands each to the host's own
 * handler by raising the same vector with "int $N": the CPU then builds
 * exactly the frame a real interrupt in kernel mode would have.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>

	.text
.macro REPLAY n
SYM_FUNC_START_LOCAL(lg_replay_\n)
	int	$\n
	RET
SYM_FUNC_END(lg_replay_\n)
.endm

.macro REPLAY_PTR n
	.quad	lg_replay_\n
.endm

	.altmacro
	vec = 0
	.rept 256
	REPLAY %vec
	vec = vec + 1
	.endr

	.section .rodata
	.balign 8
SYM_DATA_START(lg_replay_table)
	vec = 0
	.rept 256
	REPLAY_PTR %vec
	vec = vec + 1
	.endr
SYM_DATA_END(lg_replay_table)
