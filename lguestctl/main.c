// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lguestctl: run a guest, list the running ones, stop one.
 *
 *	lguestctl run --mem 128 --disk rootfs.img vmlinux [kernel args...]
 *
 * "run" is a thin layer over liblguest, in the order privilege demands:
 * everything that needs opening (kernel, initrd, disks, taps, then
 * /dev/lguest) is opened first, then every capability is dropped, and
 * only then does the guest run.  Problems with the command line itself are
 * found before anything is opened, and exit with status 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liblguest.h>
#include "command.h"
#include "control.h"
#include "opts.h"
#include "stats.h"
#include "virtiofsd.h"

static const char usage_text[] =
	"Usage: lguestctl run [OPTIONS] VMLINUX [KERNEL ARGS...]\n"
	"       lguestctl run [OPTIONS] [VMLINUX [KERNEL ARGS...]] -- COMMAND [ARGS...]\n"
	"       lguestctl list\n"
	"       lguestctl stop NAME\n"
	"       lguestctl --version | --help\n"
	"\n"
	"Run options:\n"
	"  -m, --mem SIZE        guest memory in MiB (or 1G); default 128\n"
	"  -k, --kernel VMLINUX  the guest kernel (or the first argument)\n"
	"  -i, --initrd FILE     an initial RAM disk\n"
	"  -p, --params ARGS     kernel command line (more after VMLINUX)\n"
	"  -d, --disk path=IMG[,ro=on][,serial=ID]   a virtio disk (repeatable;\n"
	"                        a bare path works too)\n"
	"  -n, --net tap=NAME[,mac=MAC] | fd=N[,mac=MAC]   virtio-net on a tap\n"
	"      --fs path=DIR,tag=TAG[,ro=on] | socket=PATH,tag=TAG   share a host\n"
	"                        directory (virtio-fs, through virtiofsd); the guest\n"
	"                        mounts it: mount -t virtiofs TAG /mnt (repeatable)\n"
	"      --vsock [cid=N,]socket=PATH   virtio-vsock: the guest is CID N (3);\n"
	"                        host programs connect to PATH and send\n"
	"                        'CONNECT <port>\\n'; the guest's host port P is PATH_P\n"
	"      --console[=on|off] the guest's hvc0 on this terminal (default on)\n"
	"      --rw DIR          with a command: DIR is written through to the host\n"
	"                        (the rest of / is read-only, writes stay in the guest)\n"
	"      --name NAME       the name list and stop use (default lguest-PID)\n"
	"      --log-level LEVEL error, warn, info or debug (default error)\n"
	"      --stats           print the hypervisor's counters when the guest ends\n"
	"                        (SIGUSR1 prints them at any time)\n"
	"\n"
	"Exit status: 0 poweroff, 1 host error, 2 usage, 3 guest panic,\n"
	"4 guest killed by the host, 5 stopped, 6 reboot.  With -- COMMAND: the\n"
	"command's (128+N for signal N; 126, 127 cannot run, not found), or 125\n"
	"when lguestctl or the guest failed.  The command runs in a fresh guest on\n"
	"the host's / (read-only, writes kept in the guest), as you, in this\n"
	"directory; VMLINUX defaults to the packaged kernel.\n"
	"LGUEST_DEV overrides /dev/lguest.  See lguestctl(1).\n";

static int usage(const char *why)
{
	fprintf(stderr, "lguestctl: %s\nTry 'lguestctl --help'.\n", why);
	return CTL_EXIT_USAGE;
}

static void log_cb(void *opaque, enum lg_log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	(void)opaque;
	/* The terminal may be raw while the guest runs: end lines with \r\n. */
	fprintf(stderr, "lguestctl: %s: %s\r\n", names[level], msg);
}

/* The virtiofsd we started for each --fs path=DIR, stopped when we end. */
static pid_t fs_daemon[CTL_MAX_FS];
static bool fs_failed;

