// Pairing with one press (auto role) and the AP LED's truth: the decisions as tables, and the reducer's
// phases from a press to each way a session ends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  AP_BRINGUP_ASSUMED_MS,
  AP_BRINGUP_MAX_MS,
  AP_BRINGUP_MIN_MS,
  AP_BRINGUP_MS,
  AP_SCAN_LIMIT_MS,
  type DeviceState,
  type EventBody,
  HOST_CHECK_MS,
  HOST_GONE_MS,
  type PeerAp,
  RIVAL_MISSES_TO_FORGET,
  SEARCH_GRACE_MS,
  SEARCH_SLOT_FACTOR,
  SEARCH_SLOT_JITTER_MS,
  SEARCH_SLOT_MARGIN_MS,
  SEARCH_SLOTS,
  SEARCH_WINDOW_MAX_MS,
  SEARCH_WINDOW_MIN_MS,
  WATCH_INTERVAL_MS,
  WATCH_MAX_FAILURES,
  WATCH_PATIENCE_MS,
} from '../../src/device/model.js';
import {
  decideHost,
  decideSearch,
  decideWatch,
  decideWindowEnd,
  nextBringupEstimate,
  sawNewcomer,
  searchWindowMs,
  slotSpacingMs,
  steppingDownTo,
} from '../../src/device/pairing.js';
import { ledsOf, persistedOf } from '../../src/device/reducer.js';
import { statusOf } from '../../src/device/status.js';
import { AP_MODE, acting, CLIENT_AUTO, CLIENT_MODE, ofType, run } from '../helpers/reduce.js';

const OWN = '02:00:00:00:00:00';
const LOWER = '02:00:00:00:00:00';
const HIGHER = '02:00:00:00:01:00';
const PEER = '02:00:00:00:01:00';
const press: EventBody = { type: 'ButtonPressed', button: 'wps' };
const pbc = (bssid: string, ssid = 'Smallworld-1234'): PeerAp => ({ bssid, ssid, pbc: true });
const plain = (bssid: string): PeerAp => ({ bssid, ssid: 'cafe', pbc: false });
const scan = (via: 'station' | 'ap', peers: PeerAp[], own: string | null = OWN): EventBody => ({
  type: 'ScanResults',
  via,
  own,
  peers,
});
const fire = (state: DeviceState, key: 'wps-search' | 'wps-scan' | 'wps-backstop' | 'ap-bringup'): EventBody => ({
  type: 'TimerFired',
  key,
  gen: state.timers[key] ?? -1,
});

function phase(state: DeviceState): string | null {
  return state.wps.phase === 'active' ? state.wps.role : null;
}

/** A device pressed in client mode whose search window ended with nobody found: it hosts. */
function hosting(): DeviceState {
  const searching = run([press, { type: 'RandomDrawn', purpose: 'search-window', value: 0 }], CLIENT_AUTO).state;
  // As the real adapter does: the station stops for the access point (one radio).
  return run(
    [fire(searching, 'wps-search'), { type: 'WifiDaemonStopped', daemon: 'station' }, { type: 'ApEnabled' }],
    searching,
  ).state;
}

