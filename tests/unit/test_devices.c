// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The device models, each driven through its registers and rings by a
 * fake guest: virtio-rng, virtio-console on a pipe, virtio-blk on a
 * temporary file with both backends, virtio-net on a socketpair.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_net.h>

#include "fakeguest.h"

/* ---- rng ------------------------------------------------------------------ */

static void rng_fills_buffers(void **state)
{
	struct fg g;
	struct lg_vdev *d = NULL;
	struct vring_used_elem e;
	struct fg_buf b[2];
	uint8_t zero[64] = { 0 };

	(void)state;
	fg_init(&g);
	assert_int_equal(lg_rng_new(NULL, &g.mem, &d), 0);
	fg_driver_init(&g, d, FG_V1, 1);
	b[0] = (struct fg_buf){ fg_alloc(&g, 64), 64, 1 };
	b[1] = (struct fg_buf){ fg_alloc(&g, 64), 64, 1 };
	fg_post(&g, 0, b, 2);
	fg_notify(d, 0);
	assert_int_equal(fg_used_new(&g, 0, &e), 1);
	assert_int_equal(e.len, 128);
	/* 2^-512 chance of a false failure. */
	assert_memory_not_equal(fg_ptr(&g, b[0].gpa), zero, 64);
	assert_memory_not_equal(fg_ptr(&g, b[1].gpa), zero, 64);
	assert_true(d->raised > 0);
	d->ops->destroy(d);
	fg_fini(&g);
}

static void rng_refuses_readable_buffers(void **state)
{
	struct fg g;
	struct lg_vdev *d = NULL;
	struct fg_buf b = { FG_BUF_GPA, 16, 0 };

	(void)state;
	fg_init(&g);
	assert_int_equal(lg_rng_new(NULL, &g.mem, &d), 0);
	fg_driver_init(&g, d, FG_V1, 1);
	fg_post(&g, 0, &b, 1);
	fg_notify(d, 0);
	assert_true(fg_needs_reset(d));
	assert_int_equal(fg_used_new(&g, 0, NULL), 0);
	d->ops->destroy(d);
	fg_fini(&g);
}

/* ---- console -------------------------------------------------------------- */