/* A command's stderr is the command's: its daemons speak only when debugging. */
static int add_one_fs(struct lg_vm *vm, const struct ctl_run *r, const struct ctl_fs *f,
		      pid_t *daemon)
{
	struct lg_fs_config fc = { .tag = f->tag, .socket = f->socket, .fd = -1 };
	unsigned int flags = f->readonly ? CTL_VFSD_READONLY : 0;
	int err;

	if (r->command && r->log_level < LG_LOG_DEBUG)
		flags |= CTL_VFSD_QUIET;
	/* A command's root: the lower layer of the guest's overlay. */
	if (r->command && !strcmp(f->tag, "root"))
		flags |= CTL_VFSD_FLAT;
	if (f->path) {
		char why[512];

		err = ctl_virtiofsd_start(f->path, flags, daemon, &fc.fd, why, sizeof(why));
		if (err) {
			fprintf(stderr, "lguestctl: --fs %s: %s\n", f->tag, why);
			fs_failed = true;
			return err;
		}
	}
	err = lg_vm_add_fs(vm, &fc);
	if (fc.fd >= 0)
		close(fc.fd);	/* liblguest has its own */
	return err;
}

/* A command's shares first (the host's /, then --rw), then --fs. */
static int add_fs(struct lg_vm *vm, const struct ctl_run *r, const struct ctl_command *cmd)
{
	unsigned int n = 0;
	int err = 0;

	if (r->command) {
		struct ctl_fs root = { .path = "/", .tag = "root", .readonly = true };
		char tags[CTL_MAX_RW][8];

		err = add_one_fs(vm, r, &root, &fs_daemon[n++]);
		for (unsigned int i = 0; !err && i < r->nrw; i++) {
			struct ctl_fs rw = { .path = cmd->rw[i], .tag = tags[i] };

			snprintf(tags[i], sizeof(tags[i]), "rw%u", i);
			err = add_one_fs(vm, r, &rw, &fs_daemon[n++]);
		}
	}
	for (unsigned int i = 0; !err && i < r->nfs; i++)
		err = add_one_fs(vm, r, &r->fs[i], &fs_daemon[n++]);
	return err;
}

/*
 * A command's console, when one of its streams is our terminal: input
 * from the terminal if stdin is it, else from a pipe nobody writes;
 * output to the first of stdout and stderr that is the terminal.
 */
static int add_command_console(struct lg_vm *vm, const struct ctl_command *cmd)
{
	static int idle[2] = { -1, -1 };
	int in = 0, out = cmd->modes[1] == 't' ? 1 : cmd->modes[2] == 't' ? 2 : -1;

	if (cmd->console_fd < 0)
		return 0;
	if (cmd->modes[0] != 't') {
		if (pipe2(idle, O_CLOEXEC))
			return -errno;
		in = idle[0];
	}
	if (out < 0) {
		out = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (out < 0)
			return -errno;
	}
	return lg_vm_add_console(vm, in, out);
}

static void stop_fs(void)
{
	for (unsigned int i = 0; i < CTL_MAX_FS; i++) {
		ctl_virtiofsd_stop(fs_daemon[i]);
		fs_daemon[i] = 0;
	}
}

static int host_error(struct lg_vm *vm, const struct ctl_run *r)
{
	/* An --fs failure of our own was told already. */
	if (!fs_failed)
		fprintf(stderr, "lguestctl: %s\n", lg_vm_last_error(vm));
	lg_vm_destroy(vm);
	stop_fs();
	return r->command ? CTL_EXIT_COMMAND : CTL_EXIT_HOST;
}

/* The module's counters on stderr, one line (docs/lguestctl.md). */
static void print_stats(struct lg_vm *vm)
{
	struct lg_stats s;
	char line[4096];
	int err = lg_vm_get_stats(vm, &s, sizeof(s));

	if (err == -EBADF)
		fprintf(stderr, "lguestctl: stats: none yet, the guest has not started\r\n");
	else if (err)
		fprintf(stderr, "lguestctl: stats: %s\r\n", strerror(-err));
	else if (ctl_format_stats(&s, line, sizeof(line)) < 0)
		fprintf(stderr, "lguestctl: stats: too long\r\n");
	else
		fprintf(stderr, "lguestctl: stats: %s\r\n", line);
}

