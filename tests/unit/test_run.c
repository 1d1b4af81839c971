// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The run loop against a fake lg.ko (fakelg.h): what LGUEST_INIT and
 * LGUEST_SET_REGS are given, MMIO exits reaching the right device, the
 * ways a guest ends, and stopping a guest that never exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "elfgen.h"
#include "fakelg.h"
#include "vm.h"

static char dev[] = "/tmp/lg-unit-fakedev-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(dev);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(dev);
	return 0;
}

/* A fresh fake module, to play @script. */
static void fake_module(const char *script)
{
	fakelg_script = script;
	fakelg_step = 0;
	fakelg_inited = false;
	fakelg_nreads = 0;
	fakelg_pending_read = -1;
	fakelg_irqs = 0;
	fakelg_runs = 0;
	fakelg_hcall_ret = 0;
	if (fakelg_run)
		munmap(fakelg_run, 4096);
	fakelg_run = NULL;
}

/* A fresh fake module for each test, and a VM with a kernel and an rng. */
static struct lg_vm *ready_vm(const char *script)
{
	struct lg_vm *vm = lg_vm_new();
	size_t len;
	uint8_t *img = eg_good_kernel(&len);

	fake_module(script);
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
	assert_int_equal(lg_vm_load_kernel_mem(vm, img, len), 0);
	assert_int_equal(lg_vm_set_cmdline(vm, "quiet"), 0);
	assert_int_equal(lg_vm_add_rng(vm), 0);
	assert_int_equal(lg_vm_open(vm, dev), 0);
	free(img);
	return vm;
}

static void init_and_registers(void **state)
{
	struct lg_vm *vm = ready_vm("off");
	struct lg_exit ex;

	(void)state;
	assert_int_equal(lg_vm_run(vm, &ex), 0);
	assert_int_equal(ex.reason, LG_EXIT_POWEROFF);
	/* RAM is our mapping; one MMIO range covers the rng's window. */
	assert_int_equal(fakelg_init_arg.mem_uaddr, (uint64_t)(uintptr_t)vm->mem.base);
	assert_int_equal(fakelg_init_arg.mem_size, 32ULL << 20);
	assert_int_equal(fakelg_init_arg.flags, 0);
	assert_int_equal(fakelg_init_arg.nr_mmio, 1);
	assert_int_equal(fakelg_init_arg.mmio[0].base, LG_MMIO_BASE);
	assert_int_equal(fakelg_init_arg.mmio[0].size, 0x1000);
	assert_int_equal(fakelg_init_arg.reserved0, 0);
	/* The boot registers of docs/abi.md. */
	assert_int_equal(fakelg_regs.rip, EG_ENTRY);
	assert_int_equal(fakelg_regs.rsi, LG_BOOT_PARAMS_GPA);
	assert_int_equal(fakelg_regs.cr3, LG_PGTABLE_GPA);
	/* The command line in guest memory carries the device. */
	assert_string_equal((char *)vm->mem.base + LG_CMDLINE_GPA,
			    "quiet virtio_mmio.device=0x1000@0x1000000000:1");
	/* A guest runs once. */
	assert_int_equal(lg_vm_run(vm, &ex), -EBUSY);
	lg_vm_destroy(vm);
}

static void mmio_exits_reach_the_device(void **state)
{
	struct lg_vm *vm = ready_vm("r:0x1000000000:4,r:0x1000000008:4,w:0x1000000070:4:1,"
				    "r:0x1000000070:4,r:0x1000000000:2,r:0x2000000000:4,"
				    "h:7,panic:Kernel panic - not syncing: test");
	struct lg_exit ex;

	(void)state;
	assert_int_equal(lg_vm_run(vm, &ex), 0);
	assert_int_equal(ex.reason, LG_EXIT_PANIC);
	assert_string_equal(ex.msg, "Kernel panic - not syncing: test");
	assert_int_equal(fakelg_nreads, 5);
	assert_int_equal(fakelg_reads[0], 0x74726976);	/* "virt" */
	assert_int_equal(fakelg_reads[1], 4);		/* VIRTIO_ID_RNG */
	assert_int_equal(fakelg_reads[2], 1);		/* the status we wrote */
	assert_int_equal(fakelg_reads[3], 0);		/* a 2-byte register read */
	assert_int_equal(fakelg_reads[4], ~0ULL);	/* nothing there */
	assert_int_equal(fakelg_hcall_ret, (uint64_t)-ENOSYS);
	lg_vm_destroy(vm);
}

