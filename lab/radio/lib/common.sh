# shellcheck shell=bash
# Helpers for radio lab scenarios. Source it from a scenario that run.sh runs inside the VM.
#
# Every wait here is bounded; every process started through start_bg is stopped by pid when the
# scenario exits (the VM powers off afterwards anyway, but scenarios restart daemons between
# tests and must not leave a stale one holding a radio or a control socket).
set -euo pipefail

: "${LAB_OUT:?run scenarios inside the lab VM: lab/radio/run.sh SCENARIO}"
LAB_RUN=/run/lab
EVENTS="$LAB_OUT/events.log"
TIMINGS="$LAB_OUT/timings"
mkdir -p "$LAB_RUN"
: >>"$EVENTS"

# Time arithmetic stays inside bash (EPOCHREALTIME, integer microseconds): under emulation every
# fork costs tens of milliseconds, and the polling loops below run many times.
now() { echo "$EPOCHREALTIME"; }
since() {
	local start=${1/./} d
	d=$((${EPOCHREALTIME/./} - start))
	printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}
LAB_T0=$(now)

declare -A LAB_PID=()
LAB_ORDER=()

log() { echo "[$(since "$LAB_T0")s] $*"; }
# To stderr: helpers that fail are often called with their stdout discarded or captured.
fail() {
	log "FAIL: $*" >&2
	exit 1
}