describe('pairing decisions', () => {
  test('the search window: a slot, spaced by the bring-up estimate, with a little jitter; odd draws count as the middle', () => {
    for (const estimate of [null, 2_400, 8_000]) {
      const spacing = slotSpacingMs(estimate);
      assert.equal(searchWindowMs(0, estimate), SEARCH_WINDOW_MIN_MS);
      assert.equal(searchWindowMs(1 / SEARCH_SLOTS, estimate), SEARCH_WINDOW_MIN_MS + spacing);
      assert.equal(searchWindowMs(2 / SEARCH_SLOTS, estimate), SEARCH_WINDOW_MIN_MS + 2 * spacing);
      assert.ok(searchWindowMs(0.999999, estimate) <= SEARCH_WINDOW_MIN_MS + 2 * spacing + SEARCH_SLOT_JITTER_MS);
      const middle = searchWindowMs(0.5, estimate);
      for (const odd of [Number.NaN, -1, 1, 2, Number.POSITIVE_INFINITY]) {
        assert.equal(searchWindowMs(odd, estimate), middle);
      }
    }
    assert.ok(searchWindowMs(0.999999, 1e12) <= SEARCH_WINDOW_MAX_MS);
  });

  const spacingTable: Array<[string, number | null, number]> = [
    [
      'nothing measured yet: the assumed bring-up',
      null,
      Math.ceil(AP_BRINGUP_ASSUMED_MS * SEARCH_SLOT_FACTOR) + SEARCH_SLOT_MARGIN_MS,
    ],
    ['idle lab: 2.4 s', 2_400, 3_000 + SEARCH_SLOT_MARGIN_MS],
    ['loaded lab: 8 s', 8_000, 10_000 + SEARCH_SLOT_MARGIN_MS],
    ['faster than the floor', 10, Math.ceil(AP_BRINGUP_MIN_MS * SEARCH_SLOT_FACTOR) + SEARCH_SLOT_MARGIN_MS],
    ['slower than the ceiling', 10_000_000, Math.ceil(AP_BRINGUP_MAX_MS * SEARCH_SLOT_FACTOR) + SEARCH_SLOT_MARGIN_MS],
    ['not a number', Number.NaN, Math.ceil(AP_BRINGUP_ASSUMED_MS * SEARCH_SLOT_FACTOR) + SEARCH_SLOT_MARGIN_MS],
  ];
  for (const [name, estimate, spacing] of spacingTable) {
    test(`slot spacing: ${name}`, () => assert.equal(slotSpacingMs(estimate), spacing));
  }

  test('two draws in different slots decide further apart than the access point takes to come up', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: AP_BRINGUP_MIN_MS, max: AP_BRINGUP_MAX_MS }),
        (x, y, bringup) => {
          fc.pre(Math.floor(x * SEARCH_SLOTS) !== Math.floor(y * SEARCH_SLOTS));
          const apart = Math.abs(searchWindowMs(x, bringup) - searchWindowMs(y, bringup));
          // The later one's decision comes after the earlier one's beacons, with a scan's margin to spare.
          assert.ok(apart >= bringup + SEARCH_SLOT_MARGIN_MS - SEARCH_SLOT_JITTER_MS, `${apart} ms apart`);
          assert.ok(apart > bringup);
        },
      ),
      { numRuns: 2000 },
    );
  });

  const estimateTable: Array<[string, number | null, number, number]> = [
    ['the first measurement moves the assumed figure a quarter up', null, 7_000, AP_BRINGUP_ASSUMED_MS + 1_000],
    ['or half down', null, 1_000, (AP_BRINGUP_ASSUMED_MS + 1_000) / 2],
    ['a slower one: a quarter of the way up', 4_000, 8_000, 5_000],
    ['a faster one: half the way down', 8_000, 4_000, 6_000],
    ['the same figure keeps it', 5_000, 5_000, 5_000],
    ['clamped below', 1_000, 5, AP_BRINGUP_MIN_MS],
    ['clamped above', AP_BRINGUP_MAX_MS, 1e9, AP_BRINGUP_MAX_MS],
    ['a nonsense measurement counts as the assumed one', 5_000, Number.NaN, 4_000],
  ];
  test('a sustained slower bring-up is followed within a few measurements', () => {
    let estimate: number | null = null;
    for (let i = 0; i < 8; i++) estimate = nextBringupEstimate(estimate, 12_000);
    assert.ok((estimate as number) > 10_500, `after 8 bring-ups of 12 s: ${estimate}`);
    for (let i = 0; i < 4; i++) estimate = nextBringupEstimate(estimate, 3_000);
    assert.ok((estimate as number) < 4_000, `after 4 of 3 s: ${estimate}`);
  });
  for (const [name, previous, measured, expected] of estimateTable) {
    test(`bring-up estimate: ${name}`, () => assert.equal(nextBringupEstimate(previous, measured), expected));
  }

  const hostTable: Array<[string, number, number | null, number, ReturnType<typeof decideHost>]> = [
    ['talking to it now', 1_000, 0, 5_000, { kind: 'still-there', seenAt: 5_000 }],
    ['seen 2 s ago', 1_000, 2_000, 5_000, { kind: 'still-there', seenAt: 3_000 }],
    ['not seen yet, just started', 1_000, null, 5_000, { kind: 'still-there', seenAt: 1_000 }],
    [
      'not seen since the start, for the whole limit',
      1_000,
      null,
      1_000 + HOST_GONE_MS,
      { kind: 'gone', unseenMs: HOST_GONE_MS },
    ],
    [
      'last seen long ago',
      1_000,
      HOST_GONE_MS + 3_000,
      HOST_GONE_MS + 6_000,
      { kind: 'gone', unseenMs: HOST_GONE_MS + 3_000 },
    ],
    ['an old sighting never moves the clock back', 10_000, 9_000, 12_000, { kind: 'still-there', seenAt: 10_000 }],
    ['a negative age is no sighting', 1_000, -5, 5_000, { kind: 'still-there', seenAt: 1_000 }],
    ['NaN is no sighting', 1_000, Number.NaN, 1_000 + HOST_GONE_MS, { kind: 'gone', unseenMs: HOST_GONE_MS }],
  ];
  for (const [name, seenAt, ago, at, expected] of hostTable) {
    test(`host check: ${name}`, () => assert.deepEqual(decideHost(seenAt, ago, at), expected));
  }

  const searchTable: Array<[string, PeerAp[], ReturnType<typeof decideSearch>]> = [
    ['nobody', [], { kind: 'keep-searching' }],
    ['only networks without push-button', [plain(PEER), plain('02:00:00:00:02:00')], { kind: 'keep-searching' }],
    ['one registrar', [plain('02:00:00:00:02:00'), pbc(PEER)], { kind: 'enroll', bssid: PEER }],
    ['one registrar seen twice, upper case', [pbc(PEER), pbc(PEER.toUpperCase())], { kind: 'enroll', bssid: PEER }],
    ['two registrars', [pbc(PEER), pbc('02:00:00:00:02:00')], { kind: 'overlap', count: 2 }],
    ['ourselves only', [pbc(OWN)], { kind: 'keep-searching' }],
    [
      'hostile entries: no MAC, a truthy string for the flag, a flag spelled in the SSID',
      [
        { bssid: 'not a mac', ssid: 'x', pbc: true },
        { bssid: PEER, ssid: '[WPS-PBC]', pbc: 'yes' as unknown as boolean },
        { bssid: `${PEER}\n`, ssid: '', pbc: true },
        null as unknown as PeerAp,
      ],
      { kind: 'keep-searching' },
    ],
  ];
  for (const [name, peers, expected] of searchTable) {
    test(`searching, ${name}`, () => assert.deepEqual(decideSearch(OWN, peers), expected));
  }

  test('two registrars: the lower BSSID steps down at first sight, the higher keeps hosting and starts its clock', () => {
    assert.deepEqual(decideWatch(LOWER, [pbc(HIGHER)], null, 5_000), {
      kind: 'step-down',
      bssid: HIGHER,
      why: 'tie-break',
    });
    assert.deepEqual(decideWatch(HIGHER, [pbc(LOWER)], null, 5_000), {
      kind: 'keep-hosting',
      rival: { bssid: LOWER, since: 5_000, missed: 0 },
    });
    assert.deepEqual(decideWatch(LOWER, [pbc(HIGHER), pbc('02:00:00:00:02:00')], null, 5_000), {
      kind: 'overlap',
      count: 2,
    });
  });

  // The winner of the tie-break watching the same loser that does not step down (an explicit registrar).
  const seen = (since: number, missed = 0) => ({ bssid: LOWER, since, missed });
  const patienceTable: Array<[string, string | null, PeerAp[], ReturnType<typeof seen> | null, number, unknown]> = [
    [
      'still seen before the patience is up: keep hosting, the clock runs on',
      HIGHER,
      [pbc(LOWER)],
      seen(0),
      WATCH_PATIENCE_MS - 1,
      { kind: 'keep-hosting', rival: seen(0) },
    ],
    [
      'still seen when the patience is up: step down to it whatever the BSSIDs',
      HIGHER,
      [pbc(LOWER)],
      seen(0),
      WATCH_PATIENCE_MS,
      { kind: 'step-down', bssid: LOWER, why: 'patience' },
    ],
    ['one scan missed it: the clock is kept', HIGHER, [], seen(0), 8_000, { kind: 'keep-hosting', rival: seen(0, 1) }],
    [
      'seen again after one missed scan: the clock goes on from the first sight',
      HIGHER,
      [pbc(LOWER)],
      seen(0, 1),
      WATCH_PATIENCE_MS,
      { kind: 'step-down', bssid: LOWER, why: 'patience' },
    ],
    [
      `missed by ${RIVAL_MISSES_TO_FORGET} working scans in a row: forgotten`,
      HIGHER,
      [plain(LOWER)],
      seen(0, RIVAL_MISSES_TO_FORGET - 1),
      8_000,
      { kind: 'keep-hosting', rival: null },
    ],
    [
      'seen again after being forgotten: the clock starts again',
      HIGHER,
      [pbc(LOWER)],
      null,
      12_000,
      { kind: 'keep-hosting', rival: seen(12_000) },
    ],
    [
      'another registrar than the one the clock was for: the clock starts again',
      '02:00:00:00:09:00',
      [pbc('02:00:00:00:05:00')],
      seen(0),
      11_000,
      { kind: 'keep-hosting', rival: { bssid: '02:00:00:00:05:00', since: 11_000, missed: 0 } },
    ],
    [
      'without our own address there is no tie-break, only patience',
      null,
      [pbc(LOWER)],
      seen(0),
      WATCH_PATIENCE_MS,
      { kind: 'step-down', bssid: LOWER, why: 'patience' },
    ],
    [
      'without our own address, first sight: keep hosting',
      null,
      [pbc(LOWER)],
      null,
      3_000,
      { kind: 'keep-hosting', rival: seen(3_000) },
    ],
    ['nobody at all', HIGHER, [], null, 3_000, { kind: 'keep-hosting', rival: null }],
  ];
  test('the patience of the winner outlasts the slowest first sight of the loser: a scan that never answered, then one more', () => {
    // Both registrars scan on their own clocks; the loser steps down at its first working scan that sees the
    // winner. That scan may come only after one given up at AP_SCAN_LIMIT_MS (seen in the radio lab), the
    // watch interval and a scan of up to 2.5 s: had the winner's patience run out first, both step down.
    const slowestFirstSight = AP_SCAN_LIMIT_MS + WATCH_INTERVAL_MS + 2_500;
    assert.ok(WATCH_PATIENCE_MS > slowestFirstSight, `patience ${WATCH_PATIENCE_MS} ms <= ${slowestFirstSight} ms`);
  });
  for (const [name, own, peers, rival, at, expected] of patienceTable) {
    test(`watching with patience: ${name}`, () => assert.deepEqual(decideWatch(own, peers, rival, at), expected));
  }

  const macArb = fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
    .map((bytes) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':'));

  test('for any two distinct registrars exactly one steps down at first sight', () => {
    fc.assert(
      fc.property(macArb, macArb, fc.nat(), (a, b, at) => {
        fc.pre(a !== b);
        const aSteps = decideWatch(a, [pbc(b)], null, at).kind === 'step-down';
        const bSteps = decideWatch(b, [pbc(a)], null, at).kind === 'step-down';
        assert.notEqual(aSteps, bSteps);
        assert.equal(aSteps, steppingDownTo(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  test('the winner steps down exactly when it has kept seeing the other for the patience time', () => {
    // Watch scans at increasing times, each seeing the other registrar or not: fold decideWatch over them
    // and compare with a plain account of when the other was first seen without missing it twice in a row.
    const scanArb = fc.array(fc.record({ gap: fc.integer({ min: 300, max: 6_000 }), seen: fc.boolean() }), {
      maxLength: 40,
    });
    fc.assert(
      fc.property(macArb, macArb, scanArb, (a, b, scans) => {
        fc.pre(a !== b);
        const [winner, loser] = steppingDownTo(a, b) ? [b, a] : [a, b];
        let rival: ReturnType<typeof seen> | null = null;
        let at = 0;
        let firstSight: number | null = null;
        let missesInARow = 0;
        for (const scan of scans) {
          at += scan.gap;
          if (scan.seen) {
            firstSight ??= at;
            missesInARow = 0;
          } else if (++missesInARow >= RIVAL_MISSES_TO_FORGET) {
            firstSight = null;
          }
          const decision = decideWatch(winner, scan.seen ? [pbc(loser)] : [], rival, at);
          const due: boolean = scan.seen && firstSight !== null && at - firstSight >= WATCH_PATIENCE_MS;
          assert.equal(decision.kind === 'step-down', due, `at ${at}`);
          if (decision.kind === 'step-down') {
            assert.deepEqual(decision, { kind: 'step-down', bssid: loser, why: 'patience' });
            return;
          }
          assert.equal(decision.kind, 'keep-hosting');
          if (decision.kind === 'keep-hosting') rival = decision.rival;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('auto role: searching', () => {
  test('a press in client mode searches: scan, draw the window, blink; status says "searching"', () => {
    const { state, effects } = run([press], CLIENT_AUTO);
    assert.equal(phase(state), 'searching');
    assert.deepEqual(
      acting(effects).map((e) => e.type),
      ['StartTimer', 'DrawRandom', 'Scan', 'SetLed'],
    );
    assert.deepEqual(ofType(effects, 'Scan'), [{ type: 'Scan', via: 'station' }]);
    assert.equal(ofType(effects, 'WpsStart').length, 0);
    assert.equal(ledsOf(state).connection, 'blink');
    const status = statusOf(state);
    assert.equal(status.wps, 'active');
    assert.equal(status.wpsRole, 'searching');
  });

  test('the drawn number sets the search window', () => {
    const { effects } = run([press, { type: 'RandomDrawn', purpose: 'search-window', value: 0.25 }], CLIENT_AUTO);
    assert.deepEqual(ofType(effects, 'StartTimer').at(-1), {
      type: 'StartTimer',
      key: 'wps-search',
      ms: searchWindowMs(0.25, null),
      gen: 2,
    });
  });

  test('nobody found: scan again; one registrar found: enroll with exactly that one', () => {
    const first = run([press, scan('station', [plain(PEER)])], CLIENT_AUTO);
    assert.equal(ofType(first.perEvent[1] ?? [], 'StartTimer')[0]?.key, 'wps-scan');
    const again = run([fire(first.state, 'wps-scan')], first.state);
    assert.deepEqual(ofType(again.effects, 'Scan'), [{ type: 'Scan', via: 'station' }]);
    const found = run([scan('station', [pbc(PEER)])], again.state);
    assert.equal(phase(found.state), 'enrollee');
    assert.deepEqual(ofType(found.effects, 'WpsStart'), [{ type: 'WpsStart', role: 'enrollee', bssid: PEER }]);
    assert.equal(statusOf(found.state).wpsTarget, PEER);
    const paired = run(
      [
        { type: 'WpsSuccess', source: 'station' },
        { type: 'StationConnected', bssid: PEER },
      ],
      found.state,
    );
    assert.equal(paired.state.mode, 'client');
    assert.deepEqual(paired.state.lastWps && [paired.state.lastWps.outcome, paired.state.lastWps.role], [
      'success',
      'enrollee',
    ]);
    assert.deepEqual(ledsOf(paired.state), { ap: 'off', connection: 'on', replication: 'off' });
  });

  test('two registrars in push-button mode: overlap, the search ends, still a client', () => {
    const { state } = run([press, scan('station', [pbc(PEER), pbc('02:00:00:00:02:00')])], CLIENT_AUTO);
    assert.equal(state.wps.phase, 'idle');
    assert.equal(state.lastWps?.outcome, 'overlap');
    assert.equal(state.mode, 'client');
    assert.notEqual(ledsOf(state).connection, 'blink');
  });

  test('a stuck registrar (push-button forever, never registers): the enrollment fails and the device is a client again', () => {
    const { state, effects } = run(
      [press, scan('station', [pbc(PEER)]), { type: 'WpsFail', source: 'station' }],
      CLIENT_AUTO,
    );
    assert.equal(state.wps.phase, 'idle');
    assert.equal(state.lastWps?.outcome, 'fail');
    assert.equal(state.mode, 'client');
    assert.ok(ofType(effects, 'Log').some((l) => l.message.includes('WPS search ended: fail')));
  });

  test('the station daemon dying mid-search ends it as a failure, with a log line', () => {
    const { state, effects } = run(
      [press, { type: 'WifiDaemonDown', daemon: 'station', reason: 'socket gone' }],
      CLIENT_AUTO,
    );
    assert.equal(state.wps.phase, 'idle');
    assert.equal(state.lastWps?.outcome, 'fail');
    assert.equal(state.lastWps?.role, 'searching');
    assert.ok(ofType(effects, 'Log').some((l) => l.level === 'error' && l.message.includes('station daemon is down')));
  });

  test('WPS events from an old session do not end a search', () => {
    const { state } = run(
      [press, { type: 'WpsFail', source: 'station' }, { type: 'WpsTimeout', source: 'station' }],
      CLIENT_AUTO,
    );
    assert.equal(phase(state), 'searching');
  });

  test('auto role off, or AP mode: the press works as before', () => {
    assert.deepEqual(ofType(run([press], CLIENT_MODE).effects, 'WpsStart'), [{ type: 'WpsStart', role: 'enrollee' }]);
    const ap = run([{ type: 'ApEnabled' }, press], AP_MODE);
    assert.equal(phase(ap.state), 'registrar');
    assert.equal(ap.state.wps.phase === 'active' && ap.state.wps.auto, false);
    const off = run([{ type: 'AutoRoleSet', enabled: false }, press], CLIENT_AUTO);
    assert.equal(phase(off.state), 'enrollee');
    assert.deepEqual(persistedOf(off.state).wps, { autoRole: false });
  });
});

describe('auto role: the windows follow the measured bring-up', () => {
  test('the access point coming up is timed from the mode change to AP-ENABLED, and spaces the next search', () => {
    const searching = run([press, { type: 'RandomDrawn', purpose: 'search-window', value: 0 }], CLIENT_AUTO).state;
    const hostingAt = 2_000;
    const up = run(
      [
        { ...fire(searching, 'wps-search'), at: hostingAt },
        { type: 'WifiDaemonStopped', daemon: 'station', at: hostingAt + 300 },
        { type: 'ApEnabled', at: hostingAt + 8_000 },
      ],
      searching,
    );
    const estimate = nextBringupEstimate(null, 8_000);
    assert.deepEqual(up.state.apBringup, { since: null, estimateMs: estimate });
    // Cancelled, back to client; the next press draws its window with slots spaced by the new estimate.
    const again = run(
      [
        { ...press, at: 20_000 },
        { ...press, at: 21_000 },
      ],
      up.state,
    );
    const drawn = run([{ type: 'RandomDrawn', purpose: 'search-window', value: 0.5, at: 21_010 }], again.state);
    assert.equal(ofType(drawn.effects, 'StartTimer')[0]?.ms, searchWindowMs(0.5, estimate));
    assert.ok(searchWindowMs(0.5, estimate) > searchWindowMs(0.5, null));
  });

  test('an AP press is timed too; a snapshot that finds hostapd already enabled counts once', () => {
    const pressed = run([{ type: 'ButtonPressed', button: 'ap', at: 5_000 }], CLIENT_MODE);
    assert.equal(pressed.state.apBringup.since, 5_000);
    const up = run([{ type: 'ApSnapshot', stations: [], enabled: true, at: 9_000 }], pressed.state);
    const estimate = nextBringupEstimate(null, 4_000);
    assert.deepEqual(up.state.apBringup, { since: null, estimateMs: estimate });
    const later = run([{ type: 'ApEnabled', at: 30_000 }], up.state);
    assert.deepEqual(later.state.apBringup, { since: null, estimateMs: estimate });
  });

  test('booting in AP mode measures nothing (no start time to count from)', () => {
    const up = run([{ type: 'ApEnabled', at: 60_000 }], AP_MODE);
    assert.deepEqual(up.state.apBringup, { since: null, estimateMs: null });
  });
});

describe('auto role: a joiner whose host vanished', () => {
  /** Searching, then the scan finds PEER hosting: enrolling with it from `at`. */
  function joining(at = 1_000): DeviceState {
    return run(
      [
        { ...press, at },
        { ...scan('station', [pbc(PEER)]), at: at + 500 },
      ],
      CLIENT_AUTO,
    ).state;
  }

  test('an enrollee that found its host checks on it every few seconds', () => {
    const state = joining();
    assert.equal(phase(state), 'enrollee');
    assert.equal(state.wps.phase === 'active' && state.wps.hostSeenAt, 1_500);
    assert.equal(state.timers['wps-scan'] !== undefined, true);
    const check = run([{ ...fire(state, 'wps-scan'), at: 1_500 + HOST_CHECK_MS }], state);
    assert.deepEqual(ofType(check.effects, 'CheckHost'), [{ type: 'CheckHost', bssid: PEER }]);
    const seen = run([{ type: 'HostSighting', bssid: PEER, seenMsAgo: 0, at: 3_600 }], check.state);
    assert.equal(seen.state.wps.phase === 'active' && seen.state.wps.hostSeenAt, 3_600);
    assert.deepEqual(ofType(seen.effects, 'StartTimer'), [
      { type: 'StartTimer', key: 'wps-scan', ms: HOST_CHECK_MS, gen: seen.state.timers['wps-scan'] as number },
    ]);
  });

  test(`not seen hosting for ${HOST_GONE_MS / 1000} s: the session fails, WPS is cancelled, nothing blinks`, () => {
    const state = joining();
    const unseen = run(
      [
        { type: 'HostSighting', bssid: PEER, seenMsAgo: null, at: 5_000 },
        { type: 'HostSighting', bssid: PEER, seenMsAgo: 9_000, at: 10_000 },
        { type: 'HostSighting', bssid: PEER, seenMsAgo: null, at: 1_500 + HOST_GONE_MS - 1 },
      ],
      state,
    );
    assert.equal(phase(unseen.state), 'enrollee', 'not yet: it was there at the start');
    const gone = run([{ type: 'HostSighting', bssid: PEER, seenMsAgo: null, at: 1_500 + HOST_GONE_MS }], unseen.state);
    assert.equal(gone.state.wps.phase, 'idle');
    assert.equal(gone.state.mode, 'client');
    assert.equal(gone.state.lastWps?.outcome, 'fail');
    assert.equal(gone.state.lastWps?.role, 'enrollee');
    assert.match(gone.state.lastWps?.detail ?? '', /went away/);
    assert.deepEqual(ofType(gone.effects, 'WpsCancel'), [{ type: 'WpsCancel', role: 'enrollee' }]);
    assert.equal(ledsOf(gone.state).connection, 'off');
    assert.equal(ledsOf(gone.state).ap, 'off');
    assert.equal(gone.state.timers['wps-scan'], undefined);
  });

  test('a host that stepped down from hosting to join us is watched from when our station is up', () => {
    const state = hosting();
    const down = run([{ ...scan('ap', [pbc(HIGHER)], LOWER), at: 10_000 }], state);
    assert.equal(down.state.wps.phase === 'active' && down.state.wps.hostSeenAt, null);
    const up = run([{ type: 'WifiDaemonUp', daemon: 'station', at: 25_000 }], down.state);
    assert.equal(up.state.wps.phase === 'active' && up.state.wps.hostSeenAt, 25_000);
    const early = run(
      [{ type: 'HostSighting', bssid: HIGHER, seenMsAgo: null, at: 25_000 + HOST_GONE_MS - 1 }],
      up.state,
    );
    assert.equal(phase(early.state), 'enrollee');
  });

  test('a failed check is no evidence; a sighting of another access point or outside the phase is ignored', () => {
    const state = joining();
    const failed = run(
      [{ type: 'EffectFailed', effect: 'CheckHost', error: 'wpa_supplicant is not reachable', at: 4_000 }],
      state,
    );
    assert.equal(phase(failed.state), 'enrollee');
    assert.ok(failed.state.timers['wps-scan'] !== undefined);
    const other = run([{ type: 'HostSighting', bssid: '02:00:00:00:02:00', seenMsAgo: null, at: 60_000 }], state);
    assert.equal(phase(other.state), 'enrollee');
    const idle = run([{ type: 'HostSighting', bssid: PEER, seenMsAgo: null, at: 60_000 }], CLIENT_AUTO);
    assert.equal(idle.state.wps.phase, 'idle');
    assert.equal(idle.state.lastWps, null);
  });

  test('explicit enrollees (auto role off, no target) are not checked: the walk time decides', () => {
    const { state, effects } = run([press], CLIENT_MODE);
    assert.equal(phase(state), 'enrollee');
    assert.equal(state.timers['wps-scan'], undefined);
    assert.equal(ofType(effects, 'CheckHost').length, 0);
  });
});

describe('auto role: hosting', () => {
  test('the window ends with nobody found: the device hosts, blinking until hostapd enables the AP', () => {
    const searching = run([press, { type: 'RandomDrawn', purpose: 'search-window', value: 0 }], CLIENT_AUTO).state;
    const { state, effects } = run([fire(searching, 'wps-search')], searching);
    assert.equal(state.mode, 'ap');
    assert.equal(phase(state), 'registrar');
    assert.deepEqual(
      acting(effects)
        .map((e) => e.type)
        .filter((t) => t !== 'SetLed' && t !== 'StartTimer'),
      ['ConfigureStation', 'StartAp'],
    );
    assert.equal(ofType(effects, 'WpsStart').length, 0, 'no WPS_PBC before hostapd has enabled the AP');
    assert.deepEqual(ledsOf(state), { ap: 'blink', connection: 'blink', replication: 'off' });
    // A crash now comes back in the mode the device had before the press.
    assert.equal(persistedOf(state).mode, 'client');
    const up = run([{ type: 'ApEnabled' }], state);
    assert.deepEqual(ofType(up.effects, 'WpsStart'), [{ type: 'WpsStart', role: 'registrar' }]);
    assert.deepEqual(ofType(up.effects, 'Scan'), [{ type: 'Scan', via: 'ap' }]);
    assert.equal(ledsOf(up.state).ap, 'on');
  });

  test('watching: nobody else hosting means look again later', () => {
    const { effects } = run([scan('ap', [plain(PEER)])], hosting());
    const timer = ofType(effects, 'StartTimer')[0];
    assert.equal(timer?.key, 'wps-scan');
    assert.equal(timer?.ms, WATCH_INTERVAL_MS);
  });

  test('two registrars: the lower one steps down and enrolls with the other once its station is up', () => {
    const state = hosting();
    const down = run([scan('ap', [pbc(HIGHER)], LOWER)], state);
    assert.equal(down.state.mode, 'client');
    assert.equal(phase(down.state), 'enrollee');
    assert.deepEqual(
      acting(down.effects)
        .map((e) => e.type)
        .filter((t) => t !== 'SetLed' && t !== 'PersistState' && t !== 'CancelTimer'),
      ['WpsCancel', 'StopAp', 'ConfigureStation'],
    );
    const up = run([{ type: 'WifiDaemonUp', daemon: 'station' }], down.state);
    assert.deepEqual(ofType(up.effects, 'WpsStart'), [{ type: 'WpsStart', role: 'enrollee', bssid: HIGHER }]);
  });

  test('two registrars: the higher one keeps hosting', () => {
    const { state, effects } = run([scan('ap', [pbc(LOWER)], HIGHER)], hosting());
    assert.equal(state.mode, 'ap');
    assert.equal(phase(state), 'registrar');
    assert.equal(ofType(effects, 'WpsCancel').length, 0);
  });

  test('a registrar that never steps down (its owner pressed AP): the winner steps down after its patience', () => {
    const state = hosting();
    const first = run([{ ...scan('ap', [pbc(LOWER)], HIGHER), at: 20_000 }], state);
    assert.equal(phase(first.state), 'registrar');
    assert.ok(ofType(first.effects, 'Log').some((l) => l.message.includes('waiting for it to step down')));
    // Watch scans every interval, one of them missing the other's beacon.
    const times = [22_000, 24_000, 26_000, 28_000];
    const watching = run(
      times.map((at, i) => ({ ...scan('ap', i === 1 ? [] : [pbc(LOWER)], HIGHER), at })),
      first.state,
    );
    assert.equal(phase(watching.state), 'registrar', 'still within its patience');
    assert.equal(ofType(watching.effects, 'WpsCancel').length, 0);
    const down = run([{ ...scan('ap', [pbc(LOWER)], HIGHER), at: 20_000 + WATCH_PATIENCE_MS }], watching.state);
    assert.equal(down.state.mode, 'client');
    assert.equal(phase(down.state), 'enrollee');
    assert.ok(
      ofType(down.effects, 'Log').some((l) => l.message.includes(`kept hosting for ${WATCH_PATIENCE_MS / 1000} s`)),
    );
    const up = run([{ type: 'WifiDaemonUp', daemon: 'station' }], down.state);
    assert.deepEqual(ofType(up.effects, 'WpsStart'), [{ type: 'WpsStart', role: 'enrollee', bssid: LOWER }]);
  });

  test('patience: a failed watch scan is no evidence, the clock runs on (seen in the lab: a 10 s scan timeout)', () => {
    const seenOnce = run([{ ...scan('ap', [pbc(LOWER)], HIGHER), at: 20_000 }], hosting());
    const failed = run(
      [
        {
          type: 'EffectFailed',
          effect: 'Scan',
          error: 'iw dev wlan0 scan: timed out after 10 s',
          at: 20_000 + WATCH_PATIENCE_MS - 3_000,
        },
      ],
      seenOnce.state,
    );
    const down = run([{ ...scan('ap', [pbc(LOWER)], HIGHER), at: 20_000 + WATCH_PATIENCE_MS }], failed.state);
    assert.equal(phase(down.state), 'enrollee');
    assert.equal(down.state.mode, 'client');
  });

  test('patience: a registrar that went away restarts the clock', () => {
    const seenOnce = run([{ ...scan('ap', [pbc(LOWER)], HIGHER), at: 20_000 }], hosting());
    const gone = run(
      [
        { ...scan('ap', [], HIGHER), at: 22_500 },
        { ...scan('ap', [], HIGHER), at: 25_000 },
      ],
      seenOnce.state,
    );
    const back = run([{ ...scan('ap', [pbc(LOWER)], HIGHER), at: 20_000 + WATCH_PATIENCE_MS }], gone.state);
    assert.equal(phase(back.state), 'registrar');
    assert.deepEqual(back.state.wps.phase === 'active' && back.state.wps.rival, {
      bssid: LOWER,
      since: 20_000 + WATCH_PATIENCE_MS,
      missed: 0,
    });
  });

  test('a failed watch scan is tried again; a driver that cannot scan while hosting ends the watching', () => {
    const failed: EventBody = { type: 'EffectFailed', effect: 'Scan', error: 'iw: Operation not supported' };
    const once = run([failed], hosting());
    assert.equal(ofType(once.effects, 'StartTimer')[0]?.key, 'wps-scan');
    assert.equal(once.state.wps.phase === 'active' && once.state.wps.watching, true);
    const almost = run(Array(WATCH_MAX_FAILURES - 2).fill(failed), once.state);
    assert.equal(almost.state.wps.phase === 'active' && almost.state.wps.watching, true);
    const last = run([failed], almost.state);
    assert.equal(last.state.wps.phase === 'active' && last.state.wps.watching, false);
    assert.equal(phase(last.state), 'registrar', 'still hosting');
    assert.ok(ofType(last.effects, 'Log').some((l) => l.message.includes('stopped watching')));
  });

  test('an enrollee in push-button mode coming to us stops the watching scans', () => {
    const { state, effects } = run([{ type: 'WpsEnrolleeSeen', mac: PEER, pbc: true }], hosting());
    assert.equal(state.wps.phase === 'active' && state.wps.watching, false);
    const later = run([{ type: 'TimerFired', key: 'wps-scan', gen: 99 }], state);
    assert.equal(ofType([...effects, ...later.effects], 'Scan').length, 0);
  });

  test('a plain probe (password id 0) does not stop the watching', () => {
    const { state } = run([{ type: 'WpsEnrolleeSeen', mac: PEER, pbc: false }], hosting());
    assert.equal(state.wps.phase === 'active' && state.wps.watching, true);
  });

  test('success: the host stays an access point, AP LED on, lastWps.role "registrar"', () => {
    const { state } = run(
      [
        { type: 'WpsEnrolleeRegistered', mac: PEER },
        { type: 'WpsSuccess', source: 'ap' },
        { type: 'ApStationConnected', mac: PEER },
      ],
      hosting(),
    );
    assert.equal(state.mode, 'ap');
    assert.equal(persistedOf(state).mode, 'ap');
    assert.equal(state.lastWps?.role, 'registrar');
    assert.deepEqual(ledsOf(state), { ap: 'on', connection: 'on', replication: 'off' });
  });

  test('the walk time ends alone: back to client mode, nothing blinks', () => {
    const { state, effects } = run([{ type: 'WpsTimeout', source: 'ap' }], hosting());
    assert.equal(state.mode, 'client');
    assert.equal(state.lastWps?.outcome, 'timeout');
    assert.deepEqual(ledsOf(state), { ap: 'off', connection: 'off', replication: 'off' });
    assert.ok(ofType(effects, 'StopAp').length === 1 && ofType(effects, 'ConfigureStation').length === 1);
  });

  test('a second press in every phase ends the session in the mode before the press', () => {
    const searching = run([press], CLIENT_AUTO).state;
    const waitingForAp = run([press, { type: 'RandomDrawn', purpose: 'search-window', value: 0 }], CLIENT_AUTO);
    const waiting = run([fire(waitingForAp.state, 'wps-search')], waitingForAp.state).state;
    const host = hosting();
    const stepped = run([scan('ap', [pbc(HIGHER)], LOWER)], hosting()).state;
    const enrolling = run([{ type: 'WifiDaemonUp', daemon: 'station' }], stepped).state;
    const found = run([press, scan('station', [pbc(PEER)])], CLIENT_AUTO).state;
    for (const [name, state, cancels] of [
      ['searching', searching, 0],
      ['registrar waiting for hostapd', waiting, 0],
      ['registrar', host, 1],
      ['stepped down, waiting for the station', stepped, 0],
      ['enrollee after stepping down', enrolling, 1],
      ['enrollee of a found registrar', found, 1],
    ] as const) {
      const { state: after, effects } = run([press], state);
      assert.equal(after.wps.phase, 'idle', name);
      assert.equal(after.mode, 'client', name);
      assert.equal(after.lastWps?.outcome, 'cancelled', name);
      assert.equal(ofType(effects, 'WpsCancel').length, cancels, name);
      assert.deepEqual(ledsOf(after), { ap: 'off', connection: 'off', replication: 'off' }, name);
      for (const key of ['wps-backstop', 'wps-search', 'wps-scan', 'ap-bringup'] as const)
        assert.equal(after.timers[key], undefined, `${name}: ${key}`);
    }
  });
});

describe('the AP LED tells the truth', () => {
  test('AP pressed: blinks while hostapd comes up, on at AP-ENABLED; status says why it blinks', () => {
    const { state } = run([{ type: 'ButtonPressed', button: 'ap' }], CLIENT_MODE);
    assert.equal(ledsOf(state).ap, 'blink');
    assert.deepEqual(statusOf(state).accessPoint, { state: 'starting' });
    assert.equal(ledsOf(run([{ type: 'ApEnabled' }], state).state).ap, 'on');
    // A reconcile that finds hostapd enabled (AP-ENABLED came before we attached) counts too.
    const snap = run([{ type: 'ApSnapshot', stations: [], enabled: true }], state);
    assert.equal(ledsOf(snap.state).ap, 'on');
  });

  test('WPS pressed while hostapd comes up: the search starts once the AP is enabled, blinking meanwhile', () => {
    const { state, effects } = run([{ type: 'ButtonPressed', button: 'ap' }, press], CLIENT_MODE);
    assert.equal(ofType(effects, 'WpsStart').length, 0);
    assert.equal(ledsOf(state).connection, 'blink');
    const up = run([{ type: 'ApEnabled' }], state);
    assert.deepEqual(ofType(up.effects, 'WpsStart'), [{ type: 'WpsStart', role: 'registrar' }]);
  });

  test('hostapd refusing to start: back to client mode, AP LED off, status gives the reason', () => {
    const started = run([{ type: 'ButtonPressed', button: 'ap' }, press], CLIENT_MODE).state;
    const { state } = run([{ type: 'EffectFailed', effect: 'StartAp', error: 'hostapd exited' }], started);
    assert.equal(state.mode, 'client');
    assert.equal(state.wps.phase, 'idle');
    assert.equal(state.lastWps?.outcome, 'fail');
    assert.deepEqual(ledsOf(state), { ap: 'off', connection: 'off', replication: 'off' });
    assert.deepEqual(statusOf(state).accessPoint, { state: 'failed', reason: 'hostapd exited' });
    assert.match(statusOf(state).lastError ?? '', /hostapd exited/);
    assert.equal(persistedOf(state).mode, 'client');
  });

  test('hostapd running but never enabling the AP: the bring-up timer gives up', () => {
    const started = run([{ type: 'ButtonPressed', button: 'ap' }], CLIENT_MODE).state;
    assert.equal(ofType(run([], started).effects, 'StartTimer').length, 0);
    const { state } = run([fire(started, 'ap-bringup')], started);
    assert.equal(state.mode, 'client');
    assert.equal(state.accessPoint.state, 'failed');
    assert.match(state.accessPoint.reason ?? '', new RegExp(`${AP_BRINGUP_MS / 1000} s`));
  });

  test('hostapd crashing in AP mode: the LED blinks until it is back', () => {
    const up = run([{ type: 'ApEnabled' }], AP_MODE).state;
    const { state } = run([{ type: 'WifiDaemonDown', daemon: 'ap', reason: 'exited' }], up);
    assert.equal(ledsOf(state).ap, 'blink');
    assert.notEqual(state.timers['ap-bringup'], undefined);
    assert.equal(ledsOf(run([{ type: 'ApEnabled' }], state).state).ap, 'on');
  });
});

describe('auto role: an access point appearing during the search', () => {
  const NEW = '02:00:00:00:03:00';
  test('newcomers: only access points the first scan did not see', () => {
    assert.equal(sawNewcomer([PEER], OWN, [plain(PEER)]), false);
    assert.equal(sawNewcomer([PEER], OWN, [plain(PEER), plain(NEW)]), true);
    assert.equal(sawNewcomer([], OWN, [plain(OWN)]), false, 'ourselves');
    assert.equal(sawNewcomer([], OWN, [{ bssid: 'not a mac', ssid: 'x', pbc: false }]), false);
  });

  const endTable: Array<[string, number | null, boolean, number, 'host' | 'wait']> = [
    ['nobody new: host', null, false, 10_000, 'host'],
    ['a newcomer just seen: wait', 9_500, false, 10_000, 'wait'],
    ['a newcomer seen long ago: host', 10_000 - SEARCH_GRACE_MS, false, 10_000, 'host'],
    ['already waited once: host', 9_900, true, 10_000, 'host'],
  ];
  for (const [name, newcomerAt, extended, at, expected] of endTable) {
    test(`window end: ${name}`, () => assert.equal(decideWindowEnd(newcomerAt, extended, at), expected));
  }

  test('the window ends just after another access point appeared: once more, then it hosts', () => {
    const searching = run(
      [
        { ...press, at: 1_000 },
        { type: 'RandomDrawn', purpose: 'search-window', value: 0, at: 1_010 },
        { ...scan('station', [plain(PEER)]), at: 1_300 },
        { ...scan('station', [plain(PEER), plain(NEW)]), at: 1_800 },
      ],
      CLIENT_AUTO,
    ).state;
    const grace = run([{ ...fire(searching, 'wps-search'), at: 2_000 }], searching);
    assert.equal(phase(grace.state), 'searching');
    assert.deepEqual(ofType(grace.effects, 'StartTimer'), [
      { type: 'StartTimer', key: 'wps-search', ms: SEARCH_GRACE_MS, gen: grace.state.timers['wps-search'] as number },
    ]);
    // Still not in push-button mode when the grace ends: host (one grace only).
    const again = run([{ ...scan('station', [plain(NEW)]), at: 5_000 }], grace.state);
    const hosts = run([{ ...fire(again.state, 'wps-search'), at: 2_000 + SEARCH_GRACE_MS }], again.state);
    assert.equal(phase(hosts.state), 'registrar');
    assert.equal(hosts.state.mode, 'ap');
  });

  test('the newcomer starts push-button during the grace: enroll with it', () => {
    const searching = run(
      [
        { ...press, at: 1_000 },
        { type: 'RandomDrawn', purpose: 'search-window', value: 0, at: 1_010 },
        { ...scan('station', []), at: 1_300 },
        { ...scan('station', [plain(NEW)]), at: 1_800 },
      ],
      CLIENT_AUTO,
    ).state;
    const grace = run([{ ...fire(searching, 'wps-search'), at: 2_000 }], searching);
    const found = run([{ ...scan('station', [pbc(NEW)]), at: 3_000 }], grace.state);
    assert.equal(phase(found.state), 'enrollee');
    assert.deepEqual(ofType(found.effects, 'WpsStart'), [{ type: 'WpsStart', role: 'enrollee', bssid: NEW }]);
  });

  test('the same access points all along: the window ends on time', () => {
    const searching = run(
      [
        { ...press, at: 1_000 },
        { type: 'RandomDrawn', purpose: 'search-window', value: 0, at: 1_010 },
        { ...scan('station', [plain(PEER)]), at: 1_300 },
        { ...scan('station', [plain(PEER)]), at: 1_800 },
      ],
      CLIENT_AUTO,
    ).state;
    const hosts = run([{ ...fire(searching, 'wps-search'), at: 2_000 }], searching);
    assert.equal(phase(hosts.state), 'registrar');
  });
});
