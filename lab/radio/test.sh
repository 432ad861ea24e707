#!/bin/bash
# Runs the radio lab scenarios, one VM boot each, and prints one line per scenario:
#   PASS wps-smoke (62s)
#   FAIL wps-events (80s)      <- followed by that run's output (guest console, logs' location)
# and a closing "N passed, N failed" line; exits non-zero if any failed.
#
#   lab/radio/test.sh                  # every lab/radio/scenarios/*.sh
#   lab/radio/test.sh wps-smoke        # only the named ones
#   LAB_SLOW=1 lab/radio/test.sh       # also lab/radio/scenarios/slow/*.sh (minutes each)
#   VERBOSE=1 lab/radio/test.sh        # stream every guest console
#
# Needs root and the packages .ci/run installs: qemu-system-x86 busybox-static cpio kmod
# hostapd wpasupplicant dnsmasq iw iproute2 (and apt access the first time, for the kernel).
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for arg in "$@"; do
	case $arg in
	--help | -h)
		echo "usage: lab/radio/test.sh [SCENARIO...]   (npm run test:radio; needs root)"
		sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	-*)
		echo "test.sh: unknown flag: $arg" >&2
		echo "usage: lab/radio/test.sh [SCENARIO...]   (--help for more)" >&2
		exit 2
		;;
	esac
done

# Once up front, so a missing package or kernel shows as one clear failure, not one per scenario.
if ! "$LAB_DIR/prepare.sh"; then
	echo "FAIL prepare"
	echo "0 passed, 1 failed"
	exit 1
fi

scenarios=("$LAB_DIR"/scenarios/*.sh)
[ "${LAB_SLOW:-0}" != 1 ] || scenarios+=("$LAB_DIR"/scenarios/slow/*.sh)
if [ $# -gt 0 ]; then
	wanted=()
	for name in "$@"; do
		found=
		for s in "${scenarios[@]}" "$LAB_DIR"/scenarios/slow/*.sh; do
			if [ "$(basename "$s" .sh)" = "$name" ]; then
				wanted+=("$s")
				found=1
				break
			fi
		done
		[ -n "$found" ] || {
			echo "test.sh: no scenario named $name" >&2
			exit 2
		}
	done
	scenarios=("${wanted[@]}")
fi

passed=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for s in "${scenarios[@]}"; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	start=$SECONDS
	if [ "${VERBOSE:-0}" = 1 ]; then
		"$LAB_DIR/run.sh" "$s" 2>&1 | tee "$out"
		rc=${PIPESTATUS[0]}
	else
		"$LAB_DIR/run.sh" "$s" >"$out" 2>&1
		rc=$?
	fi
	# A scenario file may hold several scenarios (smallworld.sh does): show each one's line.
	[ "${VERBOSE:-0}" = 1 ] || grep -E '^(PASS|FAIL) ' "$out" | awk '!seen[$0]++' | sed 's/^/    /' || true
	if [ "$rc" = 0 ]; then
		echo "PASS $name ($((SECONDS - start))s)"
		passed=$((passed + 1))
	else
		echo "FAIL $name ($((SECONDS - start))s)"
		[ "${VERBOSE:-0}" = 1 ] || sed 's/^/    /' "$out"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
