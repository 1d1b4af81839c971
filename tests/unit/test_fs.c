// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * virtio-fs (dev_fs.c) and the vhost-user front end (vhost_user.c):
 * first against a fake daemon on a socketpair that records every message
 * and file descriptor it gets, then against the real virtiofsd lguestctl
 * would start (lguestctl/virtiofsd.c), answering a FUSE_INIT and a
 * GETATTR through guest memory it mapped from our memfd.  No I/O thread:
 * the tests call lg_fs_service() where it would.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/fuse.h>
#include <linux/virtio_fs.h>

#include "fakeguest.h"
#include "vhost_user.h"
#include "virtiofsd.h"

/* Guest memory as lg_vm_set_memory() makes it: a memfd, which the daemon maps. */
static int memfd_guest(struct fg *g)
{
	int fd = memfd_create("fs-test", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, FG_MEM_SIZE), 0);
	memset(g, 0, sizeof(*g));
	g->mem.size = FG_MEM_SIZE;
	g->mem.base = mmap(NULL, FG_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(g->mem.base != MAP_FAILED);
	g->qsize = FG_QSIZE;
	g->buf_next = FG_BUF_GPA;
	return fd;
}

/* ---- a fake daemon -------------------------------------------------------- */

struct msg {
	uint32_t req, size;
	uint64_t u64;
	uint32_t index, num;
	uint64_t mem_size, mem_uaddr;
	int fd;
};

struct daemon {
	int sock;
	pthread_t thread;
	struct msg log[64];
	unsigned int n;
};

static void *daemon_run(void *p)
{
	struct daemon *dm = p;

	for (;;) {
		uint32_t h[3];
		uint8_t body[256];
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { h, sizeof(h) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c;
		struct msg *e;

		if (recvmsg(dm->sock, &m, MSG_WAITALL) != sizeof(h) || dm->n == 64)
			return NULL;
		e = &dm->log[dm->n++];
		memset(e, 0, sizeof(*e));
		e->req = h[0];
		e->size = h[2];
		e->fd = -1;
		c = CMSG_FIRSTHDR(&m);
		if (c && c->cmsg_type == SCM_RIGHTS)
			memcpy(&e->fd, CMSG_DATA(c), sizeof(int));
		if (h[2] > sizeof(body) || (h[2] && recv(dm->sock, body, h[2], MSG_WAITALL) != h[2]))
			return NULL;
		memcpy(&e->u64, body, 8);
		memcpy(&e->index, body, 4);
		memcpy(&e->num, body + 4, 4);
		if (e->req == VU_SET_MEM_TABLE) {	/* region 0 */
			memcpy(&e->mem_size, body + 16, 8);
			memcpy(&e->mem_uaddr, body + 24, 8);
		}
		if (e->req == VU_GET_FEATURES || e->req == VU_GET_PROTOCOL_FEATURES ||
		    e->req == VU_GET_VRING_BASE) {	/* replies */
			uint64_t reply[2] = { 0, 0 };
			uint32_t rh[3] = { e->req, VU_VERSION | VU_REPLY, 8 };

			if (e->req == VU_GET_FEATURES)
				reply[0] = (1ULL << 32) | (1ULL << 30);	/* VERSION_1, PROTOCOL_FEATURES */
			else if (e->req == VU_GET_VRING_BASE)
				reply[0] = e->index;
			if (write(dm->sock, rh, sizeof(rh)) != sizeof(rh) ||
			    write(dm->sock, reply, 8) != 8)
				return NULL;
		}
	}
}

static unsigned int count(const struct daemon *dm, uint32_t req)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < dm->n; i++)
		n += dm->log[i].req == req;
	return n;
}

static const struct msg *find(const struct daemon *dm, uint32_t req, unsigned int nth)
{
	for (unsigned int i = 0; i < dm->n; i++)
		if (dm->log[i].req == req && nth-- == 0)
			return &dm->log[i];
	return NULL;
}

static void settle(void)
{
	usleep(100000);		/* the daemon thread reads what we sent */
}

