#!/usr/bin/env bash
# `npm run test:fresh`: the README's two commands on a fresh machine. Builds a minimal Debian 13 root file
# system (only Node.js, npm, git, python3 and iproute2 on top of Debian's base, by mmdebstrap from Debian's
# packages), clones this checkout into it, and runs there, as root:
#   1. npm ci && npm start   until the page answers (in a network namespace of its own, so the fixed port
#                            8300 cannot meet another npm start on this host), then stops it;
#   2. npm test              which must install its own prerequisites and pass with zero failures.
# Everything runs in a mount and PID namespace of its own: the mounts it needs (/proc, /sys, /dev, /run)
# and every process it started vanish with it, whatever happened. Then the root file system is removed.
#
#   lab/fresh/run.sh [--keep] [--rebuild-base]
#
# The base root file system is cached as a tarball (SMALLWORLD_FRESH_CACHE, default /var/cache/smallworld-fresh),
# keyed by its package list; --rebuild-base builds it again. Nothing of Smallworld's is in it: every run starts
# from that tarball. SMALLWORLD_FRESH_BUDGET (seconds, default 2700) bounds the whole run.
# Needs root and mmdebstrap (apt-get install -y mmdebstrap), and Debian's mirror and the npm registry.
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB/../.." && pwd)
BUDGET=${SMALLWORLD_FRESH_BUDGET:-2700}
CACHE=${SMALLWORLD_FRESH_CACHE:-/var/cache/smallworld-fresh}
MIRROR=${SMALLWORLD_FRESH_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie
PACKAGES=nodejs,npm,git,python3,iproute2

usage() {
	cat <<-EOF
		usage: lab/fresh/run.sh [--keep] [--rebuild-base]

		Runs the README's two commands (npm ci && npm start, then npm test) as root in a fresh Debian 13
		root file system with only $PACKAGES added, and says whether both held.

		  --keep          keep the root file system and its log afterwards (path printed at the end)
		  --rebuild-base  build the cached base root file system again with mmdebstrap
		  --help          this text

		Environment: SMALLWORLD_FRESH_BUDGET (seconds, default 2700), SMALLWORLD_FRESH_CACHE
		(default /var/cache/smallworld-fresh), SMALLWORLD_FRESH_MIRROR (default http://deb.debian.org/debian).
		Needs root and mmdebstrap (apt-get install -y mmdebstrap).
	EOF
}

keep=0 rebuild=0
for arg in "$@"; do
	case $arg in
	--keep) keep=1 ;;
	--rebuild-base) rebuild=1 ;;
	--help | -h)
		usage
		exit 0
		;;
	*)
		echo "lab/fresh/run.sh: unknown argument: $arg" >&2
		usage >&2
		exit 2
		;;
	esac
done

