// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: the guest touched a device register.
 *
 * Device ranges are never mapped in the shadow, so every access to one
 * faults.  We decode the instruction, which must be one of the plain mov
 * forms readb/w/l/q and writeb/w/l/q compile to, and hand the access to
 * the launcher as LGUEST_EXIT_MMIO.  Anything else kills the guest: we do
 * not emulate x86, we only finish what a device driver asks.
 */
#include <linux/uaccess.h>
#include "lg.h"

#define REX_W	8
#define REX_R	4

/* lguest_regs in ModRM register order: rax, rcx, rdx, rbx, rsp, ... */
static u64 *reg_ptr(struct lguest_regs *r, unsigned int n)
{
	u64 *const regs[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	return regs[n];
}

/* Bytes after the ModRM byte: SIB and displacement, as the CPU counts. */
static int modrm_tail(const u8 *insn, int avail)
{
	u8 modrm = insn[0], mod = modrm >> 6, rm = modrm & 7;
	int len = 0;

	if (mod == 3)
		return -1;		/* a register operand: not memory */
	if (rm == 4) {
		if (avail < 2)
			return -1;
		len++;			/* SIB */
		if (mod == 0 && (insn[1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		len += 4;		/* RIP-relative */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

/*
 * Decode the access at the guest's rip.  A write an ioeventfd matches is
 * done here (1); otherwise fills @vcpu's mmio_* and its run page's mmio
 * exit (0).  Anything else kills the guest (negative).
 */
int lg_mmio_exit(struct lg_vcpu *vcpu, u64 gpa)
{
	struct lguest_regs *r = &vcpu->regs;
	struct lguest_run *run = vcpu->run;
	u8 insn[15] = { 0 };
	unsigned int avail = sizeof(insn), i = 0, rex = 0, size = 4, reg, opcode;
	bool opsize = false, store;
	int tail;
	u64 val = 0;

	/* The instruction may end just before an unmapped page. */
	if (lg_read_guest(vcpu, r->rip, insn, avail)) {
		avail = min_t(u64, avail, PAGE_SIZE - (r->rip & ~PAGE_MASK));
		if (lg_read_guest(vcpu, r->rip, insn, avail)) {
			lg_kill(vcpu, "MMIO at %#llx: cannot read the instruction at %#llx",
				gpa, r->rip);
			return -EFAULT;
		}
	}
	if (insn[i] == 0x66) {
		opsize = true;
		i++;
	}
	if ((insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	opcode = insn[i++];
	switch (opcode) {
	case 0x88: case 0x8a:
		size = 1;
		break;
	case 0x89: case 0x8b:
		size = rex & REX_W ? 8 : opsize ? 2 : 4;
		break;
	default:
		lg_kill(vcpu, "MMIO at %#llx: unsupported instruction %*phN at %#llx",
			gpa, 4, insn, r->rip);
		return -EINVAL;
	}
	store = opcode == 0x88 || opcode == 0x89;
	tail = i < avail ? modrm_tail(insn + i, avail - i) : -1;
	if (tail < 0 || i + 1 + tail > avail) {
		lg_kill(vcpu, "MMIO at %#llx: bad operand at %#llx", gpa, r->rip);
		return -EINVAL;
	}
	reg = ((insn[i] >> 3) & 7) | (rex & REX_R ? 8 : 0);
	vcpu->mmio_len = i + 1 + tail;
	vcpu->mmio_reg = reg;
	vcpu->mmio_size = size;
	vcpu->mmio_high_byte = size == 1 && !rex && reg >= 4;

	if (store) {
		if (vcpu->mmio_high_byte)
			val = *reg_ptr(r, reg - 4) >> 8;
		else
			val = *reg_ptr(r, reg);
		if (size < 8)
			val &= (1ULL << (size * 8)) - 1;
		if (lg_ioeventfd_signal(vcpu->lg, gpa, size, val)) {
			r->rip += vcpu->mmio_len;
			return 1;
		}
	}
	run->exit_reason = LGUEST_EXIT_MMIO;
	run->mmio.addr = gpa;
	run->mmio.size = size;
	run->mmio.is_write = store;
	run->mmio.data = 0;
	if (store) {
		run->mmio.data = val;
		r->rip += vcpu->mmio_len;
	}
	return 0;
}

/* The launcher answered an MMIO read: finish the mov as the CPU would. */
void lg_mmio_complete(struct lg_vcpu *vcpu)
{
	struct lguest_regs *r = &vcpu->regs;
	u64 data = vcpu->run->mmio.data, *p;

	if (vcpu->run->mmio.is_write)
		return;
	if (vcpu->mmio_high_byte) {
		p = reg_ptr(r, vcpu->mmio_reg - 4);
		*p = (*p & ~0xff00ULL) | ((data & 0xff) << 8);
	} else {
		p = reg_ptr(r, vcpu->mmio_reg);
		switch (vcpu->mmio_size) {
		case 1:
			*p = (*p & ~0xffULL) | (data & 0xff);
			break;
		case 2:
			*p = (*p & ~0xffffULL) | (data & 0xffff);
			break;
		case 4:
			*p = (u32)data;	/* 32-bit loads zero the top half */
			break;
		default:
			*p = data;
		}
	}
	r->rip += vcpu->mmio_len;
}
