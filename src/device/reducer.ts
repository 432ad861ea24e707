// The connectivity state machine: a total, pure function (state, event) -> [state, effects].
// LEDs and the persisted record are derived from the state after each step, so they cannot disagree with it.
import {
  type DaemonHealth,
  type DeviceEvent,
  type DeviceState,
  type Effect,
  type LedName,
  type LedPattern,
  type Mode,
  type PersistedState,
  REPLICATION_FLASH_MS,
  type ReducerResult,
  type TimerKey,
  type WifiSource,
  WPS_BACKSTOP_MS,
  type WpsOutcome,
  type WpsRole,
} from './model.js';

export function roleOf(mode: Mode): WpsRole {
  return mode === 'ap' ? 'registrar' : 'enrollee';
}

function sourceOf(role: WpsRole): WifiSource {
  return role === 'registrar' ? 'ap' : 'station';
}

export function initialState(persisted: PersistedState | null): DeviceState {
  return {
    mode: persisted?.mode ?? 'client',
    wps: { phase: 'idle' },
    lastWps: null,
    station: null,
    apStations: [],
    daemons: { station: { state: 'unknown' }, ap: { state: 'unknown' } },
    replication: 'idle',
    keys: {
      oneTime: persisted?.keys.oneTime ?? true,
      trusted: [...(persisted?.keys.trusted ?? [])].sort(),
      issued: [],
      expiring: [],
    },
    timers: {},
    nextGen: 1,
    lastError: null,
  };
}

/** Associations that are real right now: our AP's stations, and the BSS our station joined. */
export function associationCount(state: DeviceState): number {
  return state.apStations.length + (state.station === null ? 0 : 1);
}

export function ledsOf(state: DeviceState): Record<LedName, LedPattern> {
  return {
    ap: state.mode === 'ap' ? 'on' : 'off',
    connection: state.wps.phase === 'active' ? 'blink' : associationCount(state) > 0 ? 'on' : 'off',
    replication: state.replication === 'replicating' ? 'blink' : state.replication === 'done' ? 'on' : 'off',
  };
}

export function persistedOf(state: DeviceState): PersistedState {
  return {
    version: 1,
    mode: state.mode,
    keys: { oneTime: state.keys.oneTime, trusted: state.keys.trusted },
  };
}

/**
 * Coming up after boot, crash or restart: drive the daemons to the persisted mode and light every LED
 * from the state, rather than trusting whatever the hardware was left showing. The true associations are
 * read back when each daemon reports itself up (DaemonUp -> Reconcile).
 */
export function boot(persisted: PersistedState | null): ReducerResult {
  const state = initialState(persisted);
  const leds = ledsOf(state);
  const effects: Effect[] = [
    ...applyMode(state.mode),
    ...(Object.keys(leds) as LedName[]).map((led): Effect => ({ type: 'SetLed', led, pattern: leds[led] })),
  ];
  return [state, effects];
}

export function reduce(state: DeviceState, event: DeviceEvent): ReducerResult {
  const [next, effects] = step(state, event);
  return [next, [...persistIfChanged(state, next), ...effects, ...ledChanges(state, next)]];
}

function ledChanges(before: DeviceState, after: DeviceState): Effect[] {
  const was = ledsOf(before);
  const now = ledsOf(after);
  return (Object.keys(now) as LedName[])
    .filter((led) => was[led] !== now[led])
    .map((led) => ({ type: 'SetLed', led, pattern: now[led] }));
}

/** Persisting comes first so a crash right after a mode change still comes back in the new mode. */
function persistIfChanged(before: DeviceState, after: DeviceState): Effect[] {
  const was = persistedOf(before);
  const now = persistedOf(after);
  return JSON.stringify(was) === JSON.stringify(now) ? [] : [{ type: 'PersistState', persisted: now }];
}

function applyMode(mode: Mode): Effect[] {
  // The station must let go of the radio before hostapd takes it, and hostapd must stop before
  // the station may roam to known networks again (seed 4.2.3). One radio cannot do both at once.
  return mode === 'ap'
    ? [{ type: 'ConfigureStation', networks: 'none' }, { type: 'StartAp' }]
    : [{ type: 'StopAp' }, { type: 'ConfigureStation', networks: 'known' }];
}

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string): Effect {
  return { type: 'Log', level, message };
}