static void fs_hands_its_queues_to_the_daemon(void **state)
{
	struct daemon dm = { 0 };
	struct lg_fs_config cfg = { .tag = "share" };
	struct lg_vdev *d = NULL;
	const struct msg *m;
	struct fg g;
	int sp[2], memfd;
	uint64_t v;

	(void)state;
	memfd = memfd_guest(&g);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	dm.sock = sp[1];
	assert_int_equal(pthread_create(&dm.thread, NULL, daemon_run, &dm), 0);
	cfg.fd = sp[0];
	assert_int_equal(lg_fs_new(NULL, &g.mem, memfd, NULL, &cfg, &d), 0);
	close(sp[0]);		/* the device has its own copy */
	assert_memory_equal(((struct virtio_fs_config *)d->config)->tag, "share", 5);
	assert_int_equal(((struct virtio_fs_config *)d->config)->num_request_queues, 1);
	settle();
	/* Asked its features, and took the protocol's; nothing started yet. */
	assert_int_equal(count(&dm, VU_GET_FEATURES), 1);
	assert_int_equal(count(&dm, VU_SET_PROTOCOL_FEATURES), 1);
	assert_int_equal(count(&dm, VU_SET_OWNER), 1);
	assert_int_equal(count(&dm, VU_SET_MEM_TABLE), 0);

	fg_driver_init(&g, d, FG_V1, 2);
	assert_false(fg_needs_reset(d));
	settle();
	m = find(&dm, VU_SET_FEATURES, 0);
	assert_non_null(m);
	assert_int_equal(m->u64, (1ULL << 32) | (1ULL << 30));
	m = find(&dm, VU_SET_MEM_TABLE, 0);
	assert_non_null(m);
	assert_true(m->fd >= 0);	/* guest memory, shared by fd */
	assert_int_equal(m->mem_size, FG_MEM_SIZE);
	assert_int_equal(m->mem_uaddr, (uintptr_t)g.mem.base);
	close(m->fd);
	for (unsigned int q = 0; q < 2; q++) {
		assert_int_equal(find(&dm, VU_SET_VRING_NUM, q)->num, FG_QSIZE);
		assert_int_equal(find(&dm, VU_SET_VRING_ADDR, q)->index, q);
		assert_int_equal(find(&dm, VU_SET_VRING_CALL, q)->u64, q);
		assert_int_equal(find(&dm, VU_SET_VRING_KICK, q)->u64, q);
		assert_int_equal(find(&dm, VU_SET_VRING_ENABLE, q)->num, 1);
		assert_true(find(&dm, VU_SET_VRING_CALL, q)->fd >= 0);
		assert_true(find(&dm, VU_SET_VRING_KICK, q)->fd >= 0);
	}
	/* A kick of queue 1 arrives on the daemon's kick eventfd. */
	fg_notify(d, 1);
	assert_int_equal(read(find(&dm, VU_SET_VRING_KICK, 1)->fd, &v, sizeof(v)), sizeof(v));
	/* A call from the daemon interrupts the guest. */
	v = 1;
	assert_int_equal(write(find(&dm, VU_SET_VRING_CALL, 1)->fd, &v, sizeof(v)), sizeof(v));
	lg_fs_service(d);
	assert_true(fg_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);

	/* A reset stops both queues: disabled, then their base asked for. */
	fg_wr(d, VIRTIO_MMIO_STATUS, 0);
	settle();
	assert_int_equal(count(&dm, VU_GET_VRING_BASE), 2);
	assert_int_equal(find(&dm, VU_SET_VRING_ENABLE, 2)->num, 0);
	for (unsigned int i = 0; i < dm.n; i++)
		if (dm.log[i].fd >= 0 && dm.log[i].req != VU_SET_MEM_TABLE)
			close(dm.log[i].fd);
	d->ops->destroy(d);
	pthread_join(dm.thread, NULL);
	close(sp[1]);
	munmap(g.mem.base, FG_MEM_SIZE);
	close(memfd);
}

/* ---- FUSE through the rings ------------------------------------------------ */

/* A FUSE request on queue 1: @in (header and body) out, room for @out_len back. */
static uint16_t fuse_request(struct fg *g, const void *in, uint32_t in_len, uint32_t out_len,
			     uint64_t *out_gpa)
{
	struct fg_buf b[2] = { { fg_alloc(g, in_len), in_len, 0 }, { 0, out_len, 1 } };

	memcpy(fg_ptr(g, b[0].gpa), in, in_len);
	b[1].gpa = fg_alloc(g, out_len);
	memset(fg_ptr(g, b[1].gpa), 0xaa, out_len);
	*out_gpa = b[1].gpa;
	return fg_post(g, 1, b, 2);
}

