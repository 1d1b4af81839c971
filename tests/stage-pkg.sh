#!/bin/bash
# Packaging: the source tarball, the Debian and RPM packages, lintian, and
# lguest-dkms installed for real on this machine so that DKMS builds lg.ko
# for both reference host kernels, then purged.  The lg.ko DKMS built for
# $KVER_612 is kept in $BUILD/dkms/ for the vm stage, which boots it.
# Then liblguest0 and liblguest-dev are installed and the examples built
# against them with pkg-config only, lguestctl is installed and run, and
# all three are purged.  lguest-guest-kernel is installed, its vmlinux
# checked and loaded by the installed lguestctl, kept in $BUILD/pkg-guest/
# for the vm stage (which boots it), and purged.  The RPMs are built and
# their file lists and scriptlets checked (they are not installed: this
# is Debian).
#
# This stage installs and removes packages on the build machine (it is
# root, like the rest of "make check"); an EXIT trap purges whatever of
# them is left if the stage stops half way.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$TOP" || exit 1
st=pkg
out=$BUILD/pkg
rm -rf "$out" "$BUILD/dkms" "$BUILD/dkms-newer" "$BUILD/pkg-guest"
mkdir -p "$out"
V=$(cat VERSION)
KVERS=("$KVER_61" "$KVER_612")
export DEBIAN_FRONTEND=noninteractive

# The user-space packages (Debian names), installed and purged together.
USER_PKGS=(liblguest0 liblguest-dev lguestctl)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# The guest kernel's package and where it puts the kernel (both formats).
GK=lguest-guest-kernel
GKDIR=/usr/lib/lguest

pkg_installed() {
	[ "$(dpkg-query -W -f '${db:Status-Status}' lguest-dkms 2>/dev/null)" = installed ]
}
purge() {
	apt-get purge -y -o DPkg::Lock::Timeout=600 lguest-dkms >"$out/purge.txt" 2>&1
}
# dpkg_knows P: P is installed, or purging it is left to do (config-files,
# half-installed...).  Not just "dpkg-query -W P": dpkg also answers, as
# not-installed, for a package another installed one names in a field
# (lguest-guest-kernel's Recommends: lguestctl).
dpkg_knows() {
	local s
	s=$(dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null) && [ -n "$s" ] && [ "$s" != not-installed ]
}
# known_user_pkgs: those of USER_PKGS dpkg knows.
known_user_pkgs() {
	local p
	for p in "${USER_PKGS[@]}"; do
		dpkg_knows "$p" && echo "$p"
	done
}
purge_user() {
	local left
	left=$(known_user_pkgs)
	[ -z "$left" ] && return 0
	# shellcheck disable=SC2086 # one word per package
	apt-get purge -y -o DPkg::Lock::Timeout=600 $left >"$out/purge-user.txt" 2>&1
}
gk_known() { dpkg_knows "$GK"; }
purge_gk() {
	apt-get purge -y -o DPkg::Lock::Timeout=600 "$GK" >"$out/purge-gk.txt" 2>&1
}
# A run that stopped half way must not leave packages behind.
trap 'if pkg_installed; then echo "  (purging lguest-dkms left installed)"; purge; fi
	if [ -n "$(known_user_pkgs)" ]; then echo "  (purging $(known_user_pkgs | tr "\n" " ")left installed)"; purge_user; fi
	if gk_known; then echo "  (purging $GK left installed)"; purge_gk; fi' EXIT
if dpkg-query -W lguest-dkms >/dev/null 2>&1; then
	echo "  note: purging an lguest-dkms left over from an earlier run"
	purge
fi
if [ -n "$(known_user_pkgs)" ]; then
	echo "  note: purging $(known_user_pkgs | tr '\n' ' ')left over from an earlier run"
	purge_user
fi
if gk_known; then
	echo "  note: purging $GK left over from an earlier run"
	purge_gk
fi

# ---- one version ------------------------------------------------------
deb_ver=$(dpkg-parsechangelog -l debian/changelog -SVersion)
why=""
[ "${deb_ver%-*}" = "$V" ] || why+="debian/changelog is $deb_ver; "
grep -q '^PACKAGE_VERSION="#MODULE_VERSION#"$' dkms.conf || why+="dkms.conf does not take it from VERSION; "
grep -q '^Version: *@VERSION@$' rpm/lguest.spec || why+="rpm/lguest.spec does not take it from VERSION; "
if [ -z "$why" ]; then
	record $st PASS "VERSION ($V) is the version of dkms.conf, debian/changelog and rpm/lguest.spec"
else
	record $st FAIL "VERSION ($V) is the version of dkms.conf, debian/changelog and rpm/lguest.spec" "$why"
fi

# ---- which kernels DKMS builds for --------------------------------------
# dkms 3.0 matches BUILD_EXCLUSIVE_* with bash's =~, as done here.
why=$(
	set +u # dkms.conf names variables dkms sets, like kernel_source_dir
	# shellcheck disable=SC1091
	. ./dkms.conf
	for k in "$KVER_61" "$KVER_612" 6.1.0-1-amd64 6.10.0 6.12.117+deb12-amd64 6.18.44-fc-v669 7.0.0 7.0-rc1 10.1.0; do
		[[ $k =~ $BUILD_EXCLUSIVE_KERNEL ]] || echo -n "rejects $k; "
	done
	for k in 6.0.12 6.0.0-rc7 5.10.0-30-amd64 5.19.17 4.19.0-27-amd64 3.10.0 2.6.32; do
		[[ $k =~ $BUILD_EXCLUSIVE_KERNEL ]] && echo -n "admits $k; "
	done
	[[ x86_64 =~ $BUILD_EXCLUSIVE_ARCH ]] || echo -n "rejects x86_64; "
	for a in i686 aarch64 x86_64_v2; do
		[[ $a =~ $BUILD_EXCLUSIVE_ARCH ]] && echo -n "admits $a; "
	done
	[ "$AUTOINSTALL" = yes ] || echo -n "AUTOINSTALL is not yes; "
	[ "${BUILT_MODULE_NAME[0]}" = lg ] || echo -n "BUILT_MODULE_NAME is not lg; "
)
if [ -z "$why" ]; then
	record $st PASS "dkms.conf admits Linux >= 6.1 on x86_64 and nothing else"
else
	record $st FAIL "dkms.conf admits Linux >= 6.1 on x86_64 and nothing else" "$why"
fi

# ---- the source tarball --------------------------------------------------
tgz=$BUILD/dist/lguest-$V.tar.gz
if make --no-print-directory dist >"$out/dist.txt" 2>&1 && [ -s "$tgz" ]; then
	tar -tzf "$tgz" >"$out/dist-files.txt"
	why=""
	for f in VERSION Makefile Kbuild dkms.conf module/core.c include/uapi/linux/lguest.h \
		debian/control debian/rules rpm/lguest.spec tests/check.sh \
		tests/lib/guest-kernel.sh tests/lib/common.sh guest-patches/series guest-patches/lguest_guest.config \
		$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's|^|guest-patches/|' guest-patches/series); do
		grep -qx "lguest-$V/$f" "$out/dist-files.txt" || why+="no $f; "
	done
	grep -q "^lguest-$V/build/" "$out/dist-files.txt" && why+="has build/; "
	grep -qv "^lguest-$V/" "$out/dist-files.txt" && why+="files outside lguest-$V/; "
	spec=$(tar -xzOf "$tgz" "lguest-$V/rpm/lguest.spec")
	grep -q "^Version: *$V$" <<<"$spec" ||
		why+="the spec in it is not version $V; "
	sum1=$(sha256sum <"$tgz")
	make --no-print-directory dist >>"$out/dist.txt" 2>&1
	[ "$(sha256sum <"$tgz")" = "$sum1" ] || why+="a second make dist gave other bytes; "
	if [ -z "$why" ]; then
		record $st PASS "make dist: lguest-$V.tar.gz complete and reproducible"
	else
		record $st FAIL "make dist: lguest-$V.tar.gz complete and reproducible" "$why"
	fi
