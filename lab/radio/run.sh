#!/bin/bash
# Boots the radio lab VM once, runs one scenario script inside it and exits with its exit code.
#
#   lab/radio/run.sh lab/radio/scenarios/wps-smoke.sh [args...]
#   VERBOSE=1 ...         stream the guest console (kernel + scenario output) while it runs
#   LAB_TIMEOUT=150 ...   hard limit in seconds for the whole VM, boot included (default: the
#                         scenario's "# lab-timeout: N" line, else 150)
#
# Inside the guest the scenario runs as root under bash, with the host's root filesystem as its
# root (writes go to a throwaway tmpfs overlay), fresh /tmp and /run, the repository as its
# working directory and these variables:
#   LAB_OUT      writable directory shared with the host (same path on both sides): put results,
#                logs and timings here; it is all the host gets back
#   LAB_REPO     the repository root;  LAB_DIR  lab/radio
#   LAB_MODROOT  the unpacked kernel package; `modprobe` works without -d (the tree is bound on
#                /lib/modules), but `modprobe -d "$LAB_MODROOT"` also works on a read-only root
# Conventions a scenario may follow: lines in $LAB_OUT/timings ("step seconds") are printed on
# success; a file $LAB_OUT/summary is printed always.
#
# Exit codes: the scenario's own; 124 when the guest or the host ran out of time; 125 when the VM
# never got as far as reporting an exit code (boot or harness failure).
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${SMALLWORLD_LAB_CACHE:-/var/cache/smallworld-lab}
VERBOSE=${VERBOSE:-0}
KEEP_RUNS=${LAB_KEEP_RUNS:-20}

if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
	echo "usage: $0 SCENARIO_SCRIPT [args...]   (one radio lab scenario in its own VM boot; needs root)"
	echo "lab/radio/test.sh runs them all. VERBOSE=1 streams the guest console."
	exit 0
