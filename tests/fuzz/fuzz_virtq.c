// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the split virtqueue parser against a guest that
 * controls every byte.  The input is guest memory (descriptor table, avail
 * ring and buffers); its first bytes also choose the queue's size and ring
 * addresses.  We pop and push chains as a device would and check that
 * every buffer handed to the device lies inside guest memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MEM 0x10000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rd16(const uint8_t *p)
{
	return (uint64_t)p[0] | ((uint64_t)p[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lg_chain c;
	struct lg_mem mem;
	struct lg_vq vq;
	uint8_t *ram;

	if (size < 8)
		return 0;
	/* Guest memory in its own allocation: ASan catches any stray access. */
	ram = calloc(1, MEM);
	if (!ram)
		return 0;
	memcpy(ram, data + 8, size - 8 < MEM ? size - 8 : MEM);
	mem.base = ram;
	mem.size = MEM;

	lg_vq_reset(&vq, &mem);
	vq.size = (uint16_t)(1u << (data[0] % 10));	/* 1..512: some too big */
	vq.desc_gpa = rd16(data + 1) * 2;		/* 0..128 KiB: some outside */
	vq.avail_gpa = rd16(data + 3) * 2;
	vq.used_gpa = rd16(data + 5) * 2;
	if (lg_vq_enable(&vq) == 0) {
		for (int i = 0; i < 64; i++) {
			int r = lg_vq_pop(&vq, &c);

			if (r <= 0)
				break;
			for (unsigned int j = 0; j < c.nout + c.nin; j++) {
				const uint8_t *b = c.iov[j].iov_base;

				if (b < ram || c.iov[j].iov_len > MEM ||
				    (uint64_t)(b - ram) > MEM - c.iov[j].iov_len)
					abort();
				/* Touch both ends, as a device would. */
				if (c.iov[j].iov_len) {
					volatile uint8_t x = b[0];

					x = b[c.iov[j].iov_len - 1];
					(void)x;
				}
			}
			if (c.nout + c.nin > vq.size)
				abort();
			if (data[7] & 1)
				lg_vq_push(&vq, c.head, (uint32_t)c.in_len);
		}
		(void)lg_vq_wants_interrupt(&vq);
	}
	free(ram);
	return 0;
}
