// The vocabulary of the device core: events in, effects out, and the state between them.
// Everything here is plain JSON-compatible data so it can be logged, persisted and sent over the control socket.

export type Mode = 'ap' | 'client';
export type Button = 'ap' | 'wps';
/** Which daemon an event came from: wpa_supplicant (station) or hostapd (access point). */
export type WifiSource = 'station' | 'ap';
/** The WPS role follows from the mode: our AP is the registrar, our station the enrollee. */
export type WpsRole = 'registrar' | 'enrollee';
export type LedName = 'ap' | 'connection' | 'replication';
export type LedPattern = 'off' | 'on' | 'blink';
export type TimerKey = 'wps-backstop' | 'replication-flash';
export type WpsOutcome = 'success' | 'fail' | 'overlap' | 'timeout' | 'cancelled';

/** The daemons' PBC walk time (WPS spec, hostapd and wpa_supplicant both use 120 s). */
export const WPS_WALK_TIME_MS = 120_000;
/** Our own backstop fires a little after the daemons' walk time, so theirs normally ends the search first. */
export const WPS_BACKSTOP_MS = WPS_WALK_TIME_MS + 5_000;
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
  | { type: 'ApSnapshot'; stations: string[] }
  | { type: 'WpsEnrolleeRegistered'; mac: string }
  // WPS events, from either daemon
  | { type: 'WpsPbcActive'; source: WifiSource }
  | { type: 'WpsSuccess'; source: WifiSource }
  | { type: 'WpsFail'; source: WifiSource; detail?: string }
  | { type: 'WpsTimeout'; source: WifiSource }
  | { type: 'WpsCancelled'; source: WifiSource }
  | { type: 'WpsOverlap'; source: WifiSource }
  // daemon lifecycle and effect results
  | { type: 'DaemonUp'; daemon: WifiSource }
  | { type: 'DaemonDown'; daemon: WifiSource; reason: string }
  /** We stopped it on purpose (hostapd outside AP mode): not a fault. */
  | { type: 'DaemonStopped'; daemon: WifiSource }
  | { type: 'EffectFailed'; effect: Effect['type']; error: string }
  | { type: 'UnknownDaemonEvent'; source: WifiSource; line: string }
  | { type: 'TimerFired'; key: TimerKey; gen: number }
  // from the SSB peer
  | { type: 'ReplicationChanged'; replicating: boolean }
  // settings changed through the control API
  | { type: 'WifiSettingsChanged'; scope: 'ap' | 'known-networks' }
  // WPS key policy
  | { type: 'OneTimeKeysSet'; enabled: boolean }
  | { type: 'DeviceRevoked'; mac: string };

/** Every event carries the time it happened, from the injected clock; the reducer never reads a clock. */
export type DeviceEvent = EventBody & { at: number };

export type Effect =
  | { type: 'ConfigureStation'; networks: 'none' | 'known' }
  | { type: 'StartAp' }
  | { type: 'StopAp' }
  | { type: 'WpsStart'; role: WpsRole }
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
  | { type: 'Log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

export type WpsState = { phase: 'idle' } | { phase: 'active'; role: WpsRole; since: number; confirmed: boolean };

export interface DaemonHealth {
  state: 'unknown' | 'up' | 'down' | 'stopped';
  reason?: string;
}

export interface DeviceState {
  mode: Mode;
  wps: WpsState;
  lastWps: { outcome: WpsOutcome; role: WpsRole; at: number; detail?: string } | null;
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
}

export type ReducerResult = [DeviceState, Effect[]];
