// The vocabulary of the device core: events in, effects out, and the state between them.
// Everything here is plain JSON-compatible data so it can be logged, persisted and sent over the control socket.

export type Mode = 'ap' | 'client';
export type Button = 'ap' | 'wps';
/** Which daemon an event came from: wpa_supplicant (station) or hostapd (access point). */
export type WifiSource = 'station' | 'ap';
/** The daemon's side of a WPS session: our AP is the registrar, our station the enrollee. */
export type WpsRole = 'registrar' | 'enrollee';
/**
 * Where a WPS session stands. With auto role (pairing with one press) a search starts by "searching":
 * scanning for a peer access point in push-button mode, before the device becomes enrollee or registrar.
 */
export type WpsPhase = 'searching' | WpsRole;
export type LedName = 'ap' | 'connection' | 'replication';
export type LedPattern = 'off' | 'on' | 'blink';
export type TimerKey =
  | 'wps-backstop'
  | 'wps-search'
  | 'wps-scan'
  | 'ap-bringup'
  | 'replication-flash'
  | 'persist-retry';
/** The access point as hostapd reports it: only "enabled" beacons (AP-ENABLED, STATUS state=ENABLED). */
export type AccessPointState = 'off' | 'starting' | 'enabled' | 'failed';
export type WpsOutcome = 'success' | 'fail' | 'overlap' | 'timeout' | 'cancelled';

/** The daemons' PBC walk time (WPS spec, hostapd and wpa_supplicant both use 120 s). */
export const WPS_WALK_TIME_MS = 120_000;
/** Our own backstop fires a little after the daemons' walk time, so theirs normally ends the search first. */
export const WPS_BACKSTOP_MS = WPS_WALK_TIME_MS + 5_000;
/**
 * Auto role: how long a searching device scans for a peer registrar before it becomes one itself. Two
 * devices pressed together must decide at moments further apart than an access point takes to come up
 * (and a scan to see it), or both host and one must step down (a station restart and a cold WPS
 * exchange: the slow path). So the window is one of SEARCH_SLOTS slots, picked by a random draw (it
 * comes in as an event), spaced by this device's measured bring-up time (see searchWindowMs).
 */
export const SEARCH_WINDOW_MIN_MS = 1_000;
export const SEARCH_SLOTS = 3;
/** Within a slot the window varies by this much, so two devices in different slots never tie exactly. */
export const SEARCH_SLOT_JITTER_MS = 500;
/**
 * A slot is the bring-up estimate times this factor (a bring-up varies from press to press, and the
 * estimate follows the load with a lag) plus a margin: the searching device's next scan catching the new
 * beacons (a 250 ms gap and a one-channel scan of 0.2-0.5 s in the lab). They were 1.5 and 1 s while a
 * step-down also paid a cold WPS exchange (wpa_supplicant's scan of every channel, over 5 s); now that the
 * restarted enrollee scans its channel first (about 1 s of exchange), a collision costs less and a closer
 * spacing, which every pair whose first decision falls in the middle slot waits out, pays.
 */
export const SEARCH_SLOT_FACTOR = 1.25;
export const SEARCH_SLOT_MARGIN_MS = 750;
/** The bring-up time assumed before this device has measured one (the radio lab, idle: 2.1-2.7 s). */
export const AP_BRINGUP_ASSUMED_MS = 3_000;
/** Measured bring-up times are clamped to this range before they set the slots. */
export const AP_BRINGUP_MIN_MS = 1_000;
export const AP_BRINGUP_MAX_MS = 15_000;
/** The longest window searchWindowMs can return. */
export const SEARCH_WINDOW_MAX_MS =
  SEARCH_WINDOW_MIN_MS +
  (SEARCH_SLOTS - 1) * (Math.ceil(AP_BRINGUP_MAX_MS * SEARCH_SLOT_FACTOR) + SEARCH_SLOT_MARGIN_MS) +
  SEARCH_SLOT_JITTER_MS;