else
	record $st FAIL "make dist: lguest-$V.tar.gz complete and reproducible" "see $out/dist.txt"
	tail -n 20 "$out/dist.txt"
fi

# ---- Debian packages -----------------------------------------------------
# deb is lguest-dkms's .deb; udeb[P] the user-space package P's; gdeb
# lguest-guest-kernel's.  The guest kernel comes from the cache the vm
# stage and "make guest-kernel" use (the Makefile passes LGUEST_CACHE),
# so this takes minutes only when guest-patches/ changed.
declare -A udeb=()
gdeb=""
name="make deb: dpkg-buildpackage -us -uc -b builds lguest-dkms, ${USER_PKGS[*]}, $GK"
if make --no-print-directory deb >"$out/deb.txt" 2>&1 &&
	deb=$(ls "$BUILD"/deb/lguest-dkms_"$V"-*_all.deb 2>/dev/null | head -n1) && [ -n "$deb" ]; then
	why=""
	for p in "${USER_PKGS[@]}"; do
		f=$(ls "$BUILD"/deb/"$p"_"$V"-*_amd64.deb 2>/dev/null | head -n1)
		if [ -n "$f" ]; then udeb[$p]=$f; else why+="no $p; "; fi
	done
	gdeb=$(ls "$BUILD"/deb/"$GK"_"$V"-*_amd64.deb 2>/dev/null | head -n1)
	[ -n "$gdeb" ] || why+="no $GK; "
	gsrc=$(sed -n 's/^guest kernel: .* -> /vmlinux from /p' "$out/deb.txt" | head -n1)
	if [ -z "$why" ]; then
		record $st PASS "$name" "${gsrc:-}"
	else
		record $st FAIL "$name" "$why"
	fi
else
	deb=""
	record $st FAIL "$name" "see $out/deb.txt"
	tail -n 20 "$out/deb.txt"
fi

if [ -n "$deb" ]; then
	changes=$(ls "$BUILD"/deb/lguest_"$V"-*.changes | head -n1)
	# lintian exits non-zero on errors, and on its own failures.
	lintian --pedantic -I "$changes" >"$out/lintian.txt" 2>&1
	rc=$?
	ne=$(grep -c '^E: ' "$out/lintian.txt")
	nw=$(grep -c '^W: ' "$out/lintian.txt")
	if [ $rc -eq 0 ] && [ "$ne" -eq 0 ]; then
		record $st PASS "lintian: no errors" "$nw warnings, see $out/lintian.txt"
	else
		record $st FAIL "lintian: no errors" "exit $rc; $(grep -m3 '^E: ' "$out/lintian.txt" | tr '\n' ' ')"
	fi
	# Each warning tag must be explained in docs/packaging.md.
	why=""
	for tag in $(sed -n 's/^W: [^ ]*: \([^ ]*\).*/\1/p' "$out/lintian.txt" | sort -u); do
		grep -q -- "$tag" docs/packaging.md || why+="$tag; "
	done
	if [ -z "$why" ]; then
		record $st PASS "lintian: every warning is justified in docs/packaging.md"
	else
		record $st FAIL "lintian: every warning is justified in docs/packaging.md" "not there: $why"
	fi

	# What the package holds: the DKMS sources (not the deliberate-oops
	# self-test), dkms.conf with the version, udev, sysusers, modules-load.
	dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$out/deb-files.txt"
	why=""
	# Every file kbuild may need: all of module/ but the self-test, all
	# of switcher/ but its documentation.
	for f in Kbuild include/uapi/linux/lguest.h module/*.[ch] switcher/*; do
		case $f in module/selftest.c | switcher/\* | *.md | */README*) continue ;; esac
		grep -qx "/usr/src/lguest-$V/$f" "$out/deb-files.txt" || why+="no $f; "
	done
	for f in /usr/src/lguest-$V/dkms.conf /lib/udev/rules.d/60-lguest.rules \
		/usr/lib/sysusers.d/lguest.conf /usr/lib/modules-load.d/lguest.conf; do
		grep -qx "$f" "$out/deb-files.txt" || why+="no $f; "
	done
	grep -q selftest "$out/deb-files.txt" && why+="ships the self-test; "
	# Whole output first: grep -q would quit early, and with pipefail the
	# writer's SIGPIPE would fail the pipeline at random.
	conf=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/lguest-$V/dkms.conf" 2>/dev/null)
	grep -q "^PACKAGE_VERSION=\"$V\"$" <<<"$conf" || why+="dkms.conf's PACKAGE_VERSION is not $V; "
	if [ -z "$why" ]; then
		record $st PASS "lguest-dkms.deb holds the module sources, dkms.conf, udev rule, sysusers and modules-load files"
	else
		record $st FAIL "lguest-dkms.deb holds the module sources, dkms.conf, udev rule, sysusers and modules-load files" "$why"
	fi
fi

