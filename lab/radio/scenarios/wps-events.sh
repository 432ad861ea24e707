#!/bin/bash
# Pins down the control-socket events the device's code must react to, and the one mechanism it
# relies on to forget a WPS pairing:
#   A. registrar cancel (hostapd_cli wps_cancel)      B. enrollee cancel (wpa_cli wps_cancel)
#   C. PBC overlap: two enrollees press against one registrar; then the registrar's button is
#      refused while both sessions are remembered
#   D. a clean pairing, a station-initiated disconnect/reconnect, then revoking the station's
#      one-time key: remove its "wps=1" line from the psk file + hostapd_cli reload_wpa_psk
# Every raw event lands in $LAB_OUT/events.log; NOTES.md quotes them. Each step asserts the
# events the project's parser (src/wifi/ctrl-events.ts) depends on.
. "$LAB_DIR/lib/common.sh"

hwsim_load 3
radio_to_ns wlan0 ap
radio_to_ns wlan1 sta
radio_to_ns wlan2 sta2
STA_MAC=$(mac_of sta wlan1)
STA2_MAC=$(mac_of sta2 wlan2)

start_hostapd hostapd ap wlan0
monitor ap "$LAB_RUN/hostapd/wlan0"
start_wpas sta sta wlan1
monitor sta "$LAB_RUN/sta/wlan1"
start_wpas sta2 sta2 wlan2
monitor sta2 "$LAB_RUN/sta2/wlan2"

# Replies of control commands are part of the contract too; keep them beside the events.
reply() {
	local what=$1 out
	shift
	out=$("$@" 2>&1 | tr '\n' ' ')
	echo "$what -> $out" >>"$LAB_OUT/replies.log"
	log "$what -> $out"
}

# --- A. registrar cancel ------------------------------------------------------------------------
log "A: registrar wps_pbc then wps_cancel"
mark
reply "hostapd_cli wps_pbc" hapd hostapd wlan0 wps_pbc
wait_event 10 ap '^<3>WPS-PBC-ACTIVE' >/dev/null
reply "hostapd_cli wps_get_status (active)" hapd hostapd wlan0 wps_get_status
reply "hostapd_cli wps_cancel" hapd hostapd wlan0 wps_cancel
# hostapd reports a cancelled button as "WPS-TIMEOUT" followed by "WPS-CANCEL".
wait_event 10 ap '^<3>WPS-CANCEL' >/dev/null
reply "hostapd_cli wps_get_status (cancelled)" hapd hostapd wlan0 wps_get_status

# --- B. enrollee cancel -------------------------------------------------------------------------
log "B: enrollee wps_pbc then wps_cancel"
mark
reply "wpa_cli wps_pbc" wpas sta wlan1 wps_pbc
wait_event 10 sta '^<3>WPS-PBC-ACTIVE' >/dev/null
sleep 1
reply "wpa_cli wps_cancel" wpas sta wlan1 wps_cancel
wait_event 10 sta '^<3>WPS-CANCEL' >/dev/null

# --- C. overlap ---------------------------------------------------------------------------------
log "C: two enrollees press against one registrar"
mark
t=$(now)
reply "hostapd_cli wps_pbc" hapd hostapd wlan0 wps_pbc
reply "wpa_cli -i wlan1 wps_pbc" wpas sta wlan1 wps_pbc
reply "wpa_cli -i wlan2 wps_pbc" wpas sta2 wlan2 wps_pbc
wait_event 40 ap '^<3>WPS-OVERLAP-DETECTED' >/dev/null
record overlap_detected "$t"
# Each enrollee still tries, and is refused by the registrar (M2D with config error 12,
# "multiple PBC sessions"); wait for both so their side of the story is recorded.
wait_event 30 ap '^<3>WPS-FAIL msg=4 config_error=12' >/dev/null
wait_event 30 sta '^<3>WPS-FAIL' >/dev/null
wait_event 30 sta2 '^<3>WPS-FAIL' >/dev/null
for s in "sta wlan1" "sta2 wlan2"; do
	# shellcheck disable=SC2086
	! wpas_state_is $s COMPLETED || fail "an enrollee connected despite the overlap: $s"
done
reply "hostapd_cli wps_get_status (after overlap)" hapd hostapd wlan0 wps_get_status
reply "hostapd_cli wps_cancel" hapd hostapd wlan0 wps_cancel
reply "wpa_cli -i wlan1 wps_cancel" wpas sta wlan1 wps_cancel
reply "wpa_cli -i wlan2 wps_cancel" wpas sta2 wlan2 wps_cancel
# Both enrollees' PBC sessions are remembered for the 120 s walk time, so pressing the
# registrar's button again now is refused outright.
mark
reply "hostapd_cli wps_pbc (sessions still remembered)" hapd hostapd wlan0 wps_pbc
wait_event 10 ap '^<3>WPS-OVERLAP-DETECTED' >/dev/null
reply "hostapd_cli wps_get_status (refused press)" hapd hostapd wlan0 wps_get_status
hapd hostapd wlan0 wps_cancel >/dev/null || true

