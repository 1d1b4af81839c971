// SPDX-License-Identifier: LGPL-2.1-or-later
/* lguestctl run's option parsing, without running anything. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <liblguest.h>
#include "opts.h"
#include "stats.h"

/* Parses a NULL-terminated list (copied: the parser writes into --disk values). */
static int parse(struct ctl_run *r, char *err, const char *const *args)
{
	static char store[32][256];
	static char *argv[33];
	int argc = 0;

	for (; args[argc]; argc++) {
		snprintf(store[argc], sizeof(store[argc]), "%s", args[argc]);
		argv[argc] = store[argc];
	}
	argv[argc] = NULL;
	return ctl_parse_run(argc, argv, r, err, 256);
}

#define PARSE(r, err, ...) parse(r, err, (const char *const[]){ "run", __VA_ARGS__, NULL })

static void the_readme_command_line(void **state)
{
	struct ctl_run r;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&r, err, "--mem", "128", "--disk", "img", "vmlinux",
			       "init=/bin/sh", "quiet"), 0);
	assert_int_equal(r.mem_mib, 128);
	assert_int_equal(r.ndisk, 1);
	assert_string_equal(r.disk[0].path, "img");
	assert_false(r.disk[0].readonly);
	assert_string_equal(r.kernel, "vmlinux");
	assert_string_equal(r.params, "init=/bin/sh quiet");
	assert_true(r.console);
	assert_false(r.stats);
	ctl_run_free(&r);
}

/* run ... -- COMMAND: the first "--" that is no option's value starts it. */
static void a_command_after_two_dashes(void **state)
{
	struct ctl_run r;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&r, err, "--", "make", "-j4", "test"), 0);
	assert_null(r.kernel);
	assert_string_equal(r.command[0], "make");
	assert_string_equal(r.command[1], "-j4");
	assert_string_equal(r.command[2], "test");
	assert_null(r.command[3]);
	assert_int_equal(r.mem_mib, 256);	/* a command's default */
	ctl_run_free(&r);
	assert_int_equal(PARSE(&r, err, "-m", "512", "--rw", "/tmp", "-p", "--", "vmlinux", "quiet",
			       "--", "ls", "--", "-l"), 0);
	assert_int_equal(r.mem_mib, 512);
	assert_string_equal(r.rw[0], "/tmp");
	assert_string_equal(r.kernel, "vmlinux");
	assert_string_equal(r.params, "-- quiet");	/* -p's value, then the kernel's */
	assert_string_equal(r.command[0], "ls");
	assert_string_equal(r.command[1], "--");	/* the command's own */
	assert_string_equal(r.command[2], "-l");
	ctl_run_free(&r);
	/* Without "--", no command: the kernel and its arguments, as before. */
	assert_int_equal(PARSE(&r, err, "vmlinux", "quiet"), 0);
	assert_null(r.command);
	ctl_run_free(&r);
}

static void short_options_and_sub_options(void **state)
{
	struct ctl_run r;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&r, err, "-m", "1G", "-k", "bzvm", "-i", "initrd.img", "-p", "a=1",
			       "-d", "path=root.img,ro=on,serial=ABC", "-d", "data.img",
			       "-n", "tap=tap0,mac=52:54:00:12:34:56", "-n", "fd=3",
			       "--vsock", "cid=42,socket=/run/v.sock", "--fs", "path=/srv,tag=src,ro=on",
			       "--fs", "socket=/run/fs.sock,tag=t2", "--name", "web-1",
			       "--log-level", "debug", "--console=off", "--stats", "b=2"), 0);
	assert_int_equal(r.mem_mib, 1024);
	assert_string_equal(r.kernel, "bzvm");
	assert_string_equal(r.initrd, "initrd.img");
	assert_string_equal(r.params, "a=1 b=2");
	assert_int_equal(r.ndisk, 2);
	assert_string_equal(r.disk[0].path, "root.img");
	assert_true(r.disk[0].readonly);
	assert_string_equal(r.disk[0].serial, "ABC");
	assert_string_equal(r.disk[1].path, "data.img");
	assert_int_equal(r.nnet, 2);
	assert_string_equal(r.net[0].tap, "tap0");
	assert_true(r.net[0].has_mac);
	assert_int_equal(r.net[0].mac[5], 0x56);
	assert_int_equal(r.net[1].fd, 3);
	assert_null(r.net[1].tap);
	assert_int_equal(r.vsock.cid, 42);
	assert_string_equal(r.vsock.socket, "/run/v.sock");
	assert_int_equal(r.nfs, 2);
	assert_string_equal(r.fs[0].path, "/srv");
	assert_string_equal(r.fs[0].tag, "src");
	assert_true(r.fs[0].readonly);
	assert_null(r.fs[0].socket);
	assert_string_equal(r.fs[1].socket, "/run/fs.sock");
	assert_null(r.fs[1].path);
	assert_false(r.fs[1].readonly);
	assert_string_equal(r.name, "web-1");
	assert_int_equal(r.log_level, 3);
	assert_false(r.console);
	assert_true(r.stats);
	ctl_run_free(&r);
}