# What the user-space packages hold: each file in exactly one of them.
# deb_files DEB: its regular files and links, as absolute paths.
deb_files() {
	dpkg-deb -c "$1" | grep -v '^d' | awk '{ if ($(NF-1) == "->") print $(NF-2); else print $NF }' |
		sed 's|^\./|/|' | LC_ALL=C sort
}
# holds_exactly LIST "FILE..." PATTERN: what is wrong with a package's file
# LIST (one path a line) that must hold every FILE and, besides them,
# only paths grep PATTERN matches; empty when nothing is.
holds_exactly() {
	local f why="" extra
	for f in $2; do
		grep -qx "$f" "$1" || why+="no $f; "
	done
	extra=$(grep -v "$3" "$1" | grep -vxF -f <(tr ' ' '\n' <<<"$2") | tr '\n' ' ')
	[ -n "$extra" ] && why+="also holds $extra; "
	printf '%s' "$why"
}
if [ ${#udeb[@]} -eq ${#USER_PKGS[@]} ]; then
	L=/usr/lib/$MA
	for p in "${USER_PKGS[@]}"; do deb_files "${udeb[$p]}" >"$out/deb-files-$p.txt"; done
	declare -A want=(
		[liblguest0]="$L/liblguest.so.0 $L/liblguest.so.$V"
		[liblguest-dev]="/usr/include/liblguest.h $L/liblguest.so $L/liblguest.a $L/pkgconfig/liblguest.pc"
		[lguestctl]="/usr/bin/lguestctl /usr/share/man/man1/lguestctl.1.gz /usr/share/bash-completion/completions/lguestctl /usr/lib/lguest/run-init.cpio"
	)
	for p in "${USER_PKGS[@]}"; do
		why=""
		for f in ${want[$p]}; do
			grep -qx "$f" "$out/deb-files-$p.txt" || why+="no $f; "
		done
		# nothing else but its /usr/share/doc
		extra=$(grep -v "^/usr/share/doc/$p/" "$out/deb-files-$p.txt" |
			grep -vxF -f <(tr ' ' '\n' <<<"${want[$p]}") | tr '\n' ' ')
		[ -n "$extra" ] && why+="also holds $extra; "
		if [ -z "$why" ]; then
			record $st PASS "$p.deb holds ${want[$p]//$L/\$LIBDIR} and nothing more" "LIBDIR=$L"
		else
			record $st FAIL "$p.deb holds ${want[$p]//$L/\$LIBDIR} and nothing more" "$why"
		fi
	done

	# liblguest0: the soname its name promises, the symbols its version
	# script exports (and no other), all of them in its symbols file.
	rm -rf "$out/x-lib0" && mkdir -p "$out/x-lib0"
	dpkg-deb -x "${udeb[liblguest0]}" "$out/x-lib0"
	dpkg-deb -e "${udeb[liblguest0]}" "$out/x-lib0/DEBIAN"
	so=$out/x-lib0$L/liblguest.so.$V
	why=""
	soname=$(objdump -p "$so" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
	[ "$soname" = liblguest.so.0 ] || why+="soname is '$soname'; "
	[ "$(readlink "$out/x-lib0$L/liblguest.so.0")" = "liblguest.so.$V" ] ||
		why+="liblguest.so.0 does not point at liblguest.so.$V; "
	exported=$(objdump -T "$so" | awk '$2 == "g" && $4 == ".text" { print $NF }' | LC_ALL=C sort)
	mapped=$(sed -n 's/^\t\(lg_[a-z_0-9]*\);$/\1/p' liblguest/liblguest.map | LC_ALL=C sort)
	insyms=$(sed -n 's/^ \(lg_[a-z_0-9]*\)@LIBLGUEST_0 .*/\1/p' "$out/x-lib0/DEBIAN/symbols" | LC_ALL=C sort)
	[ -n "$mapped" ] || why+="no symbols read from liblguest/liblguest.map; "
	[ "$exported" = "$mapped" ] ||
		why+="exported vs the map: $(diff <(echo "$exported") <(echo "$mapped") | grep '^[<>]' | tr '\n' ' '); "
	[ "$insyms" = "$mapped" ] ||
		why+="DEBIAN/symbols vs the map: $(diff <(echo "$insyms") <(echo "$mapped") | grep '^[<>]' | tr '\n' ' '); "
	head -n1 "$out/x-lib0/DEBIAN/symbols" | grep -qx 'liblguest.so.0 liblguest0 #MINVER#' ||
		why+="DEBIAN/symbols does not start with 'liblguest.so.0 liblguest0 #MINVER#'; "
	grep -qx 'liblguest 0 liblguest0 (>= [0-9.]*)' "$out/x-lib0/DEBIAN/shlibs" 2>/dev/null ||
		why+="no shlibs line for liblguest 0; "
	if [ -z "$why" ]; then
		record $st PASS "liblguest0: soname liblguest.so.0, exports exactly liblguest.map, symbols file lists them all" \
			"$(wc -w <<<"$exported") functions"
	else
		record $st FAIL "liblguest0: soname liblguest.so.0, exports exactly liblguest.map, symbols file lists them all" "$why"
	fi
fi

# lguest-guest-kernel: the kernel and its configuration, mode 644 (it is
# loaded, not run), and Built-Using naming the linux source it came from.
if [ -n "$gdeb" ]; then
	deb_files "$gdeb" >"$out/deb-files-$GK.txt"
	gwant="$GKDIR/vmlinux $GKDIR/vmlinux.config"
	# (and its doc directory and lintian overrides)
	why=$(holds_exactly "$out/deb-files-$GK.txt" "$gwant" \
		"^/usr/share/doc/$GK/\|^/usr/share/lintian/overrides/$GK\$")
	modes=$(dpkg-deb -c "$gdeb" | awk '$NF ~ /^\.\/usr\/lib\/lguest\/./ { print $1 }' | sort -u | tr '\n' ' ')
	[ "$modes" = "-rw-r--r-- " ] || why+="modes are '$modes', not -rw-r--r--; "
	bu=$(dpkg-deb -f "$gdeb" Built-Using)
	lsrc=$(dpkg-query -W -f '${source:Package} (= ${source:Version})' linux-source-6.12)
	[ "$bu" = "$lsrc" ] || why+="Built-Using is '$bu', not '$lsrc'; "
	if [ -z "$why" ]; then
		record $st PASS "$GK.deb holds $gwant (mode 644) and nothing more, Built-Using: $lsrc"
	else
		record $st FAIL "$GK.deb holds $gwant (mode 644) and nothing more, Built-Using: $lsrc" "$why"
	fi
fi

# ---- lguest-dkms installed on this machine -------------------------------
# Purging leaves the group (system groups stay); drop an unused one so
# that the install below must create it again.
group_check=1
if getent group lguest >/dev/null; then
	if [ -z "$(getent group lguest | cut -d: -f4)" ] && groupdel lguest; then
		:
	else
		group_check=0
	fi
fi
installed=0
if [ -n "$deb" ]; then
	if apt-get install -y -o DPkg::Lock::Timeout=600 "$deb" >"$out/install.txt" 2>&1 && pkg_installed; then
		installed=1
		record $st PASS "apt-get install ./$(basename "$deb")"
	else
		record $st FAIL "apt-get install ./$(basename "$deb")" "see $out/install.txt"
		tail -n 20 "$out/install.txt"
	fi
fi

if [ $installed = 1 ]; then
	if [ $group_check = 0 ]; then
		record $st SKIP "the install created the system group lguest" \
			"the group already existed with members, so it was not removed first"
	elif getent group lguest >/dev/null; then
		record $st PASS "the install created the system group lguest"
	else
		record $st FAIL "the install created the system group lguest"
	fi

	rules=/lib/udev/rules.d/60-lguest.rules
	if [ -f "$rules" ] && grep -v '^#' "$rules" |
		grep -q 'KERNEL=="lguest".*GROUP="lguest".*MODE="0660"'; then
		record $st PASS "udev rule gives /dev/lguest to group lguest, mode 0660 ($rules)"
	else
		record $st FAIL "udev rule gives /dev/lguest to group lguest, mode 0660 ($rules)"
	fi
	ml=/usr/lib/modules-load.d/lguest.conf
	if [ -f "$ml" ] && [ "$(grep -v '^#' "$ml" | grep -v '^$')" = lg ]; then
		record $st PASS "modules-load.d loads lg at boot ($ml)"
	else
		record $st FAIL "modules-load.d loads lg at boot ($ml)"
	fi

	# The postinst builds for the running kernel and the newest one, or
	# for all when the running kernel is not installed (a container's);
	# a kernel it left out gets "dkms autoinstall", which is what the
	# kernel packages' /etc/kernel/postinst.d/dkms hook runs.
	for kver in "${KVERS[@]}"; do
		how="by the package's postinst"
		if ! dkms status -m lguest -v "$V" -k "$kver" 2>/dev/null | grep -q ': installed'; then
			how="by dkms autoinstall"
			dkms autoinstall -k "$kver" >"$out/autoinstall-$kver.txt" 2>&1
		fi
		why=""
		dkms status -m lguest -v "$V" -k "$kver" 2>/dev/null | grep -q "^lguest/$V, $kver, x86_64: installed" ||
			why+="dkms status: '$(dkms status -m lguest -v "$V" -k "$kver" 2>&1)'; "
		ko=$(ls /lib/modules/"$kver"/updates/dkms/lg.ko* 2>/dev/null | head -n1)
		if [ -z "$ko" ]; then
			why+="no /lib/modules/$kver/updates/dkms/lg.ko; "
		else
			[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ] ||
				why+="$ko's vermagic is '$(modinfo -F vermagic "$ko")'; "
			modinfo -F alias "$ko" | grep -q 'devname:lguest' || why+="$ko is not lg.ko; "
		fi
		if [ -z "$why" ]; then
			record $st PASS "DKMS built and installed lg.ko for $kver" "$how, $ko"
		else
			record $st FAIL "DKMS built and installed lg.ko for $kver" "$why"
		fi
		# Keep the one the vm stage boots (6.12-5level), uncompressed.
		if [ "$kver" = "$KVER_612" ] && [ -n "$ko" ] && [ -z "$why" ]; then
			mkdir -p "$BUILD/dkms/$kver"
			case $ko in
			*.xz) xz -dc "$ko" ;;
			*.zst) zstd -dc "$ko" ;;
			*.gz) gzip -dc "$ko" ;;
			*) cat "$ko" ;;
			esac >"$BUILD/dkms/$kver/lg.ko"
		fi
	done

	# Reinstalling is an upgrade to the maintainer scripts: the prerm
	# removes every build, then the postinst rebuilds.  Which kernels it
	# rebuilds for depends on the running kernel (Debian's common.postinst
	# may pick the running and the newest one only; others get theirs from
	# "dkms autoinstall" when they boot), so check the newest one.
	newest=$(printf '%s\n' "${KVERS[@]}" | sort -V | tail -n1)
	if apt-get install -y -o DPkg::Lock::Timeout=600 --reinstall "$deb" >"$out/reinstall.txt" 2>&1 &&
		dkms status -m lguest -v "$V" -k "$newest" 2>/dev/null | grep -q ': installed' &&
		ls /lib/modules/"$newest"/updates/dkms/lg.ko* >/dev/null 2>&1; then
		record $st PASS "reinstalling (upgrading) lguest-dkms rebuilds lg.ko for $newest"
	else
		record $st FAIL "reinstalling (upgrading) lguest-dkms rebuilds lg.ko for $newest" "see $out/reinstall.txt"
	fi

	# Purge: the module, DKMS's tree and the package's files all go.
	purge
	why=""
	pkg_installed && why+="still installed; "
	dpkg-query -W lguest-dkms >/dev/null 2>&1 && why+="dpkg still knows it (not purged); "
	[ -n "$(dkms status -m lguest 2>/dev/null)" ] && why+="dkms status: $(dkms status -m lguest); "
	[ -e /var/lib/dkms/lguest ] && why+="/var/lib/dkms/lguest remains; "
	[ -e "/usr/src/lguest-$V" ] && why+="/usr/src/lguest-$V remains; "
	for kver in "${KVERS[@]}"; do
		ls /lib/modules/"$kver"/updates/dkms/lg.ko* >/dev/null 2>&1 && why+="lg.ko remains for $kver; "
		modinfo -k "$kver" lg >/dev/null 2>&1 && why+="modprobe still finds lg for $kver; "
	done
	for f in /lib/udev/rules.d/60-lguest.rules /usr/lib/modules-load.d/lguest.conf \
		/usr/lib/sysusers.d/lguest.conf; do
		[ -e "$f" ] && why+="$f remains; "
	done
	if [ -z "$why" ]; then
		record $st PASS "apt-get purge lguest-dkms removes lg.ko, the DKMS tree and the package's files"
	else
		record $st FAIL "apt-get purge lguest-dkms removes lg.ko, the DKMS tree and the package's files" "$why"
	fi
