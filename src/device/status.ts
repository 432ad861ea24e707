// The device's state as the outside world sees it (CLI `status --json`, the web page, tests).
import type { DeviceState, LedName, LedPattern, Mode, WifiSource } from './model.js';
import { associationCount, ledsOf } from './reducer.js';

export interface Association {
  /** "ap": a station on our access point; "station": the network our station joined. */
  via: WifiSource;
  mac: string;
}

export interface DeviceStatus {
  mode: Mode;
  wps: 'idle' | 'active';
  wpsRole: 'registrar' | 'enrollee' | null;
  wpsSince: string | null;
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
