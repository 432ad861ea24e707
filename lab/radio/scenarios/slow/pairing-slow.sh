#!/bin/bash
# The slow pairing scenarios: pressed 60 s apart, and pressed alone (the 120 s walk time ends and the
# device goes back to client mode). Run with LAB_SLOW=1 lab/radio/test.sh.
# lab-timeout: 600
# shellcheck source=/dev/null
. "$LAB_DIR/lib/common.sh"

hwsim_load 3
cd "$LAB_REPO"
node dist/lab/radio/pairing-lab.js pairing-apart-60s pairing-pressed-alone