die() {
	echo "fresh: $*" >&2
	echo "fresh machine: 0 passed, 1 failed"
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (chroot, mounts, namespaces): sudo npm run test:fresh"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing; install it with: apt-get install -y mmdebstrap"
for tool in unshare chroot git tar timeout flock; do
	command -v "$tool" >/dev/null || die "missing $tool"
done

t0=$SECONDS
say() { printf '[fresh %4ds] %s\n' $((SECONDS - t0)) "$*"; }

# ---- the base root file system (cached tarball) -----------------------------------------------------------
mkdir -p "$CACHE"
key=$(printf '%s %s %s variant=apt' "$SUITE" "$PACKAGES" "$MIRROR" | sha256sum | cut -c1-12)
BASE="$CACHE/$SUITE-$key.tar"
exec 9>"$CACHE/.lock"
flock 9
if [ "$rebuild" = 1 ] || [ ! -s "$BASE" ]; then
	say "building the base: mmdebstrap --variant=apt --include=$PACKAGES $SUITE"
	if ! timeout 1200 mmdebstrap --quiet --variant=apt --include="$PACKAGES" "$SUITE" "$BASE.part" "$MIRROR" \
		>"$CACHE/mmdebstrap.log" 2>&1; then
		tail -n 30 "$CACHE/mmdebstrap.log" >&2
		rm -f "$BASE.part"
		die "mmdebstrap failed (log: $CACHE/mmdebstrap.log)"
	fi
	mv "$BASE.part" "$BASE"
	say "base built ($(du -m "$BASE" | cut -f1) MB)"
else
	say "base: $BASE (cached; --rebuild-base to build it again)"
fi
flock -u 9

# ---- a fresh copy, with this checkout cloned into it ------------------------------------------------------
WORK=$(mktemp -d /var/tmp/smallworld-fresh.XXXXXX)
ROOT="$WORK/root"
LOG="$WORK/run.log"
inside_pid=
cleanup() {
	local rc=$?
	if [ -n "$inside_pid" ] && kill -0 "$inside_pid" 2>/dev/null; then
		kill -TERM "$inside_pid" 2>/dev/null || true
		sleep 2
		kill -KILL "$inside_pid" 2>/dev/null || true
		wait "$inside_pid" 2>/dev/null || true
	fi
	# The mounts live in the run's own mount namespace and went with it; never delete through one that did not.
	if grep -qF " $WORK/" /proc/self/mountinfo; then
		echo "fresh: mounts remain under $WORK; not removing it" >&2
	elif [ "$keep" = 1 ]; then
		echo "fresh: kept $WORK (log: $LOG)"
	else
		[ "$rc" = 0 ] || cp "$LOG" /var/tmp/smallworld-fresh-last.log 2>/dev/null || true
		rm -rf --one-file-system "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$ROOT"
tar -xf "$BASE" -C "$ROOT"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# This host's own network trust (a proxy's CA, say) is the network's, not a prerequisite of Smallworld's: it
# goes along, as it would on any machine on this network.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
	cp "$NODE_EXTRA_CA_CERTS" "$ROOT/etc/ssl/host-extra-ca.pem"
	export FRESH_EXTRA_CA=/etc/ssl/host-extra-ca.pem
fi
git clone --quiet "$REPO" "$ROOT/root/smallworld"
say "cloned $(git -C "$ROOT/root/smallworld" rev-parse --short HEAD) into a fresh $SUITE ($(chroot "$ROOT" node --version), npm $(chroot "$ROOT" npm --version 2>/dev/null))"

# ---- the README's commands, in namespaces of their own -----------------------------------------------------
left=$((BUDGET - (SECONDS - t0)))
[ "$left" -gt 60 ] || die "no time left in the budget ($BUDGET s)"
set +e
timeout --kill-after=20 "$left" unshare --mount --pid --fork --kill-child --propagation private \
	"$LAB/inside.sh" "$ROOT" >"$LOG" 2>&1 &
inside_pid=$!
# Stage lines as they come (polled: no inotify needed); the full output stays in the log.
progress() { sed -n "$(($1 + 1)),${2}p" "$LOG" | grep -aE '^\[guest|^(ℹ|#) (tests|pass|fail) ' || true; }
shown=0
while kill -0 "$inside_pid" 2>/dev/null; do
	sleep 5
	lines=$(wc -l <"$LOG")
	[ "$lines" -le "$shown" ] || progress "$shown" "$lines"
	shown=$lines
done
wait "$inside_pid"
rc=$?
inside_pid=
progress "$shown" '$'
set -e

if [ "$rc" = 0 ]; then
	say "the README's two commands held on a fresh $SUITE (log kept only with --keep)"
	echo "fresh machine: 1 passed, 0 failed"
else
	[ "$rc" != 124 ] || say "stopped at the budget ($BUDGET s)"
	echo "---- last lines of the run (full log: /var/tmp/smallworld-fresh-last.log) ----"
	tail -n 60 "$LOG"
	say "FAILED (exit $rc)"
	echo "fresh machine: 0 passed, 1 failed"
	exit 1
fi