static void console_output_and_input(void **state)
{
	int out[2], in[2];
	struct fg g;
	struct lg_vdev *d = NULL;
	struct lg_io io;
	struct fg_buf tx, rx;
	struct vring_used_elem e;
	char buf[32] = "";

	(void)state;
	fg_init(&g);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(lg_io_init(&io), 0);
	assert_int_equal(lg_console_new(NULL, &g.mem, &io, in[0], out[1], &d), 0);
	fg_driver_init(&g, d, FG_V1, 2);

	/* The guest prints. */
	tx = (struct fg_buf){ fg_alloc(&g, 6), 6, 0 };
	memcpy(fg_ptr(&g, tx.gpa), "hello\n", 6);
	fg_post(&g, 1, &tx, 1);
	fg_notify(d, 1);
	assert_int_equal(read(out[0], buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "hello\n", 6);
	assert_int_equal(fg_used_new(&g, 1, NULL), 1);

	/* We type; the I/O thread delivers it into the posted buffer. */
	rx = (struct fg_buf){ fg_alloc(&g, 16), 16, 1 };
	fg_post(&g, 0, &rx, 1);
	fg_notify(d, 0);
	assert_int_equal(write(in[1], "ls\n", 3), 3);
	assert_int_equal(lg_io_start(&io), 0);
	for (int i = 0; i < 500 && !fg_used_new(&g, 0, &e); i++)
		usleep(2000);
	lg_io_stop(&io);
	assert_int_equal(e.len, 3);
	assert_memory_equal(fg_ptr(&g, rx.gpa), "ls\n", 3);

	d->ops->destroy(d);
	lg_io_fini(&io);
	close(out[0]);
	close(out[1]);
	close(in[0]);
	close(in[1]);
	fg_fini(&g);
}

static void console_refuses_writable_tx(void **state)
{
	int p[2];
	struct fg g;
	struct lg_vdev *d = NULL;
	struct fg_buf tx = { FG_BUF_GPA, 4, 1 };

	(void)state;
	fg_init(&g);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(lg_console_new(NULL, &g.mem, NULL, p[0], p[1], &d), 0);
	fg_driver_init(&g, d, FG_V1, 2);
	fg_post(&g, 1, &tx, 1);
	fg_notify(d, 1);
	assert_true(fg_needs_reset(d));
	d->ops->destroy(d);
	close(p[0]);
	close(p[1]);
	fg_fini(&g);
}

static bool is_raw(int fd)
{
	struct termios t;

	assert_int_equal(tcgetattr(fd, &t), 0);
	return !(t.c_lflag & (ICANON | ECHO | ISIG));
}

/* On a terminal the console is raw while the VM runs, and restored after. */
static void console_terminal_is_raw_then_restored(void **state)
{
	struct fg g;
	struct lg_vdev *d = NULL;
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave;

	(void)state;
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_false(is_raw(slave));
	fg_init(&g);
	assert_int_equal(lg_console_new(NULL, &g.mem, NULL, slave, slave, &d), 0);
	d->ops->start(d);
	assert_true(is_raw(slave));
	d->ops->stop(d);
	assert_false(is_raw(slave));
	/* Destroying a VM that is still "running" restores it too. */
	d->ops->start(d);
	assert_true(is_raw(slave));
	d->ops->destroy(d);
	assert_false(is_raw(slave));
	close(slave);
	close(master);
	fg_fini(&g);
}

/* ---- blk ------------------------------------------------------------------ */

#define DISK_SECTORS 64

struct blkt {
	struct fg g;
	struct lg_vdev *d;
	char path[64];
	int backend;
};

static int blk_setup_backend(void **state, int backend, bool ro)
{
	struct blkt *t = calloc(1, sizeof(*t));
	struct lg_disk_config cfg = { .readonly = ro, .backend = backend, .serial = "SERIAL-1" };
	uint8_t sector[512];
	int fd;

	snprintf(t->path, sizeof(t->path), "/tmp/lg-unit-blk-XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	/* Sector n is filled with the byte n. */
	for (int i = 0; i < DISK_SECTORS; i++) {
		memset(sector, i, sizeof(sector));
		assert_int_equal(write(fd, sector, sizeof(sector)), sizeof(sector));
	}
	close(fd);
	fg_init(&t->g);
	cfg.path = t->path;
	assert_int_equal(lg_blk_new(NULL, &t->g.mem, NULL, &cfg, &t->d), 0);
	assert_int_equal(lg_blk_backend(t->d), backend);
	fg_driver_init(&t->g, t->d, FG_V1 | t->d->host_features, 1);
	assert_true(lg_vdev_live(t->d));
	t->backend = backend;
	*state = t;
	return 0;
}

static int io_uring(void **state) { return blk_setup_backend(state, LG_BLK_IO_URING, false); }
static int thread(void **state) { return blk_setup_backend(state, LG_BLK_THREAD, false); }
static int readonly(void **state) { return blk_setup_backend(state, LG_BLK_THREAD, true); }

static int blk_teardown(void **state)
{
	struct blkt *t = *state;

	t->d->ops->destroy(t->d);
	unlink(t->path);
	fg_fini(&t->g);
	free(t);
	return 0;
}

/* Posts one request and waits for its completion; returns the status byte. */
static int blk_req(struct blkt *t, uint32_t type, uint64_t sector, uint64_t data_gpa,
		   uint32_t data_len, bool data_in, uint32_t *used_len)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	uint64_t hgpa = fg_alloc(&t->g, sizeof(h)), sgpa = fg_alloc(&t->g, 1);
	struct fg_buf b[3];
	struct vring_used_elem e = { 0 };
	unsigned int n = 0;

	memcpy(fg_ptr(&t->g, hgpa), &h, sizeof(h));
	*(uint8_t *)fg_ptr(&t->g, sgpa) = 0xee;
	b[n++] = (struct fg_buf){ hgpa, sizeof(h), 0 };
	if (data_len)
		b[n++] = (struct fg_buf){ data_gpa, data_len, data_in };
	b[n++] = (struct fg_buf){ sgpa, 1, 1 };
	fg_post(&t->g, 0, b, n);
	fg_notify(t->d, 0);
	for (int i = 0; i < 1000 && !fg_used_new(&t->g, 0, &e); i++) {
		struct pollfd p = { .fd = lg_blk_event_fd(t->d), .events = POLLIN };

		poll(&p, 1, 5);
		lg_blk_complete(t->d);
	}
	if (used_len)
		*used_len = e.len;
	return *(uint8_t *)fg_ptr(&t->g, sgpa);
}

static void blk_reads_sectors(void **state)
{
	struct blkt *t = *state;
	uint64_t buf = fg_alloc(&t->g, 1024);
	uint8_t *p = fg_ptr(&t->g, buf);
	uint32_t used;

	assert_int_equal(blk_req(t, VIRTIO_BLK_T_IN, 5, buf, 1024, true, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1025);
	assert_int_equal(p[0], 5);
	assert_int_equal(p[511], 5);
	assert_int_equal(p[512], 6);
	assert_int_equal(p[1023], 6);
	/* The capacity in the config space is the file's size. */
	assert_int_equal(((struct virtio_blk_config *)t->d->config)->capacity, DISK_SECTORS);
}

static void blk_writes_and_flushes(void **state)
{
	struct blkt *t = *state;
	uint64_t buf = fg_alloc(&t->g, 512);
	uint8_t disk[512];
	int fd;

	memset(fg_ptr(&t->g, buf), 0xab, 512);
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_OUT, 10, buf, 512, false, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
	fd = open(t->path, O_RDONLY);
	assert_int_equal(pread(fd, disk, 512, (off_t)10 * 512), 512);
	close(fd);
	assert_int_equal(disk[0], 0xab);
	assert_int_equal(disk[511], 0xab);
}

static void blk_discard_and_write_zeroes(void **state)
{
	struct blkt *t = *state;
	struct virtio_blk_discard_write_zeroes r = { .sector = 20, .num_sectors = 8 };
	uint64_t seg = fg_alloc(&t->g, sizeof(r));
	uint8_t disk[512];
	int fd;

	memcpy(fg_ptr(&t->g, seg), &r, sizeof(r));
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, sizeof(r), false, NULL),
			 VIRTIO_BLK_S_OK);
	r.sector = 40;
	seg = fg_alloc(&t->g, sizeof(r));
	memcpy(fg_ptr(&t->g, seg), &r, sizeof(r));
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_DISCARD, 0, seg, sizeof(r), false, NULL),
			 VIRTIO_BLK_S_OK);
	fd = open(t->path, O_RDONLY);
	assert_int_equal(pread(fd, disk, 512, (off_t)27 * 512), 512);
	assert_int_equal(disk[0], 0);
	assert_int_equal(pread(fd, disk, 512, (off_t)28 * 512), 512);
	assert_int_equal(disk[0], 28);		/* just past the range: untouched */
	assert_int_equal(pread(fd, disk, 512, (off_t)47 * 512), 512);
	assert_int_equal(disk[100], 0);
	close(fd);
	/* A range past the end of the disk is an I/O error. */
	r.sector = DISK_SECTORS - 1;
	r.num_sectors = 2;
	seg = fg_alloc(&t->g, sizeof(r));
	memcpy(fg_ptr(&t->g, seg), &r, sizeof(r));
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, sizeof(r), false, NULL),
			 VIRTIO_BLK_S_IOERR);
}