/* ---- the control thread: signals and the control socket ---------------- */

struct control {
	struct lg_vm *vm;
	int listen_fd, sig_fd;
	const struct ctl_run *run;
};

static void *control_thread(void *arg)
{
	struct control *c = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c->sig_fd, .events = POLLIN },
			{ .fd = c->listen_fd, .events = POLLIN },
		};
		char cmd[32] = "";
		ssize_t n;
		int fd;

		if (poll(p, c->listen_fd >= 0 ? 2 : 1, -1) < 0)
			continue;
		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(c->sig_fd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGUSR1)
				print_stats(c->vm);
			else
				lg_vm_stop(c->vm);
			continue;
		}
		fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd) - 1);
		cmd[n > 0 ? n : 0] = 0;
		cmd[strcspn(cmd, "\r\n")] = 0;
		if (!strcmp(cmd, "info")) {
			dprintf(fd, "pid=%d mem=%lluM kernel=%s\n", (int)getpid(),
				(unsigned long long)c->run->mem_mib, c->run->kernel);
			close(fd);
		} else if (!strcmp(cmd, "stop")) {
			dprintf(fd, "ok\n");
			close(fd);
			lg_vm_stop(c->vm);
		} else {
			dprintf(fd, "error unknown command\n");
			close(fd);
		}
	}
	return NULL;
}

/* ---- run ------------------------------------------------------------------ */

static int exit_status(const struct lg_exit *ex)
{
	switch (ex->reason) {
	case LG_EXIT_POWEROFF:
		return CTL_EXIT_POWEROFF;
	case LG_EXIT_REBOOT:
		return CTL_EXIT_REBOOT;
	case LG_EXIT_PANIC:
		return CTL_EXIT_PANIC;
	case LG_EXIT_KILLED:
		return CTL_EXIT_KILLED;
	default:
		return CTL_EXIT_STOPPED;
	}
}

/* Everything that opens files, before any privilege is dropped. */
static int build_vm(struct lg_vm *vm, const struct ctl_run *r, const struct ctl_command *cmd)
{
	char *cmdline = r->command ? ctl_command_cmdline(cmd, r) : ctl_cmdline(r);
	int err;

	if (!cmdline)
		return -ENOMEM;
	err = lg_vm_set_memory(vm, r->mem_mib << 20);
	if (!err)
		err = lg_vm_load_kernel(vm, r->kernel);
	if (!err && r->initrd)
		err = lg_vm_load_initrd(vm, r->initrd);
	if (!err)
		err = lg_vm_set_cmdline(vm, cmdline);
	free(cmdline);
	/* A command's output is the command's: the boot log only when debugging. */
	if (!err && r->command)
		err = lg_vm_set_boot_log(vm, r->log_level >= LG_LOG_DEBUG ? STDERR_FILENO : -1);
	if (!err && r->command)
		err = add_command_console(vm, cmd);
	else if (!err && r->console)
		err = lg_vm_add_console(vm, -1, -1);
	for (unsigned int i = 0; !err && i < r->ndisk; i++) {
		struct lg_disk_config dc = {
			.path = r->disk[i].path,
			.readonly = r->disk[i].readonly,
			.serial = r->disk[i].serial,
		};

		err = lg_vm_add_disk(vm, &dc);
	}
	for (unsigned int i = 0; !err && i < r->nnet; i++) {
		struct lg_net_config nc = {
			.tap = r->net[i].tap,
			.fd = r->net[i].fd,
			.has_mac = r->net[i].has_mac,
		};

		memcpy(nc.mac, r->net[i].mac, 6);
		err = lg_vm_add_net(vm, &nc);
	}
	if (!err)
		err = add_fs(vm, r, cmd);
	if (!err && (r->vsock.socket || r->command)) {
		struct lg_vsock_config vc = {
			.guest_cid = r->command ? 3 : r->vsock.cid,
			.socket = r->command ? cmd->vsock_path : r->vsock.socket,
		};

		err = lg_vm_add_vsock(vm, &vc);
	}
	if (!err)
		err = lg_vm_add_rng(vm);
	if (!err)
		err = lg_vm_open(vm, NULL);
	return err;
}

