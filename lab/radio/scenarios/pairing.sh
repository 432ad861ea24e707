#!/bin/bash
# One-press pairing (auto role) and the AP LED's truth: real Smallworld daemons on three simulated
# radios (devices A, B, C; one radio each), driven by one long-lived Node process
# (lab/radio/pairing-lab.ts; `npm run build` first). Arguments: scenario names to run only those.
# PAIRING_TRIALS (default 20) sets the simultaneous-press trials.
# lab-timeout: 1800
# shellcheck source=/dev/null
. "$LAB_DIR/lib/common.sh"

hwsim_load 3
cd "$LAB_REPO"
PAIRING_TRIALS=${PAIRING_TRIALS:-20} node dist/lab/radio/pairing-lab.js "$@"