/**
 * A searching device whose window ends while an access point that was not there at the start of the
 * search has just appeared (seen within this long, not yet in push-button mode) waits this long once more:
 * it is most likely the other device, which enables push-button a moment after its beacons start
 * (attaching to hostapd, WPS_PBC: 0.3-1.2 s in the lab), and hosting now would make two registrars.
 */
export const SEARCH_GRACE_MS = 4_000;
/** A searching device's pause between one scan's results and the next scan. */
export const SCAN_GAP_MS = 250;
/** A registrar whose scans keep failing (a driver without AP scans) stops watching after this many. */
export const WATCH_MAX_FAILURES = 5;
/** How often an auto-role registrar scans for another registrar while nobody has come to enroll. */
export const WATCH_INTERVAL_MS = 1_000;
/**
 * The access point's own brief scan (nl80211's AP scan flag): one channel's dwell, well under a second on an
 * idle radio, but a loaded machine took 7–8 s in the radio lab, and a watch that gives up after a few failed
 * scans must not take slowness for a driver that cannot scan. Some scans never answer at all (seen in the lab
 * right after a device came up, also on a quiet machine): waiting 20 s for those delayed the tie-break by as
 * much, so such a scan is given up after this long, and WATCH_MAX_FAILURES allows for a few.
 */
export const AP_SCAN_LIMIT_MS = 12_000;
/**
 * An auto-role registrar that keeps seeing the same one other registrar for this long steps down to it,
 * whatever the tie-break says: the other is evidently not going to (an owner pressed AP and then WPS, or
 * its scans cannot see us). It must outlast the tie-break's loser's first sight of the winner, or both step
 * down and neither hosts: that sight can wait for a watch scan that never answered (given up after
 * AP_SCAN_LIMIT_MS), the interval, and one more scan (0.3–1.5 s in the lab, a few seconds under load). With
 * 10 s, one such scan made both step down (radio lab, 1 round in 12, load average 3–5).
 */
export const WATCH_PATIENCE_MS = AP_SCAN_LIMIT_MS + WATCH_INTERVAL_MS + 3_000;
/**
 * A registrar that one watch scan missed is still the same rival (a beacon lost in one scan's dwell); missed
 * by this many working scans in a row, it is forgotten. A failed scan is no evidence either way.
 */
export const RIVAL_MISSES_TO_FORGET = 2;
/** How often an auto-role enrollee asks its station whether the host it enrolls with is still there. */
export const HOST_CHECK_MS = 2_000;
/**
 * An auto-role enrollee whose host has not been seen in push-button mode for this long gives up and goes
 * back to the mode it had, rather than waiting out the walk time for a registrar that vanished. Well above
 * a fresh station's scan finding its host after a step-down under load (its whole WPS exchange took 5-13 s
 * in the lab), so a slow scan is not taken for a vanished host.
 */
export const HOST_GONE_MS = 20_000;
/** hostapd must report the access point enabled within this time of being started, or it has failed. */
export const AP_BRINGUP_MS = 45_000;
/** How long the replication LED stays lit after a sync completes. */
export const REPLICATION_FLASH_MS = 1_500;