static int cmd_run(int argc, char **argv)
{
	/* Static: the detached control thread may use them until exit. */
	static struct control ctl;
	static struct ctl_run r;
	static struct ctl_command cmd;
	char err[512], sockpath[128] = "", why[512] = "";
	struct lg_exit ex;
	struct lg_vm *vm;
	pthread_t thr;
	sigset_t sigs;
	int rc;

	if (ctl_parse_run(argc, argv, &r, err, sizeof(err))) {
		rc = usage(err);
		if (r.command)
			rc = CTL_EXIT_COMMAND;
		ctl_run_free(&r);
		return rc;
	}
	if (r.command && !r.help) {
		if (!r.kernel)
			r.kernel = ctl_command_kernel();
		if (!r.initrd)
			r.initrd = ctl_command_initrd();
		if (ctl_command_prepare(&cmd, &r, err, sizeof(err))) {
			fprintf(stderr, "lguestctl: %s\n", err);
			ctl_command_cleanup(&cmd);
			ctl_run_free(&r);
			return CTL_EXIT_COMMAND;
		}
	}
	if (r.help) {
		fputs(usage_text, stdout);
		ctl_run_free(&r);
		return 0;
	}
	if (!r.name) {
		char name[32];

		snprintf(name, sizeof(name), "lguest-%d", (int)getpid());
		r.name = strdup(name);
	}
	vm = lg_vm_new();
	if (!vm) {
		fprintf(stderr, "lguestctl: out of memory\n");
		rc = r.command ? CTL_EXIT_COMMAND : CTL_EXIT_HOST;
		ctl_command_cleanup(&cmd);
		ctl_run_free(&r);
		return rc;
	}
	lg_vm_set_log(vm, log_cb, NULL, (enum lg_log_level)r.log_level);
	if (build_vm(vm, &r, &cmd) < 0) {
		rc = host_error(vm, &r);
		ctl_command_cleanup(&cmd);
		ctl_run_free(&r);
		return rc;
	}

	ctl.listen_fd = r.name ? ctl_listen(r.name, sockpath, sizeof(sockpath)) : -ENOMEM;
	if (ctl.listen_fd == -EEXIST) {
		fprintf(stderr, "lguestctl: a VM named '%s' is already running (hint: --name)\n", r.name);
		rc = r.command ? CTL_EXIT_COMMAND : CTL_EXIT_HOST;
		lg_vm_destroy(vm);
		stop_fs();
		ctl_command_cleanup(&cmd);
		ctl_run_free(&r);
		return rc;
	}
	if (ctl.listen_fd < 0)
		fprintf(stderr, "lguestctl: warning: no control socket (%s); 'lguestctl stop'"
			" will not find this VM\n", strerror(-ctl.listen_fd));

	if (lg_drop_privileges(vm) < 0) {
		if (sockpath[0])
			unlink(sockpath);
		rc = host_error(vm, &r);
		ctl_command_cleanup(&cmd);
		ctl_run_free(&r);
		return rc;
	}

	/*
	 * SIGINT, SIGTERM, SIGHUP stop the guest cleanly (the terminal is
	 * restored); SIGUSR1 prints the counters.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	ctl.vm = vm;
	ctl.run = &r;
	ctl.sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (ctl.sig_fd >= 0 && pthread_create(&thr, NULL, control_thread, &ctl) == 0)
		pthread_detach(thr);
	if (r.command) {
		sigset_t pipe;

		/*
		 * A reader of ours that goes away is an error for the pump and
		 * the drain after it, as for the command, not our death.
		 */
		sigemptyset(&pipe);
		sigaddset(&pipe, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe, NULL);
		if (ctl_command_start(&cmd) < 0) {
			fprintf(stderr, "lguestctl: cannot start a thread\n");
			if (sockpath[0])
				unlink(sockpath);
			stop_fs();
			ctl_command_cleanup(&cmd);
			return CTL_EXIT_COMMAND;
		}
	}

	if (lg_vm_run(vm, &ex) < 0) {
		rc = CTL_EXIT_HOST;
		snprintf(why, sizeof(why), "%s", lg_vm_last_error(vm));
	} else {
		rc = exit_status(&ex);
		if (rc != CTL_EXIT_POWEROFF)
			snprintf(why, sizeof(why), "guest %s%s%s",
				 rc == CTL_EXIT_PANIC ? "panicked" : rc == CTL_EXIT_KILLED ?
				 "killed by the host" : rc == CTL_EXIT_REBOOT ? "asked to reboot" :
				 "stopped", ex.msg[0] ? ": " : "", ex.msg);
	}
	if (r.command)
		rc = ctl_command_finish(&cmd, rc == CTL_EXIT_POWEROFF, why, r.log_level);
	else if (why[0])
		fprintf(stderr, "lguestctl: %s\n", why);
	if (r.stats)
		print_stats(vm);
	if (sockpath[0])
		unlink(sockpath);
	/* lg_vm_destroy() would remove it, but we leave vm to process exit. */
	if (r.vsock.socket)
		unlink(r.vsock.socket);
	ctl_command_cleanup(&cmd);
	stop_fs();
	/* The control thread may still hold vm: leave it to process exit. */
	ctl_run_free(&r);
	return rc;
}

