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
  PersistedState,
  TimerKey,
  WifiSource,
} from '../../src/device/model.js';
import { associationCount, boot, ledsOf, persistedOf, reduce, roleOf } from '../../src/device/reducer.js';

const MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
const BSSIDS = ['02:00:00:00:01:00', '02:00:00:00:02:00'];

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
  { weight: 1, arbitrary: source.map((daemon) => ({ type: 'DaemonUp' as const, daemon })) },
  { weight: 1, arbitrary: source.map((daemon) => ({ type: 'DaemonDown' as const, daemon, reason: 'gone' })) },
  { weight: 1, arbitrary: source.map((daemon) => ({ type: 'DaemonStopped' as const, daemon })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Effect['type']>('WpsStart', 'StartAp', 'ConfigureStation', 'ForgetWpsKey')
      .map((effect) => ({ type: 'EffectFailed' as const, effect, error: 'boom' })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ maxLength: 40 })
      .map((line) => ({ type: 'UnknownDaemonEvent' as const, source: 'ap' as const, line })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom<TimerKey>('wps-backstop', 'replication-flash'), fc.integer({ min: 0, max: 30 }))
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
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<TimerKey>('wps-backstop', 'replication-flash')
      .map((key) => ({ kind: 'fire' as const, key })),
  },
);
const persistedArb: fc.Arbitrary<PersistedState | null> = fc.option(
  fc.record({
    version: fc.constant(1 as const),
    mode: fc.constantFrom<'ap' | 'client'>('ap', 'client'),
    keys: fc.record({ oneTime: fc.boolean(), trusted: fc.uniqueArray(mac, { maxLength: 2 }).map((t) => t.sort()) }),
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
      case 'DaemonDown':
      case 'DaemonStopped':
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
    const [after, effects] = reduce(before, { ...event, at } as never);
    applyTimerAndLedEffects(effects);
    oracle.observe(before, event, after);

    // No effect for the wrong role: starts use the mode's role, cancels the role of the search they end.
    for (const e of effects) {
      if (e.type === 'WpsStart') assert.equal(e.role, roleOf(before.mode));
      if (e.type === 'WpsCancel') {
        assert.equal(before.wps.phase, 'active', 'WpsCancel without an active search');
        if (before.wps.phase === 'active') assert.equal(e.role, before.wps.role);
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
  // AP LED <=> AP mode.
  assert.equal(leds.ap === 'on', state.mode === 'ap');
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
        const [after, effects] = reduce(state, { ...event, at: 1e9 } as never);
        assert.equal(after.wps.phase, 'idle');
        assert.notEqual(ledsOf(after).connection, 'blink');
        assert.equal(after.timers['wps-backstop'], undefined);
        assert.deepEqual(
          effects.filter((e) => e.type === 'WpsCancel'),
          [{ type: 'WpsCancel', role: state.wps.role }],
        );
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
      assert.equal(rebooted.mode, state.mode);
      assert.deepEqual(persistedOf(rebooted), persistedOf(state));
    }),
    { numRuns: 1000 },
  );
});
