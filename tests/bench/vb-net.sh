#!/bin/sh
# vb-net.sh HOST PEER: TCP to the VM host, then ping-pong and a stream to
# the other guest (both run "vb_tcp server 5001").
B=/bench
run() {
	"$@" || echo "VBFAIL $3: exit status $?"
}
run $B/vb_tcp stream tcp_host "$1" 5001
run $B/vb_tcp ping ig_ping "$2" 5001
run $B/vb_tcp stream ig_tcp "$2" 5001