export type EventBody =
  | { type: 'ButtonPressed'; button: Button }
  | { type: 'ApRequested'; on: boolean }
  | { type: 'WpsRequested'; action: 'start' | 'cancel' }
  // wpa_supplicant (station side)
  | { type: 'StationConnected'; bssid: string }
  | { type: 'StationDisconnected'; bssid: string | null }
  | { type: 'StationSnapshot'; bssid: string | null }
  // hostapd (access point side)
  | { type: 'ApStationConnected'; mac: string }
  | { type: 'ApStationDisconnected'; mac: string }
  /** `enabled`: hostapd's STATUS said state=ENABLED (absent: not asked). */
  | { type: 'ApSnapshot'; stations: string[]; enabled?: boolean }
  | { type: 'WpsEnrolleeRegistered'; mac: string }
  /** hostapd's AP-ENABLED: the access point is beaconing. */
  | { type: 'ApEnabled' }
  /** hostapd's AP-DISABLED: it stopped beaconing (stopping, or the radio went away). */
  | { type: 'ApDisabled' }
  /** hostapd's WPS-ENROLLEE-SEEN: a station probed us; `pbc` when it is in push-button mode. */
  | { type: 'WpsEnrolleeSeen'; mac: string; pbc: boolean }
  /** A scan's findings, by the station (searching) or from the access point (a registrar watching). */
  | { type: 'ScanResults'; via: WifiSource; own: string | null; peers: PeerAp[] }
  /**
   * What the station knows of the host an auto-role enrollee enrolls with: milliseconds since it last
   * saw it in push-button mode (0: talking to it now), or null when it has not (CheckHost).
   */
  | { type: 'HostSighting'; bssid: string; seenMsAgo: number | null }
  /** A uniform draw in [0, 1) the reducer asked for (DrawRandom). */
  | { type: 'RandomDrawn'; purpose: 'search-window'; value: number }
  // WPS events, from either daemon
  | { type: 'WpsPbcActive'; source: WifiSource }
  | { type: 'WpsSuccess'; source: WifiSource }
  | { type: 'WpsFail'; source: WifiSource; detail?: string }
  | { type: 'WpsTimeout'; source: WifiSource }
  | { type: 'WpsCancelled'; source: WifiSource }
  | { type: 'WpsOverlap'; source: WifiSource }
  // hostapd ("ap") and wpa_supplicant ("station") lifecycle, then effect results; "Wifi" keeps them apart
  // from Smallworld's own daemon (src/device/daemon.ts)
  | { type: 'WifiDaemonUp'; daemon: WifiSource }
  | { type: 'WifiDaemonDown'; daemon: WifiSource; reason: string }
  /** We stopped it on purpose (hostapd outside AP mode): not a fault. */
  | { type: 'WifiDaemonStopped'; daemon: WifiSource }
  | { type: 'EffectFailed'; effect: Effect['type']; error: string }
  | { type: 'UnknownWifiDaemonEvent'; source: WifiSource; line: string }
  | { type: 'TimerFired'; key: TimerKey; gen: number }
  // from the SSB peer
  | { type: 'ReplicationChanged'; replicating: boolean }
  // settings changed through the control API
  | { type: 'WifiSettingsChanged'; scope: 'ap' | 'known-networks' }
  // WPS key policy
  | { type: 'OneTimeKeysSet'; enabled: boolean }
  | { type: 'AutoRoleSet'; enabled: boolean }
  | { type: 'DeviceRevoked'; mac: string };

/** Every event carries the time it happened, from the injected clock; the reducer never reads a clock. */
export type DeviceEvent = EventBody & { at: number };

