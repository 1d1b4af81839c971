// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-fs, end to end: "lguestctl run --fs path=DIR,tag=share" as a
 * user would run it, lguestctl starting the distribution's virtiofsd
 * (carried into this VM host with its libraries, tests/vm/mkinitramfs.sh),
 * and the Linux guest's tests/guests/linux/fsinit.c working on the share.
 *
 * We put a file there first, which the guest must read exactly; the guest
 * creates, fsyncs, renames, hard-links, reads back and deletes; then we
 * check from the host's side that the directory holds exactly what the
 * guest says it left (checksums, the two links of one inode, nothing
 * left that it deleted).  ro=on: the guest mounts the share read-write
 * and every write gets EROFS from the host's side (lguestctl binds the
 * directory read-only for virtiofsd), the directory untouched.  And a
 * share that is no directory is refused before the guest starts.
 */
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lgtest.h"
#include "netxfer.h"

#define DIR_	"/tmp/t_virtiofs"
#define SECS	240
#define HOSTLEN	(256ULL * 1024)

static char out[1 << 16];

/* lguestctl run with @fs, console and stderr into out[]; its exit status. */
static int run_guest(const char *fs, const char *mode)
{
	const char *console = "/tmp/t_virtiofs.console";
	char params[128];
	int status = -1, fd;
	ssize_t n;
	pid_t pid;

	snprintf(params, sizeof(params), "panic=-1 lgfs.tag=share lgfs.mode=%s", mode);
	pid = fork();
	if (pid == 0) {
		int o = open(console, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int i = open("/dev/null", O_RDONLY);

		dup2(i, 0);
		dup2(o, 1);
		dup2(o, 2);
		if (lgtest_enter_real_root()) {
			printf("t_virtiofs: a root for virtiofsd: %s\n", strerror(errno));
			_exit(126);
		}
		alarm(SECS);
		execl("/tests/lguestctl", "lguestctl", "run", "--mem", "64", "--fs", fs, "--initrd",
		      "/tests/linux-fs.cpio", "-p", params, "/tests/vmlinux", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	fd = open(console, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, out, sizeof(out) - 1) : -1;
	out[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool sum_file(const char *path, uint64_t *sum, uint64_t *len)
{
	static uint8_t buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
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

/* The names in @dir, sorted, space-separated. */
static void listing(const char *dir, char *buf, size_t len)
{
	struct dirent **e;
	int n = scandir(dir, &e, NULL, alphasort);

	buf[0] = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(e[i]->d_name, ".") != 0 && strcmp(e[i]->d_name, "..") != 0)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 e[i]->d_name);
		free(e[i]);
	}
	if (n >= 0)
		free(e);
}

static void put_host_file(void)
{
	static uint8_t buf[HOSTLEN];
	int fd = open(DIR_ "/host.txt", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	nx_fill(42, 0, buf, sizeof(buf));
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		printf("t_virtiofs: host.txt: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
}

static bool guest_read_host_file(void)
{
	char want[96];

	snprintf(want, sizeof(want), "lgfs: host.txt %llu bytes sum=%016llx", HOSTLEN,
		 (unsigned long long)nx_expected_sum(42, HOSTLEN));
	return strstr(out, want) != NULL;
}

static void read_write(void)
{
	struct stat b, c;
	uint64_t sum = 0, len = 0;
	char names[256];
	int rc;

	rc = run_guest("path=" DIR_ ",tag=share", "rw");
	CHECK(rc == 0 && strstr(out, "lgfs: mounted share"),
	      "virtiofs: the guest mounts the share lguestctl serves with virtiofsd",
	      "exit %d", rc);
	CHECK(guest_read_host_file(), "virtiofs: the guest reads a host file exactly (checksum)",
	      "no matching report");
	CHECK(strstr(out, "lgfs: done") && !strstr(out, "lgfs: FAIL"),
	      "virtiofs: create, fsync, rename, link, read back, unlink, rmdir all work in the guest",
	      "a step failed (console below)");
	CHECK(sum_file(DIR_ "/d/b", &sum, &len) && len == 1U << 20 &&
	      sum == nx_expected_sum(7, 1U << 20),
	      "virtiofs: the host sees the guest's 1 MiB file, byte for byte",
	      "%llu bytes, sum %016llx", (unsigned long long)len, (unsigned long long)sum);
	CHECK(stat(DIR_ "/d/b", &b) == 0 && stat(DIR_ "/d/c", &c) == 0 && b.st_ino == c.st_ino &&
	      b.st_nlink == 2, "virtiofs: the host sees one inode with the guest's two links",
	      "%s", strerror(errno));
	listing(DIR_, names, sizeof(names));
	CHECK(!strcmp(names, "d host.txt"), "virtiofs: what the guest deleted is gone on the host",
	      "the share holds '%s'", names);
	listing(DIR_ "/d", names, sizeof(names));
	CHECK(!strcmp(names, "b c"), "virtiofs: the guest's rename shows on the host",
	      "d holds '%s'", names);
	CHECK(!strstr(out, "BUG:") && !strstr(out, "WARNING:") && !strstr(out, "Call Trace"),
	      "virtiofs: the guest's kernel log is clean", "see its console");
	if (lgtest_failed)
		printf("---- guest console ----\n%s\n----\n", out);
}

static void read_only(void)
{
	char names[256];
	int rc = run_guest("path=" DIR_ ",tag=share,ro=on", "ro");

	listing(DIR_, names, sizeof(names));
	CHECK(rc == 0 && strstr(out, "lgfs: done") && !strstr(out, "lgfs: FAIL") &&
	      guest_read_host_file() && !strcmp(names, "d host.txt"),
	      "virtiofs: ro=on: the guest reads, every write gets EROFS, the share is untouched",
	      "exit %d, share holds '%s'", rc, names);
	if (lgtest_failed)
		printf("---- guest console ----\n%s\n----\n", out);
}

int main(void)
{
	int rc;

	if (access("/tests/vmlinux", R_OK) || access("/tests/linux-fs.cpio", R_OK)) {
		printf("LGTEST SKIP virtiofs: no /tests/vmlinux or linux-fs.cpio in this initramfs\n");
		return 0;
	}
	if (access("/usr/lib/qemu/virtiofsd", X_OK) && access("/usr/libexec/virtiofsd", X_OK)) {
		printf("LGTEST SKIP virtiofs: no virtiofsd in this initramfs (the build machine has"
		       " none: qemu-system-common or virtiofsd)\n");
		return 0;
	}
	mkdir(DIR_, 0755);
	put_host_file();
	read_write();
	read_only();
	rc = run_guest("path=/tests/vmlinux,tag=share", "rw");
	CHECK(rc == 1 && strstr(out, "--fs share: /tests/vmlinux: not a directory") &&
	      !strstr(out, "lgfs:"), "virtiofs: a share that is not a directory is refused clearly",
	      "exit %d: %.200s", rc, out);
	return lgtest_failed;
}