static void blk_get_id(void **state)
{
	struct blkt *t = *state;
	uint64_t buf = fg_alloc(&t->g, VIRTIO_BLK_ID_BYTES);

	assert_int_equal(blk_req(t, VIRTIO_BLK_T_GET_ID, 0, buf, VIRTIO_BLK_ID_BYTES, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(fg_ptr(&t->g, buf), "SERIAL-1", 9);
}

static void blk_out_of_range_is_ioerr(void **state)
{
	struct blkt *t = *state;
	uint64_t buf = fg_alloc(&t->g, 1024);

	assert_int_equal(blk_req(t, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, buf, 1024, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_IN, ~0ULL, buf, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_OUT, (~0ULL) / 512, buf, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* A write just past the end would grow the file: refused, file unchanged. */
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_OUT, DISK_SECTORS, buf, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	{
		struct stat st;

		assert_int_equal(stat(t->path, &st), 0);
		assert_int_equal(st.st_size, DISK_SECTORS * 512);
	}
	/* Not a whole number of sectors. */
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_IN, 0, buf, 100, true, NULL), VIRTIO_BLK_S_IOERR);
	/* Unknown request types are UNSUPP. */
	assert_int_equal(blk_req(t, 99, 0, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
	/* And the device still works. */
	assert_false(fg_needs_reset(t->d));
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_IN, 0, buf, 512, true, NULL), VIRTIO_BLK_S_OK);
}

static void blk_readonly_refuses_writes(void **state)
{
	struct blkt *t = *state;
	uint64_t buf = fg_alloc(&t->g, 512);
	uint8_t disk[512];
	int fd;

	assert_true(t->d->host_features & (1ULL << VIRTIO_BLK_F_RO));
	memset(fg_ptr(&t->g, buf), 0x77, 512);
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_OUT, 3, buf, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	fd = open(t->path, O_RDONLY);
	assert_int_equal(pread(fd, disk, 512, (off_t)3 * 512), 512);
	close(fd);
	assert_int_equal(disk[0], 3);
	assert_int_equal(blk_req(t, VIRTIO_BLK_T_IN, 3, buf, 512, true, NULL), VIRTIO_BLK_S_OK);
}

static void blk_chain_without_status_needs_reset(void **state)
{
	struct blkt *t = *state;
	struct fg_buf b = { fg_alloc(&t->g, 16), 16, 0 };

	fg_post(&t->g, 0, &b, 1);	/* a header and nothing to answer in */
	fg_notify(t->d, 0);
	assert_true(fg_needs_reset(t->d));
}

#define NREQ (FG_QSIZE / 3)
static void blk_many_requests_in_flight(void **state)
{
	struct blkt *t = *state;
	uint64_t hdr[NREQ], data[NREQ], st[NREQ];
	unsigned int got = 0;

	/* Several reads posted at once (3 descriptors each), then completions collected. */
	for (int i = 0; i < NREQ; i++) {
		struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN, .sector = (uint64_t)i };
		struct fg_buf b[3];

		hdr[i] = fg_alloc(&t->g, 16);
		data[i] = fg_alloc(&t->g, 512);
		st[i] = fg_alloc(&t->g, 1);
		memcpy(fg_ptr(&t->g, hdr[i]), &h, sizeof(h));
		b[0] = (struct fg_buf){ hdr[i], 16, 0 };
		b[1] = (struct fg_buf){ data[i], 512, 1 };
		b[2] = (struct fg_buf){ st[i], 1, 1 };
		fg_post(&t->g, 0, b, 3);
	}
	fg_notify(t->d, 0);
	for (int i = 0; i < 1000 && got < NREQ; i++) {
		struct pollfd p = { .fd = lg_blk_event_fd(t->d), .events = POLLIN };

		poll(&p, 1, 5);
		lg_blk_complete(t->d);
		got += fg_used_new(&t->g, 0, NULL);
	}
	assert_int_equal(got, NREQ);
	for (int i = 0; i < NREQ; i++) {
		assert_int_equal(*(uint8_t *)fg_ptr(&t->g, st[i]), VIRTIO_BLK_S_OK);
		assert_int_equal(*(uint8_t *)fg_ptr(&t->g, data[i] + 100), i);
	}
}

struct logbuf {
	char text[1024];
};

static void log_into(void *opaque, enum lg_log_level level, const char *msg)
{
	struct logbuf *l = opaque;
	size_t n = strlen(l->text);

	(void)level;
	snprintf(l->text + n, sizeof(l->text) - n, "%s\n", msg);
}

/* Opens a disk with the automatic backend choice; returns the backend, logs into @l. */
static int auto_backend(struct logbuf *l)
{
	struct fg g;
	struct lg_vdev *d = NULL;
	struct lg_vm *vm = lg_vm_new();
	struct lg_disk_config cfg = { .path = "/proc/self/exe", .readonly = 1 };
	int backend = -1;

	fg_init(&g);
	memset(l, 0, sizeof(*l));
	lg_vm_set_log(vm, log_into, l, LG_LOG_INFO);
	if (lg_blk_new(vm, &g.mem, NULL, &cfg, &d) == 0) {
		backend = lg_blk_backend(d);
		d->ops->destroy(d);
	}
	lg_vm_destroy(vm);
	fg_fini(&g);
	return backend;
}

static void blk_logs_its_backend(void **state)
{
	struct logbuf l;
	int b = auto_backend(&l);

	(void)state;
	assert_true(b == LG_BLK_IO_URING || b == LG_BLK_THREAD);
	assert_non_null(strstr(l.text, b == LG_BLK_IO_URING ? "io_uring backend" : "thread"));
}

/*
 * Where io_uring is refused -- seccomp, io_uring_disabled -- the disk
 * falls back to the worker thread and says so.  A seccomp filter in a
 * child process makes io_uring_setup fail with @err.
 */
static void fallback_when_refused(int err)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)err),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { .len = 4, .filter = f };
		struct logbuf l;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(10);
		if (auto_backend(&l) != LG_BLK_THREAD)
			_exit(11);
		if (!strstr(l.text, "io_uring refused") || !strstr(l.text, "thread (preadv/pwritev)"))
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void blk_falls_back_on_eperm(void **state)
{
	(void)state;
	fallback_when_refused(EPERM);
}

