#!/bin/bash
# mkinitramfs.sh OUT LG_KO PROG...: the VM host's initramfs.
# busybox-static for a shell, our /init, lg.ko and the static test
# programs in /tests (test guests, *.elf, in /tests/guests; the kernel's
# x86 selftests, build/vm/x86-selftests/*, in /tests/x86); nothing from
# the build machine's own root is copied (but see LGTEST_EXTRA_ROOT).
# Host kernel modules among the PROGs (*.ko, *.ko.xz: tun and bridge for
# t_net, msr for t_msr) go to /lib/net/ as plain .ko, since busybox's
# insmod and older kernels cannot unpack xz.
set -euo pipefail
out=$1 ko=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# The VM host's / (mktemp made it 0700): tests that drop root to nobody
# (t_userland's native x86 selftests) must reach /tests and /tmp.
chmod 755 "$stage"

mkdir -p "$stage"/{bin,lib/net,tests/guests,tests/x86,proc,sys,dev,tmp,root}
cp /bin/busybox "$stage/bin/busybox"
cp "$here/init" "$stage/init"
cp "$here/host-log-allowed" "$stage/host-log-allowed"
cp "$ko" "$stage/lib/lg.ko"
for p in "$@"; do
	case $p in
	*.elf) cp "$p" "$stage/tests/guests/" ;;
	*/x86-selftests/*) cp "$p" "$stage/tests/x86/" ;;
	*.ko) cp "$p" "$stage/lib/net/" ;;
	*.ko.xz) xz -dc "$p" >"$stage/lib/net/$(basename "$p" .xz)" ;;
	*) cp "$p" "$stage/tests/" ;;
	esac
done
# virtiofsd (t_virtiofs) and the libraries it links, at their own
# paths: the one program from the build machine's root, since users run
# their distribution's (qemu-system-common on Debian 12, which QEMU brings).
vfsd=${LGTEST_VIRTIOFSD:-}
for v in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do
	[ -z "$vfsd" ] && [ -x "$v" ] && vfsd=$v
done
if [ -n "$vfsd" ]; then
	for f in "$vfsd" $(ldd "$vfsd" | grep -o '/[^ ]*'); do
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$f" "$stage$f"
	done
fi
# LGTEST_RUST_VIRTIOFSD_ROOT=CHROOT: the Rust virtiofsd of that chroot
# (trixie's, tests/lib/newer-kernels.sh) in /opt/rust-virtiofsd/, with
# the libraries and loader of its own suite beside it and a wrapper that
# runs it with them: t_run's runs as a user need it.
rroot=${LGTEST_RUST_VIRTIOFSD_ROOT:-}
if [ -n "$rroot" ] && [ -x "$rroot/usr/libexec/virtiofsd" ]; then
	o=$stage/opt/rust-virtiofsd
	mkdir -p "$o/lib"
	cp -L "$rroot/usr/libexec/virtiofsd" "$o/virtiofsd.bin"
	for f in $(chroot "$rroot" /lib64/ld-linux-x86-64.so.2 --list /usr/libexec/virtiofsd |
		grep -o '/[^ ]*'); do
		cp -L "$rroot$f" "$o/lib/"
	done
	cat >"$o/virtiofsd" <<-'EOF'
	#!/bin/sh
	exec /opt/rust-virtiofsd/lib/ld-linux-x86-64.so.2 --library-path /opt/rust-virtiofsd/lib \
		/opt/rust-virtiofsd/virtiofsd.bin "$@"
	EOF
	chmod 755 "$o/virtiofsd"
fi
# LGTEST_EXTRA_ROOT=DIR: a tree copied over the root (make bench's
# userland, UML and their libraries).
if [ -n "${LGTEST_EXTRA_ROOT:-}" ]; then
	cp -a "$LGTEST_EXTRA_ROOT"/. "$stage"/
fi
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
