// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Loading the guest kernel: an ELF64 x86-64 executable, the vmlinux a
 * kernel build leaves behind (or a freestanding test guest linked the same
 * way).  Its PT_LOAD segments go to their *physical* addresses, p_paddr,
 * which is how vmlinux says where it wants to be in RAM.
 *
 * The entry point is not e_entry: vmlinux's e_entry is the 32-bit
 * physical startup_32 for bootloaders.  A kernel built with the lguest
 * guest patches carries an ELF note, name "Lguest", type 1, whose 8-byte
 * descriptor is the guest-virtual address to start at (paging on, see
 * docs/abi.md).  A kernel without that note is not an lguest guest, and we
 * say so rather than jump into it.
 *
 * The file may be anything at all, so libelf parses it, and we check every
 * segment against the file and against guest RAM before copying one
 * byte: a bad kernel leaves guest memory untouched.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static unsigned int elf_ver = EV_NONE;

static void elf_init(void)
{
	elf_ver = elf_version(EV_CURRENT);
}

struct seg {
	uint64_t paddr, vaddr, filesz, memsz, offset;
	bool exec;
};

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The "Lguest" notes in one PT_NOTE segment. */
static int read_notes(struct lg_vm *vm, Elf *e, const GElf_Phdr *ph, uint64_t *entry,
		      bool *have_entry)
{
	Elf_Data *data = elf_getdata_rawchunk(e, (int64_t)ph->p_offset, ph->p_filesz,
					      ph->p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	if (!data)
		return lg_err(vm, -ENOEXEC, "kernel: unreadable ELF note segment");
	while (off < data->d_size) {
		size_t next = gelf_getnote(data, off, &nh, &name_off, &desc_off);

		if (next == 0)
			return lg_err(vm, -ENOEXEC, "kernel: malformed ELF note");
		off = next;
		if (nh.n_namesz != sizeof(LG_NOTE_NAME) ||
		    memcmp((const char *)data->d_buf + name_off, LG_NOTE_NAME, sizeof(LG_NOTE_NAME)) != 0)
			continue;	/* somebody else's note (Xen, build-id...) */
		switch (nh.n_type) {
		case LG_NOTE_ENTRY:
			if (nh.n_descsz != 8)
				return lg_err(vm, -ENOEXEC, "kernel: lguest entry note has %u bytes, not 8",
					      nh.n_descsz);
			if (*have_entry)
				return lg_err(vm, -ENOEXEC, "kernel: two lguest entry notes");
			memcpy(entry, (const char *)data->d_buf + desc_off, 8);
			*have_entry = true;
			break;
		case LG_NOTE_ABI: {
			uint32_t abi;

			if (nh.n_descsz != 4)
				return lg_err(vm, -ENOEXEC, "kernel: lguest ABI note has %u bytes, not 4",
					      nh.n_descsz);
			memcpy(&abi, (const char *)data->d_buf + desc_off, 4);
			if (abi != LGUEST_ABI_VERSION)
				return lg_err(vm, -ENOEXEC, "kernel: built for lguest ABI %u, this is %u",
					      abi, LGUEST_ABI_VERSION);
			break;
		}
		default:
			break;	/* a later addition we do not need */
		}
	}
	return 0;
}

static int check_ident(struct lg_vm *vm, const void *buf, size_t len)
{
	const unsigned char *id = buf;

	if (len < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG) != 0)
		return lg_err(vm, -ENOEXEC, "kernel: not an ELF file (hint: give the"
			      " uncompressed vmlinux, not a bzImage)");
	if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB)
		return lg_err(vm, -ENOEXEC, "kernel: not a 64-bit little-endian ELF file");
	return 0;
}