static void blk_falls_back_on_enosys(void **state)
{
	(void)state;
	fallback_when_refused(ENOSYS);
}

static void blk_missing_file_is_refused(void **state)
{
	struct fg g;
	struct lg_vdev *d = NULL;
	struct lg_vm *vm = lg_vm_new();
	struct lg_disk_config cfg = { .path = "/nonexistent/disk.img" };

	(void)state;
	fg_init(&g);
	assert_int_equal(lg_blk_new(vm, &g.mem, NULL, &cfg, &d), -ENOENT);
	assert_non_null(strstr(lg_vm_last_error(vm), "/nonexistent/disk.img"));
	cfg.path = "/dev/null";		/* a character device is no disk */
	assert_int_equal(lg_blk_new(vm, &g.mem, NULL, &cfg, &d), -EINVAL);
	lg_vm_destroy(vm);
	fg_fini(&g);
}

/* ---- net ------------------------------------------------------------------ */

static void net_transmit_and_receive(void **state)
{
	int sp[2];
	struct fg g;
	struct lg_vdev *d = NULL;
	struct lg_net_config cfg = { .fd = -1, .has_mac = 1, .mac = { 2, 0, 0, 0, 0, 1 } };
	struct virtio_net_hdr_v1 h = { .flags = 0 };
	struct fg_buf tx[2], rx;
	struct vring_used_elem e;
	char pkt[128];

	(void)state;
	fg_init(&g);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	cfg.fd = sp[0];
	assert_int_equal(lg_net_new(NULL, &g.mem, NULL, &cfg, false, &d), 0);
	assert_memory_equal(((struct virtio_net_config *)d->config)->mac, cfg.mac, 6);
	fg_driver_init(&g, d, FG_V1 | (1ULL << VIRTIO_NET_F_MAC), 2);

	/* Transmit: header + payload arrive as one packet. */
	tx[0] = (struct fg_buf){ fg_alloc(&g, sizeof(h)), sizeof(h), 0 };
	tx[1] = (struct fg_buf){ fg_alloc(&g, 5), 5, 0 };
	memcpy(fg_ptr(&g, tx[0].gpa), &h, sizeof(h));
	memcpy(fg_ptr(&g, tx[1].gpa), "PING!", 5);
	fg_post(&g, 1, tx, 2);
	fg_notify(d, 1);
	assert_int_equal(read(sp[1], pkt, sizeof(pkt)), sizeof(h) + 5);
	assert_memory_equal(pkt + sizeof(h), "PING!", 5);
	assert_int_equal(fg_used_new(&g, 1, NULL), 1);

	/* Receive: a packet waiting on the "tap" lands in the posted buffer. */
	memset(pkt, 0, sizeof(h));
	memcpy(pkt + sizeof(h), (const char[4]){ 'P', 'O', 'N', 'G' }, 4);
	assert_int_equal(write(sp[1], pkt, sizeof(h) + 4), sizeof(h) + 4);
	rx = (struct fg_buf){ fg_alloc(&g, 1514), 1514, 1 };
	fg_post(&g, 0, &rx, 1);
	fg_notify(d, 0);
	assert_int_equal(fg_used_new(&g, 0, &e), 1);
	assert_int_equal(e.len, sizeof(h) + 4);
	assert_memory_equal(fg_ptr(&g, rx.gpa + sizeof(h)), "PONG", 4);
	assert_int_equal(((struct virtio_net_hdr_v1 *)fg_ptr(&g, rx.gpa))->num_buffers, 1);

	/* A transmit chain shorter than the header is a driver error. */
	tx[0].len = 4;
	fg_post(&g, 1, tx, 1);
	fg_notify(d, 1);
	assert_true(fg_needs_reset(d));

	d->ops->destroy(d);
	close(sp[1]);
	fg_fini(&g);
}

