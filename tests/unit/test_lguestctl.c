// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lguestctl's error paths, run for real: the built binary is executed
 * with LGUEST_DEV pointing wherever the case needs, and its exit status
 * and message are checked.  Nothing here needs the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "control.h"
#include "elfgen.h"
#include "opts.h"

static char ctl[PATH_MAX], fakelg[PATH_MAX], fakedev[PATH_MAX];
static char dir[] = "/tmp/lg-unit-ctl-XXXXXX";
static char good[PATH_MAX], noelf[PATH_MAX], nonote[PATH_MAX], locked[PATH_MAX];
static char out[8192];

struct opts {
	const char *dev;	/* LGUEST_DEV, or NULL to leave it unset */
	bool as_nobody;		/* drop to uid 65534 first (when root) */
	const char *script;	/* run over the fake module with this script */
};

/* In the child: the environment and identity @o asks for, then exec. */
static void child(const struct opts *o, const char *const *argv, int outfd)
{
	int null = open("/dev/null", O_RDONLY);

	dup2(null, 0);
	dup2(outfd, 1);
	dup2(outfd, 2);
	if (o && o->script) {
		setenv("LD_PRELOAD", fakelg, 1);
		setenv("FAKELG", o->script, 1);
		setenv("LGUEST_DEV", fakedev, 1);
	} else if (o && o->dev) {
		setenv("LGUEST_DEV", o->dev, 1);
	} else {
		unsetenv("LGUEST_DEV");
	}
	setenv("XDG_RUNTIME_DIR", dir, 1);
	if (o && o->as_nobody && geteuid() == 0 && (setgid(65534) || setuid(65534)))
		_exit(99);
	execv(ctl, (char *const *)argv);
	_exit(98);
}

/* Runs lguestctl with @argv; its stdout and stderr end up in out[]. */
static int run(const struct opts *o, const char *const *argv)
{
	int p[2], status;
	size_t got = 0;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child(o, argv, p[1]);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], out + got, sizeof(out) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

#define RUN(o, ...) run(o, (const char *const[]){ ctl, __VA_ARGS__, NULL })

static void says(const char *what)
{
	if (!strstr(out, what))
		fail_msg("output lacks '%s':\n%s", what, out);
	/* One line of error, not a screenful. */
	if (strchr(out, '\n') && strchr(out, '\n')[1] && !strstr(out, "Try 'lguestctl --help'"))
		fail_msg("more than one line:\n%s", out);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	chmod(path, mode);
}

