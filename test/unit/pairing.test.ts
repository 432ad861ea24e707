// Pairing with one press (auto role) and the AP LED's truth: the decisions as tables, and the reducer's
// phases from a press to each way a session ends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  AP_BRINGUP_MS,
  type DeviceState,
  type EventBody,
  type PeerAp,
  RIVAL_MISSES_TO_FORGET,
  SEARCH_WINDOW_MAX_MS,
  SEARCH_WINDOW_MIN_MS,
  WATCH_INTERVAL_MS,
  WATCH_PATIENCE_MS,
} from '../../src/device/model.js';
import { decideSearch, decideWatch, searchWindowMs, steppingDownTo } from '../../src/device/pairing.js';
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
  test('the search window spans the configured range; odd draws count as the middle', () => {
    assert.equal(searchWindowMs(0), SEARCH_WINDOW_MIN_MS);
    assert.ok(searchWindowMs(0.999999) <= SEARCH_WINDOW_MAX_MS);
    const middle = searchWindowMs(0.5);
    for (const odd of [Number.NaN, -1, 1, 2, Number.POSITIVE_INFINITY]) assert.equal(searchWindowMs(odd), middle);
  });

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
      ms: searchWindowMs(0.25),
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
      [{ type: 'EffectFailed', effect: 'Scan', error: 'iw dev wlan0 scan: timed out after 10 s', at: 32_000 }],
      seenOnce.state,
    );
    const down = run([{ ...scan('ap', [pbc(LOWER)], HIGHER), at: 35_000 }], failed.state);
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
    const thrice = run([failed, failed], once.state);
    assert.equal(thrice.state.wps.phase === 'active' && thrice.state.wps.watching, false);
    assert.equal(phase(thrice.state), 'registrar', 'still hosting');
    assert.ok(ofType(thrice.effects, 'Log').some((l) => l.message.includes('stopped watching')));
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
