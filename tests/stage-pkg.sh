#!/bin/bash
# Packaging: the source tarball, the Debian and RPM packages, lintian, and
# lguest-dkms installed for real on this machine so that DKMS builds lg.ko
# for both reference host kernels, then purged.  The lg.ko DKMS built for
# $KVER_612 is kept in $BUILD/dkms/ for the vm stage, which boots it.
#
# This stage installs and removes a package on the build machine (it is
# root, like the rest of "make check"); an EXIT trap purges lguest-dkms
# if the stage stops half way.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$TOP" || exit 1
st=pkg
out=$BUILD/pkg
rm -rf "$out" "$BUILD/dkms"
mkdir -p "$out"
V=$(cat VERSION)
KVERS=("$KVER_61" "$KVER_612")
export DEBIAN_FRONTEND=noninteractive

pkg_installed() {
	[ "$(dpkg-query -W -f '${db:Status-Status}' lguest-dkms 2>/dev/null)" = installed ]
}
purge() {
	apt-get purge -y -o DPkg::Lock::Timeout=600 lguest-dkms >"$out/purge.txt" 2>&1
}
# A run that stopped half way must not leave lguest-dkms behind.
trap 'if pkg_installed; then echo "  (purging lguest-dkms left installed)"; purge; fi' EXIT
if dpkg-query -W lguest-dkms >/dev/null 2>&1; then
	echo "  note: purging an lguest-dkms left over from an earlier run"
	purge
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
		debian/control debian/rules rpm/lguest.spec tests/check.sh; do
		grep -qx "lguest-$V/$f" "$out/dist-files.txt" || why+="no $f; "
	done
	grep -q "^lguest-$V/build/" "$out/dist-files.txt" && why+="has build/; "
	grep -qv "^lguest-$V/" "$out/dist-files.txt" && why+="files outside lguest-$V/; "
	tar -xzOf "$tgz" "lguest-$V/rpm/lguest.spec" | grep -q "^Version: *$V$" ||
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
if make --no-print-directory deb >"$out/deb.txt" 2>&1 &&
	deb=$(ls "$BUILD"/deb/lguest-dkms_"$V"-*_all.deb 2>/dev/null | head -n1) && [ -n "$deb" ]; then
	record $st PASS "make deb: dpkg-buildpackage -us -uc -b builds lguest-dkms"
else
	deb=""
	record $st FAIL "make deb: dpkg-buildpackage -us -uc -b builds lguest-dkms" "see $out/deb.txt"
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
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/lguest-$V/dkms.conf" 2>/dev/null |
		grep -q "^PACKAGE_VERSION=\"$V\"$" || why+="dkms.conf's PACKAGE_VERSION is not $V; "
	if [ -z "$why" ]; then
		record $st PASS "lguest-dkms.deb holds the module sources, dkms.conf, udev rule, sysusers and modules-load files"
	else
		record $st FAIL "lguest-dkms.deb holds the module sources, dkms.conf, udev rule, sysusers and modules-load files" "$why"
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

# ---- RPM -----------------------------------------------------------------
rpmf=""
if make --no-print-directory rpm >"$out/rpm.txt" 2>&1 &&
	rpmf=$(ls "$BUILD"/rpm/RPMS/noarch/lguest-dkms-"$V"-*.noarch.rpm 2>/dev/null | head -n1) &&
	[ -n "$rpmf" ]; then
	record $st PASS "make rpm: rpmbuild -bb builds lguest-dkms from the tarball"
else
	rpmf=""
	record $st FAIL "make rpm: rpmbuild -bb builds lguest-dkms from the tarball" "see $out/rpm.txt"
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
	rpm2cpio "$rpmf" | cpio -i --quiet --to-stdout "./usr/src/lguest-$V/dkms.conf" 2>/dev/null |
		grep -q "^PACKAGE_VERSION=\"$V\"$" || why+="dkms.conf's PACKAGE_VERSION is not $V; "
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