export type Effect =
  | { type: 'ConfigureStation'; networks: 'none' | 'known' }
  | { type: 'StartAp' }
  | { type: 'StopAp' }
  /** `bssid`: enroll with this access point only (auto role found it). */
  | { type: 'WpsStart'; role: WpsRole; bssid?: string }
  | { type: 'WpsCancel'; role: WpsRole }
  | { type: 'SetLed'; led: LedName; pattern: LedPattern }
  /**
   * Drops a WPS-issued key from hostapd's PSK file. `now` also makes hostapd reload the file, which
   * disconnects a station using that key at once; without it the key stays in hostapd's memory until
   * the station leaves (its current connection lives on, a reconnection is refused).
   */
  | { type: 'ForgetWpsKey'; mac: string; now: boolean }
  | { type: 'PersistState'; persisted: PersistedState }
  | { type: 'StartTimer'; key: TimerKey; ms: number; gen: number }
  | { type: 'CancelTimer'; key: TimerKey }
  | { type: 'Reconcile'; daemon: WifiSource }
  /** One scan for access points in push-button mode, answered by ScanResults. */
  | { type: 'Scan'; via: WifiSource }
  /** Asks the station when it last saw this access point in push-button mode, answered by HostSighting. */
  | { type: 'CheckHost'; bssid: string }
  /** Asks the shell for a random number, answered by RandomDrawn. */
  | { type: 'DrawRandom'; purpose: 'search-window' }
  | { type: 'Log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

/** Another registrar an auto-role registrar's watch scans keep seeing: since when, and the scans since that missed it. */
export interface Rival {
  bssid: string;
  since: number;
  missed: number;
}

/** An access point seen in a scan. Everything here came over the air: untrusted until checked. */
export interface PeerAp {
  bssid: string;
  ssid: string;
  /** Its beacon's WPS element says a push-button session is active (selected registrar, PBC). */
  pbc: boolean;
}

export type WpsState =
  | { phase: 'idle' }
  | {
      phase: 'active';
      role: WpsPhase;
      since: number;
      confirmed: boolean;
      /** The daemon of the role has a push-button session we must cancel when ending (WpsStart sent). */
      started: boolean;
      /** Auto role: the device picked its role itself and goes back to `returnTo` unless it pairs. */
      auto: boolean;
      returnTo: Mode;
      /** The access point an auto-role enrollee enrolls with. */
      target: string | null;
      /** An auto-role registrar still scans for another registrar (until an enrollee comes). */
      watching: boolean;
      /** Watch scans that failed in a row; after WATCH_MAX_FAILURES the registrar stops watching. */
      scanFailures: number;
      /** The one other registrar the watch scans have been seeing (its patience clock), or null. */
      rival: Rival | null;
      /** An auto-role enrollee's host: when it was last seen in push-button mode (null: not enrolling). */
      hostSeenAt: number | null;
      /**
       * Searching: the access points the first scan saw (null before it), when one that was not among them
       * was last seen (null: none), and whether the window was already extended for one.
       */
      search: { atStart: string[] | null; newcomerAt: number | null; extended: boolean };
    };

export interface DaemonHealth {
  state: 'unknown' | 'up' | 'down' | 'stopped';
  reason?: string;
}

export interface DeviceState {
  mode: Mode;
  wps: WpsState;
  lastWps: { outcome: WpsOutcome; role: WpsPhase; at: number; detail?: string } | null;
  accessPoint: { state: AccessPointState; reason?: string };
  /** Pairing with one press (config wps.autoRole, `smallworld wps auto-role on|off`). */
  autoRole: boolean;
  /** The BSS our station is associated with, or null. A station has at most one association. */
  station: string | null;
  /** MACs of stations associated with our AP, sorted and unique: a set, so it cannot drift like a counter. */
  apStations: string[];
  daemons: Record<WifiSource, DaemonHealth>;
  replication: 'idle' | 'replicating' | 'done';
  keys: {
    oneTime: boolean;
    trusted: string[];
    /** Enrollees that received a per-device key and have not connected with it yet. */
    issued: string[];
    /** Keys removed from disk but still in hostapd's memory, reloaded away when their station leaves. */
    expiring: string[];
  };
  /**
   * How long this device's access point takes to come up (mode change to hostapd's AP-ENABLED): `since`
   * the current bring-up began, and `estimateMs`, the running estimate that spaces the search slots.
   */
  apBringup: { since: number | null; estimateMs: number | null };
  /** Generation of each running timer; a firing with another generation is stale and ignored. */
  timers: Partial<Record<TimerKey, number>>;
  nextGen: number;
  lastError: string | null;
}

/** The part of the state that survives a crash or reboot. */
export interface PersistedState {
  version: 1;
  mode: Mode;
  keys: { oneTime: boolean; trusted: string[] };
  /** Absent in files written before auto role existed: the config's default applies. */
  wps?: { autoRole: boolean };
}

export type ReducerResult = [DeviceState, Effect[]];