static int setup(void **state)
{
	struct eg_seg seg = { .paddr = EG_KBASE, .vaddr = EG_KVIRT, .filesz = 0x100,
			      .memsz = 0x100, .flags = PF_R | PF_X };
	uint8_t *img;
	size_t len;
	ssize_t n;

	(void)state;
	/* lguestctl sits next to the unit directory in the build tree. */
	n = readlink("/proc/self/exe", ctl, sizeof(ctl) - 32);
	assert_true(n > 0);
	ctl[n] = 0;
	{
		char exe[PATH_MAX];

		snprintf(exe, sizeof(exe), "%s", ctl);
		snprintf(fakelg, sizeof(fakelg), "%s/fakelg.so", dirname(exe));
		snprintf(ctl, sizeof(ctl), "%s/lguestctl", dirname(exe));
	}
	if (access(ctl, X_OK))
		fail_msg("%s not built", ctl);
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(good, sizeof(good), "%s/vmlinux", dir);
	snprintf(noelf, sizeof(noelf), "%s/bzImage", dir);
	snprintf(nonote, sizeof(nonote), "%s/plain-vmlinux", dir);
	snprintf(locked, sizeof(locked), "%s/lguest-dev", dir);
	snprintf(fakedev, sizeof(fakedev), "%s/fake-lguest", dir);
	{
		static const char page[4096];

		write_file(fakedev, page, sizeof(page), 0600);
	}
	img = eg_good_kernel(&len);
	write_file(good, img, len, 0644);
	free(img);
	img = eg_build(&len, &seg, 1, NULL, 0);
	write_file(nonote, img, len, 0644);
	free(img);
	write_file(noelf, "MZ\x90\x00not an elf", 14, 0644);
	write_file(locked, "", 0, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(good);
	unlink(noelf);
	unlink(nonote);
	unlink(locked);
	unlink(fakedev);
	rmdir(dir);
	return 0;
}

static void no_command_is_usage(void **state)
{
	(void)state;
	assert_int_equal(run(NULL, (const char *const[]){ ctl, NULL }), CTL_EXIT_USAGE);
	assert_int_equal(RUN(NULL, "frobnicate"), CTL_EXIT_USAGE);
	says("unknown command");
}

static void bad_options_are_usage(void **state)
{
	(void)state;
	assert_int_equal(RUN(NULL, "run"), CTL_EXIT_USAGE);
	says("no kernel");
	assert_int_equal(RUN(NULL, "run", "--mem", "1", good), CTL_EXIT_USAGE);
	says("2 MiB to 65536 MiB");
	assert_int_equal(RUN(NULL, "run", "--mem", "131072", good), CTL_EXIT_USAGE);
	says("2 MiB to 65536 MiB");
	assert_int_equal(RUN(NULL, "run", "--disk", "x,bogus=1", good), CTL_EXIT_USAGE);
	says("unknown option 'bogus'");
	assert_int_equal(RUN(NULL, "run", "--frob", good), CTL_EXIT_USAGE);
	assert_int_equal(RUN(NULL, "stop"), CTL_EXIT_USAGE);
}

/* run ... -- COMMAND: its own mistakes, and every failure of ours, are 125. */
static void command_mistakes_are_125(void **state)
{
	struct opts o = { .dev = "/nonexistent/lguest" };

	(void)state;
	assert_int_equal(RUN(NULL, "run", good, "--"), CTL_EXIT_COMMAND);
	says("no command after --");
	assert_int_equal(RUN(NULL, "run", "--rw", "rel", good, "--", "true"), CTL_EXIT_COMMAND);
	says("--rw rel: give an absolute path");
	assert_int_equal(RUN(NULL, "run", "--rw", "/tmp", good), CTL_EXIT_USAGE);
	says("--rw is for a command");
	assert_int_equal(RUN(NULL, "run", "--vsock", "socket=/tmp/x", good, "--", "true"),
			 CTL_EXIT_COMMAND);
	says("a command's guest uses its vsock device itself");
	assert_int_equal(RUN(NULL, "run", "--fs", "path=/tmp,tag=root", good, "--", "true"),
			 CTL_EXIT_COMMAND);
	says("tags root and rw* are for the command's own shares");
	assert_int_equal(RUN(&o, "run", "--rw", "/nonexistent/dir", good, "--", "true"),
			 CTL_EXIT_COMMAND);
	says("--rw /nonexistent/dir: No such file or directory");
	assert_int_equal(RUN(&o, "run", "-i", "/nonexistent/init.cpio", good, "--", "true"),
			 CTL_EXIT_COMMAND);
	says("/nonexistent/init.cpio: No such file or directory");
	/* The kernel and initrd load; then the host's / needs its virtiofsd. */
	setenv("LGUEST_VIRTIOFSD", "/nonexistent/virtiofsd", 1);
	assert_int_equal(RUN(&o, "run", "-i", good, good, "--", "true"), CTL_EXIT_COMMAND);
	unsetenv("LGUEST_VIRTIOFSD");
	says("--fs root: /nonexistent/virtiofsd: No such file or directory");
}

static void module_not_loaded(void **state)
{
	struct opts o = { .dev = "/nonexistent/lguest" };

	(void)state;
	assert_int_equal(RUN(&o, "run", "--mem", "64", good), CTL_EXIT_HOST);
	says("/nonexistent/lguest: No such file or directory");
	says("modprobe lg");
}

static void wrong_device(void **state)
{
	struct opts o = { .dev = "/dev/null" };

	(void)state;
	assert_int_equal(RUN(&o, "run", "--mem", "64", good), CTL_EXIT_HOST);
	says("not an lguest device");
}

static void permission_denied(void **state)
{
	struct opts o = { .dev = locked, .as_nobody = true };

	(void)state;
	if (geteuid() == 0 || access(locked, R_OK | W_OK)) {
		assert_int_equal(RUN(&o, "run", "--mem", "64", "--console=off", good), CTL_EXIT_HOST);
		says("Permission denied");
		says("hint");
	} else {
		fail_msg("cannot make an inaccessible device file as this user");
	}
}

static void not_elf_is_refused(void **state)
{
	struct opts o = { .dev = "/nonexistent/lguest" };

	(void)state;
	assert_int_equal(RUN(&o, "run", noelf), CTL_EXIT_HOST);
	says("not an ELF file");
	says("vmlinux");
	assert_int_equal(RUN(&o, "run", nonote), CTL_EXIT_HOST);
	says("not an lguest-capable kernel");
	assert_int_equal(RUN(&o, "run", "/nonexistent/vmlinux"), CTL_EXIT_HOST);
	says("No such file or directory");
}

static void memory_too_small_for_kernel(void **state)
{
	struct opts o = { .dev = "/nonexistent/lguest" };

	(void)state;
	assert_int_equal(RUN(&o, "run", "--mem", "8", good), CTL_EXIT_HOST);
	says("more --mem");
}

static void missing_disk_is_refused(void **state)
{
	struct opts o = { .dev = "/nonexistent/lguest" };

	(void)state;
	assert_int_equal(RUN(&o, "run", "--disk", "/nonexistent/root.img", good), CTL_EXIT_HOST);
	says("disk /nonexistent/root.img: No such file or directory");
}

static void unreadable_disk_is_refused(void **state)
{
	struct opts o = { .dev = "/nonexistent/lguest", .as_nobody = true };

	(void)state;
	if (geteuid() != 0)
		fail_msg("needs root to test as another user");
	/* locked is mode 000: nobody cannot open it. */
	assert_int_equal(RUN(&o, "run", "--console=off", "--disk", locked, good), CTL_EXIT_HOST);
	says("Permission denied");
}

static void tap_not_permitted(void **state)
{
	struct opts o = { .dev = "/nonexistent/lguest", .as_nobody = true };

	(void)state;
	if (geteuid() != 0)
		fail_msg("needs root to test as another user");
	/* Creating a tap needs CAP_NET_ADMIN, which nobody lacks. */
	assert_int_equal(RUN(&o, "run", "--console=off", "--net", "tap=lgunit0", good),
			 CTL_EXIT_HOST);
	says("tap lgunit0");
	says("hint");
}

static void version_and_help(void **state)
{
	struct opts o = { .dev = "/nonexistent/lguest" };

	(void)state;
	assert_int_equal(RUN(&o, "--version"), 0);
	assert_non_null(strstr(out, "ABI 1"));
	assert_non_null(strstr(out, "module: not available"));
	assert_int_equal(RUN(&o, "--help"), 0);
	assert_non_null(strstr(out, "Usage: lguestctl run"));
	assert_int_equal(RUN(&o, "run", "--help"), 0);
	assert_non_null(strstr(out, "--disk"));
}

static void stop_and_list_without_vms(void **state)
{
	(void)state;
	assert_int_equal(RUN(NULL, "stop", "novm"), CTL_EXIT_HOST);
	says("no running VM named 'novm'");
	assert_int_equal(RUN(NULL, "list"), 0);
	assert_string_equal(out, "");
}

/* A stand-in for a running "lguestctl run": answers two requests. */
struct fake_vm {
	int fd;
	char got[2][32];
};

static void *fake_vm(void *arg)
{
	struct fake_vm *f = arg;

	for (int i = 0; i < 2; i++) {
		int c = accept(f->fd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			break;
		n = read(c, f->got[i], sizeof(f->got[i]) - 1);
		f->got[i][n > 0 ? n : 0] = 0;
		if (!strncmp(f->got[i], "info", 4))
			dprintf(c, "pid=1 mem=64M kernel=vmlinux\n");
		else
			dprintf(c, "ok\n");
		close(c);
	}
	return NULL;
}

static void list_and_stop_over_the_control_socket(void **state)
{
	struct fake_vm f = { .fd = -1 };
	char path[128];
	pthread_t t;

	(void)state;
	setenv("XDG_RUNTIME_DIR", dir, 1);
	f.fd = ctl_listen("fakevm", path, sizeof(path));
	assert_true(f.fd >= 0);
	assert_int_equal(pthread_create(&t, NULL, fake_vm, &f), 0);
	assert_int_equal(RUN(NULL, "list"), 0);
	assert_non_null(strstr(out, "fakevm"));
	assert_non_null(strstr(out, "mem=64M"));
	assert_int_equal(RUN(NULL, "stop", "fakevm"), 0);
	pthread_join(t, NULL);
	assert_string_equal(f.got[0], "info\n");
	assert_string_equal(f.got[1], "stop\n");
	close(f.fd);
	/* The socket is now stale: stop says so and cleans it up. */
	assert_int_equal(RUN(NULL, "stop", "fakevm"), CTL_EXIT_HOST);
	says("no running VM named 'fakevm'");
	assert_int_not_equal(access(path, F_OK), 0);
	unlink(path);
	{
		char d[PATH_MAX];

		snprintf(d, sizeof(d), "%s/lguest", dir);
		rmdir(d);
	}
}

/* With the fake module (fakelg.h) lguestctl runs "guests" end to end. */
static void exit_status_follows_the_guest(void **state)
{
	static const struct {
		const char *script;
		int status;
		const char *says;
	} cases[] = {
		{ "r:0x1000000000:4,off", CTL_EXIT_POWEROFF, NULL },
		{ "panic:Kernel panic - not syncing: VFS", CTL_EXIT_PANIC, "panicked: Kernel panic" },
		{ "killed:write to the hypervisor hole", CTL_EXIT_KILLED, "killed by the host: write" },
		{ "reboot", CTL_EXIT_REBOOT, "reboot" },
		{ "", CTL_EXIT_HOST, "LGUEST_RUN" },
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct opts o = { .script = cases[i].script };

		assert_int_equal(RUN(&o, "run", "--mem", "32", "-d", good, good), cases[i].status);
		if (cases[i].says)
			says(cases[i].says);
		else if (out[0])
			fail_msg("a clean poweroff printed:\n%s", out);
	}
}

/* --stats: the module's counters, one line on stderr, when the guest ends. */
static void stats_when_the_guest_ends(void **state)
{
	struct opts o = { .script = "r:0x1000000000:4,r:0x1000000000:4,off" };

	(void)state;
	assert_int_equal(RUN(&o, "run", "--stats", "--mem", "32", good), CTL_EXIT_POWEROFF);
	/* Three runs of the fake module (fakelg_stats()). */
	says("lguestctl: stats: world_switches=30 hcalls=9 ring_hcalls=64 shadow_faults=21 "
	     "mmio_exits=2 mmio_eventfds=11 user_exits=3 host_irqs=5 irqs=4 slow_syscalls=1 "
	     "hc_flush_tlb_one=9 hc_31=31 pf=14 ud=6 gp=0 trap31=31\r\n");
}

/*
 * Starts "lguestctl run --name @name" on a guest that blocks, its output
 * into @out_fd's pipe, and waits until it answers on its control socket.
 */
static pid_t start_blocking(const char *name, int *out_fd)
{
	struct opts o = { .script = "block" };
	const char *const argv[] = { ctl, "run", "--name", name, good, NULL };
	int p[2], i;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child(&o, argv, p[1]);
	}
	close(p[1]);
	for (i = 0; i < 500; i++) {
		if (RUN(NULL, "list") == 0 && strstr(out, name))
			break;
		usleep(10000);
	}
	assert_true(i < 500);
	*out_fd = p[0];
	return pid;
}

/* SIGUSR1 prints the counters of a running guest, which keeps running. */
static void sigusr1_prints_stats_while_running(void **state)
{
	char buf[4096] = "";
	size_t got = 0;
	int fd, status;
	pid_t pid;

	(void)state;
	pid = start_blocking("counted", &fd);
	/*
	 * Its control socket answers before the guest has started: until
	 * then SIGUSR1 says so, and we ask again.
	 */
	for (int tries = 0; tries < 100; tries++) {
		char *line = buf + got;

		kill(pid, SIGUSR1);
		while (!strstr(line, "\r\n") && got < sizeof(buf) - 1) {
			ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);

			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = 0;
		}
		if (!strstr(line, "the guest has not started"))
			break;
		usleep(10000);
	}
	/* Blocked in its first run: one run's worth. */
	if (!strstr(buf, "lguestctl: stats: world_switches=10 hcalls=3 "))
		fail_msg("no stats line after SIGUSR1:\n%s", buf);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CTL_EXIT_STOPPED);
}

