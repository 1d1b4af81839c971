// SPDX-License-Identifier: GPL-2.0
/*
 * A shared directory's cost: vb_fs DIR [REPS [MIB]] in a directory the
 * host shares (virtio-fs in lguest, hostfs in UML) and natively in the
 * same directory on the VM host.  Three rows, each per operation:
 *
 *	fs_write  writing 1 MiB sequentially (MIB of them, then fsync)
 *	fs_read   reading 1 MiB sequentially, the guest's cache dropped first
 *	fs_small  one small file: create and write 4 KiB, stat, unlink
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "bench.h"

#define MIB (1L << 20)

static char buf[MIB];
static char path[4096];
static const char *dir;

static void seq_write(long mib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		vb_die(path);
	for (long i = 0; i < mib; i++)
		if (write(fd, buf, MIB) != MIB)
			vb_die("write");
	if (fsync(fd) || close(fd))
		vb_die("fsync");
}

static void seq_read(long mib)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		vb_die(path);
	/* What the guest caches is not what the share costs. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	for (long i = 0; i < mib; i++)
		if (read(fd, buf, MIB) != MIB)
			vb_die("read");
	close(fd);
}

static void small_files(long iters)
{
	char name[4200];
	struct stat st;

	for (long i = 0; i < iters; i++) {
		int fd;

		snprintf(name, sizeof(name), "%s/vb_small.%ld", dir, i);
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, buf, 4096) != 4096 || close(fd))
			vb_die(name);
		if (stat(name, &st) || st.st_size != 4096)
			vb_die("stat");
		if (unlink(name))
			vb_die("unlink");
	}
}

int main(int argc, char **argv)
{
	int reps = 5;
	long mib = 16;

	if (argc < 2) {
		fprintf(stderr, "usage: vb_fs DIR [REPS [MIB]]\n");
		return 2;
	}
	dir = argv[1];
	snprintf(path, sizeof(path), "%s/vb_fs.dat", dir);
	memset(buf, 0x5a, sizeof(buf));
	vb_args(argc, argv, 2, &reps, &mib);
	vb_run("fs_write", "us", 1000, reps, mib, seq_write);
	vb_run("fs_read", "us", 1000, reps, mib, seq_read);
	vb_run("fs_small", "us", 1000, reps, mib * 16, small_files);
	if (unlink(path))
		vb_die("unlink");
	return 0;
}
