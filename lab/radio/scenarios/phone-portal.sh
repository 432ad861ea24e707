#!/bin/bash
# A phone needs nothing installed (issue #15), on real radios: the device's hostapd and dnsmasq with the
# configuration Smallworld generates, its port 80 rules, and a simulated Smallworld device serving the web
# page on the AP address; a phone (wpa_supplicant, busybox udhcpc and nslookup, Node's HTTP client) joins by
# passphrase, gets a lease with no default route, resolves the OS probe names to the AP address, gets each
# probe redirected to the Shared page, and fetches that page and the photo posted on the device.
# One VM boot, one long-lived Node process (lab/radio/phone-portal.ts; `npm run build` first).
# lab-timeout: 420
# shellcheck source=/dev/null
. "$LAB_DIR/lib/common.sh"

hwsim_load 2
cd "$LAB_REPO"
node dist/lab/radio/phone-portal.js