function startTimer(state: DeviceState, key: TimerKey, ms: number): [DeviceState, Effect] {
  const gen = state.nextGen;
  return [
    { ...state, timers: { ...state.timers, [key]: gen }, nextGen: gen + 1 },
    { type: 'StartTimer', key, ms, gen },
  ];
}

function cancelTimer(state: DeviceState, key: TimerKey): [DeviceState, Effect[]] {
  if (state.timers[key] === undefined) return [state, []];
  const timers = { ...state.timers };
  delete timers[key];
  return [{ ...state, timers }, [{ type: 'CancelTimer', key }]];
}

function beginWps(state: DeviceState, at: number, confirmed: boolean, issue: boolean): ReducerResult {
  const role = roleOf(state.mode);
  const [timed, timer] = startTimer(state, 'wps-backstop', WPS_BACKSTOP_MS);
  const effects: Effect[] = issue ? [{ type: 'WpsStart', role }, timer] : [timer];
  return [{ ...timed, wps: { phase: 'active', role, since: at, confirmed } }, effects];
}

/**
 * Ends an active search. `tellDaemon` sends the role's cancel so the daemon's own PBC state matches ours
 * (after a failure, an overlap, our backstop or the user's cancel); when the daemon itself reported the
 * end (success, timeout, its own cancel) there is nothing to tell it.
 */
function endWps(
  state: DeviceState,
  at: number,
  outcome: WpsOutcome,
  tellDaemon: boolean,
  detail?: string,
): ReducerResult {
  if (state.wps.phase !== 'active') return [state, []];
  const role = state.wps.role;
  const [untimed, cancelEffects] = cancelTimer(state, 'wps-backstop');
  const next: DeviceState = {
    ...untimed,
    wps: { phase: 'idle' },
    lastWps: detail === undefined ? { outcome, role, at } : { outcome, role, at, detail },
  };
  const effects: Effect[] = [
    ...(tellDaemon ? [{ type: 'WpsCancel', role } as Effect] : []),
    ...cancelEffects,
    log(outcome === 'success' ? 'info' : 'warn', `WPS search ended: ${outcome}`),
  ];
  return [next, effects];
}

function switchMode(state: DeviceState, at: number, mode: Mode): ReducerResult {
  if (state.mode === mode) return [state, [log('debug', `already in ${mode} mode`)]];
  const [ended, wpsEffects] = endWps(state, at, 'cancelled', true);
  const next: DeviceState = {
    ...ended,
    mode,
    // Leaving a mode drops its associations now: hostapd going down or the station being
    // reconfigured ends them, and the LED must not keep claiming them while the events trickle in.
    station: mode === 'ap' ? null : ended.station,
    apStations: mode === 'client' ? [] : ended.apStations,
    // hostapd stopping forgets every key it held in memory.
    keys: mode === 'client' ? { ...ended.keys, issued: [], expiring: [] } : ended.keys,
  };
  return [next, [...wpsEffects, ...applyMode(mode), log('info', `mode -> ${mode}`)]];
}

const insert = (set: string[], item: string): string[] => (set.includes(item) ? set : [...set, item].sort());
const remove = (set: string[], item: string): string[] => set.filter((x) => x !== item);

/** A WPS event counts only if it comes from the daemon that plays the active (or current) role. */
function wpsEventApplies(state: DeviceState, source: WifiSource): boolean {
  const role = state.wps.phase === 'active' ? state.wps.role : roleOf(state.mode);
  return sourceOf(role) === source && sourceOf(roleOf(state.mode)) === source;
}