/* LHCALL_CONSOLE_WRITE: the bytes go to the console's out_fd; bad ranges are refused. */
static void early_console_write(void **state)
{
	struct lg_vm *vm = lg_vm_new();
	char buf[64] = "";
	struct lg_exit ex;
	size_t len;
	uint8_t *img = eg_good_kernel(&len);
	int out[2];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(out), 0);
	fake_module("h:1:0x300000:6,h:1:0x1fffffc:8,off");
	assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
	assert_int_equal(lg_vm_load_kernel_mem(vm, img, len), 0);
	assert_int_equal(lg_vm_add_console(vm, -1, out[1]), 0);
	assert_int_equal(lg_vm_open(vm, dev), 0);
	memcpy(vm->mem.base + 0x300000, "early\n", 6);
	assert_int_equal(lg_vm_run(vm, &ex), 0);
	assert_int_equal(ex.reason, LG_EXIT_POWEROFF);
	/* The second write ran past the end of RAM: refused, nothing written. */
	assert_int_equal(fakelg_hcall_ret, (uint64_t)-EINVAL);
	n = read(out[0], buf, sizeof(buf) - 1);
	assert_int_equal(n, 6);
	assert_string_equal(buf, "early\n");
	lg_vm_destroy(vm);
	free(img);
	close(out[0]);
	close(out[1]);
}

/*
 * lg_vm_set_boot_log(): the early printk goes to its fd, not the
 * console's, whichever is set first; -1 drops it; a bad fd is refused.
 */
static void boot_log_goes_where_told(void **state)
{
	static const int where[] = { 0, -1 };	/* 0: a pipe of its own */

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct lg_vm *vm = lg_vm_new();
		char buf[64] = "";
		struct lg_exit ex;
		size_t len;
		uint8_t *img = eg_good_kernel(&len);
		int out[2], boot[2];

		assert_int_equal(pipe2(out, O_NONBLOCK), 0);
		assert_int_equal(pipe2(boot, O_NONBLOCK), 0);
		fake_module("h:1:0x300000:6,off");
		assert_int_equal(lg_vm_set_boot_log(vm, -2), -EBADF);
		assert_int_equal(lg_vm_set_memory(vm, 32ULL << 20), 0);
		assert_int_equal(lg_vm_load_kernel_mem(vm, img, len), 0);
		assert_int_equal(lg_vm_set_boot_log(vm, where[i] ? -1 : boot[1]), 0);
		assert_int_equal(lg_vm_add_console(vm, -1, out[1]), 0);
		assert_int_equal(lg_vm_open(vm, dev), 0);
		memcpy(vm->mem.base + 0x300000, "early\n", 6);
		assert_int_equal(lg_vm_run(vm, &ex), 0);
		assert_int_equal(ex.reason, LG_EXIT_POWEROFF);
		assert_int_equal(fakelg_hcall_ret, 0);
		assert_int_equal(read(out[0], buf, sizeof(buf) - 1), -1);
		if (where[i] == 0) {
			assert_int_equal(read(boot[0], buf, sizeof(buf) - 1), 6);
			assert_string_equal(buf, "early\n");
		} else {
			assert_int_equal(read(boot[0], buf, sizeof(buf) - 1), -1);
		}
		lg_vm_destroy(vm);
		free(img);
		for (int k = 0; k < 2; k++) {
			close(out[k]);
			close(boot[k]);
		}
	}
}

