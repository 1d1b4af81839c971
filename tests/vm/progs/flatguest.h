/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Launching the flat assembly guests of tests/guests/ (assembly): the image at
 * guest-physical 16 MiB, entered at its first byte in ring 1 with paging
 * on.  Page tables: RAM's first GiB at 0xffffffff80000000 for the kernel
 * (2 MiB pages, but for the slot at 62 MiB, in 4 KiB pages from the page
 * table at guest-physical 0x8000), an identity map of RAM with the user
 * bit for ring 3, and one device page at 256 MiB (an MMIO range).
 */
#ifndef FLATGUEST_H
#define FLATGUEST_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/lguest.h>

#define FG_MEM		(64UL << 20)
#define FG_LOAD		0x1000000UL
#define FG_MMIO		0x10000000UL
#define FG_KERNEL_BASE	0xffffffff80000000UL

struct flatguest {
	uint8_t *mem;
	int fd;
	struct lguest_run *run;
};

/* Returns 0, or -1 with errno set. */
static int flatguest_start(struct flatguest *g, const char *image)
{
	struct lguest_init init = {
		.mem_size = FG_MEM, .nr_mmio = 1, .mmio = { { FG_MMIO, 0x1000 } },
	};
	struct lguest_regs regs = { .rflags = 2, .cr3 = 0x1000 };
	uint64_t *pml4, *pd, *upd, *pt;
	int img, i;

	g->fd = -1;
	g->run = MAP_FAILED;
	g->mem = mmap(NULL, FG_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED)
		return -1;
	img = open(image, O_RDONLY);
	if (img < 0 || read(img, g->mem + FG_LOAD, 1 << 20) <= 0)
		return -1;
	close(img);

	pml4 = (uint64_t *)(g->mem + 0x1000);
	pd = (uint64_t *)(g->mem + 0x3000);
	upd = (uint64_t *)(g->mem + 0x7000);
	pml4[511] = 0x2000 | 3;
	((uint64_t *)(g->mem + 0x2000))[510] = 0x3000 | 3;
	pml4[0] = 0x6000 | 7;
	((uint64_t *)(g->mem + 0x6000))[0] = 0x7000 | 7;
	for (i = 0; i < (int)(FG_MEM >> 21); i++) {
		pd[i] = ((uint64_t)i << 21) | 0x83;
		upd[i] = ((uint64_t)i << 21) | 0x87;
	}
	pd[FG_MMIO >> 21] = FG_MMIO | 0x83;
	pt = (uint64_t *)(g->mem + 0x8000);
	pd[31] = 0x8000 | 3;
	for (i = 0; i < 512; i++)
		pt[i] = (0x3e00000 + (uint64_t)i * 4096) | 3;

	g->fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	init.mem_uaddr = (uintptr_t)g->mem;
	regs.rip = FG_KERNEL_BASE + FG_LOAD;
	if (g->fd < 0 || ioctl(g->fd, LGUEST_INIT, &init) ||
	    ioctl(g->fd, LGUEST_SET_REGS, &regs))
		return -1;
	g->run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
	return g->run == MAP_FAILED ? -1 : 0;
}

/*
 * One LGUEST_RUN of hello.bin, answering the MMIO read it checks.
 * Returns 1 to run on, 0 once it stopped (exit_reason says how).
 */
static inline int flatguest_hello_step(struct flatguest *g)
{
	if (ioctl(g->fd, LGUEST_RUN, 0))
		return 0;
	if (g->run->exit_reason == LGUEST_EXIT_MMIO && !g->run->mmio.is_write)
		g->run->mmio.data = 0x55aa55aa;	/* what hello.S expects */
	return g->run->exit_reason == LGUEST_EXIT_HCALL ||
	       g->run->exit_reason == LGUEST_EXIT_MMIO;
}

/* hello.bin ran to its poweroff. */
static inline int flatguest_powered_off(const struct flatguest *g)
{
	return g->run->exit_reason == LGUEST_EXIT_SHUTDOWN &&
	       g->run->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF;
}

#endif