static int collect(struct lg_vm *vm, const struct lg_mem *mem, Elf *e, size_t len,
		   struct seg *segs, unsigned int *nsegs, uint64_t *entry)
{
	GElf_Ehdr eh;
	size_t phnum;
	bool have_entry = false;
	int err;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return lg_err(vm, -ENOEXEC, "kernel: not an ELF file: %s", elf_errmsg(-1));
	if (eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		return lg_err(vm, -ENOEXEC, "kernel: not an x86-64 executable");
	if (elf_getphdrnum(e, &phnum) < 0 || phnum == 0)
		return lg_err(vm, -ENOEXEC, "kernel: no program headers");
	if (phnum > LG_ELF_MAX_PHDRS)
		return lg_err(vm, -ENOEXEC, "kernel: %zu program headers, at most %u",
			      phnum, LG_ELF_MAX_PHDRS);
	*nsegs = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		struct seg *s;

		if (!gelf_getphdr(e, (int)i, &ph))
			return lg_err(vm, -ENOEXEC, "kernel: bad program header %zu", i);
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return lg_err(vm, -ENOEXEC, "kernel: segment %zu lies beyond the file's end"
				      " (truncated file?)", i);
		if (ph.p_type == PT_NOTE && ph.p_filesz) {
			err = read_notes(vm, e, &ph, entry, &have_entry);
			if (err)
				return err;
			continue;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return lg_err(vm, -ENOEXEC, "kernel: segment %zu: file size above memory size", i);
		if (ph.p_paddr < LG_BOOT_END)
			return lg_err(vm, -ENOEXEC, "kernel: segment %zu at physical %#llx, below %#llx"
				      " where the boot data lives", i, (unsigned long long)ph.p_paddr,
				      LG_BOOT_END);
		if (!lg_mem_range(mem, ph.p_paddr, ph.p_memsz))
			return lg_err(vm, -E2BIG, "kernel: segment %zu (%#llx+%#llx) does not fit in"
				      " %llu MiB of guest memory (hint: more --mem)", i,
				      (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz,
				      (unsigned long long)(mem->size >> 20));
		s = &segs[(*nsegs)++];
		s->paddr = ph.p_paddr;
		s->vaddr = ph.p_vaddr;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->exec = ph.p_flags & PF_X;
		for (struct seg *t = segs; t < s; t++)
			if (overlaps(s->paddr, s->memsz, t->paddr, t->memsz))
				return lg_err(vm, -ENOEXEC, "kernel: segment %zu overlaps another", i);
	}
	if (*nsegs == 0)
		return lg_err(vm, -ENOEXEC, "kernel: nothing to load");
	if (!have_entry)
		return lg_err(vm, -ENOEXEC, "kernel: no lguest entry note: not an lguest-capable"
			      " kernel (hint: build it with the lguest guest patches)");
	return 0;
}

int lg_elf_load(struct lg_vm *vm, const struct lg_mem *mem, const void *buf, size_t len,
		uint64_t avoid_lo, uint64_t avoid_hi, struct lg_kernel *k)
{
	struct seg segs[LG_ELF_MAX_PHDRS];
	unsigned int nsegs = 0;
	uint64_t entry = 0, entry_pa;
	bool entry_ok = false;
	Elf *e;
	int err;

	err = check_ident(vm, buf, len);
	if (err)
		return err;
	pthread_once(&elf_once, elf_init);
	if (elf_ver == EV_NONE)
		return lg_err(vm, -ENOSYS, "libelf: %s", elf_errmsg(-1));
	/* Read-only use of a native-endian file: libelf does not write to it. */
	e = elf_memory((char *)(uintptr_t)buf, len);
	if (!e)
		return lg_err(vm, -ENOEXEC, "kernel: %s", elf_errmsg(-1));
	err = collect(vm, mem, e, len, segs, &nsegs, &entry);
	elf_end(e);
	if (err)
		return err;

	/* The entry must be code we load, reached through the initial page tables. */
	entry_pa = lg_boot_virt_to_phys(mem->size, entry);
	for (unsigned int i = 0; i < nsegs; i++)
		if (segs[i].exec && entry_pa >= segs[i].paddr &&
		    entry_pa - segs[i].paddr < segs[i].filesz)
			entry_ok = true;
	if (!entry_ok)
		return lg_err(vm, -ENOEXEC, "kernel: entry point %#llx is not in a loaded"
			      " executable segment", (unsigned long long)entry);

	k->lo = UINT64_MAX;
	k->hi = 0;
	for (unsigned int i = 0; i < nsegs; i++) {
		if (avoid_hi > avoid_lo && overlaps(segs[i].paddr, segs[i].memsz, avoid_lo,
						    avoid_hi - avoid_lo))
			return lg_err(vm, -E2BIG, "kernel: overlaps the initrd (hint: more --mem)");
		if (segs[i].paddr < k->lo)
			k->lo = segs[i].paddr;
		if (segs[i].paddr + segs[i].memsz > k->hi)
			k->hi = segs[i].paddr + segs[i].memsz;
	}

	/* Everything checked: now, and only now, write guest memory. */
	for (unsigned int i = 0; i < nsegs; i++) {
		uint8_t *dst = mem->base + segs[i].paddr;

		memcpy(dst, (const uint8_t *)buf + segs[i].offset, segs[i].filesz);
		memset(dst + segs[i].filesz, 0, segs[i].memsz - segs[i].filesz);
	}
	k->entry = entry;
	return 0;
}
