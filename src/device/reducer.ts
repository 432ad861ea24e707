// The connectivity state machine: a total, pure function (state, event) -> [state, effects].
// LEDs and the persisted record are derived from the state after each step, so they cannot disagree with it.
import {
  AP_BRINGUP_MS,
  type DaemonHealth,
  type DeviceEvent,
  type DeviceState,
  type Effect,
  HOST_CHECK_MS,
  type LedName,
  type LedPattern,
  type Mode,
  type PeerAp,
  type PersistedState,
  REPLICATION_FLASH_MS,
  type ReducerResult,
  SCAN_GAP_MS,
  SEARCH_GRACE_MS,
  type TimerKey,
  WATCH_INTERVAL_MS,
  WATCH_MAX_FAILURES,
  WATCH_PATIENCE_MS,
  type WifiSource,
  WPS_BACKSTOP_MS,
  type WpsOutcome,
  type WpsPhase,
  type WpsRole,
  type WpsState,
} from './model.js';
import {
  bssidOf,
  decideHost,
  decideSearch,
  decideWatch,
  decideWindowEnd,
  nextBringupEstimate,
  sawNewcomer,
  searchWindowMs,
  seenBssids,
} from './pairing.js';

export function roleOf(mode: Mode): WpsRole {
  return mode === 'ap' ? 'registrar' : 'enrollee';
}

/** The daemon that runs a phase's push-button session: searching scans with the station. */
function sourceOf(phase: WpsPhase): WifiSource {
  return phase === 'registrar' ? 'ap' : 'station';
}

export function initialState(persisted: PersistedState | null, defaults: BootDefaults = {}): DeviceState {
  const mode = persisted?.mode ?? 'client';
  return {
    mode,
    wps: { phase: 'idle' },
    lastWps: null,
    accessPoint: { state: mode === 'ap' ? 'starting' : 'off' },
    autoRole: persisted?.wps?.autoRole ?? defaults.autoRole ?? true,
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
    apBringup: { since: null, estimateMs: null },
    timers: {},
    nextGen: 1,
    lastError: null,
  };
}

/** Settings from the config file that apply until the device has a persisted choice of its own. */
export interface BootDefaults {
  autoRole?: boolean;
}

/** Associations that are real right now: our AP's stations, and the BSS our station joined. */
export function associationCount(state: DeviceState): number {
  return state.apStations.length + (state.station === null ? 0 : 1);
}

/**
 * The AP LED is on only while hostapd reports the access point enabled; it blinks while hostapd is
 * coming up (or coming back after a crash), and is off when it failed (the device went back to client
 * mode; `status` says why in accessPoint.reason and lastError).
 */
export function ledsOf(state: DeviceState): Record<LedName, LedPattern> {
  const ap = state.mode !== 'ap' ? 'off' : state.accessPoint.state === 'enabled' ? 'on' : 'blink';
  return {
    ap,
    connection: state.wps.phase === 'active' ? 'blink' : associationCount(state) > 0 ? 'on' : 'off',
    replication: state.replication === 'replicating' ? 'blink' : state.replication === 'done' ? 'on' : 'off',
  };
}

export function persistedOf(state: DeviceState): PersistedState {
  // An auto-role registrar hosts only for its session: a crash in the middle comes back in the mode
  // the device had before the press.
  const mode = state.wps.phase === 'active' && state.wps.auto ? state.wps.returnTo : state.mode;
  return {
    version: 1,
    mode,
    keys: { oneTime: state.keys.oneTime, trusted: state.keys.trusted },
    wps: { autoRole: state.autoRole },
  };
}

/**
 * Coming up after boot, crash or restart: drive the daemons to the persisted mode and light every LED
 * from the state, rather than trusting whatever the hardware was left showing. The true associations are
 * read back when each daemon reports itself up (WifiDaemonUp -> Reconcile).
 */
