#!/bin/bash
# The Smallworld device scenarios: real daemons on four simulated radios (devices A and B, a phone, a
# second enrollee), driven by one long-lived Node process (lab/radio/device-lab.ts; `npm run build` first).
# Arguments: scenario names to run only those.
# lab-timeout: 900
# shellcheck source=/dev/null
. "$LAB_DIR/lib/common.sh"

hwsim_load 4
cd "$LAB_REPO"
node dist/lab/radio/device-lab.js "$@"