static void net_refuses_non_tap(void **state)
{
	struct fg g;
	struct lg_vdev *d = NULL;
	struct lg_vm *vm = lg_vm_new();
	struct lg_net_config cfg = { .fd = 0 };
	int fd = open("/dev/null", O_RDWR);

	(void)state;
	fg_init(&g);
	cfg.fd = fd;
	assert_int_equal(lg_net_new(vm, &g.mem, NULL, &cfg, true, &d), -EINVAL);
	assert_non_null(strstr(lg_vm_last_error(vm), "not a tap"));
	cfg.fd = -1;
	cfg.tap = "this-name-is-far-too-long";
	assert_int_equal(lg_net_new(vm, &g.mem, NULL, &cfg, true, &d), -EINVAL);
	close(fd);
	lg_vm_destroy(vm);
	fg_fini(&g);
}

/* A throw-away tap (gone when its fd closes); needs CAP_NET_ADMIN, which make check has. */
static int make_tap(short flags, char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail_msg("/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lgunit%%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		fail_msg("TUNSETIFF: %s (the unit tests run as root)", strerror(errno));
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

static void net_on_a_real_tap(void **state)
{
	struct fg g;
	struct lg_vdev *d = NULL;
	struct lg_vm *vm = lg_vm_new();
	struct lg_net_config cfg = { .fd = -1 };
	char name[IFNAMSIZ];
	int hdr = 0;

	(void)state;
	fg_init(&g);
	/* An inherited tap fd with the vnet header is accepted and given a 12-byte header. */
	cfg.fd = make_tap(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, name);
	assert_int_equal(lg_net_new(vm, &g.mem, NULL, &cfg, true, &d), 0);
	assert_int_equal(ioctl(cfg.fd, TUNGETVNETHDRSZ, &hdr), 0);
	assert_int_equal(hdr, sizeof(struct virtio_net_hdr_v1));
	/* The guest choosing offloads reaches the tap without error. */
	fg_driver_init(&g, d, FG_V1 | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
		       (1ULL << VIRTIO_NET_F_GUEST_TSO4), 2);
	assert_true(lg_vdev_live(d));
	fg_notify(d, 0);
	assert_false(fg_needs_reset(d));
	d->ops->destroy(d);
	close(cfg.fd);
	/* Without IFF_VNET_HDR it cannot carry offloads: refused. */
	cfg.fd = make_tap(IFF_TAP | IFF_NO_PI, name);
	assert_int_equal(lg_net_new(vm, &g.mem, NULL, &cfg, true, &d), -EINVAL);
	assert_non_null(strstr(lg_vm_last_error(vm), "IFF_VNET_HDR"));
	close(cfg.fd);
	/* By name: a tap that does not exist yet is created (we are root). */
	cfg.fd = -1;
	cfg.tap = "lgunitbyname";
	assert_int_equal(lg_net_new(vm, &g.mem, NULL, &cfg, true, &d), 0);
	d->ops->destroy(d);
	lg_vm_destroy(vm);
	fg_fini(&g);
}

/* Sends an Ethernet frame of @len bytes (payload all @fill) out of tap @ifindex. */
static void send_frame(int ps, int ifindex, size_t len, char fill)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex,
				   .sll_halen = ETH_ALEN };
	char frame[1514];

	assert_true(len >= ETH_HLEN && len <= sizeof(frame));
	memset(frame, 0xff, ETH_ALEN);			/* broadcast */
	memcpy(frame + ETH_ALEN, (const char[ETH_ALEN]){ 2, 0, 0, 0, 0, 9 }, ETH_ALEN);
	frame[12] = (char)0x88;				/* local experimental EtherType */
	frame[13] = (char)0xb5;
	memset(frame + ETH_HLEN, fill, len - ETH_HLEN);
	memset(sll.sll_addr, 0xff, ETH_ALEN);
	assert_int_equal(sendto(ps, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)),
			 (ssize_t)len);
}

