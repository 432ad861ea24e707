// Where the time of one pairing went, read back from the two devices' own logs (the daemon logs every
// event and effect as a JSON line): the search windows drawn, the access point's bring-up, which path the
// pair took (the later one found the earlier one's beacons, or both hosted and one stepped down), the
// step-down's station restart and the enrollee's WPS exchange. The benchmark prints these beside its figures.
import { readFileSync } from 'node:fs';

export interface DevicePhases {
  /** The search window drawn (ms), if the device searched. */
  windowMs: number | null;
  /** "access point up in N ms", the reducer's own measurement, if the device hosted. */
  bringupMs: number | null;
  /** How this device left the search: it found a host, stepped down to one (why), or hosted. */
  path: 'found' | 'tie-break' | 'patience' | 'hosted' | null;
  /** Stepping down to the station being up again. */
  stationBackMs: number | null;
  /** The enrollee's WPS start to WPS-SUCCESS. */
  exchangeMs: number | null;
}

interface Line {
  ts: number;
  msg: string;
  event?: { type?: string; daemon?: string; source?: string };
  effect?: { type?: string; key?: string; ms?: number; role?: string };
}

function readLines(path: string, since: number): Line[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      const j = JSON.parse(raw) as Omit<Line, 'ts'> & { ts: string };
      const ts = Date.parse(j.ts);
      if (ts >= since) lines.push({ ...j, ts });
    } catch {
      // a line cut by a crash: skip it
    }
  }
  return lines;
}

/** One device's phases in its log from `since` (epoch ms) on. */
export function devicePhases(logPath: string, since: number): DevicePhases {
  const lines = readLines(logPath, since);
  const phases: DevicePhases = { windowMs: null, bringupMs: null, path: null, stationBackMs: null, exchangeMs: null };
  let steppedDownAt: number | null = null;
  let enrollStartedAt: number | null = null;
  for (const l of lines) {
    if (l.msg === 'effect' && l.effect?.type === 'StartTimer' && l.effect.key === 'wps-search') {
      phases.windowMs ??= l.effect.ms ?? null;
    }
    const up = /^access point up in (\d+) ms$/.exec(l.msg);
    if (up) phases.bringupMs ??= Number(up[1]);
    if (/^found a registrar/.test(l.msg)) phases.path ??= 'found';
    if (/^no registrar found: hosting/.test(l.msg)) phases.path ??= 'hosted';
    const down = /\) (wins the tie-break|kept hosting for .*): enrolling with it$/.exec(l.msg);
    if (down) {
      phases.path = down[1] === 'wins the tie-break' ? 'tie-break' : 'patience';
      steppedDownAt = l.ts;
    }
    if (
      steppedDownAt !== null &&
      phases.stationBackMs === null &&
      l.event?.type === 'WifiDaemonUp' &&
      l.event.daemon === 'station'
    ) {
      phases.stationBackMs = l.ts - steppedDownAt;
    }
    if (l.msg === 'effect' && l.effect?.type === 'WpsStart' && l.effect.role === 'enrollee') enrollStartedAt ??= l.ts;
    if (
      enrollStartedAt !== null &&
      phases.exchangeMs === null &&
      l.event?.type === 'WpsSuccess' &&
      l.event.source === 'station'
    ) {
      phases.exchangeMs = l.ts - enrollStartedAt;
    }
  }
  return phases;
}

/** One line for the lab's log: what each device did and how long it took. */
export function describePhases(name: string, p: DevicePhases): string {
  const s = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  return `${name}: window ${s(p.windowMs)}, ${p.path ?? '?'}, AP up ${s(p.bringupMs)}, station back ${s(p.stationBackMs)}, WPS exchange ${s(p.exchangeMs)}`;
}
