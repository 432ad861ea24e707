#!/bin/bash
# One-press pairing benchmark in the radio lab (root; `npm run build` first):
#   sudo lab/radio/bench-pairing.sh                                   # 6 rounds, at most ~15 min of pairing
#   sudo PAIRING_BENCH_RUNS=20 PAIRING_BENCH_BUDGET_S=3000 LAB_TIMEOUT=3600 lab/radio/bench-pairing.sh
# A round is one one-press pairing (both press WPS within 100 ms, order alternating) and one two-button
# pairing (AP press, its LED on, then WPS on both). Prints the "BENCH" lines (median and 90th percentile,
# second press to authorised association, both ways) and leaves figures.json in the run directory.
set -euo pipefail
usage() {
	cat <<-EOF
		usage: lab/radio/bench-pairing.sh   (root; npm run build first)

		One-press against two-button pairing on real hostapd and wpa_supplicant in the radio lab's VM; prints
		the BENCH lines (median and 90th percentile, second press to authorised association).
		Environment: PAIRING_BENCH_RUNS (rounds, default 6), PAIRING_BENCH_BUDGET_S (default 900),
		LAB_TIMEOUT (the VM's bound, seconds), VERBOSE=1 (the lab's whole output).
	EOF
}
case "${1:-}" in
'') ;;
-h | --help)
	usage
	exit 0
	;;
*)
	echo "bench-pairing.sh: unknown argument: $1" >&2
	usage >&2
	exit 2
	;;
esac
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PAIRING_BENCH_RUNS=${PAIRING_BENCH_RUNS:-6}
export PAIRING_BENCH_BUDGET_S=${PAIRING_BENCH_BUDGET_S:-900}
set +e
VERBOSE=${VERBOSE:-0} "$LAB_DIR/run.sh" "$LAB_DIR/bench/pairing.sh" >"${TMPDIR:-/tmp}/bench-pairing.$$.log" 2>&1
rc=$?
set -e
grep -E '^(BENCH|\[[0-9.]+s\] (one-press|two-button|bench)|FAIL|PASS|lab error|run\.sh:)' "${TMPDIR:-/tmp}/bench-pairing.$$.log" || true
[ "$rc" = 0 ] || echo "bench-pairing: the lab run failed (exit $rc); its output: ${TMPDIR:-/tmp}/bench-pairing.$$.log"
[ "$rc" != 0 ] || rm -f "${TMPDIR:-/tmp}/bench-pairing.$$.log"
exit "$rc"