/*
 * A tap says how long a packet was even when it did not fit the buffer
 * it was read into: such a packet is dropped, and the used length never
 * claims more than the guest's chain holds.
 */
static void net_drops_packets_bigger_than_the_chain(void **state)
{
	struct fg g;
	struct lg_vdev *d = NULL;
	struct lg_net_config cfg = { .fd = -1 };
	struct vring_used_elem e;
	struct fg_buf rx;
	struct ifreq ifr;
	char name[IFNAMSIZ], path[96];
	int ps, s, ifindex, fd;
	const size_t hdr = sizeof(struct virtio_net_hdr_v1);

	(void)state;
	fg_init(&g);
	cfg.fd = make_tap(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, name);
	assert_int_equal(lg_net_new(NULL, &g.mem, NULL, &cfg, true, &d), 0);
	fg_driver_init(&g, d, FG_V1, 2);
	/* No IPv6 chatter (router solicitations) on the tap while we test. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		assert_int_equal(write(fd, "1", 1), 1);
		close(fd);
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	ifindex = (int)if_nametoindex(name);
	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(ps >= 0);

	/* 300 bytes for a 64-byte buffer, then 60 that fit. */
	send_frame(ps, ifindex, 300, 'B');
	send_frame(ps, ifindex, 60, 'S');
	rx = (struct fg_buf){ fg_alloc(&g, hdr + 64), hdr + 64, 1 };
	fg_post(&g, 0, &rx, 1);
	fg_notify(d, 0);
	assert_false(fg_needs_reset(d));
	assert_int_equal(fg_used_new(&g, 0, &e), 1);
	assert_int_equal(e.len, hdr + 60);
	assert_int_equal(((char *)fg_ptr(&g, rx.gpa))[hdr + ETH_HLEN], 'S');

	close(ps);
	d->ops->destroy(d);
	fg_fini(&g);
}

