// Property-based tests over random event sequences: whatever the order of button presses, daemon
// events, timers and failures, the invariants of the device hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type {
  DeviceState,
  Effect,
  EventBody,
  LedName,
  LedPattern,
  PeerAp,
  PersistedState,
  TimerKey,
  WifiSource,
} from '../../src/device/model.js';
import { associationCount, boot, ledsOf, persistedOf, reduce } from '../../src/device/reducer.js';

const MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
const BSSIDS = ['02:00:00:00:01:00', '02:00:00:00:02:00'];
const TIMER_KEYS: TimerKey[] = ['wps-backstop', 'wps-search', 'wps-scan', 'ap-bringup', 'replication-flash'];
const EFFECT_TYPES: Effect['type'][] = [
  'ConfigureStation',
  'StartAp',
  'StopAp',
  'WpsStart',
  'WpsCancel',
  'SetLed',
  'ForgetWpsKey',
  'PersistState',
  'StartTimer',
  'CancelTimer',
  'Reconcile',
  'Scan',
  'DrawRandom',
  'Log',
];
/** What a scan may report: real peers, our own address, and hostile garbage from the air. */
const peerArb = fc.record({
  bssid: fc.oneof(fc.constantFrom(...BSSIDS, '02:00:00:00:00:00', '02:00:00:00:0A:00'), fc.string({ maxLength: 20 })),
  ssid: fc.string({ maxLength: 40 }),
  pbc: fc.oneof({ weight: 5, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.anything() }),
}) as fc.Arbitrary<PeerAp>;

/** A step is either a concrete event or "fire the timer that is really pending", resolved against the state. */
type Step = { kind: 'event'; event: EventBody } | { kind: 'fire'; key: TimerKey };

