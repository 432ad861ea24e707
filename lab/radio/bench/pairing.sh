#!/bin/bash
# Benchmark (not a test): second press to authorised WPA2 association, one press on both devices (auto
# role) beside the two-button flow (AP press, LED on, then WPS on both), alternating in the same VM run.
# Run through lab/radio/bench-pairing.sh. PAIRING_BENCH_RUNS rounds (default 6), and no new round after
# PAIRING_BENCH_BUDGET_S seconds (default 900); the VM's limit below covers boot, daemons and the budget.
# lab-timeout: 1500
# shellcheck source=/dev/null
. "$LAB_DIR/lib/common.sh"

hwsim_load 2
cd "$LAB_REPO"
node dist/lab/radio/pairing-lab.js --bench "${PAIRING_BENCH_RUNS:-6}"
