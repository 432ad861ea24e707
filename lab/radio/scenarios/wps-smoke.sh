#!/bin/bash
# Proves the radio stack with the stock daemons alone, before any project code is involved:
#   1. WPS push-button pairing: hostapd (registrar, WPA2-PSK/CCMP) on wlan0 and wpa_supplicant
#      on wlan1 both press the button; the station must end up COMPLETED with WPA2-PSK/CCMP and
#      hostapd must have written a one-time per-device key ("wps=1 <mac> <psk>") to its psk file.
#   2. A "phone" that knows the passphrase joins on wlan2 and gets a DHCP lease from dnsmasq.
# Each radio lives in its own network namespace (ap, sta, phone), as separate devices would.
# Runs inside the lab VM: lab/radio/run.sh lab/radio/scenarios/wps-smoke.sh
. "$LAB_DIR/lib/common.sh"

hwsim_load 3
radio_to_ns wlan0 ap
radio_to_ns wlan1 sta
radio_to_ns wlan2 phone
AP_MAC=$(mac_of ap wlan0)
STA_MAC=$(mac_of sta wlan1)
PHONE_MAC=$(mac_of phone wlan2)
log "ap=$AP_MAC sta=$STA_MAC phone=$PHONE_MAC"

t=$(now)
start_hostapd hostapd ap wlan0
record hostapd_start "$t"
monitor ap "$LAB_RUN/hostapd/wlan0"

t=$(now)
start_wpas sta sta wlan1
monitor sta "$LAB_RUN/sta/wlan1"
record wpas_start "$t"

# --- 1. WPS push-button ---------------------------------------------------------------------------
log "test 1: WPS push-button pairing"
mark
t=$(now)
[ "$(hapd hostapd wlan0 wps_pbc)" = OK ] || fail "hostapd_cli wps_pbc was refused"
[ "$(wpas sta wlan1 wps_pbc)" = OK ] || fail "wpa_cli wps_pbc was refused"
wait_until 60 "station to complete WPS and connect" wpas_state_is sta wlan1 COMPLETED
record wps_pairing "$t"

status=$(wpas sta wlan1 status)
echo "$status" | sed 's/^/  sta status: /'
echo "$status" | grep -qx 'key_mgmt=WPA2-PSK' || fail "station key_mgmt is not WPA2-PSK"
echo "$status" | grep -qx 'pairwise_cipher=CCMP' || fail "station pairwise cipher is not CCMP"
echo "$status" | grep -qx 'group_cipher=CCMP' || fail "station group cipher is not CCMP"
echo "$status" | grep -qx "ssid=$LAB_SSID" || fail "station joined the wrong SSID"
wait_event 10 sta '^<3>WPS-SUCCESS' >/dev/null
wait_event 10 ap "^<3>WPS-REG-SUCCESS $STA_MAC " >/dev/null
wait_event 10 ap "^<3>AP-STA-CONNECTED $STA_MAC" >/dev/null

# hostapd appends the key it generated for this enrollee; revoking it later is how the device
# forgets a WPS pairing without changing the shared passphrase.
wait_until 10 "a wps=1 line for $STA_MAC in the psk file" \
	grep -Eq "^wps=1 $STA_MAC [0-9a-f]{64}\$" "$LAB_RUN/hostapd.wpa_psk"
log "psk file: $(sed -E 's/[0-9a-f]{64}/<64 hex>/' "$LAB_RUN/hostapd.wpa_psk" | tr '\n' ' ')"
[ "$(grep -c . "$LAB_RUN/hostapd.wpa_psk")" = 1 ] || fail "expected exactly one line in the psk file"
# update_config=0: the credentials WPS delivered live in wpa_supplicant's memory only.
! grep -q 'network=' "$LAB_RUN/sta.conf" || fail "wpa_supplicant wrote the WPS network to its config file"

# --- 2. A phone with the passphrase, and DHCP ------------------------------------------------------
log "test 2: passphrase join and DHCP"
t=$(now)
start_wpas phone phone wlan2 "network={
	ssid=\"$LAB_SSID\"
	psk=\"$LAB_PASSPHRASE\"
	key_mgmt=WPA-PSK
	proto=RSN
	pairwise=CCMP
	group=CCMP
}"
monitor phone "$LAB_RUN/phone/wlan2"
wait_until 40 "phone to connect with the passphrase" wpas_state_is phone wlan2 COMPLETED
record phone_join "$t"
[ "$(wpas_field phone wlan2 key_mgmt)" = WPA2-PSK ] || fail "phone key_mgmt is not WPA2-PSK"

# Addresses exist only inside the VM's namespaces: the VM has no network device at all.
ip -n ap addr add 192.168.4.1/24 dev wlan0
# --port=0: DHCP only, no DNS server. --user=root: the lease file is under /run/lab.
# --no-ping: by default dnsmasq pings an address before offering it and waits ~3 s for an answer,
# holding up every other request meanwhile; in an emulated guest that was most of the lease time.
start_bg dnsmasq ip netns exec ap dnsmasq --no-daemon --conf-file=/dev/null --port=0 --no-ping \
	--interface=wlan0 --except-interface=lo --bind-interfaces --user=root \
	--dhcp-range=192.168.4.2,192.168.4.20,255.255.255.0,1h --dhcp-authoritative \
	--dhcp-leasefile="$LAB_RUN/dnsmasq.leases" --pid-file= --log-dhcp --log-facility=-
wait_until 10 "dnsmasq to start" grep -q 'DHCP, IP range' "$LAB_OUT/dnsmasq.log"

t=$(now)
lease="$LAB_RUN/phone.lease"
# busybox udhcpc: -q quit once bound, -n fail instead of backgrounding, -t/-T bound the retries.
LAB_LEASE_FILE=$lease timeout 60 ip netns exec phone busybox udhcpc -i wlan2 -f -q -n -t 10 -T 1 \
	-s "$LAB_DIR/lib/udhcpc.script" >"$LAB_OUT/udhcpc.log" 2>&1 || {
	cat "$LAB_OUT/udhcpc.log"
	fail "udhcpc got no lease"
}
record dhcp_lease "$t"
log "lease: $(cat "$lease")"
ip=$(sed -n 's/^ip=\([0-9.]*\) .*/\1/p' "$lease")
last=${ip##*.}
[ "${ip%.*}" = 192.168.4 ] && [ "$last" -ge 2 ] && [ "$last" -le 20 ] || fail "lease $ip is outside 192.168.4.2-20"
ip -n phone -4 -br addr show wlan2 | grep -q "$ip/24" || fail "lease was not applied to wlan2"
grep -qi "$PHONE_MAC" "$LAB_RUN/dnsmasq.leases" || fail "dnsmasq has no lease for the phone"
# One packet each way over the simulated radio, between two namespaces of this VM.
timeout 10 ip netns exec phone busybox ping -c 1 -W 5 192.168.4.1 >/dev/null || fail "phone cannot reach the AP at 192.168.4.1"

events_collect
{
	echo "wps-smoke: station $STA_MAC paired by WPS (WPA2-PSK/CCMP), phone $PHONE_MAC joined by passphrase and leased $ip"
} >"$LAB_OUT/summary"
log "PASS"
