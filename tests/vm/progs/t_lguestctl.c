// SPDX-License-Identifier: GPL-2.0
/*
 * The user's command, exactly: lguestctl run --mem 128 --disk rootfs.img
 * vmlinux root=/dev/vda, with the Linux guest (make guest-kernel) and its
 * small ext4 root (tests/guests/linux/init.c as /sbin/init).  It must boot
 * to that init, print its line on the console and exit 0 on poweroff.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lgtest.h"

#define OUT	"/tmp/t_lguestctl.out"

static char out[1 << 16];

int main(void)
{
	int status = -1, fd;
	ssize_t n;
	pid_t pid;

	if (access("/tests/vmlinux", R_OK)) {
		printf("LGTEST SKIP lguestctl: no /tests/vmlinux in this initramfs\n");
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		int o = open(OUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int i = open("/dev/null", O_RDONLY);

		dup2(i, 0);
		dup2(o, 1);
		dup2(o, 2);
		execl("/tests/lguestctl", "lguestctl", "run", "--mem", "128", "--disk",
		      "/tests/linux-root.img", "/tests/vmlinux", "root=/dev/vda", (char *)NULL);
		_exit(127);
	}
	alarm(120);
	waitpid(pid, &status, 0);
	fd = open(OUT, O_RDONLY);
	n = fd >= 0 ? read(fd, out, sizeof(out) - 1) : -1;
	out[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	CHECK(strstr(out, "lguest-init: hello from user space") != NULL,
	      "lguestctl: run --mem 128 --disk rootfs.img vmlinux boots to user space",
	      "output ends: %.200s", n > 200 ? out + n - 200 : out);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "lguestctl: exits 0 when the guest powers off", "status %#x", status);
	return lgtest_failed;
}