/* --stats and SIGUSR1 print this line: every total, named hypercalls and traps. */
static void stats_line(void **state)
{
	struct lg_stats s = {
		.world_switches = 1, .hcalls = 2, .ring_hcalls = 3, .shadow_faults = 4,
		.mmio_exits = 5, .user_exits = 6, .host_irqs = 7, .irqs = 8, .slow_syscalls = 9,
		.mmio_eventfds = 15,
	};
	char buf[1024];
	int n;

	(void)state;
	s.hcall[9] = 10;	/* LHCALL_NEW_PGTABLE */
	s.hcall[31] = 11;
	s.traps[14] = 12;
	s.traps[3] = 13;
	s.traps[31] = 14;
	n = ctl_format_stats(&s, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "world_switches=1 hcalls=2 ring_hcalls=3 shadow_faults=4"
			    " mmio_exits=5 mmio_eventfds=15 user_exits=6 host_irqs=7 irqs=8 slow_syscalls=9"
			    " hc_new_pgtable=10 hc_31=11 pf=12 ud=0 gp=0 bp=13 trap31=14");
	/* Too small a buffer is an error, not a cut line. */
	assert_int_equal(ctl_format_stats(&s, buf, 40), -1);
	assert_int_equal(ctl_format_stats(&s, buf, 0), -1);
}

static void usage_errors(void **state)
{
	static const char *const bad[][8] = {
		{ "run", NULL },				/* no kernel */
		{ "run", "--mem", "lots", "vmlinux", NULL },
		{ "run", "--mem", "1", "vmlinux", NULL },	/* too small */
		{ "run", "--mem", "65538", "vmlinux", NULL },	/* too large */
		{ "run", "--mem", "129", "vmlinux", NULL },	/* not 2 MiB multiple */
		{ "run", "--disk", "ro=on", "vmlinux", NULL },	/* no path */
		{ "run", "--disk", "img,ro=maybe", "vmlinux", NULL },
		{ "run", "--disk", "img,cache=none", "vmlinux", NULL },
		{ "run", "--net", "tap0", "vmlinux", NULL },	/* not key=value */
		{ "run", "--net", "tap=a,fd=3", "vmlinux", NULL },
		{ "run", "--net", "mac=52:54:00:00:00:01", "vmlinux", NULL },
		{ "run", "--net", "tap=t,mac=01:00:00:00:00:01", "vmlinux", NULL },
		{ "run", "--net", "fd=-1", "vmlinux", NULL },
		{ "run", "--vsock", "cid=3", "vmlinux", NULL },		/* no socket */
		{ "run", "--vsock", "cid=2,socket=s", "vmlinux", NULL },	/* the host's */
		{ "run", "--vsock", "cid=4294967295,socket=s", "vmlinux", NULL },
		{ "run", "--vsock", "cid=-5,socket=s", "vmlinux", NULL },
		{ "run", "--vsock", "socket=", "vmlinux", NULL },
		{ "run", "--vsock", "s.sock", "vmlinux", NULL },		/* not key=value */
		{ "run", "--vsock", "socket=a,port=1", "vmlinux", NULL },
		{ "run", "--fs", "path=/srv", "vmlinux", NULL },		/* no tag */
		{ "run", "--fs", "tag=t", "vmlinux", NULL },			/* nothing to share */
		{ "run", "--fs", "path=/a,socket=/b,tag=t", "vmlinux", NULL },
		{ "run", "--fs", "path=/a,tag=0123456789012345678901234567890123456", "vmlinux", NULL },
		{ "run", "--fs", "socket=/b,tag=t,ro=on", "vmlinux", NULL },
		{ "run", "--fs", "path=/a,tag=t,cache=none", "vmlinux", NULL },
		{ "run", "--fs", "path=/a,tag=t,ro=perhaps", "vmlinux", NULL },
		{ "run", "--fs", "path=/a,tag=t", "--fs", "path=/b,tag=t", "vmlinux", NULL },
		{ "run", "--name", "../etc", "vmlinux", NULL },
		{ "run", "--log-level", "loud", "vmlinux", NULL },
		{ "run", "--bogus", "vmlinux", NULL },
		{ "run", "-m", NULL },
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ctl_run r;
		char err[256];
		int argc = 0;

		while (bad[i][argc])
			argc++;
		if (parse(&r, err, bad[i]) != CTL_EXIT_USAGE)
			fail_msg("case %u (%s %s) was accepted", i, bad[i][1] ? bad[i][1] : "",
				 bad[i][1] && bad[i][2] ? bad[i][2] : "");
		assert_true(strlen(err) > 0);
		ctl_run_free(&r);
	}
}