static void exit_reasons(void **state)
{
	static const struct {
		const char *script;
		enum lg_exit_reason reason;
		const char *msg;
	} cases[] = {
		{ "off", LG_EXIT_POWEROFF, "" },
		{ "reboot", LG_EXIT_REBOOT, "" },
		{ "panic:oops", LG_EXIT_PANIC, "oops" },
		{ "killed:bad PTE", LG_EXIT_KILLED, "bad PTE" },
	};

	(void)state;
	for (unsigned int i = 0; i < 4; i++) {
		struct lg_vm *vm = ready_vm(cases[i].script);
		struct lg_exit ex;

		assert_int_equal(lg_vm_run(vm, &ex), 0);
		assert_int_equal(ex.reason, cases[i].reason);
		assert_string_equal(ex.msg, cases[i].msg);
		lg_vm_destroy(vm);
	}
}

static void module_errors_are_reported(void **state)
{
	struct lg_vm *vm = ready_vm("");
	struct lg_exit ex;

	(void)state;
	assert_int_equal(lg_vm_run(vm, &ex), -ESHUTDOWN);
	assert_non_null(strstr(lg_vm_last_error(vm), "LGUEST_RUN"));
	lg_vm_destroy(vm);
}

static void stop_a_guest_that_never_exits(void **state)
{
	struct lg_vm *vm = ready_vm("block");
	struct lg_exit ex;

	(void)state;
	assert_int_equal(lg_vm_start(vm), 0);
	assert_int_equal(lg_vm_start(vm), -EBUSY);
	usleep(50000);		/* let it block in LGUEST_RUN */
	assert_int_equal(lg_vm_stop(vm), 0);
	assert_int_equal(lg_vm_wait(vm, &ex), 0);
	assert_int_equal(ex.reason, LG_EXIT_STOPPED);
	lg_vm_destroy(vm);
}

static void stop_right_after_start(void **state)
{
	/* The stop may come before the thread ever enters LGUEST_RUN. */
	for (int i = 0; i < 20; i++) {
		struct lg_vm *vm = ready_vm("block");
		struct lg_exit ex;

		(void)state;
		assert_int_equal(lg_vm_start(vm), 0);
		assert_int_equal(lg_vm_stop(vm), 0);
		assert_int_equal(lg_vm_wait(vm, &ex), 0);
		assert_int_equal(ex.reason, LG_EXIT_STOPPED);
		lg_vm_destroy(vm);
	}
}

static void destroy_stops_a_running_guest(void **state)
{
	struct lg_vm *vm = ready_vm("block");

	(void)state;
	assert_int_equal(lg_vm_start(vm), 0);
	usleep(20000);
	lg_vm_destroy(vm);	/* must return: ASan reports any leak */
}

static void abi_mismatch_is_refused(void **state)
{
	struct lg_vm *vm = lg_vm_new();

	(void)state;
	/* The fake answers version 1; the library's check is what is tested. */
	assert_int_equal(lg_vm_open(vm, dev), 0);
	assert_int_equal(lg_vm_open(vm, dev), -EBUSY);
	assert_int_equal(lg_module_abi_version(dev), LGUEST_ABI_VERSION);
	lg_vm_destroy(vm);
}

