// The device's state as the outside world sees it (CLI `status --json`, the web page, tests).
import type { StorageReport } from '../storage/budget.js';
import type { AccessPointState, DeviceState, LedName, LedPattern, Mode, WifiSource, WpsPhase } from './model.js';
import { associationCount, ledsOf } from './reducer.js';

export interface Association {
  /** "ap": a station on our access point; "station": the network our station joined. */
  via: WifiSource;
  mac: string;
}

export interface DeviceStatus {
  mode: Mode;
  wps: 'idle' | 'active';
  /** "searching": looking for another device's access point (auto role); then its role, or null when idle. */
  wpsRole: WpsPhase | null;
  wpsSince: string | null;
  /** The access point an enrollee joins by WPS (auto role found it), else null. */
  wpsTarget: string | null;
  /** Auto role (pairing with one press) is on. */
  wpsAutoRole: boolean;
  /** The access point as hostapd reports it; the AP LED is on only when "enabled". `reason` says why not. */
  accessPoint: { state: AccessPointState; reason?: string };
  lastWps: { outcome: string; role: string; at: string; detail?: string } | null;
  leds: Record<LedName, LedPattern>;
  associations: Association[];
  associationCount: number;
  replication: DeviceState['replication'];
  daemons: DeviceState['daemons'];
  keys: { oneTime: boolean; trusted: string[]; pending: string[]; expiring: string[] };
  lastError: string | null;
}

export function statusOf(state: DeviceState): DeviceStatus {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    mode: state.mode,
    wps: state.wps.phase,
    wpsRole: state.wps.phase === 'active' ? state.wps.role : null,
    wpsSince: state.wps.phase === 'active' ? iso(state.wps.since) : null,
    wpsTarget: state.wps.phase === 'active' ? state.wps.target : null,
    wpsAutoRole: state.autoRole,
    accessPoint: state.accessPoint,
    lastWps: state.lastWps && { ...state.lastWps, at: iso(state.lastWps.at) },
    leds: ledsOf(state),
    associations: [
      ...(state.station === null ? [] : [{ via: 'station' as const, mac: state.station }]),
      ...state.apStations.map((mac) => ({ via: 'ap' as const, mac })),
    ],
    associationCount: associationCount(state),
    replication: state.replication,
    daemons: state.daemons,
    keys: {
      oneTime: state.keys.oneTime,
      trusted: state.keys.trusted,
      pending: state.keys.issued,
      expiring: state.keys.expiring,
    },
    lastError: state.lastError,
  };
}

/** What the control socket's `status` answers: the device's status and the daemon's own facts. */
export interface FullStatus extends DeviceStatus {
  web: { url: string | null };
  sim: boolean;
  dataDir: string;
  pid: number;
  version: string;
  /** The card: what the device's data uses, what is free, its budget and whether it is tight or full. */
  storage: StorageReport;
}
