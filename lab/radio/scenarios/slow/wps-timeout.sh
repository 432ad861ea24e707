#!/bin/bash
# lab-timeout: 220
# Records what both daemons say when nobody answers a button press: the push-button walk time
# is a fixed 120 s in hostapd and wpa_supplicant, so this takes over two minutes and is not part
# of the default run (lab/radio/test.sh runs it with LAB_SLOW=1).
#   registrar: hostapd_cli wps_pbc with no enrollee
#   enrollee:  wpa_cli wps_pbc <BSSID that does not exist>, so it cannot pair with our AP either
. "$LAB_DIR/lib/common.sh"

hwsim_load 2
radio_to_ns wlan0 ap
radio_to_ns wlan1 sta
start_hostapd hostapd ap wlan0
monitor ap "$LAB_RUN/hostapd/wlan0"
start_wpas sta sta wlan1
monitor sta "$LAB_RUN/sta/wlan1"

mark
t=$(now)
[ "$(hapd hostapd wlan0 wps_pbc)" = OK ] || fail "hostapd_cli wps_pbc was refused"
[ "$(wpas sta wlan1 wps_pbc 02:00:00:00:77:00)" = OK ] || fail "wpa_cli wps_pbc was refused"
wait_event 150 ap '^<3>WPS-TIMEOUT' >/dev/null
record registrar_walk_time "$t"
wait_event 30 sta '^<3>WPS-TIMEOUT' >/dev/null
record enrollee_walk_time "$t"
echo "hostapd_cli wps_get_status (after timeout) -> $(hapd hostapd wlan0 wps_get_status | tr '\n' ' ')" >>"$LAB_OUT/replies.log"
events_collect
echo "wps-timeout: both sides timed out after the walk time" >"$LAB_OUT/summary"
log PASS