export function boot(persisted: PersistedState | null, defaults: BootDefaults = {}): ReducerResult {
  const initial = initialState(persisted, defaults);
  const [state, timer] = initial.mode === 'ap' ? startTimer(initial, 'ap-bringup', AP_BRINGUP_MS) : [initial, null];
  const leds = ledsOf(state);
  const effects: Effect[] = [
    ...applyMode(state.mode),
    ...(timer ? [timer] : []),
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

/** How soon a state write that failed is tried again. */
export const PERSIST_RETRY_MS = 10_000;

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

function cancelTimers(state: DeviceState, keys: TimerKey[]): [DeviceState, Effect[]] {
  let next = state;
  const effects: Effect[] = [];
  for (const key of keys) {
    const [cancelled, more] = cancelTimer(next, key);
    next = cancelled;
    effects.push(...more);
  }
  return [next, effects];
}

type ActiveWps = Extract<WpsState, { phase: 'active' }>;

function activeWps(state: DeviceState): ActiveWps | null {
  return state.wps.phase === 'active' ? state.wps : null;
}

function withWps(state: DeviceState, change: Partial<ActiveWps>): DeviceState {
  const wps = activeWps(state);
  return wps === null ? state : { ...state, wps: { ...wps, ...change } };
}

/** The daemon's push-button session for a role, now if its daemon can take it, else once it can. */
function startRole(state: DeviceState, role: WpsRole, target: string | null, at: number): ReducerResult {
  const ready =
    role === 'registrar' ? state.accessPoint.state === 'enabled' : state.daemons.station.state !== 'stopped';
  const next = withWps(state, { role, started: ready, target, watching: false, rival: null, hostSeenAt: null });
  if (!ready) return [next, [log('info', `WPS ${role} waits for its daemon`)]];
  const [watched, effects] = watchHost(next, at);
  return [watched, [wpsStartEffect(role, target), ...effects]];
}

/**
 * An auto-role enrollee that has started enrolling with its host keeps an eye on it (CheckHost every
 * HOST_CHECK_MS), so a host that vanished ends the session long before the walk time does.
 */
function watchHost(state: DeviceState, at: number): ReducerResult {
  const wps = activeWps(state);
  if (wps === null || wps.role !== 'enrollee' || !wps.auto || wps.target === null || !wps.started) return [state, []];
  const [timed, timer] = startTimer(withWps(state, { hostSeenAt: at }), 'wps-scan', HOST_CHECK_MS);
  return [timed, [timer]];
}

/** The station's answer about the host: still there (check again later), or gone (the session ends). */
function hostSighted(state: DeviceState, at: number, bssid: string, seenMsAgo: number | null): ReducerResult {
  const wps = activeWps(state);
  if (wps === null || wps.role !== 'enrollee' || wps.hostSeenAt === null || wps.target !== bssidOf(bssid)) {
    return [state, []];
  }
  const decision = decideHost(wps.hostSeenAt, seenMsAgo, at);
  if (decision.kind === 'gone') {
    const seconds = Math.round(decision.unseenMs / 1000);
    return endWps(state, at, 'fail', true, `the host ${wps.target} went away (not seen hosting for ${seconds} s)`);
  }
  const [timed, timer] = startTimer(withWps(state, { hostSeenAt: decision.seenAt }), 'wps-scan', HOST_CHECK_MS);
  return [timed, [timer]];
}

function wpsStartEffect(role: WpsRole, target: string | null): Effect {
  return target === null ? { type: 'WpsStart', role } : { type: 'WpsStart', role, bssid: target };
}

/** A session in the role of the device's mode, as a press starts it or as the daemon already runs it. */
function newSession(state: DeviceState, at: number, known: Pick<ActiveWps, 'confirmed' | 'started'>): ActiveWps {
  return {
    phase: 'active',
    role: roleOf(state.mode),
    since: at,
    ...known,
    auto: false,
    returnTo: state.mode,
    target: null,
    watching: false,
    scanFailures: 0,
    rival: null,
    hostSeenAt: null,
    search: { atStart: null, newcomerAt: null, extended: false },
  };
}

/** A press (or a direct request) when no search is active. */
function beginWps(state: DeviceState, at: number): ReducerResult {
  const [timed, timer] = startTimer(state, 'wps-backstop', WPS_BACKSTOP_MS);
  const base = newSession(state, at, { confirmed: false, started: false });
  if (state.mode === 'client' && state.autoRole) {
    // Auto role: look for a peer registrar first; the window's length is drawn by the shell.
    return [
      { ...timed, wps: { ...base, role: 'searching', auto: true } },
      [timer, { type: 'DrawRandom', purpose: 'search-window' }, { type: 'Scan', via: 'station' }],
    ];
  }
  const [started, effects] = startRole({ ...timed, wps: base }, roleOf(state.mode), null, at);
  return [started, [...effects, timer]];
}

/**
 * Ends an active search. `tellDaemon` sends the role's cancel so the daemon's own PBC state matches ours
 * (after a failure, an overlap, our backstop or the user's cancel); when the daemon itself reported the
 * end (success, timeout, its own cancel) there is nothing to tell it. An auto-role session that did not
 * pair goes back to the mode the device had before the press.
 */
function endWps(
  state: DeviceState,
  at: number,
  outcome: WpsOutcome,
  tellDaemon: boolean,
  detail?: string,
): ReducerResult {
  const wps = activeWps(state);
  if (wps === null) return [state, []];
  const role = wps.role;
  const [untimed, cancelEffects] = cancelTimers(state, ['wps-backstop', 'wps-search', 'wps-scan']);
  const ended: DeviceState = {
    ...untimed,
    wps: { phase: 'idle' },
    lastWps: detail === undefined ? { outcome, role, at } : { outcome, role, at, detail },
  };
  const daemonCancel: Effect[] = tellDaemon && wps.started && role !== 'searching' ? [{ type: 'WpsCancel', role }] : [];
  const effects: Effect[] = [
    ...daemonCancel,
    ...cancelEffects,
    log(
      outcome === 'success' ? 'info' : 'warn',
      `WPS search ended: ${outcome} (${role})${detail ? `: ${detail}` : ''}`,
    ),
  ];
  if (!wps.auto || outcome === 'success' || ended.mode === wps.returnTo) return [ended, effects];
  const [back, backEffects] = changeMode(ended, wps.returnTo, at);
  return [back, [...effects, ...backEffects, log('info', `back to ${wps.returnTo} mode after the search`)]];
}

/** Puts the device in a mode (its daemons, its associations, the AP's bring-up watch), WPS untouched. */
function changeMode(state: DeviceState, mode: Mode, at: number): ReducerResult {
  const [untimed, cancelEffects] = cancelTimer(state, 'ap-bringup');
  const base: DeviceState = {
    ...untimed,
    mode,
    // The bring-up is timed from here to hostapd's AP-ENABLED (the search slots are spaced by it).
    apBringup: { ...untimed.apBringup, since: mode === 'ap' ? at : null },
    // Leaving a mode drops its associations now: hostapd going down or the station being
    // reconfigured ends them, and the LED must not keep claiming them while the events trickle in.
    station: mode === 'ap' ? null : untimed.station,
    apStations: mode === 'client' ? [] : untimed.apStations,
    // hostapd stopping forgets every key it held in memory.
    keys: mode === 'client' ? { ...untimed.keys, issued: [], expiring: [] } : untimed.keys,
    accessPoint:
      mode === 'ap'
        ? { state: 'starting' }
        : untimed.accessPoint.state === 'failed'
          ? untimed.accessPoint
          : { state: 'off' },
  };
  if (mode === 'client') return [base, [...cancelEffects, ...applyMode(mode), log('info', `mode -> ${mode}`)]];
  const [timed, timer] = startTimer(base, 'ap-bringup', AP_BRINGUP_MS);
  return [timed, [...cancelEffects, ...applyMode(mode), timer, log('info', `mode -> ${mode}`)]];
}

function switchMode(state: DeviceState, at: number, mode: Mode): ReducerResult {
  if (state.mode === mode) return [state, [log('debug', `already in ${mode} mode`)]];
  const [ended, wpsEffects] = endWps(withWps(state, { auto: false }), at, 'cancelled', true);
  const [next, modeEffects] = changeMode(ended, mode, at);
  return [next, [...wpsEffects, ...modeEffects]];
}

/** The access point gave up (never enabled, or hostapd refused to start): back to client mode. */
function apFailed(state: DeviceState, at: number, error: string): ReducerResult {
  if (state.mode !== 'ap') return [state, []];
  // The status shows one line; a command's stderr may bring several.
  const reason = error
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(': ')
    .slice(0, 200);
  const [ended, wpsEffects] = endWps(
    withWps(state, { auto: false }),
    at,
    'fail',
    true,
    `access point failed: ${reason}`,
  );
  const [back, modeEffects] = changeMode(ended, 'client', at);
  return [
    { ...back, accessPoint: { state: 'failed', reason }, lastError: `access point: ${reason}` },
    [...wpsEffects, ...modeEffects, log('error', `access point failed, back to client mode: ${reason}`)],
  ];
}

/** hostapd reports the access point enabled: the AP LED may say so, and a waiting registrar starts. */
function apEnabled(state: DeviceState, at: number): ReducerResult {
  if (state.mode !== 'ap') return [state, [log('debug', 'access point enabled outside AP mode')]];
  const [untimed, cancelEffects] = cancelTimer(state, 'ap-bringup');
  const { since, estimateMs } = untimed.apBringup;
  const apBringup =
    since === null || at < since
      ? { since: null, estimateMs }
      : { since: null, estimateMs: nextBringupEstimate(estimateMs, at - since) };
  const measured = since === null || at < since ? [] : [log('info', `access point up in ${at - since} ms`)];
  const next: DeviceState = { ...untimed, accessPoint: { state: 'enabled' }, apBringup };
  const wps = activeWps(next);
  if (wps === null || wps.role !== 'registrar' || wps.started) return [next, [...cancelEffects, ...measured]];
  const started = withWps(next, { started: true, watching: wps.auto, rival: null });
  const effects: Effect[] = [...cancelEffects, ...measured, wpsStartEffect('registrar', null)];
  if (!wps.auto) return [started, effects];
  // An auto-role registrar looks once right away for another registrar that came up at the same moment.
  return [started, [...effects, { type: 'Scan', via: 'ap' }]];
}

/** hostapd stopped beaconing while we want it up: blink until it is back, or until the bring-up gives up. */
function apLost(state: DeviceState, at: number, reason: string): ReducerResult {
  if (state.mode !== 'ap') return [state, []];
  let next: DeviceState = { ...state, accessPoint: { state: 'starting', reason } };
  let effects: Effect[] = [];
  const wps = activeWps(next);
  if (wps !== null && wps.role === 'registrar' && wps.started) {
    [next, effects] = endWps(next, at, 'fail', false, reason);
  }
  if (next.mode !== 'ap' || next.timers['ap-bringup'] !== undefined) return [next, effects];
  const [timed, timer] = startTimer(next, 'ap-bringup', AP_BRINGUP_MS);
  return [timed, [...effects, timer]];
}

/** A searching device's scan: enroll with the one registrar found, look again, or give up on overlap. */
function searchScanned(state: DeviceState, at: number, own: string | null, peers: PeerAp[]): ReducerResult {
  const decision = decideSearch(own, peers);
  switch (decision.kind) {
    case 'keep-searching': {
      const [timed, timer] = startTimer(noteNewcomers(state, at, own, peers), 'wps-scan', SCAN_GAP_MS);
      return [timed, [timer]];
    }
    case 'overlap':
      return endWps(state, at, 'overlap', false, `${decision.count} access points in push-button mode`);
    case 'enroll': {
      const [untimed, cancelEffects] = cancelTimer(state, 'wps-search');
      const [next, effects] = startRole(untimed, 'enrollee', decision.bssid, at);
      return [next, [...cancelEffects, ...effects, log('info', `found a registrar: ${decision.bssid}`)]];
    }
  }
}

/** Remembers what the search's first scan saw, and when a later one saw an access point beyond those. */
function noteNewcomers(state: DeviceState, at: number, own: string | null, peers: PeerAp[]): DeviceState {
  const wps = activeWps(state);
  if (wps === null) return state;
  const { atStart } = wps.search;
  if (atStart === null) return withWps(state, { search: { ...wps.search, atStart: seenBssids(own, peers) } });
  if (!sawNewcomer(atStart, own, peers)) return state;
  return withWps(state, { search: { ...wps.search, newcomerAt: at } });
}

/** The search window ended: host, or give an access point that just appeared a moment to offer push-button. */
function searchWindowEnded(state: DeviceState, at: number): ReducerResult {
  const wps = activeWps(state);
  if (wps === null || wps.role !== 'searching') return [state, []];
  if (decideWindowEnd(wps.search.newcomerAt, wps.search.extended, at) === 'host') return becomeRegistrar(state, at);
  const extended = withWps(state, { search: { ...wps.search, extended: true } });
  const [timed, timer] = startTimer(extended, 'wps-search', SEARCH_GRACE_MS);
  return [
    timed,
    [
      timer,
      log('info', `an access point appeared during the search: ${SEARCH_GRACE_MS / 1000} s more for its push-button`),
    ],
  ];
}

/** An auto-role registrar's look around: keep hosting, step down to the other registrar, or overlap. */
function watchScanned(state: DeviceState, at: number, own: string | null, peers: PeerAp[]): ReducerResult {
  const wps = activeWps(state);
  const decision = decideWatch(own, peers, wps?.rival ?? null, at);
  switch (decision.kind) {
    case 'keep-hosting': {
      const watched = withWps(state, { scanFailures: 0, rival: decision.rival });
      const [timed, timer] = startTimer(watched, 'wps-scan', WATCH_INTERVAL_MS);
      const noticed =
        decision.rival !== null && decision.rival.since === at
          ? [log('info', `another registrar (${decision.rival.bssid}) is hosting too: waiting for it to step down`)]
          : [];
      return [timed, [timer, ...noticed]];
    }
    case 'overlap':
      return endWps(state, at, 'overlap', true, `${decision.count} other registrars in push-button mode`);
    case 'step-down': {
      const cancel: Effect = { type: 'WpsCancel', role: 'registrar' };
      const [client, modeEffects] = changeMode(withWps(state, { started: false, rival: null }), 'client', at);
      const [next, effects] = startRole(client, 'enrollee', decision.bssid, at);
      const why =
        decision.why === 'tie-break'
          ? 'wins the tie-break'
          : `kept hosting for ${WATCH_PATIENCE_MS / 1000} s without stepping down`;
      return [
        next,
        [
          cancel,
          ...modeEffects,
          ...effects,
          log('info', `another registrar (${decision.bssid}) ${why}: enrolling with it`),
        ],
      ];
    }
  }
}

function scanned(state: DeviceState, at: number, event: Extract<DeviceEvent, { type: 'ScanResults' }>): ReducerResult {
  const wps = activeWps(state);
  const own = bssidOf(event.own);
  if (wps?.role === 'searching' && event.via === 'station') return searchScanned(state, at, own, event.peers);
  if (wps?.role === 'registrar' && wps.auto && wps.watching && event.via === 'ap' && state.mode === 'ap') {
    return watchScanned(state, at, own, event.peers);
  }
  return [state, [log('debug', `scan results from ${event.via} with no search to use them`)]];
}

/** The search window ended with no registrar found: this device becomes the registrar. */
function becomeRegistrar(state: DeviceState, at: number): ReducerResult {
  const [quiet, cancelEffects] = cancelTimer(state, 'wps-scan');
  const [hosting, modeEffects] = changeMode(quiet, 'ap', at);
  const [next, effects] = startRole(hosting, 'registrar', null, at);
  return [next, [...cancelEffects, ...modeEffects, ...effects, log('info', 'no registrar found: hosting')]];
}

/** What a failed effect means for the device; every effect has an answer here. */
function effectFailed(state: DeviceState, at: number, effect: Effect['type'], error: string): ReducerResult {
  const next = { ...state, lastError: `${effect}: ${error}` };
  const logged = log('error', `effect ${effect} failed: ${error}`);
  const wps = activeWps(next);
  switch (effect) {
    case 'StartAp': {
      const [failed, effects] = apFailed(next, at, error);
      return [failed, [logged, ...effects]];
    }
    case 'WpsStart': {
      const [ended, effects] = endWps(withWps(next, { started: false }), at, 'fail', false, error);
      return [ended, [logged, ...effects]];
    }
    case 'ConfigureStation': {
      // An enrollee waiting for its station cannot start without it.
      if (wps !== null && wps.role === 'enrollee' && !wps.started) {
        const [ended, effects] = endWps(next, at, 'fail', false, `the station could not start: ${error}`);
        return [ended, [logged, ...effects]];
      }
      return [next, [logged]];
    }
    case 'Scan': {
      if (wps?.role === 'searching') {
        // Without scans the search finds nobody; the window still ends and the device hosts.
        return [next, [logged, log('warn', 'searching without scan results until the window ends')]];
      }
      if (wps?.role === 'registrar' && wps.watching) {
        const failures = wps.scanFailures + 1;
        if (failures >= WATCH_MAX_FAILURES) {
          // A driver that cannot scan while hosting: keep hosting; the other device's own scans decide.
          return [
            withWps(next, { watching: false, scanFailures: failures }),
            [logged, log('warn', `stopped watching for other registrars after ${failures} failed scans`)],
          ];
        }
        const [timed, timer] = startTimer(withWps(next, { scanFailures: failures }), 'wps-scan', WATCH_INTERVAL_MS);
        return [timed, [logged, timer]];
      }
      return [next, [logged]];
    }
    case 'DrawRandom': {
      if (wps?.role !== 'searching' || next.timers['wps-search'] !== undefined) return [next, [logged]];
      const [timed, timer] = startTimer(next, 'wps-search', searchWindowMs(0.5, next.apBringup.estimateMs));
      return [timed, [logged, timer]];
    }
    case 'CheckHost': {
      // No answer is no evidence either way: ask again at the usual pace.
      if (wps?.role !== 'enrollee' || wps.hostSeenAt === null) return [next, [logged]];
      const [timed, timer] = startTimer(next, 'wps-scan', HOST_CHECK_MS);
      return [timed, [logged, timer]];
    }
    case 'ForgetWpsKey':
      // The key stays in the file; the next forget (revoke, or the station leaving) tries again.
      return [next, [logged]];
    case 'PersistState': {
      // A full card or a failing one: the file keeps the last good state (written atomically) and the write
      // is tried again, at a steady pace, until it works; no crash, no loop faster than the retry.
      if (next.timers['persist-retry'] !== undefined) return [next, [logged]];
      const [timed, timer] = startTimer(next, 'persist-retry', PERSIST_RETRY_MS);
      return [
        timed,
        [logged, timer, log('warn', `the device state will be saved again in ${PERSIST_RETRY_MS / 1000} s`)],
      ];
    }
    case 'WpsCancel':
    case 'StopAp':
    case 'Reconcile':
    case 'SetLed':
    case 'StartTimer':
    case 'CancelTimer':
    case 'Log':
      // Reported and kept in lastError: nothing in the state depends on them having worked.
      return [next, [logged]];
    default:
      return unknownEffect(next, effect);
  }
}

function unknownEffect(state: DeviceState, effect: never): ReducerResult {
  return [state, [log('warn', `failure of unknown effect ${String(effect).slice(0, 50)}`)]];
}

const insert = (set: string[], item: string): string[] => (set.includes(item) ? set : [...set, item].sort());
const remove = (set: string[], item: string): string[] => set.filter((x) => x !== item);

/**
 * A WPS event counts only if it comes from the daemon that plays the active (or current) role, and that
 * daemon has a session of ours: a searching device has none yet, a registrar waiting for its AP neither.
 */
function wpsEventApplies(state: DeviceState, source: WifiSource): boolean {
  const wps = activeWps(state);
  if (wps !== null && (wps.role === 'searching' || !wps.started)) return false;
  const role = wps !== null ? wps.role : roleOf(state.mode);
  return sourceOf(role) === source && sourceOf(roleOf(state.mode)) === source;
}

/** Someone started PBC on the daemon directly: the LED still tells the truth. */
function adoptDaemonSession(state: DeviceState, at: number): ReducerResult {
  const [timed, timer] = startTimer(state, 'wps-backstop', WPS_BACKSTOP_MS);
  const wps = newSession(state, at, { confirmed: true, started: true });
  return [{ ...timed, wps }, [timer]];
}

/** The second press, or a cancel request: ends the session in any phase. */
function cancelWps(state: DeviceState, at: number): ReducerResult {
  return endWps(state, at, 'cancelled', true);
}

type EventOf<T extends DeviceEvent['type']> = Extract<DeviceEvent, { type: T }>;

/** Which handler an event goes to; each case is one line, the handlers below say what happens. */
function step(state: DeviceState, event: DeviceEvent): ReducerResult {
  const at = event.at;
  switch (event.type) {
    case 'ButtonPressed':
      return buttonPressed(state, at, event.button);
    case 'ApRequested':
      return switchMode(state, at, event.on ? 'ap' : 'client');
    case 'WpsRequested':
      return wpsRequested(state, at, event.action);
    case 'StationConnected':
    case 'StationSnapshot':
      return [{ ...state, station: event.bssid }, []];
    case 'StationDisconnected':
      return [{ ...state, station: null }, []];
    case 'ApStationConnected':
      return apStationConnected(state, event.mac);
    case 'ApStationDisconnected':
      return apStationDisconnected(state, event.mac);
    case 'ApSnapshot':
      return apSnapshot(state, at, event);
    case 'ApEnabled':
      return apEnabled(state, at);
    case 'ApDisabled':
      return apLost(state, at, 'hostapd disabled the access point');
    case 'WpsEnrolleeSeen':
      return enrolleeSeen(state, event);
    case 'ScanResults':
      return scanned(state, at, event);
    case 'HostSighting':
      return hostSighted(state, at, event.bssid, event.seenMsAgo);
    case 'RandomDrawn':
      return randomDrawn(state, event.value);
    case 'AutoRoleSet':
      return [{ ...state, autoRole: event.enabled }, [log('info', `WPS auto role ${event.enabled ? 'on' : 'off'}`)]];
    case 'WpsEnrolleeRegistered':
      return enrolleeRegistered(state, event.mac);
    case 'WpsPbcActive':
      return pbcActive(state, at, event.source);
    case 'WpsSuccess':
    case 'WpsTimeout':
    case 'WpsCancelled':
    case 'WpsFail':
    case 'WpsOverlap':
      return wpsEnded(state, at, event);
    case 'TimerFired':
      return timerFired(state, at, event);
    case 'WifiDaemonUp':
      return wifiDaemonUp(state, at, event.daemon);
    case 'WifiDaemonDown':
    case 'WifiDaemonStopped':
      return wifiDaemonGone(state, at, event);
    case 'EffectFailed':
      return effectFailed(state, at, event.effect, event.error);
    case 'UnknownWifiDaemonEvent':
      return [state, [log('debug', `unhandled ${event.source} event: ${event.line.slice(0, 200)}`)]];
    case 'ReplicationChanged':
      return replicationChanged(state, event.replicating);
    case 'WifiSettingsChanged':
      return wifiSettingsChanged(state, at, event.scope);
    case 'OneTimeKeysSet':
      return [{ ...state, keys: { ...state.keys, oneTime: event.enabled } }, []];
    case 'DeviceRevoked':
      return deviceRevoked(state, event.mac);
    default:
      return ignoreUnknown(state, event);
  }
}

function buttonPressed(state: DeviceState, at: number, button: EventOf<'ButtonPressed'>['button']): ReducerResult {
  if (button === 'ap') return switchMode(state, at, state.mode === 'ap' ? 'client' : 'ap');
  return state.wps.phase === 'active' ? cancelWps(state, at) : beginWps(state, at);
}

function wpsRequested(state: DeviceState, at: number, action: EventOf<'WpsRequested'>['action']): ReducerResult {
  if (action === 'cancel') {
    return state.wps.phase === 'active' ? cancelWps(state, at) : [state, [log('debug', 'no WPS search to cancel')]];
  }
  return state.wps.phase === 'active' ? [state, [log('debug', 'WPS search already active')]] : beginWps(state, at);
}

function apStationConnected(state: DeviceState, mac: string): ReducerResult {
  if (state.mode !== 'ap') {
    return [state, [log('warn', `ignoring AP station ${mac} while in client mode`)]];
  }
  const next = { ...state, apStations: insert(state.apStations, mac) };
  if (!state.keys.issued.includes(mac)) return [next, []];
  // The first connection with a WPS-issued key: "connect once" means this connection may go on,
  // but the key must not let the device back in later.
  const keys = { ...state.keys, issued: remove(state.keys.issued, mac) };
  if (!state.keys.oneTime) {
    return [{ ...next, keys: { ...keys, trusted: insert(keys.trusted, mac) } }, []];
  }
  return [
    { ...next, keys: { ...keys, expiring: insert(keys.expiring, mac) } },
    [{ type: 'ForgetWpsKey', mac, now: false }],
  ];
}

function apStationDisconnected(state: DeviceState, mac: string): ReducerResult {
  const next = { ...state, apStations: remove(state.apStations, mac) };
  if (!state.keys.expiring.includes(mac)) return [next, []];
  return [
    { ...next, keys: { ...state.keys, expiring: remove(state.keys.expiring, mac) } },
    [{ type: 'ForgetWpsKey', mac, now: true }],
  ];
}

function apSnapshot(state: DeviceState, at: number, event: EventOf<'ApSnapshot'>): ReducerResult {
  if (state.mode !== 'ap') return [{ ...state, apStations: [] }, []];
  const stations = [...new Set(event.stations)].sort();
  if (event.enabled === true && state.accessPoint.state !== 'enabled') {
    const [enabled, effects] = apEnabled(state, at);
    return [{ ...enabled, apStations: stations }, effects];
  }
  return [{ ...state, apStations: stations }, []];
}

function enrolleeSeen(state: DeviceState, event: EventOf<'WpsEnrolleeSeen'>): ReducerResult {
  const wps = activeWps(state);
  if (!event.pbc || wps === null || !wps.watching) return [state, []];
  // Someone in push-button mode is coming to us: we are the host; scans now would only disturb it.
  const [untimed, effects] = cancelTimer(withWps(state, { watching: false }), 'wps-scan');
  return [untimed, [...effects, log('info', `enrollee ${event.mac} in push-button mode: hosting it`)]];
}

function randomDrawn(state: DeviceState, value: number): ReducerResult {
  const wps = activeWps(state);
  if (wps?.role !== 'searching' || state.timers['wps-search'] !== undefined) return [state, []];
  const [timed, timer] = startTimer(state, 'wps-search', searchWindowMs(value, state.apBringup.estimateMs));
  return [timed, [timer]];
}

function enrolleeRegistered(state: DeviceState, mac: string): ReducerResult {
  if (state.mode !== 'ap') return [state, []];
  return [{ ...state, keys: { ...state.keys, issued: insert(state.keys.issued, mac) } }, []];
}

function pbcActive(state: DeviceState, at: number, source: WifiSource): ReducerResult {
  if (!wpsEventApplies(state, source)) {
    return [state, [log('debug', `ignoring WPS-PBC-ACTIVE from ${source} in ${state.mode} mode`)]];
  }
  if (state.wps.phase === 'active') return [withWps(state, { confirmed: true }), []];
  return adoptDaemonSession(state, at);
}

type WpsEndEvent = EventOf<'WpsSuccess' | 'WpsTimeout' | 'WpsCancelled' | 'WpsFail' | 'WpsOverlap'>;

function wpsEnded(state: DeviceState, at: number, event: WpsEndEvent): ReducerResult {
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
}

function timerFired(state: DeviceState, at: number, event: EventOf<'TimerFired'>): ReducerResult {
  if (state.timers[event.key] !== event.gen) return [state, []];
  const timers = { ...state.timers };
  delete timers[event.key];
  const fired = { ...state, timers };
  switch (event.key) {
    case 'wps-backstop':
      // Our own walk-time backstop: the daemon never reported an end, so cancel it ourselves.
      return endWps(fired, at, 'timeout', true);
    case 'wps-search':
      return searchWindowEnded(fired, at);
    case 'wps-scan':
      return [fired, scanTimerEffects(fired)];
    case 'ap-bringup':
      if (fired.mode !== 'ap' || fired.accessPoint.state === 'enabled') return [fired, []];
      return apFailed(fired, at, `hostapd did not enable the access point within ${AP_BRINGUP_MS / 1000} s`);
    case 'persist-retry':
      return [fired, [{ type: 'PersistState', persisted: persistedOf(fired) }]];
    case 'replication-flash':
      return [{ ...fired, replication: fired.replication === 'done' ? 'idle' : fired.replication }, []];
  }
}

/** What the periodic scan timer does for the session's role: search, check the host, or watch as host. */
function scanTimerEffects(state: DeviceState): Effect[] {
  const wps = activeWps(state);
  if (wps?.role === 'searching') return [{ type: 'Scan', via: 'station' }];
  if (wps?.role === 'enrollee' && wps.hostSeenAt !== null && wps.target !== null) {
    return [{ type: 'CheckHost', bssid: wps.target }];
  }
  return wps?.watching ? [{ type: 'Scan', via: 'ap' }] : [];
}

function wifiDaemonUp(state: DeviceState, at: number, daemon: WifiSource): ReducerResult {
  const effects: Effect[] = [log('info', `${daemon} daemon is up`)];
  // A daemon that (re)appeared may have lost our configuration: put it back, then read its truth.
  if (daemon === 'station') {
    effects.push({ type: 'ConfigureStation', networks: state.mode === 'ap' ? 'none' : 'known' });
  } else if (state.mode === 'client') {
    effects.push({ type: 'StopAp' });
  }
  effects.push({ type: 'Reconcile', daemon });
  const next: DeviceState = { ...state, daemons: { ...state.daemons, [daemon]: { state: 'up' } } };
  const wps = activeWps(next);
  if (daemon === 'station' && state.mode === 'client' && wps?.role === 'enrollee' && !wps.started) {
    // The enrollee that waited for its station (after stepping down from hosting) starts now.
    const [watched, watchEffects] = watchHost(withWps(next, { started: true }), at);
    return [watched, [...effects, wpsStartEffect('enrollee', wps.target), ...watchEffects]];
  }
  return [next, effects];
}

function wifiDaemonGone(
  state: DeviceState,
  at: number,
  event: EventOf<'WifiDaemonDown' | 'WifiDaemonStopped'>,
): ReducerResult {
  const health: DaemonHealth =
    event.type === 'WifiDaemonDown' ? { state: 'down', reason: event.reason } : { state: 'stopped' };
  let next: DeviceState = {
    ...state,
    daemons: { ...state.daemons, [event.daemon]: health },
    station: event.daemon === 'station' ? null : state.station,
    apStations: event.daemon === 'ap' ? [] : state.apStations,
  };
  let effects: Effect[] =
    event.type === 'WifiDaemonDown' ? [log('error', `${event.daemon} daemon is down: ${event.reason}`)] : [];
  const wps = activeWps(next);
  // A session whose daemon went away ends; one still waiting for its daemon to come up does not
  // care that the old one was stopped on purpose.
  const waiting = wps !== null && !wps.started && event.type === 'WifiDaemonStopped';
  if (wps !== null && sourceOf(wps.role) === event.daemon && !waiting) {
    const [ended, endEffects] = endWps(next, at, 'fail', false, `${event.daemon} daemon went away`);
    next = ended;
    effects = [...effects, ...endEffects];
  }
  if (event.type === 'WifiDaemonDown' && event.daemon === 'ap') {
    const [lost, lostEffects] = apLost(next, at, `hostapd is down: ${event.reason}`);
    return [lost, [...effects, ...lostEffects]];
  }
  return [next, effects];
}

function replicationChanged(state: DeviceState, replicating: boolean): ReducerResult {
  if (replicating) {
    const [untimed, effects] = cancelTimer(state, 'replication-flash');
    return [{ ...untimed, replication: 'replicating' }, effects];
  }
  if (state.replication !== 'replicating') return [state, []];
  const [timed, timer] = startTimer(state, 'replication-flash', REPLICATION_FLASH_MS);
  return [{ ...timed, replication: 'done' }, [timer]];
}

function wifiSettingsChanged(
  state: DeviceState,
  at: number,
  scope: EventOf<'WifiSettingsChanged'>['scope'],
): ReducerResult {
  // Only the daemon serving the changed settings needs them now; the other reads them when its mode comes.
  if (scope === 'ap' && state.mode === 'ap') return restartAp(state, at);
  if (scope === 'known-networks' && state.mode === 'client' && state.wps.phase === 'idle') {
    return [state, [{ type: 'ConfigureStation', networks: 'known' }]];
  }
  return [state, []];
}

/** The access point restarted with new settings; a search under way ends, as do stations' associations. */
function restartAp(state: DeviceState, at: number): ReducerResult {
  const [ended, wpsEffects] = endWps(state, at, 'cancelled', true);
  if (ended.mode !== 'ap') return [ended, wpsEffects];
  const [untimed, cancelEffects] = cancelTimer(ended, 'ap-bringup');
  const [timed, timer] = startTimer(untimed, 'ap-bringup', AP_BRINGUP_MS);
  return [
    {
      ...timed,
      apStations: [],
      keys: { ...ended.keys, issued: [], expiring: [] },
      accessPoint: { state: 'starting' },
      apBringup: { ...ended.apBringup, since: at },
    },
    [
      ...wpsEffects,
      ...cancelEffects,
      { type: 'StopAp' },
      { type: 'StartAp' },
      timer,
      log('info', 'access point restarted with new settings'),
    ],
  ];
}

function deviceRevoked(state: DeviceState, mac: string): ReducerResult {
  const { trusted, issued, expiring } = state.keys;
  const known = [trusted, issued, expiring].some((set) => set.includes(mac));
  if (!known) return [state, [log('warn', `no trusted device ${mac} to revoke`)]];
  const keys = {
    ...state.keys,
    trusted: remove(trusted, mac),
    issued: remove(issued, mac),
    expiring: remove(expiring, mac),
  };
  // Revoking is meant to take effect now, even for a device that is connected.
  return [{ ...state, keys }, [{ type: 'ForgetWpsKey', mac, now: true }]];
}

/** The compiler proves every event is handled; at run time a stray value is logged, never thrown. */
function ignoreUnknown(state: DeviceState, event: never): ReducerResult {
  return [state, [log('warn', `unknown event ${JSON.stringify(event).slice(0, 200)}`)]];
}
