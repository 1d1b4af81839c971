# Kernels newer than Debian 12 has: Debian 13's (trixie) own kernel and
# the newest of trixie-backports, their headers unpacked into a trixie
# chroot with the compiler they were built with (trixie's gcc-14).  The
# chroot is made with mmdebstrap once per input (suites, and the version
# of every package unpacked into it) and cached in
# $CACHE/chroots/trixie-<hash>/ (inputs.txt says what went in).
#
# nk_use sid switches to sid's newest kernel, in a sid chroot with sid's
# compiler, for a build check only: a newer gcc's W=1 warnings are ours
# to fix before a user's DKMS meets them.
# Needs common.sh; run as root.
# shellcheck shell=bash

NK_BASE=trixie
NK_SUITES=(trixie trixie-backports)
# What kbuild needs besides the headers: perl for W=1's kernel-doc on 6.12
# (7.x runs its Python kernel-doc only in tree), and the libraries of
# modpost and objtool; trixie's DKMS, which the pkg stage has build
# lguest-dkms's module for these kernels (nk_dkms); and trixie's
# virtiofsd, the Rust one, which the VM stage carries into its hosts for
# t_run as a user (QEMU's C one, Debian 12's, runs only as root).
NK_INCLUDE=make,perl,pahole,libelf1t64,libssl3t64,zlib1g,dkms,openssl,virtiofsd
NK_APT=$CACHE/chroots/apt

# nk_use sid: the settings for sid's chroot instead of trixie's.
nk_use() {
	[ "$1" = sid ] || return 1
	NK_BASE=sid
	NK_SUITES=(sid)
	NK_APT=$CACHE/chroots/apt-sid
}
NK_MIRROR=$(debian_mirror)

# Host apt, but over the base suite's package lists (kept in $NK_APT).
nk_apt() {
	local tool=$1
	shift
	"$tool" -o Dir="$NK_APT" -o Dir::State::status="$NK_APT/status" \
		-o Dir::Etc::trusted=/dev/null \
		-o APT::Architecture=amd64 -o Acquire::Languages=none \
		-o Acquire::Check-Valid-Until=false \
		-o APT::Sandbox::User=root -o Debug::NoLocking=1 "$@"
}

