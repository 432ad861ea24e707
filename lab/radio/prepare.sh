#!/bin/bash
# Prepares everything the radio lab VM needs and caches it, so that a second call is a
# near no-op (CI calls it before every run; run.sh calls it too).
#
#   lab/radio/prepare.sh            # prints nothing on a warm cache
#   SMALLWORLD_LAB_CACHE=/path ...  # cache location (default /var/cache/smallworld-lab)
#   LAB_KERNEL_PKG=linux-image-6.1.0-56-amd64 ...   # pin a kernel package instead of the metapackage's
#
# Why a Debian kernel in qemu at all: the host kernel has no Wi-Fi stack, no mac80211_hwsim and no
# USB gadget support, and there is no KVM. Debian's stock kernel has all of them as modules and
# boots under TCG in a few seconds.
#
# Why the cache is not under /tmp: the guest mounts a fresh tmpfs on /tmp and /run, and it reads
# the kernel modules through the host's root filesystem, so they must live somewhere else.
#
# Needs (as root): apt-get, dpkg, depmod/modprobe (kmod), cpio, gzip, busybox-static, qemu-system-x86.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SMALLWORLD_LAB_CACHE:-/var/cache/smallworld-lab}
QUIET=${QUIET:-1}

say() { [ "$QUIET" = 1 ] || echo "prepare: $*" >&2; }
die() {
	echo "prepare: $*" >&2
	exit 1
}

for tool in apt-get apt-cache dpkg depmod modprobe cpio gzip xz od sha256sum qemu-system-x86_64; do
	command -v "$tool" >/dev/null || die "missing $tool (apt-get install qemu-system-x86 kmod cpio busybox-static)"
done
[ -x /bin/busybox ] || die "missing /bin/busybox (apt-get install busybox-static)"
# The initramfs has no shared libraries, so a dynamically linked busybox would not start there.
if ldd /bin/busybox 2>/dev/null | grep -q '=>'; then
	die "/bin/busybox is dynamically linked; install busybox-static"
fi

mkdir -p "$CACHE"
# Two CI jobs or a developer plus CI may prepare at once; the lock keeps them from unpacking over
# each other.
exec 9>"$CACHE/.lock"
flock -w 600 9 || die "timed out waiting for $CACHE/.lock"