function step(state: DeviceState, event: DeviceEvent): ReducerResult {
  const at = event.at;
  switch (event.type) {
    case 'ButtonPressed':
      if (event.button === 'ap') return switchMode(state, at, state.mode === 'ap' ? 'client' : 'ap');
      return state.wps.phase === 'active' ? endWps(state, at, 'cancelled', true) : beginWps(state, at, false, true);

    case 'ApRequested':
      return switchMode(state, at, event.on ? 'ap' : 'client');

    case 'WpsRequested':
      if (event.action === 'cancel') {
        return state.wps.phase === 'active'
          ? endWps(state, at, 'cancelled', true)
          : [state, [log('debug', 'no WPS search to cancel')]];
      }
      return state.wps.phase === 'active'
        ? [state, [log('debug', 'WPS search already active')]]
        : beginWps(state, at, false, true);

    case 'StationConnected':
      return [{ ...state, station: event.bssid }, []];

    case 'StationDisconnected':
      return [{ ...state, station: null }, []];

    case 'StationSnapshot':
      return [{ ...state, station: event.bssid }, []];

    case 'ApStationConnected': {
      if (state.mode !== 'ap') {
        return [state, [log('warn', `ignoring AP station ${event.mac} while in client mode`)]];
      }
      const next = { ...state, apStations: insert(state.apStations, event.mac) };
      if (!state.keys.issued.includes(event.mac)) return [next, []];
      // The first connection with a WPS-issued key: "connect once" means this connection may go on,
      // but the key must not let the device back in later.
      const keys = { ...state.keys, issued: remove(state.keys.issued, event.mac) };
      if (!state.keys.oneTime) {
        return [{ ...next, keys: { ...keys, trusted: insert(keys.trusted, event.mac) } }, []];
      }
      return [
        { ...next, keys: { ...keys, expiring: insert(keys.expiring, event.mac) } },
        [{ type: 'ForgetWpsKey', mac: event.mac, now: false }],
      ];
    }

    case 'ApStationDisconnected': {
      const next = { ...state, apStations: remove(state.apStations, event.mac) };
      if (!state.keys.expiring.includes(event.mac)) return [next, []];
      return [
        { ...next, keys: { ...state.keys, expiring: remove(state.keys.expiring, event.mac) } },
        [{ type: 'ForgetWpsKey', mac: event.mac, now: true }],
      ];
    }

    case 'ApSnapshot':
      if (state.mode !== 'ap') return [{ ...state, apStations: [] }, []];
      return [{ ...state, apStations: [...new Set(event.stations)].sort() }, []];

    case 'WpsEnrolleeRegistered':
      if (state.mode !== 'ap') return [state, []];
      return [{ ...state, keys: { ...state.keys, issued: insert(state.keys.issued, event.mac) } }, []];

    case 'WpsPbcActive':
      if (!wpsEventApplies(state, event.source)) {
        return [state, [log('debug', `ignoring WPS-PBC-ACTIVE from ${event.source} in ${state.mode} mode`)]];
      }
      if (state.wps.phase === 'active') {
        return [{ ...state, wps: { ...state.wps, confirmed: true } }, []];
      }
      // Someone started PBC on the daemon directly: the LED still tells the truth.
      return beginWps(state, at, true, false);

    case 'WpsSuccess':
    case 'WpsTimeout':
    case 'WpsCancelled':
    case 'WpsFail':
    case 'WpsOverlap': {
      if (!wpsEventApplies(state, event.source) || state.wps.phase !== 'active') {
        return [state, [log('debug', `ignoring ${event.type} from ${event.source}: no search in that role`)]];
      }
      switch (event.type) {
        case 'WpsSuccess':
          return endWps(state, at, 'success', false);
        case 'WpsTimeout':
          return endWps(state, at, 'timeout', false);
        case 'WpsCancelled':
          return endWps(state, at, 'cancelled', false);
        case 'WpsFail':
          return endWps(state, at, 'fail', true, event.detail);
        case 'WpsOverlap':
          return endWps(state, at, 'overlap', true);
      }
      break;
    }

    case 'TimerFired': {
      if (state.timers[event.key] !== event.gen) return [state, []];
      const timers = { ...state.timers };
      delete timers[event.key];
      const fired = { ...state, timers };
      if (event.key === 'wps-backstop') {
        // Our own walk-time backstop: the daemon never reported an end, so cancel it ourselves.
        return endWps(fired, at, 'timeout', true);
      }
      return [{ ...fired, replication: fired.replication === 'done' ? 'idle' : fired.replication }, []];
    }

    case 'DaemonUp': {
      const daemons = { ...state.daemons, [event.daemon]: { state: 'up' } };
      const effects: Effect[] = [log('info', `${event.daemon} daemon is up`)];
      // A daemon that (re)appeared may have lost our configuration: put it back, then read its truth.
      if (event.daemon === 'station') {
        effects.push({ type: 'ConfigureStation', networks: state.mode === 'ap' ? 'none' : 'known' });
      } else if (state.mode === 'client') {
        effects.push({ type: 'StopAp' });
      }
      effects.push({ type: 'Reconcile', daemon: event.daemon });
      return [{ ...state, daemons }, effects];
    }

    case 'DaemonDown':
    case 'DaemonStopped': {
      const health: DaemonHealth =
        event.type === 'DaemonDown' ? { state: 'down', reason: event.reason } : { state: 'stopped' };
      let next: DeviceState = {
        ...state,
        daemons: { ...state.daemons, [event.daemon]: health },
        station: event.daemon === 'station' ? null : state.station,
        apStations: event.daemon === 'ap' ? [] : state.apStations,
      };
      let effects: Effect[] =
        event.type === 'DaemonDown' ? [log('error', `${event.daemon} daemon is down: ${event.reason}`)] : [];
      if (state.wps.phase === 'active' && sourceOf(state.wps.role) === event.daemon) {
        const [ended, endEffects] = endWps(next, at, 'fail', false, `${event.daemon} daemon went away`);
        next = ended;
        effects = [...effects, ...endEffects];
      }
      return [next, effects];
    }

    case 'EffectFailed': {
      const next = { ...state, lastError: `${event.effect}: ${event.error}` };
      const effects: Effect[] = [log('error', `effect ${event.effect} failed: ${event.error}`)];
      if (event.effect === 'WpsStart') {
        const [ended, endEffects] = endWps(next, at, 'fail', false, event.error);
        return [ended, [...effects, ...endEffects]];
      }
      return [next, effects];
    }

    case 'UnknownDaemonEvent':
      return [state, [log('debug', `unhandled ${event.source} event: ${event.line.slice(0, 200)}`)]];

    case 'ReplicationChanged': {
      if (event.replicating) {
        const [untimed, effects] = cancelTimer(state, 'replication-flash');
        return [{ ...untimed, replication: 'replicating' }, effects];
      }
      if (state.replication !== 'replicating') return [state, []];
      const [timed, timer] = startTimer(state, 'replication-flash', REPLICATION_FLASH_MS);
      return [{ ...timed, replication: 'done' }, [timer]];
    }

    case 'WifiSettingsChanged': {
      // Only the daemon serving the changed settings needs them now; the other reads them when its mode comes.
      if (event.scope === 'ap' && state.mode === 'ap') {
        const [ended, wpsEffects] = endWps(state, at, 'cancelled', true);
        // Stations must re-join with the new settings, and their association ends with the restart.
        return [
          { ...ended, apStations: [], keys: { ...ended.keys, issued: [], expiring: [] } },
          [
            ...wpsEffects,
            { type: 'StopAp' },
            { type: 'StartAp' },
            log('info', 'access point restarted with new settings'),
          ],
        ];
      }
      if (event.scope === 'known-networks' && state.mode === 'client' && state.wps.phase === 'idle') {
        return [state, [{ type: 'ConfigureStation', networks: 'known' }]];
      }
      return [state, []];
    }

    case 'OneTimeKeysSet':
      return [{ ...state, keys: { ...state.keys, oneTime: event.enabled } }, []];

    case 'DeviceRevoked': {
      const { trusted, issued, expiring } = state.keys;
      const known = [trusted, issued, expiring].some((set) => set.includes(event.mac));
      if (!known) return [state, [log('warn', `no trusted device ${event.mac} to revoke`)]];
      const keys = {
        ...state.keys,
        trusted: remove(trusted, event.mac),
        issued: remove(issued, event.mac),
        expiring: remove(expiring, event.mac),
      };
      // Revoking is meant to take effect now, even for a device that is connected.
      return [{ ...state, keys }, [{ type: 'ForgetWpsKey', mac: event.mac, now: true }]];
    }

    default:
      return ignoreUnknown(state, event);
  }
}

/** The compiler proves every event is handled; at run time a stray value is logged, never thrown. */
function ignoreUnknown(state: DeviceState, event: never): ReducerResult {
  return [state, [log('warn', `unknown event ${JSON.stringify(event).slice(0, 200)}`)]];
}
