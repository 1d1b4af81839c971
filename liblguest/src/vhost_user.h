/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vhost-user messages we speak, as they go over the socket (QEMU's
 * docs/interop/vhost-user.rst): vhost_user.c sends them, the unit tests'
 * fake daemon reads them.
 */
#ifndef LG_VHOST_USER_H
#define LG_VHOST_USER_H

#include <stdint.h>

enum {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_SET_VRING_ENABLE = 18,
};

#define VU_VERSION	0x1
#define VU_REPLY	0x4
#define VU_F_PROTOCOL_FEATURES	30
/* How long a reply may take: the daemon is local, so this is generous. */
#define VU_TIMEOUT_MS	10000

struct vu_hdr {
	uint32_t request, flags, size;
};

struct vu_state {
	uint32_t index, num;
};

struct vu_addr {
	uint32_t index, flags;
	uint64_t desc, used, avail, log;
};

struct vu_region {
	uint64_t gpa, size, uaddr, mmap_offset;
};

struct vu_mem {
	uint32_t nregions, padding;
	struct vu_region region[8];
};

union vu_payload {
	uint64_t u64;
	struct vu_state state;
	struct vu_addr addr;
	struct vu_mem mem;
};

#endif