# nk_update: fetch the suites' package lists (about 10 MB).  Offline, the
# lists from the last run do.
nk_update() {
	local s
	mkdir -p "$NK_APT/etc/apt/apt.conf.d" "$NK_APT/etc/apt/preferences.d" \
		"$NK_APT/var/lib/apt/lists/partial" "$NK_APT/var/cache/apt/archives/partial"
	touch "$NK_APT/status"
	for s in "${NK_SUITES[@]}"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $NK_MIRROR $s main"
	done >"$NK_APT/etc/apt/sources.list"
	nk_apt apt-get -qq update >/dev/null 2>"$NK_APT/update.err" ||
		{ ls "$NK_APT"/var/lib/apt/lists/*_Packages >/dev/null 2>&1 &&
			echo "warning: apt-get update failed, using the old lists" >&2; }
}

# nk_field PKG[/SUITE|=VERSION] FIELD
nk_field() {
	nk_apt apt-cache show "$1" 2>/dev/null | sed -n "s/^$2: //p" | head -n1
}

# nk_kver SUITE: the release linux-headers-amd64 points at in SUITE.
nk_kver() {
	nk_field "linux-headers-amd64/$1" Depends | tr ',' '\n' |
		sed -n 's/^ *linux-headers-\([^ ]*-amd64\) .*/\1/p' | head -n1
}

# nk_debs KVER: PKG=VERSION for each package KVER's headers are made of:
# linux-headers-KVER and what it depends on of the same build
# (-common, linux-kbuild-*, and linux-base-KVER from 7.x on).  Not the
# kernel image, which 6.12's headers depend on but a build does not need.
nk_debs() {
	local h=linux-headers-$1 v p
	v=$(nk_field "$h" Version) || return 1
	[ -n "$v" ] || return 1
	echo "$h=$v"
	for p in $(nk_field "$h=$v" Depends | tr ',' '\n' |
		sed -n 's/^ *\(linux-\(headers\|kbuild\|base\)-[0-9][^ ]*\).*/\1/p'); do
		echo "$p=$(nk_field "$p" Version)"
	done
}

# nk_chroot: update the lists, resolve the kernels (NK_KVERS) and set
# NK_ROOT to the chroot for them, made first if it is not cached.
nk_chroot() {
	local s k inputs hash dir debs=() d
	nk_update
	NK_KVERS=()
	for s in "${NK_SUITES[@]}"; do
		k=$(nk_kver "$s")
		[ -n "$k" ] || { echo "error: no linux-headers-amd64 in $s" >&2; return 1; }
		NK_KVERS+=("$k")
		mapfile -t -O "${#debs[@]}" debs < <(nk_debs "$k")
	done
	# The compiler the newest kernel was built with ("gcc-14-for-host").
	NK_GCC=$(nk_field "linux-headers-${NK_KVERS[-1]}" Depends | tr ',' '\n' |
		sed -n 's/^ *\(gcc-[0-9]*\)-for-host.*/\1/p' | head -n1)
	NK_GCC=${NK_GCC:-gcc}
	inputs=$(printf '%s\n' "suites=${NK_SUITES[*]}" "include=$NK_INCLUDE,$NK_GCC" \
		"$NK_GCC=$(nk_field "$NK_GCC/$NK_BASE" Version)" \
		"${debs[@]}")
	hash=$(sha256sum <<<"$inputs" | cut -c1-12)
	dir=$CACHE/chroots/$NK_BASE-$hash
	if [ ! -e "$dir/inputs.txt" ]; then
		echo "making the $NK_BASE chroot for ${NK_KVERS[*]} ($dir)" >&2
		rm -rf "$dir.tmp"
		# sid's Release is short-lived: a mirror or snapshot a few weeks
		# old would otherwise be refused (the packages are still signed).
		mmdebstrap --quiet --variant=essential \
			--aptopt='Acquire::Check-Valid-Until "false"' \
			--include="$NK_INCLUDE,$NK_GCC" \
			--dpkgopt='path-exclude=/usr/share/man/*' \
			--dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			"$NK_BASE" "$dir.tmp" "deb $NK_MIRROR $NK_BASE main" >&2 || return 1
		mkdir -p "$dir.debs"
		(cd "$dir.debs" && nk_apt apt-get download -qq "${debs[@]}") >&2 || return 1
		for d in "$dir.debs"/*.deb; do
			dpkg-deb --fsys-tarfile "$d" |
				tar -x --keep-directory-symlink -C "$dir.tmp" || return 1
		done
		rm -rf "$dir.debs"
		echo "$inputs" >"$dir.tmp/inputs.txt"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		# One chroot is kept: the ones for older inputs go.
		for d in "$CACHE"/chroots/"$NK_BASE"-*; do
			[ "$d" = "$dir" ] || rm -rf "$d"
		done
	fi
	NK_ROOT=$dir
}

# nk_make ROOT OUT ARGS...: make ARGS in this tree (read-only, at /src)
# inside the chroot ROOT, with OUT (a host directory) at /out.
nk_make() {
	local root=$1 out=$2
	shift 2
	mkdir -p "$root/src" "$root/out" "$out"
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m sh -ec 'mount --bind "$1" "$3/src" && mount -o remount,bind,ro "$3/src"
		mount --bind "$2" "$3/out" && mount -t proc proc "$3/proc"
		r=$3 && shift 3
		exec chroot "$r" env -i PATH=/usr/bin:/bin HOME=/ LC_ALL=C.UTF-8 make -C /src --no-print-directory "$@"' \
		sh "$TOP" "$out" "$root" "$@"
}

# nk_kvm_only KVER KO: the symbols KO needs (nm -u) that KVER's
# Module.symvers exports to KVM alone (EXPORT_SYMBOL_FOR_KVM, namespace
# "module:kvm,..." from 7.0 on), which modpost refuses to lg.ko.
nk_kvm_only() {
	awk -F'\t' 'NR == FNR { if ($5 ~ /^module:kvm/) only[$2] = 1; next }
		{ n = split($0, w, " ") } n && (w[n] in only) { print w[n] }' \
		"$NK_ROOT/usr/src/linux-headers-$1/Module.symvers" <(nm -u "$2")
}

# nk_host KVER: KVER's kernel and modules, unpacked (not installed) into
# $CACHE/hosts/ once per version, to boot as a VM host; prints the
# directory.  From 7.x linux-image-KVER is a metapackage over
# linux-binary-KVER (the kernel) and linux-modules-KVER, both with
# usr/lib/modules/KVER/; before, linux-image-KVER holds it all.  Needs
# nk_chroot's package lists.
nk_host() {
	local k=$1 v dir pkgs
	if [ -n "$(nk_field "linux-binary-$k" Version)" ]; then
		pkgs=("linux-binary-$k" "linux-modules-$k")
	else
		pkgs=("linux-image-$k")
	fi
	v=$(nk_field "${pkgs[0]}" Version)
	[ -n "$v" ] || { echo "error: no ${pkgs[0]} in ${NK_SUITES[*]}" >&2; return 1; }
	dir=$CACHE/hosts/linux-image-$k-$v
	if [ ! -d "$dir" ]; then
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		(cd "$dir.tmp" && nk_apt apt-get download -qq "${pkgs[@]/%/=$v}" &&
			for d in ./*.deb; do dpkg-deb -x "$d" . || exit 1; done && rm -f ./*.deb) ||
			return 1
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# nk_module KVER: build lg.ko for KVER in the chroot (nk_chroot first), into
# $BUILD/newer/module/KVER/lg.ko, the static and VM stages alike.
nk_module() {
	nk_make "$NK_ROOT" "$BUILD/newer" module KVER="$1" BUILD=/out
}

# nk_dkms DEB KVER DST: what a user of KVER gets from lguest-dkms.  DEB's
# files are unpacked into a throwaway layer over the chroot (a tmpfs
# overlay: the cached chroot stays as it was), and the chroot's DKMS adds
# and installs the module for KVER, as the kernel's postinst hook ("dkms
# autoinstall") does; the lg.ko it installed is copied to DST/.  DKMS's
# output goes to stdout.
nk_dkms() {
	local deb=$1 kver=$2 dst=$3 v
	v=$(dpkg-deb -f "$deb" Version) && v=${v%-*}
	mkdir -p "$dst"
	rm -f "$dst"/lg.ko*
	# shellcheck disable=SC2016 # expanded by the inner shells
	unshare -m sh -ec 'root=$1 debdir=$2 deb=$3 v=$4 kver=$5 dst=$6 t=$(mktemp -d)
		mount -t tmpfs tmpfs "$t"
		mkdir "$t/upper" "$t/work" "$t/root"
		mount -t overlay overlay -o "lowerdir=$root,upperdir=$t/upper,workdir=$t/work" "$t/root"
		mount --bind "$debdir" "$t/root/mnt"
		mount -t proc proc "$t/root/proc"
		chroot "$t/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
			sh -ec "$7" sh "/mnt/$deb" "$v" "$kver"
		cp "$t/root/usr/lib/modules/$kver/updates/dkms/"lg.ko* "$dst/"' \
		sh "$NK_ROOT" "$(dirname "$deb")" "$(basename "$deb")" "$v" "$kver" "$dst" \
		'dpkg --unpack "$1"
		dkms add -m lguest -v "$2"
		dkms install -m lguest -v "$2" -k "$3" ||
			{ cat /var/lib/dkms/lguest/"$2"/build/make.log; exit 1; }
		dkms status -m lguest -k "$3"'
}
