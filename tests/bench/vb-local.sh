#!/bin/sh
# vb-local.sh DISK [small]: the rows that need no network, in the order of
# the table.  A program that fails says so ("VBFAIL"), and the rest still
# run.  "small" runs 3 repetitions of fewer iterations (the figures are
# per operation either way): for UML, whose every system call and page
# fault is a round trip through ptrace, so the default counts would take
# most of an hour under QEMU's software CPU.
B=/bench
run() {
	"$@" || echo "VBFAIL ${1##*/}: exit status $?"
}
n() { if [ "$SMALL" ]; then echo "3 $2"; else echo "$1"; fi; }
SMALL=$2
# shellcheck disable=SC2046 # the counts are two words on purpose
{
run $B/vb_ctxsw $(n "" 100)
run $B/vb_cow $(n "" 64)
run $B/vb_exec $(n "" 5)
run $B/vb_fork $(n "" 10)
run $B/vb_syscall $(n "" 1000)
run $B/vb_pte $(n "" 200)
run $B/vb_mmap $(n "" 1)
run $B/vb_disk "$1" $(n "" 50)
if [ "$SMALL" ]; then run $B/vb_compile $B/cc 2; else run $B/vb_compile $B/cc; fi
}