# --- 1. The kernel package --------------------------------------------------------------------
pkg=${LAB_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	# Reuse whatever kernel is already unpacked instead of asking apt each time: apt's lists may be
	# missing or stale on a developer machine, and a warm cache should not need the network.
	if [ -f "$CACHE/kernel.env" ]; then
		pkg=$(sed -n 's/^LAB_KERNEL_PKG=//p' "$CACHE/kernel.env")
	fi
fi
if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
	if [ -z "$pkg" ]; then
		say "apt lists look empty; running apt-get update"
		apt-get update -qq >/dev/null
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
	fi
	[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 to a kernel package"
fi
kver=${pkg#linux-image-}
kroot="$CACHE/kernel/$kver"

if [ ! -f "$kroot/.ready" ]; then
	say "fetching $pkg"
	rm -rf "$kroot" "$CACHE/dl"
	mkdir -p "$CACHE/dl" "$kroot"
	# apt-get download runs as root here and warns that the _apt user cannot write the directory;
	# that warning is harmless.
	(cd "$CACHE/dl" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
		apt-get update -qq >/dev/null
		(cd "$CACHE/dl" && apt-get download -q "$pkg" >/dev/null 2>&1)
	} || die "apt-get download $pkg failed"
	# dpkg -x unpacks without installing: nothing on the host changes, no bootloader hooks run.
	dpkg -x "$CACHE"/dl/"$pkg"_*.deb "$kroot"
	rm -rf "$CACHE/dl"
	[ -f "$kroot/boot/vmlinuz-$kver" ] || die "no vmlinuz in $pkg"
	# The package ships no modules.dep (its postinst runs depmod), so make one for this tree.
	depmod -b "$kroot" "$kver"
	# Boot the uncompressed ELF image through its PVH entry point when the kernel has one: under
	# emulation, the bzImage's own xz decompressor and real-mode setup cost about 6 s per boot.
	vmlinuz="$kroot/boot/vmlinuz-$kver"
	if grep -q '^CONFIG_PVH=y' "$kroot/boot/config-$kver"; then
		offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
		if [ -n "$offset" ]; then
			# xz complains about the bytes after the stream; the image is complete regardless.
			tail -c +$((offset + 1)) "$vmlinuz" | xz -dc --single-stream >"$kroot/boot/vmlinux-$kver" 2>/dev/null || true
			if [ "$(head -c 4 "$kroot/boot/vmlinux-$kver" | od -An -c | tr -d ' ')" != '177ELF' ]; then
				rm -f "$kroot/boot/vmlinux-$kver"
			fi
		fi
	fi
	touch "$kroot/.ready"
	# Keep one kernel only; older ones are 400 MB each.
	for old in "$CACHE"/kernel/*; do
		[ "$old" = "$kroot" ] || rm -rf "$old"
	done
fi

# --- 2. The initramfs -------------------------------------------------------------------------
# It has to reach the host's root filesystem: the 9p and virtio modules, overlayfs, a random
# number source, and busybox ("early" modules). It also carries the Wi-Fi core and the crypto
# algorithms every scenario needs ("late" modules, inserted once the host root is mounted, because
# cfg80211 reads the regulatory database from the host's /lib/firmware as it loads): hostapd's key
# installation fails ("key addition failed", group state machine FATAL_FAILURE) when the
# AEAD/CMAC algorithms are missing, far from the cause, and insmod from RAM is quicker than the
# host's modprobe over 9p. Everything else (mac80211_hwsim, g_ether, veth, ...) is loaded later
# from the full module tree, by modprobe or by the kernel's autoloading.
early_mods="virtio_pci 9pnet_virtio 9p overlay virtio_rng"
late_mods="cfg80211 mac80211 ccm gcm cmac ctr seqiv ghash_generic"
inputs_hash=$(
	{
		echo "$kver $early_mods / $late_mods"
		# Contents only, not paths: another clone of the repository should reuse the same image.
		cat /bin/busybox "$LAB_DIR/guest/init" "$LAB_DIR/guest/modprobe-helper" "$LAB_DIR/prepare.sh"
	} | sha256sum | cut -c1-16
)
initrd="$CACHE/initramfs-$kver-$inputs_hash.cpio.gz"
if [ ! -f "$initrd" ]; then
	say "building $initrd"
	stage=$(mktemp -d "$CACHE/.stage.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,mnt/lower,mnt/rw,mnt/root,mnt/out,lab/modules}
	cp /bin/busybox "$stage/bin/busybox"
	for applet in $(/bin/busybox --list); do
		# The list names busybox itself; linking that would replace the binary with a loop.
		[ "$applet" = busybox ] || ln -sf busybox "$stage/bin/$applet"
	done
	# modprobe resolves the dependency order; the guest then only has to insmod each list in turn.
	deps() {
		for m in "$@"; do
			modprobe -d "$kroot" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
		done
	}
	# shellcheck disable=SC2086
	deps $early_mods | awk '!seen[$0]++' >"$stage/lab/early.list"
	# shellcheck disable=SC2086
	deps $late_mods | awk '!seen[$0]++' | grep -vxF -f "$stage/lab/early.list" >"$stage/lab/late.list" || true
	for phase in early late; do
		while read -r ko; do
			cp "$ko" "$stage/lab/modules/"
			basename "$ko"
		done <"$stage/lab/$phase.list" >"$stage/lab/modules/$phase"
		rm "$stage/lab/$phase.list"
	done
	# The kernel resolves firmware paths (regulatory.db) and usermode helpers against the
	# initramfs, not against the root that init later chroots into. These links make the host's
	# firmware, including Debian's absolute alternatives symlinks, resolve from there too.
	mkdir -p "$stage/etc" "$stage/lib"
	ln -s /mnt/root/lib/firmware "$stage/lib/firmware"
	ln -s /mnt/root/etc/alternatives "$stage/etc/alternatives"
	install -m 0755 "$LAB_DIR/guest/init" "$stage/init"
	install -m 0755 "$LAB_DIR/guest/modprobe-helper" "$stage/lab/modprobe-helper"
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -1 >"$initrd.part"
	mv "$initrd.part" "$initrd"
	rm -rf "$stage"
	trap - EXIT
	for old in "$CACHE"/initramfs-*.cpio.gz; do
		[ "$old" = "$initrd" ] || rm -f "$old"
	done
fi

# --- 3. What run.sh needs to know -------------------------------------------------------------
kernel="$kroot/boot/vmlinuz-$kver"
[ ! -f "$kroot/boot/vmlinux-$kver" ] || kernel="$kroot/boot/vmlinux-$kver"
cat >"$CACHE/kernel.env.part" <<EOF
LAB_KERNEL_PKG=$pkg
LAB_KVER=$kver
LAB_KERNEL=$kernel
LAB_INITRD=$initrd
LAB_MODROOT=$kroot
EOF
mv "$CACHE/kernel.env.part" "$CACHE/kernel.env"
say "ready: $pkg in $CACHE"
