#!/bin/sh
# vb-local.sh DISK: the rows that need no network, in the order of the
# table.  A program that fails says so ("VBFAIL"), and the rest still run.
B=/bench
run() {
	"$@" || echo "VBFAIL ${1##*/}: exit status $?"
}
run $B/vb_ctxsw
run $B/vb_cow
run $B/vb_exec
run $B/vb_fork
run $B/vb_syscall
run $B/vb_pte
run $B/vb_mmap
run $B/vb_disk "$1"
run $B/vb_compile $B/cc