# record NAME START: appends "NAME seconds-since-START" to the timings run.sh prints.
record() {
	local secs
	secs=$(since "$2")
	echo "$1 $secs" >>"$TIMINGS"
	log "time $1: ${secs}s"
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_until() {
	local limit=$1 desc=$2
	shift 2
	local deadline=$((${EPOCHREALTIME/./} + limit * 1000000))
	until "$@" >/dev/null 2>&1; do
		((${EPOCHREALTIME/./} < deadline)) || fail "timed out after ${limit}s waiting for: $desc"
		sleep 0.2
	done
}

# start_bg NAME COMMAND...: runs COMMAND in the background, output to $LAB_OUT/NAME.log.
# `ip netns exec` execs its command, so the pid we keep is the daemon's own.
start_bg() {
	local name=$1
	shift
	"$@" >>"$LAB_OUT/$name.log" 2>&1 </dev/null &
	LAB_PID[$name]=$!
	LAB_ORDER+=("$name")
}

# stop_bg NAME: SIGTERM, a bounded wait, then SIGKILL; only the pid we started.
stop_bg() {
	local name=$1 pid=${LAB_PID[$1]:-}
	[ -n "$pid" ] || return 0
	unset "LAB_PID[$name]"
	kill -TERM "$pid" 2>/dev/null || return 0
	local i
	for i in $(seq 1 25); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

alive() { kill -0 "${LAB_PID[$1]:-0}" 2>/dev/null; }

stop_all() {
	local i
	for ((i = ${#LAB_ORDER[@]} - 1; i >= 0; i--)); do
		stop_bg "${LAB_ORDER[$i]}"
	done
}
trap stop_all EXIT

# --- radios and namespaces --------------------------------------------------------------------

# hwsim_load N: N simulated radios, wlan0..wlan(N-1), all on one simulated medium: frames cross
# network namespaces, so an AP and its clients can each live in their own namespace.
hwsim_load() {
	local start
	start=$(now)
	modprobe mac80211_hwsim radios="$1"
	wait_until 10 "wlan$(($1 - 1)) to appear" test -e "/sys/class/net/wlan$(($1 - 1))"
	record hwsim_load "$start"
}

# radio_to_ns IFACE NS: moves the whole radio (phy) of IFACE into namespace NS, creating NS.
# A phy, not just the netdev, must move: nl80211 commands hostapd and wpa_supplicant send are
# scoped to the namespace that owns the phy.
radio_to_ns() {
	local iface=$1 ns=$2 phy
	phy=$(cat "/sys/class/net/$iface/phy80211/name")
	[ -e "/run/netns/$ns" ] || ip netns add "$ns"
	iw phy "$phy" set netns name "$ns"
	ip -n "$ns" link set lo up
}

# mac_of NS IFACE
mac_of() { ip -n "$1" -br link show "$2" | awk '{ print $3 }'; }

# --- hostapd / wpa_supplicant -----------------------------------------------------------------

LAB_SSID=smallworld-lab
LAB_PASSPHRASE=lab-passphrase-1234

# write_hostapd_conf FILE IFACE CTRL_DIR PSK_FILE: the access point as the device will run it:
# WPA2-PSK with CCMP only, WPS push-button as registrar, and one-time per-device keys kept in a
# psk file so that they can be revoked one by one.
write_hostapd_conf() {
	cat >"$1" <<EOF
interface=$2
driver=nl80211
ctrl_interface=$3
ssid=$LAB_SSID
hw_mode=g
channel=1
auth_algs=1
wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=$LAB_PASSPHRASE
wpa_psk_file=$4
wps_state=2
ap_setup_locked=1
eap_server=1
config_methods=push_button
device_name=Smallworld
manufacturer=Smallworld
model_name=lab
EOF
}

# start_hostapd NAME NS IFACE: config in $LAB_RUN/NAME.conf, control socket dir $LAB_RUN/NAME.
# The psk file survives restarts (the device's does too).
start_hostapd() {
	local name=$1 ns=$2 iface=$3
	local conf="$LAB_RUN/$name.conf" ctrl="$LAB_RUN/$name" psk="$LAB_RUN/$name.wpa_psk"
	[ -f "$psk" ] || : >"$psk"
	write_hostapd_conf "$conf" "$iface" "$ctrl" "$psk"
	start_bg "$name" ip netns exec "$ns" hostapd -t "$conf"
	wait_until 20 "hostapd $name control socket" test -S "$ctrl/$iface"
	wait_until 20 "hostapd $name to enable its AP" sh -c "hostapd_cli -p '$ctrl' -i '$iface' status | grep -qx state=ENABLED"
}

# start_wpas NAME NS IFACE [NETWORK_BLOCK]: a station; control socket dir $LAB_RUN/NAME.
# update_config=0: the device never rewrites its own configuration file; WPS credentials
# live in memory only.
start_wpas() {
	local name=$1 ns=$2 iface=$3 network=${4:-}
	local conf="$LAB_RUN/$name.conf" ctrl="$LAB_RUN/$name"
	printf 'ctrl_interface=%s\nupdate_config=0\n%s\n' "$ctrl" "$network" >"$conf"
	start_bg "$name" ip netns exec "$ns" wpa_supplicant -t -D nl80211 -i "$iface" -c "$conf"
	wait_until 20 "wpa_supplicant $name control socket" test -S "$ctrl/$iface"
}

# hapd NAME IFACE CMD...   /   wpas NAME IFACE CMD...: one control command, reply on stdout.
hapd() {
	local name=$1 iface=$2
	shift 2
	timeout 10 hostapd_cli -p "$LAB_RUN/$name" -i "$iface" "$@"
}
wpas() {
	local name=$1 iface=$2
	shift 2
	timeout 10 wpa_cli -p "$LAB_RUN/$name" -i "$iface" "$@"
}

# wpas_field NAME IFACE KEY: one value from STATUS.
wpas_field() { wpas "$1" "$2" status | sed -n "s/^$3=//p"; }
wpas_state_is() { [ "$(wpas_field "$1" "$2" wpa_state)" = "$3" ]; }

# --- event capture ----------------------------------------------------------------------------

# monitor TAG SOCKET: raw control-socket events into $LAB_OUT/mon-TAG.log, one per line:
# "<unix time> TAG <raw datagram>". events_collect merges all monitors into $EVENTS.
monitor() {
	local tag=$1 sock=$2
	start_bg "mon-$tag" perl "$LAB_DIR/lib/ctrl-monitor.pl" "$sock" "$tag"
	# Attached before anything is triggered, or the first events would be lost.
	wait_until 15 "event monitor $tag to attach" grep -q " $tag MONITOR-ATTACHED" "$LAB_OUT/mon-$tag.log"
}

events_collect() {
	sort -s -n -k1,1 "$LAB_OUT"/mon-*.log >"$EVENTS" 2>/dev/null || true
}

# mark: remember "now" so wait_event only considers events after it.
mark() { EV_MARK=$(now); }
EV_MARK=0

# wait_event SECONDS TAG REGEX: waits for an event from TAG, after the last mark, whose raw line
# (without the time and tag) matches the awk regular expression REGEX. Prints that line.
event_seen() {
	awk -v m="$EV_MARK" -v t="$1" -v re="$2" '
		$1 >= m && $2 == t { line = $0; sub(/^[^ ]+ [^ ]+ /, "", line); if (line ~ re) { print line; found = 1; exit } }
		END { exit !found }' "$LAB_OUT"/mon-*.log 2>/dev/null
}
wait_event() {
	local limit=$1 tag=$2 re=$3 line
	local deadline=$((${EPOCHREALTIME/./} + limit * 1000000))
	until line=$(event_seen "$tag" "$re"); do
		((${EPOCHREALTIME/./} < deadline)) || fail "timed out after ${limit}s waiting for event /$re/ from $tag"
		sleep 0.2
	done
	echo "$line"
}
