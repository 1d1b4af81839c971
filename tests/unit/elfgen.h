/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Builds ELF images in memory for the loader's tests: good lguest
 * kernels, and every way of getting one wrong.  Nothing is read from disk,
 * so each test says exactly what it feeds the loader.
 */
#ifndef ELFGEN_H
#define ELFGEN_H

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct eg_seg {
	uint32_t type;		/* PT_LOAD unless set */
	uint64_t paddr, vaddr, filesz, memsz;
	uint32_t flags;
	uint8_t fill;
};

struct eg_note {
	const char *name;
	uint32_t type;
	const void *desc;
	uint32_t descsz;
};

#define EG_KBASE 0x1000000ULL			/* where vmlinux loads: 16 MiB */
#define EG_KVIRT 0xffffffff81000000ULL
#define EG_ENTRY (EG_KVIRT + 0x100)

static inline size_t eg_align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Returns the image (malloc) and its size in *len. */
static inline uint8_t *eg_build(size_t *len, const struct eg_seg *segs, unsigned int nseg,
				const struct eg_note *notes, unsigned int nnote)
{
	unsigned int nph = nseg + (nnote ? 1 : 0);
	size_t notes_len = 0, off, total;
	uint8_t *img;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;

	for (unsigned int i = 0; i < nnote; i++)
		notes_len += sizeof(Elf64_Nhdr) + eg_align4(strlen(notes[i].name) + 1) +
			     eg_align4(notes[i].descsz);
	total = sizeof(*eh) + nph * sizeof(*ph) + notes_len;
	for (unsigned int i = 0; i < nseg; i++)
		total += segs[i].filesz;
	img = calloc(1, total);
	eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0x1000000;	/* vmlinux's startup_32: not what we use */
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = (uint16_t)nph;
	ph = (Elf64_Phdr *)(img + sizeof(*eh));
	off = sizeof(*eh) + nph * sizeof(*ph);
	if (nnote) {
		ph[nseg].p_type = PT_NOTE;
		ph[nseg].p_offset = off;
		ph[nseg].p_filesz = notes_len;
		ph[nseg].p_align = 4;
		for (unsigned int i = 0; i < nnote; i++) {
			Elf64_Nhdr *nh = (Elf64_Nhdr *)(img + off);
			size_t nl = strlen(notes[i].name) + 1;

			nh->n_namesz = (uint32_t)nl;
			nh->n_descsz = notes[i].descsz;
			nh->n_type = notes[i].type;
			off += sizeof(*nh);
			memcpy(img + off, notes[i].name, nl);
			off += eg_align4(nl);
			memcpy(img + off, notes[i].desc, notes[i].descsz);
			off += eg_align4(notes[i].descsz);
		}
	}
	for (unsigned int i = 0; i < nseg; i++) {
		ph[i].p_type = segs[i].type ? segs[i].type : PT_LOAD;
		ph[i].p_flags = segs[i].flags;
		ph[i].p_offset = off;
		ph[i].p_vaddr = segs[i].vaddr;
		ph[i].p_paddr = segs[i].paddr;
		ph[i].p_filesz = segs[i].filesz;
		ph[i].p_memsz = segs[i].memsz;
		ph[i].p_align = 0x1000;
		memset(img + off, segs[i].fill, segs[i].filesz);
		off += segs[i].filesz;
	}
	*len = total;
	return img;
}

/* A minimal good lguest kernel: one text segment, the entry and ABI notes. */
static inline uint8_t *eg_good_kernel(size_t *len)
{
	static const uint64_t entry = EG_ENTRY;
	static const uint32_t abi = 1;
	struct eg_seg seg = {
		.paddr = EG_KBASE, .vaddr = EG_KVIRT, .filesz = 0x2000, .memsz = 0x3000,
		.flags = PF_R | PF_X, .fill = 0x90,
	};
	struct eg_note notes[3] = {
		{ "GNU", 3, "buildid!", 8 },		/* somebody else's note */
		{ "Lguest", 1, &entry, 8 },
		{ "Lguest", 2, &abi, 4 },
	};

	return eg_build(len, &seg, 1, notes, 3);
}

#endif
