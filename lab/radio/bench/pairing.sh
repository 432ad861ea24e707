#!/bin/bash
# Benchmark (not a test): second press to authorised WPA2 association, one press on both devices (auto
# role) beside the two-button flow (AP press, then WPS on both), in the same VM run.
# Run through lab/radio/bench-pairing.sh.
# lab-timeout: 2400
# shellcheck source=/dev/null
. "$LAB_DIR/lib/common.sh"

hwsim_load 2
cd "$LAB_REPO"
node dist/lab/radio/pairing-lab.js --bench "${PAIRING_BENCH_RUNS:-10}"
