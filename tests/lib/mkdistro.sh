#!/bin/bash
# mkdistro.sh: a Debian 12 root as a user brings one, for t_userland's
# "distro" part: systemd as PID 1, a container engine, a compiler,
# python3 and fio, made with mmdebstrap from the archive and written to
# an ext4 image.  Prints the image's path.
#
#   minbase + systemd-sysv dbus udev   the init and what it needs to reach
#                                      multi-user.target
#   podman netavark iptables           a container engine, its bridge
#                                      network and the NAT rules it sets up
#   gcc libc6-dev python3 fio          real work
#   iproute2 procps util-linux         the checks' own tools
#   /root/container.tar                a container image's root: Debian's
#                                      static busybox, imported locally
#                                      (podman import), no registry
#   /usr/local/sbin/lgtest-distro      the checks (tests/guests/distro/),
#   lgtest.service                     started once multi-user.target is
#                                      reached; it powers the guest off
#
# The image is cached in $CACHE/distro/<key>/, keyed by this script, the
# files it copies in and the archive's candidate version of each named
# package; a new key makes a new image (about a minute) and the older ones
# are removed.  The .debs it was made of are kept in $CACHE/distro-debs/
# (mmdebstrap's sync-in and sync-out hooks), so a new image downloads only
# what changed in the archive (about 200 MB the first time).
set -euo pipefail
. "$(dirname "$0")/common.sh"
log() { echo "mkdistro: $*" >&2; }

G=$TOP/tests/guests/distro
pkgs=(systemd-sysv dbus udev iproute2 util-linux procps podman netavark iptables
	gcc libc6-dev python3 fio busybox-static)
inc=$(IFS=,; echo "${pkgs[*]}")

mirror=$(debian_mirror)

key=$( { cat "$0" "$G"/*; for p in "${pkgs[@]}"; do
	echo "$p $(apt-cache policy "$p" | sed -n 's/ *Candidate: //p')"; done; } |
	sha256sum | cut -c1-16)
dir=$CACHE/distro/$key
img=$dir/debian.img
if [ -s "$img" ]; then
	echo "$img"
	exit 0
fi

log "making a Debian 12 root with mmdebstrap (key $key)"
rm -rf "$CACHE/distro"
mkdir -p "$dir"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root

debs=$CACHE/distro-debs
mkdir -p "$debs"
rm -rf "$debs.new" && mkdir -p "$debs.new"
# The hooks run on the build machine with the new root as $1.
# shellcheck disable=SC2016 # $1 is the hook's
mmdebstrap --quiet --variant=minbase --include="$inc" --skip=essential/unlink \
	--setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
	--setup-hook="sync-in $debs /var/cache/apt/archives/" \
	--customize-hook="install -m 755 $G/lgtest-distro \"\$1/usr/local/sbin/lgtest-distro\"" \
	--customize-hook="install -m 644 $G/lgtest.service \"\$1/etc/systemd/system/lgtest.service\"" \
	--customize-hook='chroot "$1" systemctl enable lgtest.service' \
	--customize-hook='chroot "$1" systemctl mask serial-getty@hvc0.service getty@tty1.service' \
	--customize-hook='echo lguest-distro >"$1/etc/hostname"' \
	--customize-hook='echo "/dev/vda / ext4 rw,relatime 0 1" >"$1/etc/fstab"' \
	--customize-hook='mkdir -p "$1/etc/containers" && printf "[network]\nnetwork_backend = \"netavark\"\n" >"$1/etc/containers/containers.conf"' \
	--customize-hook='c=$(mktemp -d) && mkdir -p "$c/bin" && cp "$1/bin/busybox" "$c/bin/" &&
		for a in sh ls cat ip ping readlink sleep true echo; do ln -s busybox "$c/bin/$a"; done &&
		tar -C "$c" -cf "$1/root/container.tar" . && rm -rf "$c"' \
	--customize-hook="sync-out /var/cache/apt/archives $debs.new" \
	bookworm "$root" "$mirror" >&2
# Only the .debs of this image stay.
rm -rf "$debs" && mv "$debs.new" "$debs"

# Room for the checks: podman's storage, gcc's output, fio's job files.
kib=$(du -sk "$root" | cut -f1)
size=$(( (kib + 400 * 1024) / 1024 ))M
truncate -s "$size" "$img.tmp"
mke2fs -q -t ext4 -d "$root" "$img.tmp" "$size"
mv "$img.tmp" "$img"
log "$img: $size, ${#pkgs[@]} packages named, $(chroot "$root" dpkg-query -W | wc -l) installed"
echo "$img"