const source = fc.constantFrom<WifiSource>('station', 'ap');
const mac = fc.constantFrom(...MACS);
const eventArb: fc.Arbitrary<EventBody> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom<'ap' | 'wps'>('ap', 'wps').map((button) => ({ type: 'ButtonPressed' as const, button })),
  },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ type: 'ApRequested' as const, on })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<'start' | 'cancel'>('start', 'cancel')
      .map((action) => ({ type: 'WpsRequested' as const, action })),
  },
  { weight: 3, arbitrary: fc.constantFrom(...BSSIDS).map((bssid) => ({ type: 'StationConnected' as const, bssid })) },
  {
    weight: 2,
    arbitrary: fc
      .option(fc.constantFrom(...BSSIDS), { nil: null })
      .map((bssid) => ({ type: 'StationDisconnected' as const, bssid })),
  },
  {
    weight: 1,
    arbitrary: fc
      .option(fc.constantFrom(...BSSIDS), { nil: null })
      .map((bssid) => ({ type: 'StationSnapshot' as const, bssid })),
  },
  { weight: 3, arbitrary: mac.map((m) => ({ type: 'ApStationConnected' as const, mac: m })) },
  { weight: 2, arbitrary: mac.map((m) => ({ type: 'ApStationDisconnected' as const, mac: m })) },
  {
    weight: 1,
    arbitrary: fc.array(mac, { maxLength: 4 }).map((stations) => ({ type: 'ApSnapshot' as const, stations })),
  },
  { weight: 2, arbitrary: mac.map((m) => ({ type: 'WpsEnrolleeRegistered' as const, mac: m })) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('WpsPbcActive', 'WpsSuccess', 'WpsFail', 'WpsTimeout', 'WpsCancelled', 'WpsOverlap'),
        source,
      )
      .map(([type, s]) => ({ type, source: s }) as EventBody),
  },
  { weight: 1, arbitrary: source.map((daemon) => ({ type: 'WifiDaemonUp' as const, daemon })) },
  { weight: 1, arbitrary: source.map((daemon) => ({ type: 'WifiDaemonDown' as const, daemon, reason: 'gone' })) },
  { weight: 1, arbitrary: source.map((daemon) => ({ type: 'WifiDaemonStopped' as const, daemon })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Effect['type']>(...EFFECT_TYPES)
      .map((effect) => ({ type: 'EffectFailed' as const, effect, error: 'boom' })),
  },
  { weight: 2, arbitrary: fc.constant({ type: 'ApEnabled' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'ApDisabled' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(mac, { maxLength: 3 }), fc.option(fc.boolean(), { nil: undefined }))
      .map(([stations, enabled]) =>
        enabled === undefined
          ? { type: 'ApSnapshot' as const, stations }
          : { type: 'ApSnapshot' as const, stations, enabled },
      ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(mac, fc.boolean()).map(([m, pbc]) => ({ type: 'WpsEnrolleeSeen' as const, mac: m, pbc })),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        source,
        fc.option(fc.constantFrom('02:00:00:00:00:00', '02:00:00:00:03:00', 'junk'), { nil: null }),
        fc.array(peerArb, { maxLength: 4 }),
      )
      .map(([via, own, peers]) => ({ type: 'ScanResults' as const, via, own, peers })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.double({ min: 0, max: 1, maxExcluded: true }), fc.constantFrom(Number.NaN, -1, 2, Infinity))
      .map((value) => ({ type: 'RandomDrawn' as const, purpose: 'search-window' as const, value })),
  },
  { weight: 1, arbitrary: fc.boolean().map((enabled) => ({ type: 'AutoRoleSet' as const, enabled })) },
  {
    weight: 1,
    arbitrary: fc
      .string({ maxLength: 40 })
      .map((line) => ({ type: 'UnknownWifiDaemonEvent' as const, source: 'ap' as const, line })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom<TimerKey>(...TIMER_KEYS), fc.integer({ min: 0, max: 30 }))
      .map(([key, gen]) => ({ type: 'TimerFired' as const, key, gen })),
  },
  { weight: 2, arbitrary: fc.boolean().map((replicating) => ({ type: 'ReplicationChanged' as const, replicating })) },
  { weight: 1, arbitrary: fc.boolean().map((enabled) => ({ type: 'OneTimeKeysSet' as const, enabled })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<'ap' | 'known-networks'>('ap', 'known-networks')
      .map((scope) => ({ type: 'WifiSettingsChanged' as const, scope })),
  },
  { weight: 1, arbitrary: mac.map((m) => ({ type: 'DeviceRevoked' as const, mac: m })) },
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: eventArb.map((event) => ({ kind: 'event' as const, event })) },
  { weight: 3, arbitrary: fc.constantFrom<TimerKey>(...TIMER_KEYS).map((key) => ({ kind: 'fire' as const, key })) },
);
const persistedArb: fc.Arbitrary<PersistedState | null> = fc.option(
  fc.record({
    version: fc.constant(1 as const),
    mode: fc.constantFrom<'ap' | 'client'>('ap', 'client'),
    keys: fc.record({ oneTime: fc.boolean(), trusted: fc.uniqueArray(mac, { maxLength: 2 }).map((t) => t.sort()) }),
    wps: fc.record({ autoRole: fc.boolean() }),
  }),
  { nil: null },
);

/**
 * An independent account of which associations are real, written as a plain replay of the event
 * history rather than as a reducer: AP stations count from their CONNECTED until a DISCONNECTED, a
 * snapshot, hostapd going down, or AP mode ending; the station's BSS likewise.
 */
class AssociationOracle {
  ap = new Set<string>();
  station: string | null = null;

  observe(before: DeviceState, event: EventBody, after: DeviceState): void {
    if (before.mode !== after.mode) {
      if (after.mode === 'ap') this.station = null;
      else this.ap.clear();
    }
    switch (event.type) {
      case 'ApStationConnected':
        if (before.mode === 'ap') this.ap.add(event.mac);
        break;
      case 'ApStationDisconnected':
        this.ap.delete(event.mac);
        break;
      case 'ApSnapshot':
        this.ap = new Set(before.mode === 'ap' ? event.stations : []);
        break;
      case 'StationConnected':
      case 'StationSnapshot':
        this.station = event.bssid;
        break;
      case 'StationDisconnected':
        this.station = null;
        break;
      case 'WifiSettingsChanged':
        if (event.scope === 'ap' && before.mode === 'ap') this.ap.clear();
        break;
      case 'WifiDaemonDown':
      case 'WifiDaemonStopped':
        if (event.daemon === 'ap') this.ap.clear();
        else this.station = null;
        break;
    }
  }
}

function runSteps(persisted: PersistedState | null, steps: Step[]) {
  const [initial, bootEffects] = boot(persisted);
  let state = initial;
  const leds: Record<LedName, LedPattern> = { ap: 'off', connection: 'off', replication: 'off' };
  const timers = new Map<TimerKey, number>();
  const applyTimerAndLedEffects = (effects: Effect[]) => {
    for (const e of effects) {
      if (e.type === 'SetLed') leds[e.led] = e.pattern;
      if (e.type === 'StartTimer') timers.set(e.key, e.gen);
      if (e.type === 'CancelTimer') timers.delete(e.key);
    }
  };
  applyTimerAndLedEffects(bootEffects);
  const oracle = new AssociationOracle();
  let at = 0;

  for (const step of steps) {
    let event: EventBody;
    if (step.kind === 'fire') {
      const gen = timers.get(step.key);
      if (gen === undefined) continue;
      timers.delete(step.key);
      event = { type: 'TimerFired', key: step.key, gen };
    } else {
      event = step.event;
      // A generated firing that matches a pending timer is that timer firing.
      if (event.type === 'TimerFired' && timers.get(event.key) === event.gen) timers.delete(event.key);
    }
    at += 100;
    const before = state;
    const [after, effects] = reduce(before, { ...event, at });
    applyTimerAndLedEffects(effects);
    oracle.observe(before, event, after);

    // No effect for the wrong role: a registrar starts only on an enabled access point, an enrollee only
    // in client mode; cancels go to the daemon that has our session.
    for (const e of effects) {
      if (e.type === 'WpsStart') {
        assert.ok(
          after.wps.phase === 'active' && after.wps.role === e.role && after.wps.started,
          'WpsStart outside its session',
        );
        if (e.role === 'registrar') assert.ok(after.mode === 'ap' && after.accessPoint.state === 'enabled');
        else assert.equal(after.mode, 'client');
      }
      if (e.type === 'WpsCancel') {
        assert.equal(before.wps.phase, 'active', 'WpsCancel without an active search');
        if (before.wps.phase === 'active') {
          assert.equal(e.role, before.wps.role);
          assert.ok(before.wps.started, 'WpsCancel for a session the daemon never had');
        }
      }
    }
    // The persisted record is written whenever it changes, first among the effects.
    const persist = effects.filter((e) => e.type === 'PersistState');
    if (JSON.stringify(persistedOf(before)) !== JSON.stringify(persistedOf(after))) {
      assert.equal(effects[0]?.type, 'PersistState');
      assert.deepEqual(persist.at(-1)?.type === 'PersistState' && persist.at(-1), {
        type: 'PersistState',
        persisted: persistedOf(after),
      });
    } else {
      assert.equal(persist.length, 0);
    }
    checkInvariants(after, leds, timers, oracle);
    state = after;
  }
  return { state, timers };
}

function checkInvariants(
  state: DeviceState,
  leds: Record<LedName, LedPattern>,
  timers: Map<TimerKey, number>,
  oracle: AssociationOracle,
): void {
  // The LEDs the hardware was told to show are exactly what the state says.
  assert.deepEqual(leds, ledsOf(state));
  // AP LED on <=> AP mode with hostapd reporting the access point enabled; blinking only while it comes up.
  assert.equal(leds.ap === 'on', state.mode === 'ap' && state.accessPoint.state === 'enabled');
  assert.equal(leds.ap === 'blink', state.mode === 'ap' && state.accessPoint.state === 'starting');
  // An access point coming up is watched by a bring-up timer, so it cannot blink forever.
  if (state.accessPoint.state === 'starting')
    assert.ok(state.mode !== 'ap' || state.timers['ap-bringup'] !== undefined);
  if (state.mode === 'client') assert.ok(['off', 'failed'].includes(state.accessPoint.state));
  if (state.wps.phase === 'active') {
    // Searching happens in client mode; a registrar waiting for its access point is in AP mode.
    if (state.wps.role === 'searching') assert.equal(state.mode, 'client');
    if (state.wps.role === 'registrar') assert.equal(state.mode, 'ap');
    if (state.wps.role === 'enrollee') assert.equal(state.mode, 'client');
    // A registrar that has not started is waiting for hostapd to enable the access point.
    if (state.wps.role === 'registrar' && !state.wps.started) assert.notEqual(state.accessPoint.state, 'enabled');
    if (state.wps.watching) assert.ok(state.wps.auto && state.wps.role === 'registrar' && state.wps.started);
  }
  // Blinking <=> a search is active.
  assert.equal(leds.connection === 'blink', state.wps.phase === 'active');
  // The LED never claims an association that isn't there.
  if (leds.connection === 'on') assert.ok(associationCount(state) > 0);
  assert.deepEqual(state.apStations, [...oracle.ap].sort());
  assert.equal(state.station, oracle.station);
  if (state.mode === 'client') assert.deepEqual(state.apStations, []);
  // A search always has a running backstop, so it is certain to end.
  if (state.wps.phase === 'active') assert.equal(timers.get('wps-backstop'), state.timers['wps-backstop']);
  // The runtime's timers and the state's agree.
  assert.deepEqual(Object.fromEntries(timers), state.timers);
}

test('invariants hold over random event sequences', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(persistedArb, fc.array(stepArb, { maxLength: 60 }), (persisted, steps) => {
      runSteps(persisted, steps);
    }),
    { numRuns: 3000 },
  );
});

