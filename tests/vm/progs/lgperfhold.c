// SPDX-License-Identifier: GPL-2.0
/*
 * lgperfhold: hold one per-task perf event open until killed; tests/vm/init
 * starts it before the tests.
 *
 * The first per-task perf event turns on Linux's perf_sched_events static
 * key, and the end of the last one turns it off again: each time a jump in
 * __schedule() is rewritten with text_poke's int3 protocol.  The host's
 * x86 selftests (ptrace breakpoints are per-task perf events) flipped it
 * many times, and under QEMU 7.2's software CPU with two vCPUs the CPU
 * running __schedule() sometimes took that int3 after the patch was done:
 * "Oops: int3" in __schedule, twice in about ten full runs (7.3 and
 * 6.12, both before any guest was started).  With one event held from
 * boot the key is turned on once, before anything runs, and stays on.
 */
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.disabled = 1;
	if (syscall(SYS_perf_event_open, &a, 0, -1, -1, 0) < 0)
		return 1;
	for (;;)
		pause();
}
