/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host interrupts and NMIs that arrived while the guest ran were taken by
 * the Switcher's IDT.  Once home, lg_switch() hands each to the host's own
 * handler by raising the same vector with "int $N": the CPU then builds
 * exactly the frame a real interrupt in kernel mode would have.
 */
#include <linux/cfi_types.h>
#include <linux/linkage.h>
#include <asm/nospec-branch.h>

/*
 * The stubs are called through lg_replay_table, so each needs an ENDBR
 * where the kernel enforces IBT (Debian's from 6.12).  SYM_FUNC_START_LOCAL
 * gave one in 6.1 and 6.12 but no longer does (7.3 checked); every kernel
 * gives it to SYM_TYPED_FUNC_START, the mark for indirectly called
 * assembly.  Under CONFIG_CFI (kCFI, clang) it also wants a type,
 * __kcfi_typeid_lg_replay_N, which only a C declaration of each stub would
 * make: such a build fails to link rather than trap at run time.
 */
	.text
.macro REPLAY n
SYM_TYPED_FUNC_START(lg_replay_\n)
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