/* The daemon is gone: what it did not answer, and all after, get EIO. */
static void fs_gives_eio_when_the_daemon_is_gone(void **state)
{
	struct daemon dm = { 0 };
	struct lg_fs_config cfg = { .tag = "t" };
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in a;
	} req = { .h = { .len = sizeof(req), .opcode = FUSE_GETATTR, .unique = 77, .nodeid = 1 } };
	struct vring_used_elem e;
	struct lg_vdev *d = NULL;
	struct fuse_out_header *o;
	uint64_t out_gpa;
	struct fg g;
	int sp[2], memfd;

	(void)state;
	memfd = memfd_guest(&g);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	dm.sock = sp[1];
	assert_int_equal(pthread_create(&dm.thread, NULL, daemon_run, &dm), 0);
	cfg.fd = sp[0];
	assert_int_equal(lg_fs_new(NULL, &g.mem, memfd, NULL, &cfg, &d), 0);
	close(sp[0]);
	fg_driver_init(&g, d, FG_V1, 2);
	/* A request the daemon takes and never answers; then it dies. */
	fuse_request(&g, &req, sizeof(req), 128, &out_gpa);
	fg_notify(d, 1);
	shutdown(sp[1], SHUT_RDWR);
	pthread_join(dm.thread, NULL);
	close(sp[1]);
	lg_fs_service(d);
	assert_int_equal(fg_used_new(&g, 1, &e), 1);
	assert_int_equal(e.len, sizeof(*o));
	o = fg_ptr(&g, out_gpa);
	assert_int_equal(o->error, -EIO);
	assert_int_equal(o->unique, 77);
	/* And the next one, at once. */
	req.h.unique = 78;
	fuse_request(&g, &req, sizeof(req), 128, &out_gpa);
	fg_notify(d, 1);
	assert_int_equal(fg_used_new(&g, 1, &e), 1);
	o = fg_ptr(&g, out_gpa);
	assert_int_equal(o->error, -EIO);
	assert_int_equal(o->unique, 78);
	/* And one whose kick lg.ko signalled on the daemon's eventfd, as it does. */
	req.h.unique = 79;
	fuse_request(&g, &req, sizeof(req), 128, &out_gpa);
	{
		uint64_t one = 1;

		assert_int_equal(write(d->ops->kick_fd(d, 1), &one, sizeof(one)), sizeof(one));
	}
	lg_fs_service(d);
	assert_int_equal(fg_used_new(&g, 1, &e), 1);
	o = fg_ptr(&g, out_gpa);
	assert_int_equal(o->error, -EIO);
	assert_int_equal(o->unique, 79);
	assert_false(fg_needs_reset(d));
	for (unsigned int i = 0; i < dm.n; i++)
		if (dm.log[i].fd >= 0)
			close(dm.log[i].fd);
	d->ops->destroy(d);
	munmap(g.mem.base, FG_MEM_SIZE);
	close(memfd);
}