fi

# ---- lguest-dkms on the kernels newer than Debian 12 has ------------------
# trixie's own kernel and the newest of trixie-backports (7.x): the same
# .deb, unpacked in the trixie chroot (tests/lib/newer-kernels.sh) over a
# throwaway layer, and trixie's DKMS builds and installs lg.ko for each,
# as a user's "dkms autoinstall" does.  The 7.x one is the module the
# 7.x matrix entry's lg.ko must match: same sources, same kernel.
# shellcheck disable=SC1091
. "$TOP/tests/lib/newer-kernels.sh"
if [ -n "$deb" ]; then
	if nk_chroot >"$out/chroot.txt" 2>&1; then
		for kver in "${NK_KVERS[@]}"; do
			name="DKMS (trixie's) built and installed lg.ko for $kver"
			if nk_dkms "$deb" "$kver" "$BUILD/dkms-newer/$kver" >"$out/dkms-$kver.txt" 2>&1; then
				ko=$(ls "$BUILD/dkms-newer/$kver"/lg.ko* 2>/dev/null | head -n1)
				why=""
				[ -n "$ko" ] || why+="no lg.ko installed; "
				[ -n "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" != "$kver" ] &&
					why+="its vermagic is '$(modinfo -F vermagic "$ko")'; "
				[ -n "$ko" ] && ! modinfo -F alias "$ko" | grep -q 'devname:lguest' &&
					why+="$ko is not lg.ko; "
				if [ -z "$why" ]; then
					record $st PASS "$name" "$(tail -n1 "$out/dkms-$kver.txt")"
				else
					record $st FAIL "$name" "$why"
				fi
			else
				record $st FAIL "$name" "see $out/dkms-$kver.txt: $(grep -m1 'error' \
					"$out/dkms-$kver.txt")"
			fi
		done
	else
		record $st FAIL "DKMS builds lg.ko for the newer kernels" \
			"no trixie chroot: $(tail -n1 "$out/chroot.txt")"
	fi
fi

# ---- liblguest0, liblguest-dev and lguestctl installed on this machine -----
# A kernel liblguest accepts (an ELF64 with the Lguest entry note, loaded
# at 16 MiB): enough to get the example and lguestctl past loading the
# kernel to opening /dev/lguest, which is what can be tried without lg.ko.
mkkernel() {
	local d=$out/kernel
	rm -rf "$d" && mkdir -p "$d"
	cat >"$d/k.S" <<'ASM'
	.section .note.lguest, "a"
	.balign 4
	.long 7, 8, 1		/* namesz, descsz, LG_NOTE_ENTRY */
	.asciz "Lguest"
	.balign 4
	.quad entry
	.text
	.globl entry
entry:	hlt
	jmp entry
ASM
	cat >"$d/k.lds" <<'LDS'
ENTRY(entry)
PHDRS { text PT_LOAD FLAGS(5); note PT_NOTE FLAGS(4); }
SECTIONS {
	. = 0xffffffff81000000;
	.text : AT(0x1000000) { *(.text) } :text
	.note : { *(.note.lguest) } :text :note
	/DISCARD/ : { *(*) }
}
LDS
	cc -c "$d/k.S" -o "$d/k.o" && ld -T "$d/k.lds" -z noexecstack "$d/k.o" -o "$d/vmlinux" &&
		echo "$d/vmlinux"
}
# Without lg.ko there is no /dev/lguest; on a machine that has one loaded,
# point liblguest ($LGUEST_DEV) at a path that does not exist instead.
nodev=/dev/lguest
[ -e /dev/lguest ] && nodev=$out/no-such-dir/lguest
nodev_env=()
[ "$nodev" = /dev/lguest ] || nodev_env=("LGUEST_DEV=$nodev")
nodev_msg="$nodev: No such file or directory (hint: is the lguest module loaded? try: sudo modprobe lg)"