static void sizes_and_macs(void **state)
{
	uint8_t mac[6];

	(void)state;
	assert_int_equal(ctl_parse_mib("128"), 128);
	assert_int_equal(ctl_parse_mib("128M"), 128);
	assert_int_equal(ctl_parse_mib("128MiB"), 128);
	assert_int_equal(ctl_parse_mib("2G"), 2048);
	assert_int_equal(ctl_parse_mib("-1"), -1);
	assert_int_equal(ctl_parse_mib("12T"), -1);
	assert_int_equal(ctl_parse_mib(""), -1);
	assert_int_equal(ctl_parse_mac("52:54:00:ab:CD:ef", mac), 0);
	assert_int_equal(mac[3], 0xab);
	assert_int_equal(mac[4], 0xcd);
	assert_int_equal(ctl_parse_mac("52:54:00:ab:cd", mac), -1);
	assert_int_equal(ctl_parse_mac("52:54:00:ab:cd:ef:00", mac), -1);
	assert_int_equal(ctl_parse_mac("5254.00ab.cdef", mac), -1);
	assert_true(ctl_valid_name("vm_1.test-2"));
	assert_false(ctl_valid_name(".hidden"));
	assert_false(ctl_valid_name("a/b"));
	assert_false(ctl_valid_name(""));
}

static void default_command_line(void **state)
{
	struct ctl_run r;
	char err[256], *c;

	(void)state;
	assert_int_equal(PARSE(&r, err, "-d", "root.img", "vmlinux"), 0);
	c = ctl_cmdline(&r);
	assert_string_equal(c, "console=hvc0 root=/dev/vda rw");
	free(c);
	ctl_run_free(&r);
	/* The user's own console= and root= win. */
	assert_int_equal(PARSE(&r, err, "-d", "root.img", "vmlinux", "root=/dev/vdb",
			       "console=ttyS0"), 0);
	c = ctl_cmdline(&r);
	assert_string_equal(c, "root=/dev/vdb console=ttyS0");
	free(c);
	ctl_run_free(&r);
	assert_int_equal(PARSE(&r, err, "--console=off", "vmlinux"), 0);
	c = ctl_cmdline(&r);
	assert_string_equal(c, "");
	free(c);
	ctl_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_readme_command_line),
		cmocka_unit_test(a_command_after_two_dashes),
		cmocka_unit_test(short_options_and_sub_options),
		cmocka_unit_test(stats_line),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(sizes_and_macs),
		cmocka_unit_test(default_command_line),
	};

	return cmocka_run_group_tests_name("opts", tests, NULL, NULL);
}
