// SPDX-License-Identifier: GPL-2.0
/*
 * The first guest: /tests/hello.bin, a flat binary linked at
 * 0xffffffff81000000, loaded at guest-physical 16 MiB and entered in ring 1.
 */
#include "flatguest.h"
#include "lgtest.h"

#define MEM	FG_MEM

int main(void)
{
	uint64_t mmio_writes[2] = { 0, 0 };
	int fpu_leaks = 0, nw = 0, fd, i;
	struct lguest_run *run;
	struct flatguest g = { .fd = -1 };
	char out[256] = "";
	uint8_t *mem;

	CHECK(flatguest_start(&g, "/tests/hello.bin") == 0, "hello: guest starts", "%s",
	      strerror(errno));
	if (g.run == MAP_FAILED)
		return 1;
	fd = g.fd;
	run = g.run;
	mem = g.mem;

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
	{
		uint64_t khz = ((struct lguest_data *)(mem + 0x5000))->tsc_khz;
		char cs[32] = "";
		FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/"
				"current_clocksource", "r");

		if (f) {
			if (!fgets(cs, sizeof(cs), f))
				cs[0] = '\0';
			fclose(f);
		}
		/* Promised only where the host itself keeps time with its TSC. */
		if (strncmp(cs, "tsc", 3) == 0)
			CHECK(khz > 100000, "hello: lguest_data offers the host's TSC frequency",
			      "tsc_khz %llu", (unsigned long long)khz);
		else
			printf("hello: host clocksource %.*s is not the TSC; tsc_khz %llu\n",
			       (int)strcspn(cs, "\n"), cs, (unsigned long long)khz);
	}
	CHECK(fpu_leaks == 0, "hello: guest FPU state never reaches the launcher's registers",
	      "%d runs changed our xmm7", fpu_leaks);
	CHECK_ERRNO(ioctl(fd, LGUEST_RUN, 0), ESHUTDOWN, "hello: no RUN after poweroff");
	close(fd);
	return lgtest_failed;
}