# --- D. pairing, reconnect, revocation -------------------------------------------------------------
# A restarted hostapd forgets the PBC sessions of C (they live in memory only); the psk file stays.
log "D: fresh registrar, pairing, then revoke the per-device key"
stop_bg mon-ap
stop_bg hostapd
start_hostapd hostapd ap wlan0
monitor ap "$LAB_RUN/hostapd/wlan0"
mark
t=$(now)
reply "hostapd_cli wps_pbc" hapd hostapd wlan0 wps_pbc
reply "wpa_cli -i wlan1 wps_pbc" wpas sta wlan1 wps_pbc
wait_until 60 "wlan1 to pair" wpas_state_is sta wlan1 COMPLETED
record wps_pairing "$t"
wait_event 10 ap "^<3>WPS-REG-SUCCESS $STA_MAC " >/dev/null
wait_event 10 ap "^<3>AP-STA-CONNECTED $STA_MAC" >/dev/null
wait_event 10 sta '^<3>WPS-SUCCESS' >/dev/null
wait_event 10 sta '^<3>CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:00:00 completed' >/dev/null
grep -Eq "^wps=1 $STA_MAC [0-9a-f]{64}\$" "$LAB_RUN/hostapd.wpa_psk" || fail "no wps=1 line for $STA_MAC"
reply "wpa_cli get_network 0 psk (the per-device key, hex)" wpas sta wlan1 get_network 0 psk
reply "wpa_cli get_network 0 key_mgmt" wpas sta wlan1 get_network 0 key_mgmt

log "D: station disconnects and reconnects with its per-device key"
mark
reply "wpa_cli disconnect" wpas sta wlan1 disconnect
wait_event 10 ap "^<3>AP-STA-DISCONNECTED $STA_MAC" >/dev/null
wait_event 10 sta '^<3>CTRL-EVENT-DISCONNECTED ' >/dev/null
reply "wpa_cli reconnect" wpas sta wlan1 reconnect
wait_until 30 "wlan1 to reconnect" wpas_state_is sta wlan1 COMPLETED

log "D: revoke the key: delete the wps=1 line, reload_wpa_psk"
mark
sed -i "/^wps=1 $STA_MAC /d" "$LAB_RUN/hostapd.wpa_psk"
t=$(now)
reply "hostapd_cli reload_wpa_psk" hapd hostapd wlan0 reload_wpa_psk
if (wait_event 5 ap "^<3>AP-STA-DISCONNECTED $STA_MAC") >/dev/null 2>&1; then
	echo "reload_wpa_psk disconnects a connected station whose key was removed" >>"$LAB_OUT/findings"
else
	echo "reload_wpa_psk leaves a connected station connected (state $(wpas_field sta wlan1 wpa_state)); hostapd_cli deauthenticate is needed" >>"$LAB_OUT/findings"
	reply "hostapd_cli deauthenticate $STA_MAC" hapd hostapd wlan0 deauthenticate "$STA_MAC"
	wait_event 10 ap "^<3>AP-STA-DISCONNECTED $STA_MAC" >/dev/null
fi
# The station keeps the revoked key in memory and tries again: it must be refused now.
wait_event 40 ap "^<3>AP-STA-POSSIBLE-PSK-MISMATCH $STA_MAC" >/dev/null
record revoked_key_refused "$t"
wait_event 20 sta '^<3>CTRL-EVENT-SSID-TEMP-DISABLED .*reason=WRONG_KEY' >/dev/null
! wpas_state_is sta wlan1 COMPLETED || fail "station reconnected with a revoked key"
echo "after removing the wps=1 line and reload_wpa_psk the station's reconnect is refused (AP-STA-POSSIBLE-PSK-MISMATCH)" >>"$LAB_OUT/findings"

# The passphrase still works for everyone else: the AP itself was not disturbed.
log "D: a passphrase station still joins"
stop_bg mon-sta2
stop_bg sta2
start_wpas sta2 sta2 wlan2 "network={
	ssid=\"$LAB_SSID\"
	psk=\"$LAB_PASSPHRASE\"
	key_mgmt=WPA-PSK
}"
monitor sta2 "$LAB_RUN/sta2/wlan2"
wait_until 40 "sta2 to join with the passphrase" wpas_state_is sta2 wlan2 COMPLETED

# What a supervisor sees on the control socket when the daemons are stopped (SIGTERM).
log "E: daemons stop"
mark
stop_bg sta2
stop_bg hostapd
for tag in ap sta2; do
	if ! (wait_event 5 "$tag" 'CTRL-EVENT-TERMINATING') >/dev/null 2>&1; then
		echo "no CTRL-EVENT-TERMINATING from $tag on SIGTERM" >>"$LAB_OUT/findings"
	fi
done

events_collect
{
	echo "wps-events: cancel, overlap, pairing, reconnect and key revocation recorded"
	sed 's/^/  finding: /' "$LAB_OUT/findings"
} >"$LAB_OUT/summary"
log "PASS"
