// SPDX-License-Identifier: GPL-2.0
/*
 * LGUEST_INIT, LGUEST_SET_REGS/GET_REGS, LGUEST_RUN and the run page: every
 * malformed call is refused with the promised errno and changes nothing;
 * who may make which call (the file is the capability, but only the
 * creating process runs the guest; nothing but LGUEST_IRQ and
 * LGUEST_GET_STATS while a thread runs it).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/lguest.h>

#include "flatguest.h"
#include "lgtest.h"

#define MEM	(16UL << 20)

static void *mem;

static struct lguest_init good_init(void)
{
	struct lguest_init init = {
		.mem_uaddr = (uintptr_t)mem,
		.mem_size = MEM,
		.nr_mmio = 2,
		.mmio = { { 0xd0000000, 0x1000 }, { 0xd0001000, 0x1000 } },
	};
	return init;
}

static void bad_init(int fd, struct lguest_init init, int want, const char *name)
{
	CHECK_ERRNO(ioctl(fd, LGUEST_INIT, &init), want, name);
}

static struct lguest_regs good_regs(void)
{
	struct lguest_regs r = {
		.rip = 0xffffffff81000000UL, .rsp = 0xffff888000100000UL,
		.rflags = 0x2, .cr3 = 0x1000, .rsi = 0x7000, .r15 = 15,
	};
	return r;
}

static void bad_regs(int fd, struct lguest_regs r, const char *name)
{
	struct lguest_regs now;

	CHECK_ERRNO(ioctl(fd, LGUEST_SET_REGS, &r), EINVAL, name);
	ioctl(fd, LGUEST_GET_REGS, &now);
	CHECK(now.r15 == 15 && now.cr3 == 0x1000, "regs: refused SET_REGS changes nothing",
	      "r15 %llu cr3 %#llx", (unsigned long long)now.r15, (unsigned long long)now.cr3);
}

/* Runs hello.bin to its poweroff: 1 if it got there. */
static int run_hello(struct flatguest *g)
{
	for (int i = 0; i < 100 && flatguest_hello_step(g); i++)
		;
	return flatguest_powered_off(g);
}

static void close_guest(struct flatguest *g)
{
	close(g->fd);
	if (g->run != MAP_FAILED)
		munmap(g->run, 4096);
	munmap(g->mem, FG_MEM);
}

/*
 * The file is the capability: a process it was passed to (here by fork)
 * may read and set the registers and raise lines.  Running the guest is
 * the creating process's alone: the guest's memory is in its address
 * space.  None of it may disturb the guest.
 */
static void other_process(void)
{
	struct flatguest g;
	struct lguest_regs regs = { 0 };
	int status = 0;
	pid_t pid;

	CHECK(flatguest_start(&g, "/tests/hello.bin") == 0 &&
	      ioctl(g.fd, LGUEST_GET_REGS, &regs) == 0, "run: hello guest starts", "%s",
	      strerror(errno));
	if (g.run == MAP_FAILED)
		return;
	CHECK_ERRNO(ioctl(g.fd, LGUEST_RUN, 1), EINVAL, "run: LGUEST_RUN with an argument refused");

	pid = fork();
	if (pid == 0) {
		struct lguest_irq irq = { .irq = 1 };
		struct lguest_regs r;

		errno = 0;
		if (ioctl(g.fd, LGUEST_RUN, 0) != -1 || errno != EPERM)
			_exit(1);
		if (ioctl(g.fd, LGUEST_GET_REGS, &r) || r.rip != regs.rip)
			_exit(2);
		if (ioctl(g.fd, LGUEST_SET_REGS, &r))
			_exit(3);
		/* hello.S never enables interrupts: the line just stays pending. */
		if (ioctl(g.fd, LGUEST_IRQ, &irq))
			_exit(4);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 1,
	      "run: another process holding the file gets EPERM from LGUEST_RUN",
	      "child status %#x", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "run: another process holding the file may GET_REGS, SET_REGS and LGUEST_IRQ",
	      "child status %#x (1 RUN not EPERM, 2 GET_REGS, 3 SET_REGS, 4 IRQ)", status);
	CHECK(run_hello(&g), "run: the creating process still runs the guest to poweroff",
	      "exit %u", g.run->exit_reason);
	close_guest(&g);
}

/* A thread inside LGUEST_RUN with a guest that never yields. */
struct runner {
	int fd;
	long ret;
	int err;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	sigset_t alrm;