/* ---- list, stop, version --------------------------------------------------- */

static void print_vm(const char *name, const char *info, void *opaque)
{
	int *n = opaque;

	if ((*n)++ == 0)
		printf("%-24s %s\n", "NAME", "INFO");
	printf("%-24s %s\n", name, info);
}

static int cmd_list(int argc)
{
	int n = 0, err;

	if (argc != 1)
		return usage("list takes no arguments");
	err = ctl_list(print_vm, &n);
	if (err) {
		fprintf(stderr, "lguestctl: list: %s\n", strerror(-err));
		return CTL_EXIT_HOST;
	}
	return 0;
}

static int cmd_stop(int argc, char **argv)
{
	char reply[64];
	int err;

	if (argc != 2)
		return usage("stop takes one VM name");
	if (!ctl_valid_name(argv[1]))
		return usage("not a VM name");
	err = ctl_request(argv[1], "stop", reply, sizeof(reply));
	if (err == -ENOENT) {
		fprintf(stderr, "lguestctl: no running VM named '%s' (hint: lguestctl list)\n", argv[1]);
		return CTL_EXIT_HOST;
	}
	if (err || strcmp(reply, "ok") != 0) {
		fprintf(stderr, "lguestctl: stop %s: %s\n", argv[1], err ? strerror(-err) : reply);
		return CTL_EXIT_HOST;
	}
	return 0;
}

static int cmd_version(void)
{
	int abi = lg_module_abi_version(NULL);
	const char *dev = getenv("LGUEST_DEV");

	printf("lguestctl %s (liblguest %s, ABI %u)\n", lg_library_version(),
	       lg_library_version(), lg_library_abi_version());
	if (abi >= 0)
		printf("module: ABI %d at %s\n", abi, dev && *dev ? dev : "/dev/lguest");
	else
		printf("module: not available (%s: %s)\n", dev && *dev ? dev : "/dev/lguest",
		       strerror(-abi));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("no command (run, list, stop)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version"))
		return cmd_version();
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1);
	if (!strcmp(argv[1], "stop"))
		return cmd_stop(argc - 1, argv + 1);
	return usage("unknown command (run, list, stop)");
}