/* Chains a hostile driver may post: each stops the device, none hurts us. */
static void net_refuses_malformed_chains(void **state)
{
	int sp[2];
	struct fg g;
	struct lg_vdev *d = NULL;
	struct lg_net_config cfg = { .fd = -1 };
	struct fg_buf b[2];
	char pkt[64] = { 0 };
	const size_t hdr = sizeof(struct virtio_net_hdr_v1);
	/* A buffer at gpa 0 is allocated for the test; queue 0 receives, 1 transmits. */
	static const struct {
		struct fg_buf b[2];
		unsigned int q, n;
	} bad[] = {
		{ { { 0, 1514, 0 } }, 0, 1 },				/* receive chain readable */
		{ { { 0, 4, 1 } }, 0, 1 },				/* receive chain too short */
		{ { { 0, 64, 1 }, { FG_MEM_SIZE - 8, 64, 1 } }, 0, 2 },	/* past guest memory */
		{ { { 0, 64, 0 }, { 0, 64, 1 } }, 1, 2 },		/* transmit chain writable */
		{ { { 0, 64, 0 }, { ~0ULL - 16, 64, 0 } }, 1, 2 },	/* address wraps */
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fg_init(&g);
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
		cfg.fd = sp[0];
		assert_int_equal(lg_net_new(NULL, &g.mem, NULL, &cfg, false, &d), 0);
		fg_driver_init(&g, d, FG_V1, 2);
		/* A packet waits, so a receive chain is really used. */
		assert_int_equal(write(sp[1], pkt, hdr + 20), (ssize_t)(hdr + 20));
		for (unsigned int j = 0; j < bad[i].n; j++) {
			b[j] = bad[i].b[j];
			if (!b[j].gpa)
				b[j].gpa = fg_alloc(&g, b[j].len);
		}
		fg_post(&g, bad[i].q, b, bad[i].n);
		fg_notify(d, bad[i].q);
		assert_true(fg_needs_reset(d));
		assert_int_equal(fg_used_new(&g, bad[i].q, NULL), 0);
		d->ops->destroy(d);
		close(sp[1]);
		fg_fini(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rng_fills_buffers),
		cmocka_unit_test(rng_refuses_readable_buffers),
		cmocka_unit_test(console_output_and_input),
		cmocka_unit_test(console_refuses_writable_tx),
		cmocka_unit_test(console_terminal_is_raw_then_restored),
#define BLK(fn, setup) { #fn " (" #setup ")", fn, setup, blk_teardown, NULL }
		BLK(blk_reads_sectors, io_uring),
		BLK(blk_writes_and_flushes, io_uring),
		BLK(blk_discard_and_write_zeroes, io_uring),
		BLK(blk_get_id, io_uring),
		BLK(blk_out_of_range_is_ioerr, io_uring),
		BLK(blk_many_requests_in_flight, io_uring),
		BLK(blk_chain_without_status_needs_reset, io_uring),
		BLK(blk_reads_sectors, thread),
		BLK(blk_writes_and_flushes, thread),
		BLK(blk_discard_and_write_zeroes, thread),
		BLK(blk_get_id, thread),
		BLK(blk_out_of_range_is_ioerr, thread),
		BLK(blk_many_requests_in_flight, thread),
		BLK(blk_readonly_refuses_writes, readonly),
		cmocka_unit_test(blk_missing_file_is_refused),
		cmocka_unit_test(blk_logs_its_backend),
		cmocka_unit_test(blk_falls_back_on_eperm),
		cmocka_unit_test(blk_falls_back_on_enosys),
		cmocka_unit_test(net_transmit_and_receive),
		cmocka_unit_test(net_refuses_non_tap),
		cmocka_unit_test(net_on_a_real_tap),
		cmocka_unit_test(net_drops_packets_bigger_than_the_chain),
		cmocka_unit_test(net_refuses_malformed_chains),
	};

	return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