/* Every counter of the module arrives in its own field. */
static void stats_follow_the_module(void **state)
{
	struct lg_vm *vm = ready_vm("r:0x1000000000:4,r:0x1000000000:4,off");
	struct lguest_stats k;
	struct lg_stats s;
	struct lg_exit ex;

	(void)state;
	assert_int_equal(lg_vm_run(vm, &ex), 0);
	assert_int_equal(ex.reason, LG_EXIT_POWEROFF);
	fakelg_stats(&k, 3);
	memset(&s, 0xaa, sizeof(s));
	assert_int_equal(lg_vm_get_stats(vm, &s, sizeof(s)), 0);
	assert_int_equal(s.world_switches, 30);
	assert_int_equal(s.user_exits, 3);
	assert_int_equal(s.hcalls, k.hcalls);
	assert_int_equal(s.ring_hcalls, k.ring_hcalls);
	assert_int_equal(s.shadow_faults, k.shadow_faults);
	assert_int_equal(s.mmio_exits, k.mmio_exits);
	assert_int_equal(s.host_irqs, k.host_irqs);
	assert_int_equal(s.irqs, k.irqs);
	assert_int_equal(s.slow_syscalls, k.slow_syscalls);
	assert_int_equal(s.mmio_eventfds, k.mmio_eventfds);
	assert_memory_equal(s.hcall, k.hcall, sizeof(s.hcall));
	assert_memory_equal(s.traps, k.traps, sizeof(s.traps));
	assert_int_equal(s.hcall[LHCALL_FLUSH_TLB_ONE], 9);
	assert_int_equal(s.traps[31], 31);
	lg_vm_destroy(vm);
}

/* A caller that knows fewer fields gets those, and nothing past them. */
static void stats_fill_only_what_the_caller_knows(void **state)
{
	struct lg_vm *vm = ready_vm("off");
	struct lg_stats s;
	struct lg_exit ex;
	size_t known = offsetof(struct lg_stats, hcall);

	(void)state;
	assert_int_equal(lg_vm_run(vm, &ex), 0);
	memset(&s, 0xaa, sizeof(s));
	assert_int_equal(lg_vm_get_stats(vm, &s, known), 0);
	assert_int_equal(s.world_switches, 10);
	assert_int_equal(s.slow_syscalls, 1);
	assert_int_equal(s.hcall[0], 0xaaaaaaaaaaaaaaaaULL);
	assert_int_equal(s.traps[31], 0xaaaaaaaaaaaaaaaaULL);
	lg_vm_destroy(vm);
}

/* Bad sizes and a guest that never ran: an error, and @stats untouched. */
static void stats_refuse_bad_calls(void **state)
{
	struct lg_vm *vm = ready_vm("off"), *closed = lg_vm_new();
	const size_t bad[] = { 0, 4, 12, sizeof(struct lg_stats) + 8, (size_t)-1 };
	struct lg_stats s, before;
	struct lg_exit ex;

	(void)state;
	memset(&s, 0x55, sizeof(s));
	before = s;
	assert_int_equal(lg_vm_get_stats(closed, &s, sizeof(s)), -EBADF);
	/* Open, but LGUEST_INIT not made yet: the module says EBADFD. */
	assert_int_equal(lg_vm_get_stats(vm, &s, sizeof(s)), -EBADF);
	assert_int_equal(lg_vm_run(vm, &ex), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lg_vm_get_stats(vm, &s, bad[i]), -EINVAL);
	assert_memory_equal(&s, &before, sizeof(s));
	lg_vm_destroy(vm);
	lg_vm_destroy(closed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_and_registers),
		cmocka_unit_test(mmio_exits_reach_the_device),
		cmocka_unit_test(early_console_write),
		cmocka_unit_test(boot_log_goes_where_told),
		cmocka_unit_test(exit_reasons),
		cmocka_unit_test(module_errors_are_reported),
		cmocka_unit_test(stop_a_guest_that_never_exits),
		cmocka_unit_test(stop_right_after_start),
		cmocka_unit_test(destroy_stops_a_running_guest),
		cmocka_unit_test(abi_mismatch_is_refused),
		cmocka_unit_test(stats_follow_the_module),
		cmocka_unit_test(stats_fill_only_what_the_caller_knows),
		cmocka_unit_test(stats_refuse_bad_calls),
	};

	return cmocka_run_group_tests_name("run", tests, setup, teardown);
}
