// SPDX-License-Identifier: GPL-2.0
/*
 * The host state a world switch changes and must put back exactly, read
 * through /dev/cpu/N/msr on the CPU the guest ran on: before, then after
 * a guest that makes hypercalls and MMIO accesses to its poweroff and one
 * that a signal interrupts while it spins.  lg.ko points LSTAR and CSTAR
 * at the Switcher and SYSENTER_CS at 0 while a guest runs, and loads
 * the guest's FS and GS bases; if any of them leaked back, the host's
 * next system call would go astray, or this process would lose its TLS.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flatguest.h"
#include "lgtest.h"

#define CPU 1

static const struct {
	uint32_t msr;
	const char *name;
} msrs[] = {
	{ 0xc0000080, "EFER" },
	{ 0xc0000081, "STAR" },
	{ 0xc0000082, "LSTAR" },
	{ 0xc0000083, "CSTAR" },
	{ 0xc0000084, "SFMASK" },
	{ 0x00000174, "SYSENTER_CS" },
	{ 0xc0000100, "FS_BASE" },
	{ 0xc0000101, "GS_BASE" },
	{ 0xc0000102, "KERNEL_GS_BASE" },
	{ 0x000001d9, "DEBUGCTL" },
};
#define NR_MSRS (sizeof(msrs) / sizeof(msrs[0]))

static void read_msrs(int fd, uint64_t *v)
{
	for (unsigned int i = 0; i < NR_MSRS; i++)
		if (pread(fd, &v[i], 8, msrs[i].msr) != 8)
			v[i] = ~0ULL;	/* not readable here: compared as such */
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Run @image on CPU until it stops; with @spin, until a signal stops it. */
static int run_guest(const char *image, int spin)
{
	struct flatguest g = { .fd = -1 };
	int ok;

	if (flatguest_start(&g, image))
		return 0;
	if (spin) {
		alarm(1);
		ok = ioctl(g.fd, LGUEST_RUN, 0) == -1 && errno == EINTR;
	} else {
		for (int i = 0; i < 100 && flatguest_hello_step(&g); i++)
			;
		ok = flatguest_powered_off(&g);
	}
	close(g.fd);
	return ok;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t before[NR_MSRS], after[NR_MSRS];
	char path[64], bad[256] = "";
	int fd, err, hello, spin;

	err = lgtest_load_module("msr");
	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", CPU);
	fd = open(path, O_RDONLY);
	CHECK(!err && fd >= 0, "msr: the host's MSRs can be read", "msr.ko: %s, %s: %s",
	      strerror(-err), path, strerror(errno));
	if (fd < 0)
		return 1;
	sigaction(SIGALRM, &sa, NULL);
	pin(CPU);
	read_msrs(fd, before);
	hello = run_guest("/tests/hello.bin", 0);
	spin = run_guest("/tests/loop.bin", 1);
	read_msrs(fd, after);
	CHECK(hello && spin, "msr: the guests ran on the CPU read", "hello %d, spin %d", hello,
	      spin);
	for (unsigned int i = 0; i < NR_MSRS; i++)
		if (before[i] != after[i])
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), " %s %#" PRIx64
				 " became %#" PRIx64, msrs[i].name, before[i], after[i]);
	CHECK(!bad[0], "msr: EFER, STAR, LSTAR, SFMASK, SYSENTER_CS, FS and GS bases, DEBUGCTL as before",
	      "%s", bad);
	printf("msr: LSTAR %#" PRIx64 ", SYSENTER_CS %#" PRIx64 "\n", after[2], after[4]);
	close(fd);
	return lgtest_failed;
}
