/* SPDX-License-Identifier: GPL-2.0 */
/* A guest that never yields: it spins in ring 1 forever. */
#include "flat.h"

	.text
	.globl	_start
_start:
1:	jmp	1b
