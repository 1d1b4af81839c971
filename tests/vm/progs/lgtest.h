/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny test framework for programs that run inside the VM host.
 * Each check prints one line the harness counts:
 *   LGTEST PASS <name>
 *   LGTEST FAIL <name>: <why>
 */
#ifndef LGTEST_H
#define LGTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static int lgtest_failed;

#define CHECK(cond, name, ...) do {					\
	if (cond) {							\
		printf("LGTEST PASS %s\n", name);			\
	} else {							\
		printf("LGTEST FAIL %s: ", name);			\
		printf(__VA_ARGS__);					\
		printf(" (%s:%d)\n", __FILE__, __LINE__);		\
		lgtest_failed = 1;					\
	}								\
	fflush(stdout);							\
} while (0)

/* Check that a call failed with exactly the errno the ABI promises. */
#define CHECK_ERRNO(call, want, name) do {				\
	long _r = (long)(call);						\
	int _e = errno;							\
	CHECK(_r == -1 && _e == (want), name,				\
	      "returned %ld errno %d (%s), wanted errno %d (%s)",	\
	      _r, _e, strerror(_e), want, strerror(want));		\
} while (0)

/*
 * Load a host kernel module the initramfs carries in /lib/net/ (tun and
 * bridge for t_net, msr for t_msr): 0 once it is loaded (already there,
 * or built in, is fine), else -errno.
 */
static inline int lgtest_load_module(const char *name)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/lib/net/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST ? -errno : 0;
	close(fd);
	return r;
}

/* The NMI count of one CPU (t_nmi, t_shadow), from /proc/interrupts; -1 if unreadable. */
static inline long long lgtest_nmi_count(int cpu)
{
	char line[512], *p;
	long long n = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "NMI:", 4) != 0)
			continue;
		p += 4;
		for (int i = 0; i <= cpu; i++)
			n = strtoll(p, &p, 10);
		break;
	}
	if (f)
		fclose(f);
	return n;
}

/*
 * QEMU 7.2's software CPU adds DS's base to DS-prefixed memory accesses in
 * 64-bit mode, where a real CPU ignores it.  Linux 7.x pads instructions
 * with DS prefixes (its spinlock unlock among them) and keeps user space's
 * DS on kernel entry, so a program that loads DS with a based TLS segment
 * -- the x86 selftest ldt_gdt does -- makes a 7.x VM host's timer
 * interrupt write beside its data and oops, no guest involved (the fault
 * address is the lock's plus that base).  Such a host does not run
 * ldt_gdt_64 natively.
 */
#define LGTEST_DS_BASE_WHY "not run natively on a 7.x VM host: QEMU 7.2's software CPU adds " \
	"DS's base to 7.x's DS-prefixed kernel accesses, and the DS ldt_gdt loads has one " \
	"(the host kernel oopses, no guest needed)"

static inline int lgtest_ds_prefix_host(void)
{
	struct utsname u;

	return !uname(&u) && atoi(u.release) >= 7;
}

/*
 * For virtiofsd (t_virtiofs, t_run): this VM host's root is its
 * initramfs, and nothing can pivot_root(2) away from that, which
 * virtiofsd's sandbox does.  Every installed system's root is a real
 * mount; so is the caller's after this, a tmpfs moved over / in a mount
 * namespace of its own with what lguestctl needs bound in.
 */
static inline int lgtest_enter_real_root(void)
{
	static const char *const dirs[] = { "/tests", "/tmp", "/usr", "/lib", "/lib64", "/dev",
					    "/proc", "/bin", "/etc", "/opt", "/bench" };
	char to[64];

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    (mkdir("/newroot", 0755) && errno != EEXIST) ||
	    mount("root", "/newroot", "tmpfs", 0, "mode=755"))
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(to, sizeof(to), "/newroot%s", dirs[i]);
		if (access(dirs[i], F_OK))
			continue;
		if (mkdir(to, 0755) || mount(dirs[i], to, NULL, MS_BIND | MS_REC, NULL))
			return -1;
	}
	if (chdir("/newroot") || mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		return -1;
	return 0;
}

#endif