	/* The watchdog's SIGALRM is for the main thread. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	r->ret = ioctl(r->fd, LGUEST_RUN, 0);
	r->err = errno;
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* While one thread runs the guest, its state is that thread's. */
static void while_running(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct timespec tick = { 0, 10L * 1000 * 1000 };
	struct lguest_stats s = { .size = sizeof(s) };
	struct lguest_irq irq = { .irq = 1 };
	struct runner r = { .ret = 1 };
	struct lguest_regs regs = { 0 }, got = { 0 };
	struct lguest_init init;
	struct flatguest g;
	pthread_t thr;
	int i;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	CHECK(flatguest_start(&g, "/tests/loop.bin") == 0 &&
	      ioctl(g.fd, LGUEST_GET_REGS, &regs) == 0, "run: spinning guest starts", "%s",
	      strerror(errno));
	if (g.run == MAP_FAILED)
		return;
	r.fd = g.fd;
	pthread_create(&thr, NULL, runner_main, &r);
	/* Inside LGUEST_RUN once the guest has been entered. */
	for (i = 0; i < 1000; i++) {
		s.size = sizeof(s);
		if (!ioctl(g.fd, LGUEST_GET_STATS, &s) && s.world_switches)
			break;
		nanosleep(&tick, NULL);
	}
	CHECK(s.world_switches > 0, "run: the other thread is running the guest",
	      "no world switch in 10 s");
	/* Were a call to run the guest here, a signal would end it. */
	alarm(10);
	init = (struct lguest_init){ .mem_uaddr = (uintptr_t)g.mem, .mem_size = FG_MEM };
	CHECK_ERRNO(ioctl(g.fd, LGUEST_SET_REGS, &regs), EBUSY,
		    "run: SET_REGS while another thread runs the guest is EBUSY");
	CHECK_ERRNO(ioctl(g.fd, LGUEST_GET_REGS, &got), EBUSY,
		    "run: GET_REGS while another thread runs the guest is EBUSY");
	CHECK_ERRNO(ioctl(g.fd, LGUEST_RUN, 0), EBUSY,
		    "run: a second LGUEST_RUN while another thread runs the guest is EBUSY");
	CHECK_ERRNO(ioctl(g.fd, LGUEST_INIT, &init), EBUSY,
		    "run: LGUEST_INIT while another thread runs the guest is EBUSY");
	CHECK(ioctl(g.fd, LGUEST_IRQ, &irq) == 0,
	      "run: LGUEST_IRQ while another thread runs the guest works", "%s", strerror(errno));
	alarm(0);
	pthread_kill(thr, SIGUSR1);
	pthread_join(thr, NULL);
	CHECK(r.ret == -1 && r.err == EINTR, "run: the running thread was not disturbed (EINTR)",
	      "returned %ld errno %d (%s)", r.ret, r.err, strerror(r.err));
	CHECK(ioctl(g.fd, LGUEST_GET_REGS, &got) == 0 && got.rip >= regs.rip &&
	      got.rip < regs.rip + 4096 && ioctl(g.fd, LGUEST_SET_REGS, &regs) == 0,
	      "run: GET_REGS and SET_REGS work again once it returned", "%s, rip %#llx",
	      strerror(errno), (unsigned long long)got.rip);
	close_guest(&g);
}

int main(void)
{
	struct lguest_init init;
	struct lguest_regs regs;
	void *p;
	int fd, i;

	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = open("/dev/lguest", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0 && mem != MAP_FAILED, "init: open and memory", "%s", strerror(errno));

	CHECK_ERRNO(ioctl(fd, LGUEST_GET_REGS, &regs), EBADFD, "init: GET_REGS before INIT refused");
	CHECK_ERRNO(ioctl(fd, LGUEST_RUN), EBADFD, "init: RUN before INIT refused");

	init = good_init(); init.flags = 1;
	bad_init(fd, init, EINVAL, "init: nonzero flags refused");
	init = good_init(); init.reserved[7] = 1;
	bad_init(fd, init, EINVAL, "init: nonzero reserved refused");
	init = good_init(); init.reserved0 = 1;
	bad_init(fd, init, EINVAL, "init: nonzero reserved0 refused");
	init = good_init(); init.mem_size = 1 << 20;
	bad_init(fd, init, EINVAL, "init: memory below the minimum refused");
	init = good_init(); init.mem_size = MEM + 4096;
	bad_init(fd, init, EINVAL, "init: memory not a 2 MiB multiple refused");
	init = good_init(); init.mem_size = 128ULL << 30;
	bad_init(fd, init, EINVAL, "init: memory above the maximum refused");
	init = good_init(); init.mem_uaddr += 8;
	bad_init(fd, init, EINVAL, "init: unaligned memory refused");
	init = good_init(); init.mem_uaddr = 0xffff888000000000UL;
	bad_init(fd, init, EFAULT, "init: kernel memory refused");
	init = good_init(); init.mem_uaddr = (1UL << 56) - (MEM / 2);
	bad_init(fd, init, EFAULT, "init: memory past the user half refused");
	init = good_init(); init.nr_mmio = LGUEST_MAX_MMIO + 1;
	bad_init(fd, init, EINVAL, "init: too many MMIO ranges refused");
	init = good_init(); init.mmio[0].base = MEM - 4096;
	bad_init(fd, init, EINVAL, "init: MMIO range over RAM refused");
	init = good_init(); init.mmio[1].base = 0xd0000000;
	bad_init(fd, init, EINVAL, "init: overlapping MMIO ranges refused");
	init = good_init(); init.mmio[0].size = 0;
	bad_init(fd, init, EINVAL, "init: empty MMIO range refused");
	init = good_init(); init.mmio[0].size = 100;
	bad_init(fd, init, EINVAL, "init: unaligned MMIO range refused");
	init = good_init(); init.mmio[5].base = 0xe0000000;
	bad_init(fd, init, EINVAL, "init: unused MMIO slot must be zero");
	init = good_init(); init.mmio[0].base = (1ULL << 46) - 4096; init.mmio[0].size = 8192;
	bad_init(fd, init, EINVAL, "init: MMIO range past physical limit refused");
	CHECK_ERRNO(ioctl(fd, LGUEST_INIT, NULL), EFAULT, "init: NULL argument refused");
	CHECK_ERRNO(ioctl(fd, LGUEST_GET_REGS, &regs), EBADFD, "init: refused INITs left it uninitialised");

	init = good_init();
	CHECK(ioctl(fd, LGUEST_INIT, &init) == 0, "init: good INIT accepted", "%s", strerror(errno));
	CHECK_ERRNO(ioctl(fd, LGUEST_INIT, &init), EEXIST, "init: second INIT refused");

	regs = good_regs();
	CHECK(ioctl(fd, LGUEST_SET_REGS, &regs) == 0, "regs: good SET_REGS accepted", "%s",
	      strerror(errno));
	memset(&regs, 0xff, sizeof(regs));
	CHECK(ioctl(fd, LGUEST_GET_REGS, &regs) == 0 && regs.rip == 0xffffffff81000000UL &&
	      regs.rsi == 0x7000 && regs.rflags == 0x2 && regs.reserved[0] == 0,
	      "regs: GET_REGS returns what was set", "rip %#llx", (unsigned long long)regs.rip);

	regs = good_regs(); regs.rflags |= 3 << 12;
	bad_regs(fd, regs, "regs: IOPL in rflags refused");
	regs = good_regs(); regs.rflags |= 1 << 17;
	bad_regs(fd, regs, "regs: VM86 in rflags refused");
	regs = good_regs(); regs.rip = 0x0000900000000000UL;
	bad_regs(fd, regs, "regs: non-canonical rip refused");
	regs = good_regs(); regs.gs_base = 0x8000000000000000UL;
	bad_regs(fd, regs, "regs: non-canonical gs_base refused");
	regs = good_regs(); regs.cr3 = MEM;
	bad_regs(fd, regs, "regs: cr3 outside guest memory refused");
	regs = good_regs(); regs.cr3 = 0x1008;
	bad_regs(fd, regs, "regs: unaligned cr3 refused");
	regs = good_regs(); regs.reserved[4] = 1;
	bad_regs(fd, regs, "regs: nonzero reserved refused");
	CHECK_ERRNO(ioctl(fd, LGUEST_SET_REGS, (void *)8), EFAULT, "regs: bad pointer refused");

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	CHECK(p == MAP_FAILED && errno == EINVAL, "mmap: nonzero offset refused", "%p", p);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "mmap: two pages refused", "%p", p);
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	CHECK(p == MAP_FAILED && errno == EPERM, "mmap: executable mapping refused", "%p", p);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "mmap: private mapping refused", "%p", p);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && ((struct lguest_run *)p)->exit_reason == LGUEST_EXIT_NONE,
	      "mmap: run page maps and starts empty", "%s", strerror(errno));
	if (p != MAP_FAILED) {
		CHECK(mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0,
		      "mmap: run page cannot become executable", "mprotect succeeded");
		munmap(p, 4096);
	}
	close(fd);

	/* Guests come and go: nothing may stay behind (the init script
	 * unloads the module afterwards, which needs every reference back). */
	for (i = 0; i < 500; i++) {
		fd = open("/dev/lguest", O_RDWR);
		init = good_init();
		if (fd < 0 || ioctl(fd, LGUEST_INIT, &init))
			break;
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (p != MAP_FAILED)
			munmap(p, 4096);
	}
	CHECK(i == 500, "init: 500 create/destroy cycles", "failed at %d: %s", i, strerror(errno));

	other_process();
	while_running();
	return lgtest_failed;
}