/* The used entry for queue 1 within 10 s, polling as the I/O thread would. */
static bool wait_used(struct fg *g, struct lg_vdev *d, struct vring_used_elem *e)
{
	for (int i = 0; i < 1000; i++) {
		lg_fs_service(d);
		if (fg_used_new(g, 1, e))
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * The daemon users get: QEMU's or the Rust virtiofsd, as lguestctl starts
 * it; @readonly: a MKDIR gets EROFS and the host's directory stays empty.
 */
static void real_virtiofsd(bool readonly)
{
	char dir[] = "/tmp/lgfs.XXXXXX", why[256], cmd[64];
	struct lg_fs_config cfg = { .tag = "real" };
	struct {
		struct fuse_in_header h;
		struct fuse_init_in i;
	} init = { { .len = sizeof(init), .opcode = FUSE_INIT, .unique = 1 },
		   { .major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION } };
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in a;
	} ga = { .h = { .len = sizeof(ga), .opcode = FUSE_GETATTR, .unique = 2, .nodeid = 1 } };
	struct {
		struct fuse_in_header h;
		struct fuse_mkdir_in m;
		char name[8];	/* cppcheck-suppress unusedStructMember ; the daemon reads it */
	} mk = { .h = { .len = sizeof(mk), .opcode = FUSE_MKDIR, .unique = 4, .nodeid = 1 },
		 .m = { .mode = 0755 }, .name = "made" };
	struct vring_used_elem e;
	struct lg_vdev *d = NULL;
	struct fuse_out_header *o;
	struct fuse_attr_out *attr;
	uint64_t out_gpa;
	unsigned int flags;
	struct stat st;
	struct fg g;
	pid_t pid;
	int memfd;

	if (!ctl_virtiofsd_path() || geteuid() != 0) {
		/* cmocka has no skip that counts: say why, and check what we can. */
		print_message("SKIP real virtiofsd: %s\n", !ctl_virtiofsd_path() ?
			      "no virtiofsd installed" : "this test runs it as root");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/hello", dir);
	assert_int_equal(mkdir(cmd, 0700), 0);
	memfd = memfd_guest(&g);
	flags = CTL_VFSD_QUIET | (readonly ? CTL_VFSD_READONLY : 0);
	assert_int_equal(ctl_virtiofsd_start(dir, flags, &pid, &cfg.fd, why, sizeof(why)), 0);
	assert_int_equal(lg_fs_new(NULL, &g.mem, memfd, NULL, &cfg, &d), 0);
	close(cfg.fd);
	fg_driver_init(&g, d, FG_V1, 2);
	assert_false(fg_needs_reset(d));

	fuse_request(&g, &init, sizeof(init), sizeof(*o) + sizeof(struct fuse_init_out), &out_gpa);
	fg_notify(d, 1);
	assert_true(wait_used(&g, d, &e));
	o = fg_ptr(&g, out_gpa);
	assert_int_equal(o->error, 0);
	assert_int_equal(o->unique, 1);
	assert_int_equal(((struct fuse_init_out *)(o + 1))->major, FUSE_KERNEL_VERSION);
	/* Interrupts came through the call eventfd. */
	assert_true(fg_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);

	fuse_request(&g, &ga, sizeof(ga), sizeof(*o) + sizeof(*attr), &out_gpa);
	fg_notify(d, 1);
	assert_true(wait_used(&g, d, &e));
	o = fg_ptr(&g, out_gpa);
	attr = (struct fuse_attr_out *)(o + 1);
	assert_int_equal(o->error, 0);
	assert_true(S_ISDIR(attr->attr.mode));
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(attr->attr.ino, st.st_ino);	/* it is our directory */

	fuse_request(&g, &mk, sizeof(mk), sizeof(*o) + sizeof(struct fuse_entry_out), &out_gpa);
	fg_notify(d, 1);
	assert_true(wait_used(&g, d, &e));
	o = fg_ptr(&g, out_gpa);
	snprintf(cmd, sizeof(cmd), "%s/made", dir);
	if (readonly) {
		assert_int_equal(o->error, -EROFS);
		assert_int_equal(access(cmd, F_OK), -1);
	} else {
		assert_int_equal(o->error, 0);
		assert_int_equal(stat(cmd, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		rmdir(cmd);
	}
	snprintf(cmd, sizeof(cmd), "%s/hello", dir);

	/* Killed, with the child it serves from (its process group): EIO, no hang. */
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ga.h.unique = 3;
	fuse_request(&g, &ga, sizeof(ga), sizeof(*o) + sizeof(*attr), &out_gpa);
	fg_notify(d, 1);
	assert_true(wait_used(&g, d, &e));
	o = fg_ptr(&g, out_gpa);
	assert_int_equal(o->error, -EIO);
	assert_int_equal(o->unique, 3);

	d->ops->destroy(d);
	munmap(g.mem.base, FG_MEM_SIZE);
	close(memfd);
	rmdir(cmd);
	rmdir(dir);
}

static void fs_with_the_real_virtiofsd(void **state)
{
	(void)state;
	real_virtiofsd(false);
}

/* ro=on: the host's kernel refuses the daemon's writes, whichever daemon. */
static void fs_read_only_with_the_real_virtiofsd(void **state)
{
	(void)state;
	real_virtiofsd(true);
}

static void fs_refuses_what_cannot_work(void **state)
{
	struct lg_fs_config cfg = { .tag = "", .socket = "/nonexistent/sock" };
	struct lg_vdev *d = NULL;
	char why[256];
	pid_t pid;
	int fd;
	struct fg g;
	int memfd = memfd_guest(&g);

	(void)state;
	assert_int_equal(lg_fs_new(NULL, &g.mem, memfd, NULL, &cfg, &d), -EINVAL);
	cfg.tag = "0123456789012345678901234567890123456";	/* 37 */
	assert_int_equal(lg_fs_new(NULL, &g.mem, memfd, NULL, &cfg, &d), -EINVAL);
	cfg.tag = "ok";
	assert_int_equal(lg_fs_new(NULL, &g.mem, memfd, NULL, &cfg, &d), -ENOENT);
	/* Not a directory: said before any daemon starts. */
	assert_int_equal(ctl_virtiofsd_start("/etc/passwd", 0, &pid, &fd, why, sizeof(why)),
			 -ENOTDIR);
	assert_non_null(strstr(why, "not a directory"));
	/* A comma would end virtiofsd's -o source= early: refused. */
	rmdir("/tmp/lgfs-a,source=");
	assert_int_equal(mkdir("/tmp/lgfs-a,source=", 0700), 0);
	assert_int_equal(ctl_virtiofsd_start("/tmp/lgfs-a,source=", 0, &pid, &fd, why,
					     sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "comma"));
	rmdir("/tmp/lgfs-a,source=");
	setenv("LGUEST_VIRTIOFSD", "/nonexistent/virtiofsd", 1);
	assert_string_equal(ctl_virtiofsd_path(), "/nonexistent/virtiofsd");
	unsetenv("LGUEST_VIRTIOFSD");
	munmap(g.mem.base, FG_MEM_SIZE);
	close(memfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fs_hands_its_queues_to_the_daemon),
		cmocka_unit_test(fs_gives_eio_when_the_daemon_is_gone),
		cmocka_unit_test(fs_refuses_what_cannot_work),
		cmocka_unit_test(fs_with_the_real_virtiofsd),
		cmocka_unit_test(fs_read_only_with_the_real_virtiofsd),
	};

	return cmocka_run_group_tests_name("fs", tests, NULL, NULL);
}
