#!/bin/bash
# The Smallworld device scenarios: real daemons on four simulated radios (devices A and B, a phone, a
# second enrollee), driven by one long-lived Node process (lab/radio/device-lab.ts; `npm run build` first).
# Arguments: scenario names to run only those. Needs LAB_TIMEOUT of several minutes under emulation.
# shellcheck source=/dev/null
. "$LAB_DIR/lib/common.sh"

hwsim_load 4
# cfg80211 looked for regulatory.db before the root filesystem was there; hostapd's country_code
# waits for a regulatory update that only a loaded database can give.
iw reg reload || log "iw reg reload failed: hostapd may stay in COUNTRY_UPDATE"
cd "$LAB_REPO"
node dist/lab/radio/device-lab.js "$@"
