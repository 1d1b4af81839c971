#!/bin/bash
# Build the Linux guest kernel: Debian's linux-source-6.12 plus the series
# in guest-patches/, configured from tinyconfig plus lguest_guest.config.
#
# The result is cached outside the tree, keyed by everything that goes
# into it:  $CACHE/guest-kernel/<key>/vmlinux.  A cached result is reused;
# with nothing cached it builds from nothing.  Prints the vmlinux path.
#
# Builds are incremental between series: the kernel tree is a git
# repository of the pristine source, and the patched tree is checked out
# with git, which rewrites only the files whose content changed, so a
# change to one file under arch/x86/lguest/ does not rebuild the world.
#
# The package build runs it too (debian/rules, rpm/lguest.spec, through
# "make guest-kernel"), with LGUEST_CACHE naming the cache: the user's
# when "make deb" or "make rpm" reuse a test build, a directory under
# build/ for a distribution's build from nothing.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# A kernel build of its own: not the calling make's variables (CC=, the
# jobserver) nor a distribution's user-space flags, which reach here from
# debian/rules and rpm's %build.  The cached result depends on the inputs
# hashed below and nothing else.
unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS CPPFLAGS CXXFLAGS LDFLAGS

PATCHES=$TOP/guest-patches
JOBS=${JOBS:-2}
log() { echo "guest-kernel: $*" >&2; }

src=$(kernel_source)
srcver=$(basename "$src")

# The series: every line of guest-patches/series that is not a comment.
mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PATCHES/series")
for p in "${series[@]}"; do
	[ -f "$PATCHES/$p" ] || { log "error: series names $p, which does not exist"; exit 1; }
done

key=$( { echo "$srcver"; cat "$PATCHES/series"; for p in "${series[@]}"; do cat "$PATCHES/$p"; done;
	cat "$PATCHES/lguest_guest.config"; cat "$0"; cat "$TOP/include/uapi/linux/lguest.h"; } |
	sha256sum | cut -c1-16)
out=$CACHE/guest-kernel/$key
if [ -s "$out/vmlinux" ] && [ -z "${LGUEST_GUEST_REBUILD:-}" ]; then
	log "cached: $out/vmlinux"
	echo "$out/vmlinux"
	exit 0
fi

# One build at a time (two cores are shared).
mkdir -p "$CACHE/guest-kernel"
exec 9>"$CACHE/guest-kernel/.lock"
flock 9

tree=$CACHE/guest-kernel/tree-$srcver
# One object directory per configuration: a configuration change rebuilds
# everything, so two series with different fragments (branches being
# worked on side by side) must not take turns in one directory.
obj=$CACHE/guest-kernel/obj-$srcver-$(sha256sum <"$PATCHES/lguest_guest.config" | cut -c1-8)
if [ ! -e "$tree/.git/refs/tags/pristine" ]; then
	log "making a git tree of $srcver (once)"
	rm -rf "$tree" "$obj"
	cp -a "$src" "$tree"
	git -C "$tree" init -q
	git -C "$tree" add -Af .
	git -C "$tree" -c user.name=lguest -c user.email=lguest@localhost \
		commit -q -m "$srcver (pristine)"
	git -C "$tree" tag pristine
fi

# Apply the series to the pristine tree in a scratch index, naming the
# patch that does not apply.
idx=$(mktemp)
trap 'rm -f "$idx"' EXIT
export GIT_INDEX_FILE=$idx
git -C "$tree" read-tree pristine
for p in "${series[@]}"; do
	if ! git -C "$tree" apply --cached --whitespace=nowarn "$PATCHES/$p" 2>"$idx.err"; then
		log "error: guest-patches/$p does not apply to $srcver:"
		cat "$idx.err" >&2
		rm -f "$idx.err"
		exit 1
	fi
done
rm -f "$idx.err"
t=$(git -C "$tree" write-tree)
unset GIT_INDEX_FILE
c=$(git -C "$tree" -c user.name=lguest -c user.email=lguest@localhost \
	commit-tree "$t" -p pristine -m "lguest guest series $key")
git -C "$tree" checkout -q -f --detach "$c"
# Nothing but the series: drop files no commit has (Debian's .gitignore
# ignores everything at the top level, so -x).  Objects live in $obj.
git -C "$tree" clean -ffdxq

# The guest's copy of the ABI must be the one lg.ko and liblguest use.
if ! cmp -s "$tree/include/uapi/linux/lguest.h" "$TOP/include/uapi/linux/lguest.h"; then
	log "error: guest-patches carry an include/uapi/linux/lguest.h that differs from ours"
	exit 1
fi

# Configure: tinyconfig, then our fragment, then check every option of the
# fragment made it (a typo or a missing dependency fails the build).
mkdir -p "$obj"
mk() { make -s -C "$tree" O="$obj" ARCH=x86_64 "$@"; }
mk tinyconfig >/dev/null
(cd "$obj" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" .config \
	"$PATCHES/lguest_guest.config" >/dev/null)
mk olddefconfig >/dev/null
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$obj/.config" && { log "config: $opt is set"; missing=1; } ;;
	CONFIG_*) grep -qxF "$line" "$obj/.config" || { log "config: $line did not stick"; missing=1; } ;;
	"# CONFIG_"*) opt=${line#\# }; opt=${opt%% *}; grep -q "^$opt=" "$obj/.config" && { log "config: $opt is set"; missing=1; } ;;
	esac
done <"$PATCHES/lguest_guest.config"
[ $missing = 0 ] || { log "error: lguest_guest.config did not apply cleanly"; exit 1; }

log "building vmlinux with -j$JOBS in $obj"
start=$(date +%s)
mk -j"$JOBS" vmlinux >&2
log "built in $(( $(date +%s) - start )) s"

rm -rf "$out.tmp" && mkdir -p "$out.tmp"
cp "$obj/vmlinux" "$obj/.config" "$out.tmp/"
cp "$obj/System.map" "$out.tmp/"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out/vmlinux"
