#!/bin/bash
# mkroot.sh OUT_DIR: the benchmark userland, the same for all three runs.
#
# OUT_DIR/tree is a root directory: busybox, the static benchmark
# programs and scripts in /bench, and tcc with the C files of the compile
# row in /bench/cc (tcc is dynamic: glibc's loader and libraries come
# from the build machine, Debian 12 like the package).  OUT_DIR/root.img
# is the same tree as an ext4 image, the guests' read-only root.  The VM
# host gets the tree too, so the native run uses the same binaries.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
out=$1
here=$TOP/tests/bench
tcc=$("$here/deps.sh" tcc)
t=$out/tree
rm -rf "$t" && mkdir -p "$t"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,mnt,bench/cc}

cp /bin/busybox "$t/bin/busybox"
for a in $(/bin/busybox --list-full); do
	[ -e "$t/$a" ] || ln -s /bin/busybox "$t/$a"
done
cp "$BUILD"/bench/progs/vb_* "$t/bench/"
cp "$here/guest-init" "$here/vb-local.sh" "$here/vb-net.sh" "$t/bench/"

# The compiler and what it needs to run.
cc=$t/bench/cc
mkdir -p "$cc/bin" "$cc/tccinc" "$cc/inc/linux" "$cc/inc/asm" "$cc/inc/asm-generic" "$cc/src/rt"
cp "$tcc/usr/bin/tcc" "$cc/bin/"
cp "$tcc"/usr/lib/x86_64-linux-gnu/tcc/include/*.h "$cc/tccinc/"
for lib in $(ldd "$cc/bin/tcc" | grep -o '/lib[^ ]*'); do
	mkdir -p "$t$(dirname "$lib")"
	cp -L "$lib" "$t$lib"
done
# The job: lguest's freestanding test guests, each file tcc accepts (tcc's
# assembler lacks xgetbv, wrgsbase, iretq, lgdt's operand form and more),
# with the kernel uapi headers they include and a stdint.h of our own.
# Which files those are is asked of tcc itself, here on the build machine
# (the same binary, the same libraries), as the test guests change.
for h in const ioctl posix_types stddef types; do cp "/usr/include/linux/$h.h" "$cc/inc/linux/"; done
cp /usr/include/x86_64-linux-gnu/asm/{bitsperlong,ioctl,posix_types,posix_types_64,types}.h "$cc/inc/asm/"
cp /usr/include/asm-generic/{bitsperlong,int-ll64,ioctl,posix_types,types}.h "$cc/inc/asm-generic/"
cp "$TOP/include/uapi/linux/lguest.h" "$cc/inc/linux/"
cp "$here/stdint.h" "$cc/inc/"
cp "$TOP"/tests/guests/*.h "$cc/src/"
cp "$TOP"/tests/guests/rt/rt.[ch] "$cc/src/rt/"
: >"$cc/src/FILES"
rejected=""
# Not -o /dev/null: tcc unlinks its output first, and we may be root.
obj=$(mktemp)
for f in "$TOP"/tests/guests/*.c rt/rt.c; do
	f=${f#"$TOP"/tests/guests/}
	[ "$f" = rt/rt.c ] || cp "$TOP/tests/guests/$f" "$cc/src/"
	if (cd "$cc/src" && "$cc/bin/tcc" -nostdinc -w -I"$cc/tccinc" -I"$cc/inc" -O2 -c "$f" \
		-o "$obj") >/dev/null 2>&1; then
		echo "$f" >>"$cc/src/FILES"
	else
		rm -f "$cc/src/$f"
		rejected="$rejected $f"
	fi
done
rm -f "$obj"
echo "compile job: $(wc -l <"$cc/src/FILES") C files; tcc rejects:${rejected:- none}" >&2
[ -s "$cc/src/FILES" ] || { echo "mkroot.sh: tcc accepts none of the job's files" >&2; exit 1; }

rm -f "$out/root.img"
mke2fs -q -t ext4 -d "$t" "$out/root.img" 64M >/dev/null