fi
if [ $# -lt 1 ] || [[ $1 == -* ]]; then
	if [ $# -lt 1 ]; then echo "run.sh: a scenario script is needed" >&2; else echo "run.sh: unknown argument: $1" >&2; fi
	echo "usage: $0 SCENARIO_SCRIPT [args...]" >&2
	exit 2
fi
scenario=$(realpath "$1")
shift
[ -f "$scenario" ] || {
	echo "run.sh: no such scenario: $scenario" >&2
	exit 2
}
# A scenario may ask for a longer limit with a "# lab-timeout: SECONDS" line near its top.
TIMEOUT=${LAB_TIMEOUT:-$(sed -n '1,20s/^# lab-timeout: *\([0-9][0-9]*\).*/\1/p' "$scenario" | head -n1)}
TIMEOUT=${TIMEOUT:-150}
[ "$(id -u)" = 0 ] || {
	echo "run.sh: must run as root (qemu shares / with the guest as root)" >&2
	exit 2
}

"$LAB_DIR/prepare.sh"
# shellcheck source=/dev/null
. "$CACHE/kernel.env"

name=$(basename "$scenario" .sh)
mkdir -p "$CACHE/runs"
OUT=$(mktemp -d "$CACHE/runs/$(date +%Y%m%d-%H%M%S)-$name.XXXXXX")
chmod 0755 "$OUT"
# The kernel command line splits on spaces and qemu's option parser on commas.
case "$OUT$LAB_MODROOT" in
*[[:space:],]*)
	echo "run.sh: cache path must not contain spaces or commas: $CACHE" >&2
	exit 2
	;;
esac

{
	echo "# Written by lab/radio/run.sh; the guest's init runs it inside the VM."
	printf 'export LAB_OUT=%q LAB_REPO=%q LAB_DIR=%q LAB_MODROOT=%q LAB_KVER=%q\n' \
		"$OUT" "$REPO" "$LAB_DIR" "$LAB_MODROOT" "$LAB_KVER"
	# Knobs a scenario reads (the guest starts from a clean environment).
	for knob in PAIRING_TRIALS PAIRING_BENCH_RUNS PAIRING_BENCH_BUDGET_S; do
		[ -z "${!knob:-}" ] || printf 'export %s=%q\n' "$knob" "${!knob}"
	done
	printf 'cd %q || exit 125\n' "$REPO"
	printf 'exec /bin/bash %q' "$scenario"
	[ $# -eq 0 ] || printf ' %q' "$@"
	echo
} >"$OUT/job.sh"

# The guest stops its own job a little before the hard limit, so it can still say what hung.
guest_timeout=$((TIMEOUT > 40 ? TIMEOUT - 20 : TIMEOUT))

# No network device at all (-nodefaults, -nic none): the guest's traffic stays on its simulated
# radios and its own namespaces. -nodefaults also drops the default serial/monitor on stdio, so
# -nographic here only means "no window"; the console goes to a file that we print on failure.
qemu_args=(
	-accel tcg -cpu max -m 1024 -smp 2
	-nodefaults -no-user-config -nographic -no-reboot -nic none
	-serial "file:$OUT/console.log"
	-kernel "$LAB_KERNEL" -initrd "$LAB_INITRD"
	-append "console=ttyS0 loglevel=${LAB_LOGLEVEL:-5} panic=-1 mitigations=off lab.out=$OUT lab.modroot=$LAB_MODROOT lab.timeout=$guest_timeout"
	# hostapd and wpa_supplicant read random numbers at start; without a hardware RNG an emulated
	# guest can take a while to seed its pool.
	-device virtio-rng-pci
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=labout,path=$OUT,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=labout,mount_tag=labout
)

started=$(date +%s.%N)
qemu-system-x86_64 "${qemu_args[@]}" </dev/null >"$OUT/qemu.log" 2>&1 &
qpid=$!
tpid=
cleanup() {
	kill -KILL "$qpid" 2>/dev/null || true
	[ -z "$tpid" ] || kill "$tpid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$VERBOSE" = 1 ]; then
	: >>"$OUT/console.log"
	tail -n +1 -F --pid="$qpid" "$OUT/console.log" 2>/dev/null &
	tpid=$!
fi

timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
	if awk -v s="$started" -v n="$(date +%s.%N)" -v t="$TIMEOUT" 'BEGIN { exit !(n - s >= t) }'; then
		timed_out=1
		kill -TERM "$qpid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$qpid" 2>/dev/null || true
		break
	fi
	sleep 0.2
done
qemu_rc=0
wait "$qpid" 2>/dev/null || qemu_rc=$?
[ -z "$tpid" ] || {
	wait "$tpid" 2>/dev/null || true
	tpid=
}
ended=$(date +%s.%N)

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
total=$(secs "$started" "$ended")
boot=?
[ -f "$OUT/booted" ] && boot=$(secs "$started" "$(date -r "$OUT/booted" +%s.%N)")

if [ -f "$OUT/rc" ]; then
	rc=$(cat "$OUT/rc")
elif [ "$timed_out" = 1 ]; then
	rc=124
else
	rc=125
fi

if [ "$rc" != 0 ] || [ "$VERBOSE" = 1 ]; then
	if [ "$VERBOSE" != 1 ]; then
		echo "----- guest console ($OUT/console.log) -----"
		cat "$OUT/console.log" 2>/dev/null || true
		echo "----- end of guest console -----"
		[ ! -s "$OUT/qemu.log" ] || {
			echo "----- qemu ($qemu_rc) -----"
			cat "$OUT/qemu.log"
		}
	fi
	[ "$timed_out" = 0 ] || echo "run.sh: killed the VM after ${TIMEOUT}s"
fi
[ ! -s "$OUT/summary" ] || cat "$OUT/summary"
if [ "$rc" = 0 ] && [ -s "$OUT/timings" ]; then
	sed 's/^/  time: /' "$OUT/timings"
fi
echo "run.sh: $name exit=$rc boot=${boot}s total=${total}s results=$OUT"

# Keep the newest runs for inspection; each is only logs.
ls -1dt "$CACHE"/runs/*/ 2>/dev/null | tail -n +$((KEEP_RUNS + 1)) | xargs -r rm -rf
exit "$rc"
