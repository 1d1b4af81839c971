#!/bin/bash
# mkrootfs.sh OUT INIT [PROG|DIR...]: the Linux guest's test root file system,
# an ext4 image made with mke2fs -d from Debian packages and our programs.
#
#   /bin/busybox and its applets    busybox-static's .deb
#   /usr/bin/stress-ng              stress-ng's .deb,
#   /usr/bin/{unshare,setpriv}      util-linux's,
#   /bin/bash                       bash's and
#   /usr/local/bin/{tee,cat,head}   coreutils' (dynamically linked, so
#                                   glibc picks its string functions by
#                                   the CPU: AVX2 where it has it), plus
#   /lib/x86_64-linux-gnu/...       every shared library they need, found
#   /lib64/ld-linux-x86-64.so.2     by walking the ELF NEEDED entries
#                                   through the .debs of their
#                                   dependency closure
#   /sbin/init                      INIT (a busybox sh script)
#   /usr/libexec/lguest/PROG        our static test programs (a PROG
#                                   that is a directory: its executables
#                                   in /usr/libexec/lguest/DIR/)
#
# Only the Debian archive is downloaded (apt-get download, as the archive's
# candidate versions), once per .deb, into $CACHE/rootfs/debs; nothing is
# copied from the build machine's own root.  The image itself takes a
# second to make and is not cached.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ $# -ge 2 ] || { echo "usage: mkrootfs.sh OUT INIT [PROG...]" >&2; exit 2; }
out=$1 init=$2
shift 2
log() { echo "mkrootfs: $*" >&2; }

debs=$CACHE/rootfs/debs
mkdir -p "$debs"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pool=$stage/pool root=$stage/root
mkdir -p "$pool" "$root"

# The packages: busybox-static, and stress-ng, bash, coreutils and util-linux with
# their Depends closure (libraries only come from there; recommends and
# the rest are left out).
mapfile -t pkgs < <( { echo busybox-static; apt-cache depends --recurse --no-recommends \
	--no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances stress-ng bash coreutils \
	util-linux |
	grep -v -e '^ ' -e '^<'; } | sort -u)
# Each .deb's URL and file name, as the archive's candidate version.
mapfile -t uris < <(cd "$stage" && apt-get download --print-uris -qq "${pkgs[@]}")
[ ${#uris[@]} -eq ${#pkgs[@]} ] ||
	{ log "error: apt-get download --print-uris gave ${#uris[@]} URIs for ${#pkgs[@]} packages"; exit 1; }
need=()
for u in "${uris[@]}"; do
	f=$(awk '{print $2}' <<<"$u")
	[ -s "$debs/$f" ] || need+=("${f%%_*}")
done
if [ ${#need[@]} -gt 0 ]; then
	log "downloading ${#need[@]} .debs from the archive into $debs"
	(cd "$debs" && apt-get download -qq "${need[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
fi
for u in "${uris[@]}"; do
	f=$(awk '{print $2}' <<<"$u")
	[ -s "$debs/$f" ] || { log "error: $f did not download"; exit 1; }
	dpkg-deb -x "$debs/$f" "$pool"
done

# busybox and a symlink per applet (it lists them itself: it is static).
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/libexec/lguest,lib/x86_64-linux-gnu,lib64}
mkdir -p "$root"/{dev,proc,sys,tmp,data,etc,root}
cp "$pool/bin/busybox" "$root/bin/busybox"
for a in $("$pool/bin/busybox" --list-full); do
	[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done

# stress-ng, bash, a few coreutils (beside busybox's applets of the same
# names, which stay the default) and, transitively, each library named by
# a NEEDED entry, looked up in the pool's library directories (symlinks
# resolved).
mkdir -p "$root/usr/local/bin"
cp "$pool/usr/bin/stress-ng" "$root/usr/bin/stress-ng"
cp "$pool/bin/bash" "$root/bin/bash"
todo=("$root/usr/bin/stress-ng" "$root/bin/bash")
# util-linux's unshare and setpriv, in place of busybox's (system-check:
# namespaces as container tools make them).
for c in unshare setpriv; do
	rm -f "$root"/{bin,sbin,usr/bin,usr/sbin}/"$c"
	cp "$pool/usr/bin/$c" "$root/usr/bin/$c"
	todo+=("$root/usr/bin/$c")
done
for c in tee cat head; do
	for d in bin usr/bin; do
		[ -f "$pool/$d/$c" ] && cp "$pool/$d/$c" "$root/usr/local/bin/$c"
	done
	[ -f "$root/usr/local/bin/$c" ] || { log "error: coreutils has no $c"; exit 1; }
	todo+=("$root/usr/local/bin/$c")
done
libdirs=("$pool/lib/x86_64-linux-gnu" "$pool/usr/lib/x86_64-linux-gnu")
while [ ${#todo[@]} -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	for so in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$root/lib/x86_64-linux-gnu/$so" ] && continue
		src=""
		for d in "${libdirs[@]}"; do
			[ -e "$d/$so" ] && { src=$(readlink -f "$d/$so"); break; }
		done
		[ -n "$src" ] || { log "error: $so (needed by ${f#"$root"}) is in no .deb of the closure"; exit 1; }
		cp "$src" "$root/lib/x86_64-linux-gnu/$so"
		todo+=("$root/lib/x86_64-linux-gnu/$so")
	done
done
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"

install -m 755 "$init" "$root/sbin/init"
for p in "$@"; do
	if [ -d "$p" ]; then
		# A directory of programs (the x86 selftests): its executables.
		d=$root/usr/libexec/lguest/$(basename "$p")
		mkdir -p "$d"
		find "$p" -maxdepth 1 -type f -perm -u+x -exec install -m 755 {} "$d/" \;
	else
		install -m 755 "$p" "$root/usr/libexec/lguest/"
	fi
done
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

# Room for the tests' own files (the persistence check writes to /data).
kib=$(du -sk "$root" | cut -f1)
size=$(( (kib * 3 / 2 + 16384) / 1024 ))M
rm -f "$out.tmp" && truncate -s "$size" "$out.tmp"
mke2fs -q -t ext4 -d "$root" "$out.tmp" "$size"
mv "$out.tmp" "$out"
log "$out: $size, $(find "$root" -type f | wc -l) files, ${#pkgs[@]} packages"
