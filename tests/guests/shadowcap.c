// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that tries to make the host allocate shadow page tables without
 * limit: one 2 MiB page aliased over a whole PML4 slot (512 GiB), and in
 * each of the 8 address-space ids one read in each of touches= 2 MiB
 * pieces, each of which costs the host a shadow page table.  The host
 * caps them (module/page_tables.c) and the guest runs on: afterwards
 * every id still reads the page through its aliases.  The launcher
 * (t_shadow) measures the host's free memory at "LGSHADOW filled".
 */
#include "rt/rt.h"

const char rt_guest_name[] = "shadowcap";

/* PML4 slot 1: user-half addresses, which the boot tables leave empty. */
#define ALIAS_VA	(1UL << 39)

static u64 parse(const char *s, u64 def)
{
	u64 v = 0;

	if (!s || *s < '0' || *s > '9')
		return def;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u64)(*s++ - '0');
	return v;
}

/* The j-th 2 MiB piece of the alias slot, at an offset that varies. */
static u64 piece(u64 j)
{
	return ALIAS_VA + ((j % (512 * 512)) << 21) + ((j * 7) % 512) * PAGE_SIZE;
}

void guest_main(void)
{
	u64 touches = parse(rt_arg("touches"), 4096);
	u64 page = rt_alloc_hpage(), pd = rt_alloc_page(), pdpt = rt_alloc_page();
	u64 root = rt_alloc_page(), boot = rt_cr3, tag = 0x5eULL << 40;
	u64 *pde = __va(pd), *pdpte = __va(pdpt), *pml4 = __va(root);
	int bad_id = -1;
	u64 bad_at = 0, bad_val = 0;

	if (touches > 512 * 512)
		touches = 512 * 512;
	for (u64 off = 0; off < HPAGE_SIZE; off += PAGE_SIZE)
		*(u64 *)__va(page + off) = tag | off;
	for (int i = 0; i < 512; i++) {
		pde[i] = page | PTE_P | PTE_W | PTE_PS;
		pdpte[i] = pd | PTE_P | PTE_W;
	}
	for (int i = 0; i < 512; i++)
		pml4[i] = ((u64 *)__va(boot))[i];
	pml4[(ALIAS_VA >> 39) & 511] = pdpt | PTE_P | PTE_W;

	for (u64 id = 0; id < LGUEST_NR_ASIDS; id++) {
		hcall2(LHCALL_NEW_PGTABLE, root, id);
		for (u64 j = 0; j < touches; j++) {
			u64 va = piece(j), v = *(volatile u64 *)va;

			if (v != (tag | (va & (HPAGE_SIZE - 1))) && bad_id < 0) {
				bad_id = (int)id;
				bad_at = va;
				bad_val = v;
			}
		}
	}
	hcall2(LHCALL_NEW_PGTABLE, boot, 0);
	CHECK(bad_id < 0, "every alias read the 2 MiB page, in all 8 ids",
	      "id %d at %#llx read %#llx", bad_id, bad_at, bad_val);
	rt_printf("LGSHADOW filled %llu\n", touches * LGUEST_NR_ASIDS);

	/* The guest runs on: each id, kept or not, still reads its aliases. */
	bad_id = -1;
	for (u64 id = 0; id < LGUEST_NR_ASIDS; id++) {
		hcall2(LHCALL_NEW_PGTABLE, root, id | (id & 1 ? LGUEST_PGTABLE_NOFLUSH : 0));
		for (u64 j = 0; j < touches; j += touches / 64 + 1) {
			u64 va = piece(j);

			if (*(volatile u64 *)va != (tag | (va & (HPAGE_SIZE - 1))) && bad_id < 0) {
				bad_id = (int)id;
				bad_at = va;
			}
		}
	}
	hcall2(LHCALL_NEW_PGTABLE, boot, 0);
	CHECK(bad_id < 0, "afterwards every id still reads the page through its aliases",
	      "id %d at %#llx", bad_id, bad_at);
}
