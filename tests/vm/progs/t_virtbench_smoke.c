// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's programs (tests/bench/progs/) run natively in the VM host
 * once, with tiny counts, and each prints its figures: a number, not a
 * judged one.  What they measure is make bench's business; this only
 * keeps them from rotting between benchmark runs.
 */
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lgtest.h"

#define DISK "/tmp/vb_smoke.img"

/* Run ARGV; its output must hold "VB <key> <number> ..." for each key. */
static void smoke(const char *const *keys, char *const argv[])
{
	char out[4096] = "", name[160], want[64];
	size_t len = 0;
	int p[2], st = -1;
	pid_t pid;
	ssize_t n;

	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(out) - 1 && (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	printf("%s", out);
	snprintf(name, sizeof(name), "virtbench smoke: %s (%s) exits 0", argv[0], keys[0]);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, name, "wait status %#x", st);
	for (; *keys; keys++) {
		const char *at;
		double v = -1;

		snprintf(want, sizeof(want), "VB %s ", *keys);
		at = strstr(out, want);
		if (at)
			v = strtod(at + strlen(want), NULL);
		snprintf(name, sizeof(name), "virtbench smoke: %s prints a figure for %s",
			 argv[0], *keys);
		CHECK(at && v > 0, name, "no 'VB %s <number>' line", *keys);
	}
}

#define SMOKE(keys, ...) smoke((const char *const[]){ keys, NULL }, (char *const[]){ __VA_ARGS__, NULL })

/* The loopback interface up, for the TCP client and server. */
static void loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		return;
	ifr.ifr_flags |= IFF_UP;
	ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
}

int main(void)
{
	static char block[1 << 20];
	pid_t srv;
	int fd;

	if (access("/tests/vb_syscall", X_OK)) {
		printf("LGTEST SKIP virtbench smoke: no /tests/vb_* in this initramfs\n");
		return 0;
	}
	SMOKE("ctxsw", "/tests/vb_ctxsw", "1", "2");
	SMOKE("cow", "/tests/vb_cow", "1", "2");
	SMOKE("exec", "/tests/vb_exec", "1", "1");
	SMOKE("fork", "/tests/vb_fork", "1", "1");
	SMOKE("syscall", "/tests/vb_syscall", "1", "10");
	SMOKE("pte", "/tests/vb_pte", "1", "2");
	SMOKE("mmap64", "/tests/vb_mmap", "1", "1");

	fd = open(DISK, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, block, sizeof(block)) == (ssize_t)sizeof(block),
	      "virtbench smoke: a 1 MiB disk file", "%s", strerror(errno));
	close(fd);
	smoke((const char *const[]){ "disk4k", "disk256k", NULL },
	      (char *const[]){ "/tests/vb_disk", "-b", DISK, "1", "2", NULL });

	loopback_up();
	srv = fork();
	if (srv == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl("/tests/vb_tcp", "vb_tcp", "server", "5001", (char *)NULL);
		_exit(127);
	}
	SMOKE("tcp", "/tests/vb_tcp", "stream", "tcp", "127.0.0.1", "5001", "1", "1");
	SMOKE("ping", "/tests/vb_tcp", "ping", "ping", "127.0.0.1", "5001", "1", "2");
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	SMOKE("boot_true", "/tests/vb_boot", "boot_true", "1", "/bin/busybox", "true");
	CHECK(mkdir("/tmp/vb_fs", 0755) == 0 || errno == EEXIST, "virtbench smoke: a directory for vb_fs",
	      "%s", strerror(errno));
	smoke((const char *const[]){ "fs_write", "fs_read", "fs_small", NULL },
	      (char *const[]){ "/tests/vb_fs", "/tmp/vb_fs", "1", "1", NULL });
	CHECK(rmdir("/tmp/vb_fs") == 0, "virtbench smoke: vb_fs leaves its directory empty", "%s",
	      strerror(errno));
	printf("LGTEST SKIP virtbench smoke: vb_compile: tcc is not in the test initramfs "
	       "(make bench runs it)\n");
	unlink(DISK);
	return lgtest_failed;
}
