#!/bin/bash
# One-press pairing benchmark in the radio lab (root; `npm run build` first):
#   sudo lab/radio/bench-pairing.sh            # 10 pairings each way
#   sudo PAIRING_BENCH_RUNS=20 lab/radio/bench-pairing.sh
# Prints the "BENCH" lines (median and 90th percentile, second press to authorised association, for
# simultaneous presses and for the two-button flow) and leaves figures.json in the run directory.
set -euo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PAIRING_BENCH_RUNS=${PAIRING_BENCH_RUNS:-10}
VERBOSE=${VERBOSE:-0} "$LAB_DIR/run.sh" "$LAB_DIR/bench/pairing.sh" | grep -E '^(BENCH|\[|FAIL|lab error)' || true
