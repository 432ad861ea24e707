#!/usr/bin/env bash
# Started by lab/fresh/run.sh as PID 1 of a new PID namespace, in a private mount namespace: mounts what a
# machine has (/proc for this namespace, /sys, /dev, /run, /tmp) into the root file system given, then runs
# the guest's steps chrooted there. When this process ends, the kernel kills everything left in the
# namespace and drops its mounts.
set -euo pipefail
ROOT=$1
[ -d "$ROOT/root/smallworld" ] || {
	echo "inside.sh: no checkout under $ROOT" >&2
	exit 1
}

# The root is a mount point, as on a machine: `ip netns exec` remounts / (mount --make-rslave /).
mount --bind "$ROOT" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
# A booted machine has its cgroup file systems mounted (systemd does it); the memory-limit tests need them.
mount --rbind /sys/fs/cgroup "$ROOT/sys/fs/cgroup"
mount --make-rslave "$ROOT/sys/fs/cgroup"
mount --rbind /dev "$ROOT/dev"
mount --make-rslave "$ROOT/dev"
mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"

exec chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	LANG=C.UTF-8 TERM=dumb CI="${CI:-}" ${FRESH_EXTRA_CA:+NODE_EXTRA_CA_CERTS=$FRESH_EXTRA_CA} /bin/bash /root/smallworld/lab/fresh/guest.sh