static void version_shows_the_module_abi(void **state)
{
	struct opts o = { .script = "" };

	(void)state;
	assert_int_equal(RUN(&o, "--version"), 0);
	assert_non_null(strstr(out, "module: ABI 1 at"));
}

static void stop_a_running_guest(void **state)
{
	int fd, status;
	pid_t pid;

	(void)state;
	pid = start_blocking("blocker", &fd);
	assert_int_equal(RUN(NULL, "stop", "blocker"), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CTL_EXIT_STOPPED);
	/* It cleaned up its socket. */
	assert_int_equal(RUN(NULL, "list"), 0);
	assert_null(strstr(out, "blocker"));
}

static void sigterm_stops_a_running_guest(void **state)
{
	int fd, status;
	pid_t pid;

	(void)state;
	pid = start_blocking("termed", &fd);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CTL_EXIT_STOPPED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_command_is_usage),
		cmocka_unit_test(bad_options_are_usage),
		cmocka_unit_test(command_mistakes_are_125),
		cmocka_unit_test(module_not_loaded),
		cmocka_unit_test(wrong_device),
		cmocka_unit_test(permission_denied),
		cmocka_unit_test(not_elf_is_refused),
		cmocka_unit_test(memory_too_small_for_kernel),
		cmocka_unit_test(missing_disk_is_refused),
		cmocka_unit_test(unreadable_disk_is_refused),
		cmocka_unit_test(tap_not_permitted),
		cmocka_unit_test(version_and_help),
		cmocka_unit_test(stop_and_list_without_vms),
		cmocka_unit_test(list_and_stop_over_the_control_socket),
		cmocka_unit_test(exit_status_follows_the_guest),
		cmocka_unit_test(version_shows_the_module_abi),
		cmocka_unit_test(stop_a_running_guest),
		cmocka_unit_test(sigterm_stops_a_running_guest),
		cmocka_unit_test(stats_when_the_guest_ends),
		cmocka_unit_test(sigusr1_prints_stats_while_running),
	};

	return cmocka_run_group_tests_name("lguestctl", tests, setup, teardown);
}
