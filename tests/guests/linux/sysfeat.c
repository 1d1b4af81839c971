// SPDX-License-Identifier: GPL-2.0
/*
 * sysfeat: the system calls a distribution's services and container
 * engines use that no tool in the test root exercises (system-check runs
 * it).  One "SYSTEM PASS|FAIL <check>[: why]" line each:
 *
 *	seccomp   a filter as systemd and container engines install them
 *		  (as nobody, with no_new_privs): uname() gets EPERM, the
 *		  rest runs
 *	io_uring  a ring set up, a NOP submitted and completed
 *	bpf       an array map created, written and read (what systemd's
 *		  and docker's cgroup device filters need first)
 *	keys      a key added to the session keyring and read back
 *	mqueue    a POSIX message queue: send, receive
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <mqueue.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(ok, name, ...) do {						\
	if (ok) {								\
		printf("SYSTEM PASS %s\n", name);				\
	} else {								\
		printf("SYSTEM FAIL %s: ", name);				\
		printf(__VA_ARGS__);						\
		printf("\n");							\
	}									\
	fflush(stdout);								\
} while (0)

/* In a child of nobody: uname() refused with EPERM, getpid() still works. */
static void seccomp(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct utsname u;

		if (setgid(65534) || setuid(65534) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			_exit(10 + errno % 100);
		if (uname(&u) != -1 || errno != EPERM)
			_exit(2);
		_exit(getpid() > 1 ? 0 : 3);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "seccomp: a filter installed as nobody refuses uname() with EPERM",
	      "wait status %#x (10+errno: the filter could not be installed)", st);
}

static void io_uring(void)
{
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqes;
	uint32_t *sq, *cq;
	size_t sqlen, cqlen;
	int fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	long got = -1;

	if (fd < 0) {
		CHECK(0, "io_uring: a NOP submitted and completed", "io_uring_setup: %s",
		      strerror(errno));
		return;
	}
	sqlen = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
	cqlen = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sqlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cqlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    IORING_OFF_SQES);
	if (sq != MAP_FAILED && cq != MAP_FAILED && sqes != MAP_FAILED) {
		uint32_t *tail = (uint32_t *)((char *)sq + p.sq_off.tail);
		uint32_t *array = (uint32_t *)((char *)sq + p.sq_off.array);
		struct io_uring_cqe *cqe = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);

		memset(&sqes[0], 0, sizeof(sqes[0]));
		sqes[0].opcode = IORING_OP_NOP;
		sqes[0].user_data = 0x1a6e57;
		array[0] = 0;
		__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
		got = syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
		if (got == 1 && (cqe[0].user_data != 0x1a6e57 || cqe[0].res != 0))
			got = -2;
	}
	CHECK(got == 1, "io_uring: a NOP submitted and completed", "io_uring_enter: %ld (%s)",
	      got, strerror(errno));
	close(fd);
}

static long bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static void bpf_map(void)
{
	union bpf_attr a = { 0 };
	uint32_t key = 1;
	uint64_t val = 0x6c6775657374, back = 0;
	int fd;
	long r = -1;

	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = sizeof(key);
	a.value_size = sizeof(val);
	a.max_entries = 2;
	fd = (int)bpf(BPF_MAP_CREATE, &a);
	if (fd >= 0) {
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)fd;
		a.key = (uint64_t)(uintptr_t)&key;
		a.value = (uint64_t)(uintptr_t)&val;
		r = bpf(BPF_MAP_UPDATE_ELEM, &a);
		a.value = (uint64_t)(uintptr_t)&back;
		if (!r)
			r = bpf(BPF_MAP_LOOKUP_ELEM, &a);
		close(fd);
	}
	CHECK(fd >= 0 && !r && back == val, "bpf: an array map created, written and read",
	      "fd %d, %ld (%s), read %#llx", fd, r, strerror(errno), (unsigned long long)back);
}

static void keys(void)
{
	char buf[32] = "";
	long id = syscall(SYS_add_key, "user", "lgtest", "secret", 6, KEY_SPEC_SESSION_KEYRING);
	long n = id < 0 ? -1 : syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof(buf) - 1);

	CHECK(n == 6 && !memcmp(buf, "secret", 6), "keys: a user key added and read back",
	      "add_key %ld, read %ld (%s)", id, n, strerror(errno));
}

static void mqueue(void)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	char buf[16] = "";
	mqd_t q = mq_open("/lgtest", O_CREAT | O_RDWR, 0600, &attr);
	ssize_t n = -1;

	if (q != (mqd_t)-1) {
		if (!mq_send(q, "hello", 5, 1))
			n = mq_receive(q, buf, sizeof(buf), NULL);
		mq_close(q);
		mq_unlink("/lgtest");
	}
	CHECK(n == 5 && !memcmp(buf, "hello", 5), "mqueue: a message sent and received",
	      "%zd (%s)", n, strerror(errno));
}

int main(void)
{
	seccomp();
	io_uring();
	bpf_map();
	keys();
	mqueue();
	return 0;
}
