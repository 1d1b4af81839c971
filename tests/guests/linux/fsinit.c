// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the Linux guest's virtio-fs initramfs (t_virtiofs): mounts the
 * host's shared directory and works on it as programs do -- creates,
 * writes, fsyncs, renames, hard-links, reads back and deletes files and
 * directories -- then reports on the console ("lgfs:" lines) and powers
 * off.  The host (t_virtiofs) checks from its side that the directory
 * holds exactly what the guest says it left there.
 *
 *   lgfs.tag=TAG      what to mount
 *   lgfs.mode=rw|ro   ro: every write must be refused (EROFS), reads work
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netxfer.h"

#define BIG	(1U << 20)

static char cmdline[4096];
static int bad;

static bool param(const char *key, char *val, size_t len)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), " lgfs.%s=", key);
	p = strstr(cmdline, want);
	if (!p)
		return false;
	p += strlen(want);
	snprintf(val, len, "%.*s", (int)strcspn(p, " \n"), p);
	return true;
}

static void check(bool ok, const char *what)
{
	printf("lgfs: %s %s%s%s\n", ok ? "ok" : "FAIL", what, ok ? "" : ": ",
	       ok ? "" : strerror(errno));
	bad |= !ok;
}

/* The sum of a whole file, as netxfer.h sums a stream; false if unreadable. */
static bool sum_file(const char *path, uint64_t *sum, uint64_t *len)
{
	static uint8_t buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	*sum = NX_FNV_START;
	*len = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		*sum = nx_fnv(*sum, buf, (size_t)n);
		*len += (uint64_t)n;
	}
	close(fd);
	return n == 0;
}

static bool write_stream(const char *path, uint64_t seed, size_t len, bool sync)
{
	static uint8_t buf[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	bool ok = fd >= 0;

	for (size_t off = 0; ok && off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		nx_fill(seed, off, buf, n);
		ok = write(fd, buf, n) == (ssize_t)n;
	}
	if (ok && sync)
		ok = fsync(fd) == 0;
	if (fd >= 0 && close(fd))
		ok = false;
	return ok;
}

static void read_write(void)
{
	struct stat st, st2;
	uint64_t sum, len;

	check(mkdir("/mnt/d", 0755) == 0, "mkdir d");
	check(write_stream("/mnt/d/a", 7, BIG, true), "write and fsync d/a (1 MiB)");
	check(rename("/mnt/d/a", "/mnt/d/b") == 0, "rename d/a d/b");
	check(link("/mnt/d/b", "/mnt/d/c") == 0, "link d/b d/c");
	check(stat("/mnt/d/b", &st) == 0 && stat("/mnt/d/c", &st2) == 0 && st.st_ino == st2.st_ino &&
	      st.st_nlink == 2, "d/b and d/c are one file with two links");
	check(sum_file("/mnt/d/c", &sum, &len) && len == BIG && sum == nx_expected_sum(7, BIG),
	      "d/c reads back what was written");
	check(write_stream("/mnt/x", 8, 5, false) && unlink("/mnt/x") == 0 &&
	      access("/mnt/x", F_OK) == -1 && errno == ENOENT, "create and unlink x");
	check(mkdir("/mnt/e", 0700) == 0 && rmdir("/mnt/e") == 0, "mkdir and rmdir e");
}

static void read_only(void)
{
	errno = 0;
	check(open("/mnt/new", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS,
	      "creating a file is refused with EROFS");
	errno = 0;
	check(mkdir("/mnt/newdir", 0755) < 0 && errno == EROFS, "mkdir is refused with EROFS");
}

int main(void)
{
	char tag[64] = "", mode[8] = "rw";
	uint64_t sum, len;

	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", 0, NULL) == 0) {
		int fd = open("/proc/cmdline", O_RDONLY);
		cmdline[0] = ' ';
		if (fd >= 0 && read(fd, cmdline + 1, sizeof(cmdline) - 2) < 0)
			cmdline[1] = 0;
		if (fd >= 0)
			close(fd);
	}
	param("tag", tag, sizeof(tag));
	param("mode", mode, sizeof(mode));
	mkdir("/mnt", 0755);
	if (mount(tag, "/mnt", "virtiofs", 0, NULL)) {
		printf("lgfs: FAIL mount -t virtiofs %s /mnt: %s\n", tag, strerror(errno));
		bad = 1;
	} else {
		printf("lgfs: mounted %s\n", tag);
		/* What the host put there before we booted. */
		if (sum_file("/mnt/host.txt", &sum, &len))
			printf("lgfs: host.txt %llu bytes sum=%016llx\n", (unsigned long long)len,
			       (unsigned long long)sum);
		else
			check(false, "read host.txt");
		if (!strcmp(mode, "ro"))
			read_only();
		else
			read_write();
		check(umount("/mnt") == 0, "umount");
	}
	printf("lgfs: %s\n", bad ? "FAIL: see above" : "done");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
