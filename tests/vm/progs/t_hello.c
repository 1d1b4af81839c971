// SPDX-License-Identifier: GPL-2.0
/*
 * The first guest: /tests/hello.bin, a flat binary linked at
 * 0xffffffff81000000, loaded at guest-physical 16 MiB and entered in ring 1.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/lguest.h>

#include "lgtest.h"

#define MEM		(64UL << 20)
#define LOAD		0x1000000UL
#define KERNEL_BASE	0xffffffff80000000UL

int main(void)
{
	struct lguest_init init = {
		.mem_size = MEM, .nr_mmio = 1, .mmio = { { 0x10000000, 0x1000 } },
	};
	uint64_t mmio_writes[2] = { 0, 0 };
	int fpu_leaks = 0;
	int nw = 0;
	struct lguest_regs regs = { .rflags = 2, .cr3 = 0x1000 };
	struct lguest_run *run;
	uint64_t *pml4, *pdpt, *pd;
	char out[256] = "";
	uint8_t *mem;
	int fd, img, i;
	ssize_t n;

	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	img = open("/tests/hello.bin", O_RDONLY);
	n = read(img, mem + LOAD, 1 << 20);
	CHECK(n > 0, "hello: guest image loads", "%s", strerror(errno));

	/* Page tables: the first GiB at KERNEL_BASE, 2 MiB pages. */
	pml4 = (uint64_t *)(mem + 0x1000);
	pdpt = (uint64_t *)(mem + 0x2000);
	pd = (uint64_t *)(mem + 0x3000);
	pml4[511] = 0x2000 | 3;
	pdpt[510] = 0x3000 | 3;
	for (i = 0; i < (int)(MEM >> 21); i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	pd[0x10000000 >> 21] = 0x10000000 | 0x83;	/* the device page */

	fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	init.mem_uaddr = (uintptr_t)mem;
	CHECK(ioctl(fd, LGUEST_INIT, &init) == 0, "hello: INIT", "%s", strerror(errno));
	regs.rip = KERNEL_BASE + LOAD;
	CHECK(ioctl(fd, LGUEST_SET_REGS, &regs) == 0, "hello: SET_REGS", "%s", strerror(errno));
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		return 1;

	for (i = 0; i < 100; i++) {
		long ret;
		uint64_t mine = 0x5a5a5a5a00000000ULL + i, after;

		/* Our xmm7 around the run: the guest's must not leak into it. */
		__asm__ volatile("movq %[mine], %%xmm7\n\t"
				 "syscall\n\t"
				 "movq %%xmm7, %[after]"
				 : "=a" (ret), [after] "=r" (after)
				 : "0" (16L /* ioctl */), "D" (fd), "S" (LGUEST_RUN), "d" (0),
				   [mine] "r" (mine)
				 : "rcx", "r11", "memory", "xmm7");
		if (after != mine)
			fpu_leaks++;
		if (ret < 0) {
			errno = (int)-ret;
			CHECK(0, "hello: RUN", "%s", strerror(errno));
			break;
		}
		if (run->exit_reason == LGUEST_EXIT_MMIO) {
			if (run->mmio.is_write && nw < 2)
				mmio_writes[nw++] = run->mmio.addr << 32 | run->mmio.size << 24 |
						    (run->mmio.data & 0xffffff);
			else if (!run->mmio.is_write && run->mmio.addr == 0x10000008)
				run->mmio.data = 0x55aa55aa;
			continue;
		}
		if (run->exit_reason != LGUEST_EXIT_HCALL)
			break;
		if (run->hcall.nr == LHCALL_CONSOLE_WRITE &&
		    run->hcall.args[0] < MEM && run->hcall.args[1] < sizeof(out) - strlen(out))
			strncat(out, (char *)mem + run->hcall.args[0], run->hcall.args[1]);
	}
	printf("guest said: %s", out);
	CHECK(strcmp(out, "hello from ring 1\n") == 0, "hello: guest console output arrives",
	      "got '%s'", out);
	CHECK(run->exit_reason == LGUEST_EXIT_SHUTDOWN &&
	      run->shutdown.kind == LGUEST_SHUTDOWN_POWEROFF &&
	      strcmp(run->shutdown.msg, "bye") == 0,
	      "hello: guest powers off with its message (registers kept across hypercalls)",
	      "exit %u kind %u msg '%s' killed '%s'", run->exit_reason, run->shutdown.kind,
	      run->shutdown.msg, run->killed.reason);
	CHECK(mmio_writes[0] == (0x10000004ULL << 32 | 4 << 24 | 0xcd1234),
	      "hello: MMIO writel exits with address, size and data", "%#llx",
	      (unsigned long long)mmio_writes[0]);
	CHECK(mmio_writes[1] == (0x10000010ULL << 32 | 1 << 24 | 0x77),
	      "hello: MMIO writeb exits with address, size and data", "%#llx",
	      (unsigned long long)mmio_writes[1]);
	CHECK(fpu_leaks == 0, "hello: guest FPU state never reaches the launcher's registers",
	      "%d runs changed our xmm7", fpu_leaks);
	CHECK_ERRNO(ioctl(fd, LGUEST_RUN, 0), ESHUTDOWN, "hello: no RUN after poweroff");
	close(fd);
	return lgtest_failed;
}
