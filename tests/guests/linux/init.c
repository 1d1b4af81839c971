// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest's initramfs (t_linux): proves user space runs
 * (system calls, a page fault or two, returning to ring 3) and powers the
 * guest off.  No libc: raw system calls only.
 */
#define SYS_write	1
#define SYS_getpid	39
#define SYS_reboot	169
#define SYS_clock_gettime	228
#define CLOCK_REALTIME	0

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a" (ret) : "0" (nr), "D" (a), "S" (b), "d" (c)
			 : "rcx", "r11", "memory");
	return ret;
}

static long sys4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall" : "=a" (ret) : "0" (nr), "D" (a), "S" (b), "d" (c), "r" (r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static char bss[3 * 4096];	/* untouched until now: page faults */

static void say(const char *s)
{
	long n = 0;

	while (s[n])
		n++;
	sys3(SYS_write, 1, (long)s, n);
}

/* "lguest-init: time N": the guest's time of day, for the host to compare. */
static void say_time(void)
{
	long ts[2] = { 0, 0 };
	char buf[48] = "lguest-init: time ", *p = buf + 18, d[20];
	unsigned long t;
	int n = 0;

	sys3(SYS_clock_gettime, CLOCK_REALTIME, (long)ts, 0);
	t = (unsigned long)ts[0];
	do {
		d[n++] = (char)('0' + t % 10);
		t /= 10;
	} while (t);
	while (n)
		*p++ = d[--n];
	*p++ = '\n';
	*p = 0;
	say(buf);
}

__attribute__((force_align_arg_pointer)) void _start(void)
{
	char msg[] = "lguest-init: hello from user space, pid 1\n";
	int i;

	for (i = 0; i < (int)sizeof(bss); i += 4096)
		bss[i] = 1;
	if (sys3(SYS_getpid, 0, 0, 0) != 1)
		msg[sizeof(msg) - 3] = '?';
	say(msg);
	say_time();
	/* LINUX_REBOOT_MAGIC1, MAGIC2, LINUX_REBOOT_CMD_POWER_OFF */
	sys4(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
	for (;;)
		;
}