test('cancel and timeout always terminate a search', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(
      persistedArb,
      fc.array(stepArb, { maxLength: 40 }),
      fc.constantFrom<'press' | 'cancel' | 'backstop' | 'ap'>('press', 'cancel', 'backstop', 'ap'),
      (persisted, steps, ending) => {
        const { state, timers } = runSteps(persisted, steps);
        if (state.wps.phase !== 'active') return;
        const event: EventBody =
          ending === 'press'
            ? { type: 'ButtonPressed', button: 'wps' }
            : ending === 'cancel'
              ? { type: 'WpsRequested', action: 'cancel' }
              : ending === 'ap'
                ? { type: 'ButtonPressed', button: 'ap' }
                : { type: 'TimerFired', key: 'wps-backstop', gen: timers.get('wps-backstop') ?? -1 };
        const [after, effects] = reduce(state, { ...event, at: 1e9 });
        const wps = state.wps;
        assert.equal(after.wps.phase, 'idle');
        assert.notEqual(ledsOf(after).connection, 'blink');
        for (const key of ['wps-backstop', 'wps-search', 'wps-scan'] as const)
          assert.equal(after.timers[key], undefined);
        assert.deepEqual(
          effects.filter((e) => e.type === 'WpsCancel'),
          wps.started && wps.role !== 'searching' ? [{ type: 'WpsCancel', role: wps.role }] : [],
        );
        // Cancel, second press or timeout in any phase: back to the mode before the press.
        if (ending !== 'ap' && wps.auto) assert.equal(after.mode, wps.returnTo);
        if (ending !== 'ap' && !wps.auto) assert.equal(after.mode, state.mode);
      },
    ),
    { numRuns: 2000 },
  );
});

test('the persisted mode always matches the mode, through any sequence', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(persistedArb, fc.array(stepArb, { maxLength: 40 }), (persisted, steps) => {
      const { state } = runSteps(persisted, steps);
      // Coming back from what was persisted gives the same mode and key policy.
      const [rebooted] = boot(persistedOf(state));
      // An auto-role registrar hosts only for its session: a crash then comes back in the mode before the press.
      const expected = state.wps.phase === 'active' && state.wps.auto ? state.wps.returnTo : state.mode;
      assert.equal(rebooted.mode, expected);
      assert.deepEqual(persistedOf(rebooted), persistedOf(state));
    }),
    { numRuns: 1000 },
  );
});