# ---- lguest-guest-kernel installed on this machine -----------------------
# The installed vmlinux: an x86-64 ELF executable with lguest's entry
# note and ABI note (the ABI lguestctl and lg.ko speak), its config the
# lguest guest's.  The installed lguestctl loads it below, and the vm
# stage boots the copy kept in $BUILD/pkg-guest/.
gk_in=0
if [ -n "$gdeb" ]; then
	if apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "$gdeb" \
		>"$out/install-gk.txt" 2>&1 &&
		[ "$(dpkg-query -W -f '${db:Status-Status}' "$GK")" = installed ]; then
		record $st PASS "apt-get install ./${GK}_*.deb"
		gk_in=1
	else
		record $st FAIL "apt-get install ./${GK}_*.deb" "see $out/install-gk.txt"
		tail -n 20 "$out/install-gk.txt"
	fi
fi
if [ $gk_in = 1 ]; then
	gv=$GKDIR/vmlinux
	abi=$(sed -n 's/^#define LGUEST_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' include/uapi/linux/lguest.h)
	why=""
	hdr=$(readelf -hW "$gv" 2>&1)
	grep -q 'Class: *ELF64' <<<"$hdr" || why+="not ELF64; "
	grep -q 'Type: *EXEC' <<<"$hdr" || why+="not an executable; "
	grep -q 'Machine: *Advanced Micro Devices X86-64' <<<"$hdr" || why+="not x86-64; "
	notes=$(readelf -nW "$gv" 2>&1)
	# "Lguest 0x00000008 ..." is the entry note (8 bytes), the 4-byte one
	# the ABI version, little-endian.
	grep -Eq '^ *Lguest +0x00000008[[:space:]]' <<<"$notes" || why+="no Lguest entry note; "
	h='\([0-9a-f][0-9a-f]\)'
	nabi=$(sed -n "s/^ *Lguest *0x00000004.*description data: $h $h $h $h.*/\4\3\2\1/p" <<<"$notes")
	[[ $nabi =~ ^[0-9a-f]{8}$ ]] && nabi=$((16#$nabi))
	[ -n "$abi" ] && [ "$nabi" = "$abi" ] || why+="Lguest ABI note says '$nabi', the uapi header $abi; "
	grep -qx 'CONFIG_LGUEST_GUEST=y' "$GKDIR/vmlinux.config" 2>/dev/null ||
		why+="$GKDIR/vmlinux.config has no CONFIG_LGUEST_GUEST=y; "
	if [ -z "$why" ]; then
		record $st PASS "installed $gv: x86-64 ELF with the Lguest entry note and ABI $abi note, config has CONFIG_LGUEST_GUEST=y"
		mkdir -p "$BUILD/pkg-guest" && cp "$gv" "$BUILD/pkg-guest/vmlinux"
	else
		record $st FAIL "installed $gv: x86-64 ELF with the Lguest entry note and ABI $abi note, config has CONFIG_LGUEST_GUEST=y" "$why"
	fi
fi

if [ ${#udeb[@]} -eq ${#USER_PKGS[@]} ]; then
	L=/usr/lib/$MA
	if apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
		"${udeb[liblguest0]}" "${udeb[liblguest-dev]}" >"$out/install-lib.txt" 2>&1 &&
		[ "$(dpkg-query -W -f '${db:Status-Status}' liblguest0)" = installed ] &&
		[ "$(dpkg-query -W -f '${db:Status-Status}' liblguest-dev)" = installed ]; then
		record $st PASS "apt-get install ./liblguest0_*.deb ./liblguest-dev_*.deb"
		libs_in=1
	else
		record $st FAIL "apt-get install ./liblguest0_*.deb ./liblguest-dev_*.deb" "see $out/install-lib.txt"
		tail -n 20 "$out/install-lib.txt"
		libs_in=0
	fi

	if [ $libs_in = 1 ]; then
		# pkg-config finds the installed liblguest.pc on its default path
		# and names no directory of this tree.
		why=""
		pcflags=$(env -u PKG_CONFIG_PATH -u PKG_CONFIG_LIBDIR pkg-config --cflags --libs liblguest 2>&1) ||
			why+="pkg-config --cflags --libs liblguest: $pcflags; "
		[ "$(env -u PKG_CONFIG_PATH pkg-config --modversion liblguest 2>&1)" = "$V" ] ||
			why+="pkg-config --modversion is not $V; "
		[ "$(env -u PKG_CONFIG_PATH pkg-config --variable=libdir liblguest 2>&1)" = "$L" ] ||
			why+="its libdir is not $L; "
		grep -q -- "$TOP\|$BUILD" <<<"$pcflags" && why+="it names this tree: $pcflags; "
		grep -qw -- -llguest <<<"$pcflags" || why+="no -llguest in '$pcflags'; "
		if [ -z "$why" ]; then
			record $st PASS "pkg-config finds the installed liblguest $V" "${pcflags:-(no flags)}"
		else
			record $st FAIL "pkg-config finds the installed liblguest $V" "$why"
		fi

		# Each example, copied out of the tree, built with pkg-config's
		# flags only and linked with the installed shared library.
		kernel=$(mkkernel 2>"$out/kernel.txt") || kernel=""
		[ -n "$kernel" ] || record $st FAIL "a test kernel with the Lguest entry note" "see $out/kernel.txt"
		exdir=$out/examples
		rm -rf "$exdir" && mkdir -p "$exdir"
		for src in liblguest/examples/*.c; do
			ex=$(basename "$src" .c)
			cp "$src" "$exdir/$ex.c"
			# shellcheck disable=SC2046 # pkg-config's flags are words
			if (cd "$exdir" && env -u PKG_CONFIG_PATH -u CPATH -u C_INCLUDE_PATH -u LIBRARY_PATH \
				cc -std=c11 -Wall -Wextra -Werror "$ex.c" -o "$ex" \
				$(env -u PKG_CONFIG_PATH pkg-config --cflags --libs liblguest)) >"$exdir/$ex.build.txt" 2>&1; then
				why=""
				lib=$(ldd "$exdir/$ex" | awk '$1 == "liblguest.so.0" { print $3 }')
				[ "$(readlink -f "$lib")" = "$L/liblguest.so.$V" ] ||
					why+="it runs with '$lib', not $L/liblguest.so.$V; "
				if [ -z "$why" ]; then
					record $st PASS "examples/$ex.c builds against the installed liblguest with pkg-config only" \
						"runs with $lib"
				else
					record $st FAIL "examples/$ex.c builds against the installed liblguest with pkg-config only" "$why"
				fi
			else
				record $st FAIL "examples/$ex.c builds against the installed liblguest with pkg-config only" \
					"$(grep -m2 'error' "$exdir/$ex.build.txt" | tr '\n' ' ')"
				continue
			fi
			# Only boot.c is known to take a kernel; others are built only.
			if [ "$ex" != boot ] || [ -z "$kernel" ]; then continue; fi
			(cd "$exdir" && env "${nodev_env[@]}" ./boot "$kernel") >"$exdir/boot.out" 2>"$exdir/boot.err" </dev/null
			rc=$?
			if [ $rc -eq 1 ] && grep -qxF "$nodev_msg" "$exdir/boot.err"; then
				record $st PASS "examples/boot without lg.ko: exit 1, '$nodev_msg'"
			else
				record $st FAIL "examples/boot without lg.ko: exit 1, '$nodev_msg'" \
					"exit $rc, stderr: $(head -c 300 "$exdir/boot.err" | tr '\n' ' ')"
			fi
		done
	fi

	if apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
		"${udeb[lguestctl]}" >"$out/install-ctl.txt" 2>&1 &&
		[ "$(dpkg-query -W -f '${db:Status-Status}' lguestctl)" = installed ]; then
		record $st PASS "apt-get install ./lguestctl_*.deb"
		ctl_in=1
	else
		record $st FAIL "apt-get install ./lguestctl_*.deb" "see $out/install-ctl.txt"
		tail -n 20 "$out/install-ctl.txt"
		ctl_in=0
	fi
	if [ $ctl_in = 1 ]; then
		abi=$(sed -n 's/^#define LGUEST_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' include/uapi/linux/lguest.h)
		verline="lguestctl $V (liblguest $V, ABI $abi)"
		vout=$(cd / && env "${nodev_env[@]}" lguestctl --version 2>&1)
		rc=$?
		why=""
		[ "$(command -v lguestctl)" = /usr/bin/lguestctl ] || why+="lguestctl is '$(command -v lguestctl)'; "
		[ $rc -eq 0 ] || why+="exit $rc; "
		[ -n "$abi" ] || why+="no LGUEST_ABI_VERSION in the uapi header; "
		[ "$(head -n1 <<<"$vout")" = "$verline" ] || why+="first line is '$(head -n1 <<<"$vout")'; "
		[ "$(sed -n 2p <<<"$vout")" = "module: not available ($nodev: No such file or directory)" ] ||
			why+="second line is '$(sed -n 2p <<<"$vout")'; "
		if [ -z "$why" ]; then
			record $st PASS "lguestctl --version: '$verline', module not available"
		else
			record $st FAIL "lguestctl --version: '$verline', module not available" "$why"
		fi

		if [ -n "${kernel:-}" ]; then
			(cd / && env "${nodev_env[@]}" lguestctl run --console=off "$kernel") \
				>"$out/ctl-run.out" 2>"$out/ctl-run.err" </dev/null
			rc=$?
			if [ $rc -eq 1 ] && grep -qF "$nodev_msg" "$out/ctl-run.err"; then
				record $st PASS "lguestctl run without lg.ko: exit 1, the module hint"
			else
				record $st FAIL "lguestctl run without lg.ko: exit 1, the module hint" \
					"exit $rc, stderr: $(head -c 300 "$out/ctl-run.err" | tr '\n' ' ')"
			fi
		fi

		# The packaged kernel, the way README.md says to boot it: liblguest
		# loads it (ELF, notes, ABI) before it opens /dev/lguest, so
		# getting to the module hint means the loader took it.
		if [ $gk_in = 1 ]; then
			(cd / && env "${nodev_env[@]}" lguestctl run --mem 128 --console=off "$GKDIR/vmlinux") \
				>"$out/ctl-run-gk.out" 2>"$out/ctl-run-gk.err" </dev/null
			rc=$?
			if [ $rc -eq 1 ] && grep -qF "$nodev_msg" "$out/ctl-run-gk.err"; then
				record $st PASS "lguestctl run --mem 128 $GKDIR/vmlinux: liblguest loads it, then stops at the module hint"
			else
				record $st FAIL "lguestctl run --mem 128 $GKDIR/vmlinux: liblguest loads it, then stops at the module hint" \
					"exit $rc, stderr: $(head -c 300 "$out/ctl-run-gk.err" | tr '\n' ' ')"
			fi
			# With a command and no kernel: the packaged kernel and
			# run-init.cpio load, then the first share's daemon (a
			# virtiofsd that is not there) stops it, exit 125.
			(cd / && env "${nodev_env[@]}" LGUEST_VIRTIOFSD=/nonexistent/virtiofsd \
				lguestctl run -- true) >"$out/ctl-cmd.out" 2>"$out/ctl-cmd.err" </dev/null
			rc=$?
			if [ $rc -eq 125 ] && grep -qF "/nonexistent/virtiofsd: No such file" "$out/ctl-cmd.err" &&
				! grep -q 'vmlinux\|run-init' "$out/ctl-cmd.err"; then
				record $st PASS "lguestctl run -- true: the packaged kernel and run-init.cpio load, exit 125 at the missing virtiofsd"
			else
				record $st FAIL "lguestctl run -- true: the packaged kernel and run-init.cpio load, exit 125 at the missing virtiofsd" \
					"exit $rc, stderr: $(head -c 300 "$out/ctl-cmd.err" | tr '\n' ' ')"
			fi
		fi

		mp=$(man -w lguestctl 2>&1)
		why=""
		[ "$mp" = /usr/share/man/man1/lguestctl.1.gz ] || why+="man -w lguestctl: '$mp'; "
		# and it formats without complaint
		mwarn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l /usr/share/man/man1/lguestctl.1.gz 2>&1 >/dev/null)
		[ -z "$mwarn" ] || why+="man --warnings: ${mwarn:0:200}; "
		if [ -z "$why" ]; then
			record $st PASS "man -w lguestctl finds $mp, which formats without warnings"
		else
			record $st FAIL "man -w lguestctl finds /usr/share/man/man1/lguestctl.1.gz, which formats without warnings" "$why"
		fi

		comp=/usr/share/bash-completion/completions/lguestctl
		creg=$(bash --norc -c ". $comp && complete -p lguestctl" 2>&1)
		if [ -f "$comp" ] && [ "$creg" = "complete -F _lguestctl lguestctl" ]; then
			record $st PASS "bash completion installed ($comp) and registers _lguestctl"
		else
			record $st FAIL "bash completion installed ($comp) and registers _lguestctl" "'$creg'"
		fi
	fi

	# Purge: every file of the three packages goes, and dpkg forgets them.
	if [ -n "$(known_user_pkgs)" ]; then
		purge_user
		why=""
		left=$(known_user_pkgs | tr '\n' ' ')
		[ -n "$left" ] && why+="dpkg still knows $left; "
		for p in "${USER_PKGS[@]}"; do
			for f in $(grep -v "^/usr/share/doc/" "$out/deb-files-$p.txt") /usr/share/doc/$p; do
				[ -e "$f" ] || [ -L "$f" ] && why+="$f remains; "
			done
		done
		env -u PKG_CONFIG_PATH pkg-config --exists liblguest 2>/dev/null && why+="pkg-config still finds liblguest; "
		grep -q liblguest <<<"$(ldconfig -p)" && why+="ld.so.cache still has liblguest; "
		if [ -z "$why" ]; then
			record $st PASS "apt-get purge ${USER_PKGS[*]} removes all their files"
		else
			record $st FAIL "apt-get purge ${USER_PKGS[*]} removes all their files" "$why"
		fi
	fi
fi

if [ $gk_in = 1 ]; then
	purge_gk
	why=""
	gk_known && why+="dpkg still knows $GK; "
	for f in $(grep -v "^/usr/share/doc/" "$out/deb-files-$GK.txt") "$GKDIR" "/usr/share/doc/$GK"; do
		[ -e "$f" ] && why+="$f remains; "
	done
	if [ -z "$why" ]; then
		record $st PASS "apt-get purge $GK removes $GKDIR and its files"
	else
		record $st FAIL "apt-get purge $GK removes $GKDIR and its files" "$why"
	fi
fi

# ---- RPM -----------------------------------------------------------------
# rpmf is lguest-dkms's .rpm; urpm[P] the user-space subpackage P's.
RPM_PKGS=(liblguest liblguest-devel lguestctl)
declare -A urpm=()
rpmf=""
grpm=""
name="make rpm: rpmbuild -bb builds lguest-dkms, ${RPM_PKGS[*]}, $GK from the tarball"
if make --no-print-directory rpm >"$out/rpm.txt" 2>&1 &&
	rpmf=$(ls "$BUILD"/rpm/RPMS/noarch/lguest-dkms-"$V"-*.noarch.rpm 2>/dev/null | head -n1) &&
	[ -n "$rpmf" ]; then
	why=""
	for p in "${RPM_PKGS[@]}"; do
		f=$(ls "$BUILD"/rpm/RPMS/x86_64/"$p"-"$V"-*.x86_64.rpm 2>/dev/null | head -n1)
		if [ -n "$f" ]; then urpm[$p]=$f; else why+="no $p; "; fi
	done
	grpm=$(ls "$BUILD"/rpm/RPMS/x86_64/"$GK"-"$V"-*.x86_64.rpm 2>/dev/null | head -n1)
	[ -n "$grpm" ] || why+="no $GK; "
	if [ -z "$why" ]; then
		record $st PASS "$name"
	else
		record $st FAIL "$name" "$why"
	fi
else
	rpmf=""
	record $st FAIL "$name" "see $out/rpm.txt"
	tail -n 20 "$out/rpm.txt"
fi
if [ -n "$rpmf" ]; then
	rpm -qlp "$rpmf" >"$out/rpm-files.txt" 2>&1
	why=""
	for f in /usr/lib/udev/rules.d/60-lguest.rules /usr/lib/sysusers.d/lguest.conf \
		/usr/lib/modules-load.d/lguest.conf /usr/src/lguest-$V/dkms.conf; do
		grep -qx "$f" "$out/rpm-files.txt" || why+="no $f; "
	done
	# The same DKMS sources as the .deb, no more, no fewer.
	if [ -n "$deb" ]; then
		d=$(grep "^/usr/src/lguest-$V/.*\.\(c\|h\|S\|lds\)$\|Kbuild$\|dkms.conf$" "$out/deb-files.txt" | sort)
		r=$(grep "^/usr/src/lguest-$V/.*\.\(c\|h\|S\|lds\)$\|Kbuild$\|dkms.conf$" "$out/rpm-files.txt" | sort)
		[ "$d" = "$r" ] || why+="its /usr/src differs from the .deb's: $(diff <(echo "$d") <(echo "$r") | grep '^[<>]' | tr '\n' ' '); "
	fi
	conf=$(rpm2cpio "$rpmf" | cpio -i --quiet --to-stdout "./usr/src/lguest-$V/dkms.conf" 2>/dev/null)
	grep -q "^PACKAGE_VERSION=\"$V\"$" <<<"$conf" || why+="dkms.conf's PACKAGE_VERSION is not $V; "
	if [ -z "$why" ]; then
		record $st PASS "rpm -qlp: lguest-dkms holds the .deb's DKMS sources, udev, sysusers and modules-load files"
	else
		record $st FAIL "rpm -qlp: lguest-dkms holds the .deb's DKMS sources, udev, sysusers and modules-load files" "$why"
	fi

	rpm -qp --scripts "$rpmf" >"$out/rpm-scripts.txt" 2>&1
	why=""
	post=$(rpm -qp --qf '%{POSTIN}' "$rpmf")
	preun=$(rpm -qp --qf '%{PREUN}' "$rpmf")
	pre=$(rpm -qp --qf '%{PREIN}' "$rpmf")
	for a in add build install; do
		grep -q "^dkms $a -m lguest -v $V" <<<"$post" || why+="%post does not dkms $a; "
	done
	[ "$(grep -n '^dkms add' <<<"$post" | cut -d: -f1)" -lt "$(grep -n '^dkms install' <<<"$post" | cut -d: -f1)" ] ||
		why+="%post installs before it adds; "
	grep -q "^dkms remove -m lguest -v $V .*--all" <<<"$preun" || why+="%preun does not dkms remove --all; "
	grep -q 'groupadd -r lguest' <<<"$pre" || why+="%pre does not create the group; "
	for s in "$pre" "$post" "$preun"; do
		sh -n <<<"$s" || why+="a scriptlet is not valid sh; "
	done
	if [ -z "$why" ]; then
		record $st PASS "rpm --scripts: %pre adds group lguest, %post dkms add/build/install, %preun dkms remove"
	else
		record $st FAIL "rpm --scripts: %pre adds group lguest, %post dkms add/build/install, %preun dkms remove" "$why"
	fi

	# The .deb and the .rpm must not drift apart.
	if [ -n "$deb" ]; then
		why=""
		for pair in /lib/udev/rules.d/60-lguest.rules:/usr/lib/udev/rules.d/60-lguest.rules \
			/usr/lib/sysusers.d/lguest.conf:/usr/lib/sysusers.d/lguest.conf \
			/usr/lib/modules-load.d/lguest.conf:/usr/lib/modules-load.d/lguest.conf; do
			a=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ".${pair%%:*}" 2>/dev/null)
			b=$(rpm2cpio "$rpmf" | cpio -i --quiet --to-stdout ".${pair#*:}" 2>/dev/null)
			{ [ -n "$a" ] && [ "$a" = "$b" ]; } || why+="${pair#*:} differs; "
		done
		# and the same DKMS tree, byte for byte (the .deb's was built above)
		rm -rf "$out/x-deb" "$out/x-rpm" && mkdir -p "$out/x-deb" "$out/x-rpm"
		dpkg-deb -x "$deb" "$out/x-deb"
		(cd "$out/x-rpm" && rpm2cpio "$rpmf" | cpio -idm --quiet)
		d=$(diff -r "$out/x-deb/usr/src" "$out/x-rpm/usr/src" 2>&1) || why+="/usr/src differs: ${d:0:200}; "
		if [ -z "$why" ]; then
			record $st PASS ".deb and .rpm ship the same DKMS tree, udev rule, sysusers and modules-load files"
		else
			record $st FAIL ".deb and .rpm ship the same DKMS tree, udev rule, sysusers and modules-load files" "$why"
		fi
	fi
fi

# The user-space subpackages: what each holds, its scriptlets, and that
# each holds what its Debian counterpart does (libdir and man page
# compression aside).
if [ ${#urpm[@]} -eq ${#RPM_PKGS[@]} ]; then
	RL=$(rpm --eval '%{_libdir}')
	RB=$(rpm --eval '%{_bindir}')
	RM=$(rpm --eval '%{_mandir}')
	declare -A rwant=(
		[liblguest]="$RL/liblguest.so.0 $RL/liblguest.so.$V"
		[liblguest-devel]="/usr/include/liblguest.h $RL/liblguest.so $RL/liblguest.a $RL/pkgconfig/liblguest.pc"
		[lguestctl]="$RB/lguestctl /usr/share/bash-completion/completions/lguestctl /usr/lib/lguest/run-init.cpio"
	)
	declare -A debof=([liblguest]=liblguest0 [liblguest-devel]=liblguest-dev [lguestctl]=lguestctl)
	for p in "${RPM_PKGS[@]}"; do
		rpm -qlp "${urpm[$p]}" >"$out/rpm-files-$p.txt" 2>&1
		why=""
		for f in ${rwant[$p]}; do
			grep -qx "$f" "$out/rpm-files-$p.txt" || why+="no $f; "
		done
		[ "$p" = lguestctl ] && ! grep -qx "$RM/man1/lguestctl\.1\(\.gz\|\.xz\|\.zst\|\.bz2\)\?" "$out/rpm-files-$p.txt" &&
			why+="no $RM/man1/lguestctl.1; "
		# the same files as the .deb, once the paths are made comparable
		norm() {
			grep -v "^/usr/share/doc/\|^/usr/share/licenses/\|^/usr/lib/\.build-id" |
				sed "s|^$RL/|LIBDIR/|; s|^/usr/lib/$MA/|LIBDIR/|; s|\.gz$||" | LC_ALL=C sort
		}
		if [ -s "$out/deb-files-${debof[$p]}.txt" ]; then
			# directories rpm -qlp lists (%doc dirs, .build-id) are filtered above
			d=$(norm <"$out/deb-files-${debof[$p]}.txt")
			r=$(norm <"$out/rpm-files-$p.txt")
			[ "$d" = "$r" ] ||
				why+="differs from ${debof[$p]}.deb: $(diff <(echo "$d") <(echo "$r") | grep '^[<>]' | tr '\n' ' '); "
		fi
		if [ -z "$why" ]; then
			record $st PASS "rpm -qlp: $p holds what ${debof[$p]}.deb does" "${rwant[$p]//$RL/\$libdir}"
		else
			record $st FAIL "rpm -qlp: $p holds what ${debof[$p]}.deb does" "$why"
		fi
	done

	# The shared library's links and the .pc file as rpm installs them.
	rm -rf "$out/x-rpm-dev" && mkdir -p "$out/x-rpm-dev"
	(cd "$out/x-rpm-dev" && rpm2cpio "${urpm[liblguest-devel]}" | cpio -idm --quiet &&
		rpm2cpio "${urpm[liblguest]}" | cpio -idm --quiet)
	why=""
	pc=$out/x-rpm-dev$RL/pkgconfig/liblguest.pc
	grep -qx "libdir=$RL" "$pc" 2>/dev/null || why+="liblguest.pc's libdir is not $RL; "
	grep -qx "includedir=/usr/include" "$pc" 2>/dev/null || why+="liblguest.pc's includedir is not /usr/include; "
	grep -qx "Version: $V" "$pc" 2>/dev/null || why+="liblguest.pc's Version is not $V; "
	[ "$(readlink "$out/x-rpm-dev$RL/liblguest.so")" = liblguest.so.0 ] || why+="liblguest.so does not point at liblguest.so.0; "
	[ "$(readlink "$out/x-rpm-dev$RL/liblguest.so.0")" = "liblguest.so.$V" ] || why+="liblguest.so.0 does not point at liblguest.so.$V; "
	rpm -qp --provides "${urpm[liblguest]}" | grep -qx 'liblguest.so.0(LIBLGUEST_0)(64bit)' ||
		why+="liblguest does not provide liblguest.so.0(LIBLGUEST_0)(64bit); "
	req=$(rpm -qp --requires "${urpm[liblguest-devel]}")
	for r in "liblguest(x86-64) = $V-" "pkgconfig(libelf)" "pkgconfig(liburing)" "pkgconfig(libcap-ng)"; do
		grep -qF "$r" <<<"$req" || why+="liblguest-devel does not require $r; "
	done
	rpm -qp --recommends "${urpm[lguestctl]}" | grep -qx lguest-dkms || why+="lguestctl does not recommend lguest-dkms; "
	if [ -z "$why" ]; then
		record $st PASS "rpm: liblguest.pc and .so links point at $RL, -devel requires liblguest of its version, lguestctl recommends lguest-dkms"
	else
		record $st FAIL "rpm: liblguest.pc and .so links point at $RL, -devel requires liblguest of its version, lguestctl recommends lguest-dkms" "$why"
	fi

	# Scriptlets: liblguest runs ldconfig after install and removal,
	# unless this rpm's macros do that with a file trigger (Fedora's
	# %ldconfig_scriptlets, which is then empty); the others have none.
	why=""
	for p in "${RPM_PKGS[@]}"; do
		rpm -qp --scripts "${urpm[$p]}" >"$out/rpm-scripts-$p.txt" 2>&1
	done
	if [ -z "$(rpm --eval '%{?ldconfig_scriptlets:1}')" ]; then
		for tag in POSTINPROG POSTUNPROG; do
			[ "$(rpm -qp --qf "%{$tag}" "${urpm[liblguest]}")" = /sbin/ldconfig ] ||
				why+="liblguest's $tag is '$(rpm -qp --qf "%{$tag}" "${urpm[liblguest]}")'; "
		done
		ldc="%post and %postun run /sbin/ldconfig"
	else
		ldc="%ldconfig_scriptlets"
	fi
	for tag in PREIN PREUN; do
		[ "$(rpm -qp --qf "%{$tag}" "${urpm[liblguest]}")" = "(none)" ] || why+="liblguest has a $tag scriptlet; "
	done
	for p in liblguest-devel lguestctl; do
		[ -s "$out/rpm-scripts-$p.txt" ] && why+="$p has scriptlets: $(head -c 100 "$out/rpm-scripts-$p.txt" | tr '\n' ' '); "
	done
	if [ -z "$why" ]; then
		record $st PASS "rpm --scripts: liblguest's $ldc; liblguest-devel and lguestctl have none"
	else
		record $st FAIL "rpm --scripts: liblguest's $ldc; liblguest-devel and lguestctl have none" "$why"
	fi
fi

# lguest-guest-kernel's RPM: the .deb's two files in the same place, no
# scriptlets, Recommends lguestctl, and the .deb's kernel.  rpm's
# brp-strip runs "strip -g" on every ELF file it finds (this vmlinux
# included, whatever its mode), so the .deb's vmlinux, stripped the same
# way, must be the RPM's byte for byte.
if [ -n "$grpm" ]; then
	rpm -qlp "$grpm" >"$out/rpm-files-$GK.txt" 2>&1
	gwant="$GKDIR/vmlinux $GKDIR/vmlinux.config"
	why=$(holds_exactly "$out/rpm-files-$GK.txt" "$gwant" \
		"^/usr/share/doc/\|^/usr/share/licenses/\|^$GKDIR\$")
	rpm -qp --scripts "$grpm" >"$out/rpm-scripts-$GK.txt" 2>&1
	[ -s "$out/rpm-scripts-$GK.txt" ] && why+="has scriptlets: $(head -c 100 "$out/rpm-scripts-$GK.txt" | tr '\n' ' '); "
	rpm -qp --recommends "$grpm" | grep -qx lguestctl || why+="does not recommend lguestctl; "
	if [ -n "$gdeb" ]; then
		rm -rf "$out/x-gk-deb" "$out/x-gk-rpm" && mkdir -p "$out/x-gk-deb" "$out/x-gk-rpm"
		dpkg-deb -x "$gdeb" "$out/x-gk-deb"
		(cd "$out/x-gk-rpm" && rpm2cpio "$grpm" | cpio -idm --quiet)
		strip -g -o "$out/x-gk-deb/vmlinux.strip-g" "$out/x-gk-deb$GKDIR/vmlinux" &&
			cmp -s "$out/x-gk-deb/vmlinux.strip-g" "$out/x-gk-rpm$GKDIR/vmlinux" ||
			why+="its vmlinux is not the .deb's after strip -g; "
		cmp -s "$out/x-gk-deb$GKDIR/vmlinux.config" "$out/x-gk-rpm$GKDIR/vmlinux.config" ||
			why+="its vmlinux.config differs from the .deb's; "
	fi
	if [ -z "$why" ]; then
		record $st PASS "rpm: $GK holds the .deb's $gwant (vmlinux as rpm's strip -g leaves it), no scriptlets, recommends lguestctl"
	else
		record $st FAIL "rpm: $GK holds the .deb's $gwant (vmlinux as rpm's strip -g leaves it), no scriptlets, recommends lguestctl" "$why"
	fi
fi
