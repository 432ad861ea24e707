import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AP_BRINGUP_MS, type EventBody, REPLICATION_FLASH_MS, WPS_BACKSTOP_MS } from '../../src/device/model.js';
import { boot, ledsOf, PERSIST_RETRY_MS } from '../../src/device/reducer.js';
import { AP_MODE, acting, CLIENT_MODE, enabledAp, ofType, run } from '../helpers/reduce.js';

const PHONE = '02:00:00:00:00:aa';
const OTHER = '02:00:00:00:00:bb';
const BSS = '02:00:00:00:01:00';
const press = (button: 'ap' | 'wps'): EventBody => ({ type: 'ButtonPressed', button });

describe('boot', () => {
  test('a fresh device starts in client mode with every LED set explicitly', () => {
    const [state, effects] = boot(null);
    assert.equal(state.mode, 'client');
    assert.deepEqual(ledsOf(state), { ap: 'off', connection: 'off', replication: 'off' });
    assert.deepEqual(acting(effects), [
      { type: 'StopAp' },
      { type: 'ConfigureStation', networks: 'known' },
      { type: 'SetLed', led: 'ap', pattern: 'off' },
      { type: 'SetLed', led: 'connection', pattern: 'off' },
      { type: 'SetLed', led: 'replication', pattern: 'off' },
    ]);
  });

  test("when wpa_supplicant comes up it gets the mode's networks and reports its association", () => {
    const { effects } = run([{ type: 'WifiDaemonUp', daemon: 'station' }], AP_MODE);
    assert.deepEqual(acting(effects), [
      { type: 'ConfigureStation', networks: 'none' },
      { type: 'Reconcile', daemon: 'station' },
    ]);
    const client = run([{ type: 'WifiDaemonUp', daemon: 'station' }], CLIENT_MODE);
    assert.deepEqual(acting(client.effects)[0], { type: 'ConfigureStation', networks: 'known' });
  });

  test('after a crash in AP mode it comes back as an AP with the AP LED on (the original lost this)', () => {
    const [state, effects] = boot(AP_MODE);
    assert.equal(state.mode, 'ap');
    assert.deepEqual(acting(effects).slice(0, 4), [
      { type: 'ConfigureStation', networks: 'none' },
      { type: 'StartAp' },
      { type: 'StartTimer', key: 'ap-bringup', ms: AP_BRINGUP_MS, gen: 1 },
      { type: 'SetLed', led: 'ap', pattern: 'blink' },
    ]);
    // The AP LED is on once hostapd says the access point is enabled, not before.
    const up = run([{ type: 'ApEnabled' }], state);
    assert.equal(ledsOf(up.state).ap, 'on');
  });

  test('reconciling with the daemons restores the true association set', () => {
    const { state } = run([{ type: 'ApSnapshot', stations: [PHONE, OTHER, PHONE] }], AP_MODE);
    assert.deepEqual(state.apStations, [PHONE, OTHER].sort());
    assert.equal(ledsOf(state).connection, 'on');
  });
});

describe('AP button', () => {
  test('client -> AP: station released first, then hostapd, mode persisted first, AP LED on', () => {
    const { state, effects } = run([press('ap')], CLIENT_MODE);
    assert.equal(state.mode, 'ap');
    assert.deepEqual(acting(effects), [
      {
        type: 'PersistState',
        persisted: { version: 1, mode: 'ap', keys: { oneTime: true, trusted: [] }, wps: { autoRole: false } },
      },
      { type: 'ConfigureStation', networks: 'none' },
      { type: 'StartAp' },
      { type: 'StartTimer', key: 'ap-bringup', ms: AP_BRINGUP_MS, gen: 1 },
      { type: 'SetLed', led: 'ap', pattern: 'blink' },
    ]);
  });

  test('AP -> client: hostapd stopped before the station may roam, AP LED off', () => {
    const { state, effects } = run([press('ap')], enabledAp());
    assert.equal(state.mode, 'client');
    assert.deepEqual(acting(effects).slice(1), [
      { type: 'StopAp' },
      { type: 'ConfigureStation', networks: 'known' },
      { type: 'SetLed', led: 'ap', pattern: 'off' },
    ]);
  });

  test('cancels an active WPS search in the old role before switching', () => {
    const { state, perEvent } = run([press('wps'), press('ap')], CLIENT_MODE);
    const effects = acting(perEvent[1] ?? []);
    assert.deepEqual(effects[1], { type: 'WpsCancel', role: 'enrollee' });
    assert.ok(effects.findIndex((e) => e.type === 'WpsCancel') < effects.findIndex((e) => e.type === 'StartAp'));
    assert.equal(state.wps.phase, 'idle');
    assert.equal(state.lastWps?.outcome, 'cancelled');
    assert.equal(ledsOf(state).connection, 'off');
  });

  test('leaving AP mode drops the AP stations at once, so the LED does not claim them', () => {
    const { state } = run([{ type: 'ApStationConnected', mac: PHONE }, press('ap')], AP_MODE);
    assert.deepEqual(state.apStations, []);
    assert.equal(ledsOf(state).connection, 'off');
  });

  test('explicit "ap on" in AP mode changes nothing', () => {
    const { state, effects } = run([{ type: 'ApRequested', on: true }], AP_MODE);
    assert.equal(state.mode, 'ap');
    assert.deepEqual(acting(effects), []);
  });
});

describe('WPS button', () => {
  test('in client mode starts an enrollee search; the LED blinks', () => {
    const { state, effects } = run([press('wps')], CLIENT_MODE);
    assert.equal(state.wps.phase, 'active');
    assert.deepEqual(acting(effects), [
      { type: 'WpsStart', role: 'enrollee' },
      { type: 'StartTimer', key: 'wps-backstop', ms: WPS_BACKSTOP_MS, gen: 1 },
      { type: 'SetLed', led: 'connection', pattern: 'blink' },
    ]);
  });

  test('in AP mode starts a registrar search', () => {
    const { effects } = run([press('wps')], enabledAp());
    assert.deepEqual(ofType(effects, 'WpsStart'), [{ type: 'WpsStart', role: 'registrar' }]);
  });

  test('a second press cancels; the LED goes back to the association truth', () => {
    const { state, perEvent } = run(
      [{ type: 'ApStationConnected', mac: PHONE }, press('wps'), press('wps')],
      enabledAp(),
    );
    assert.equal(state.wps.phase, 'idle');
    assert.deepEqual(acting(perEvent[2] ?? []), [
      { type: 'WpsCancel', role: 'registrar' },
      { type: 'CancelTimer', key: 'wps-backstop' },
      { type: 'SetLed', led: 'connection', pattern: 'on' },
    ]);
  });

  test('"wps start" while active and "wps cancel" while idle are harmless', () => {
    const { state, effects } = run(
      [
        { type: 'WpsRequested', action: 'cancel' },
        { type: 'WpsRequested', action: 'start' },
        { type: 'WpsRequested', action: 'start' },
      ],
      CLIENT_MODE,
    );
    assert.equal(state.wps.phase, 'active');
    assert.equal(ofType(effects, 'WpsStart').length, 1);
    assert.equal(ofType(effects, 'WpsCancel').length, 0);
  });
});

describe('how a search ends', () => {
  const endings: Array<[string, EventBody, string, boolean]> = [
    ['success', { type: 'WpsSuccess', source: 'station' }, 'success', false],
    ['failure', { type: 'WpsFail', source: 'station', detail: 'msg=8 config_error=15' }, 'fail', true],
    ['overlap', { type: 'WpsOverlap', source: 'station' }, 'overlap', true],
    ['daemon timeout', { type: 'WpsTimeout', source: 'station' }, 'timeout', false],
    ['daemon cancel', { type: 'WpsCancelled', source: 'station' }, 'cancelled', false],
  ];
  for (const [name, event, outcome, cancelsDaemon] of endings) {
    test(`${name} ends the blinking${cancelsDaemon ? ' and cancels the daemon side' : ''}`, () => {
      const { state, perEvent } = run([press('wps'), event], CLIENT_MODE);
      assert.equal(state.wps.phase, 'idle');
      assert.equal(state.lastWps?.outcome, outcome);
      assert.equal(ledsOf(state).connection, 'off');
      const effects = perEvent[1] ?? [];
      assert.equal(ofType(effects, 'WpsCancel').length, cancelsDaemon ? 1 : 0);
      assert.deepEqual(ofType(effects, 'CancelTimer'), [{ type: 'CancelTimer', key: 'wps-backstop' }]);
    });
  }

  test('WPS-SUCCESS does not light the LED before the association exists (original bug 5)', () => {
    const { state } = run([press('wps'), { type: 'WpsSuccess', source: 'station' }], CLIENT_MODE);
    assert.equal(ledsOf(state).connection, 'off');
    const after = run([{ type: 'StationConnected', bssid: BSS }], state).state;
    assert.equal(ledsOf(after).connection, 'on');
  });

  test('our backstop timer ends a search the daemon never closed, and cancels it there', () => {
    const { state, perEvent } = run([press('wps'), { type: 'TimerFired', key: 'wps-backstop', gen: 1 }], CLIENT_MODE);
    assert.equal(state.wps.phase, 'idle');
    assert.equal(state.lastWps?.outcome, 'timeout');
    assert.deepEqual(ofType(perEvent[1] ?? [], 'WpsCancel'), [{ type: 'WpsCancel', role: 'enrollee' }]);
    assert.deepEqual(ofType(perEvent[1] ?? [], 'CancelTimer'), []);
  });

  test('a stale backstop from an earlier search is ignored', () => {
    const { state } = run(
      [press('wps'), press('wps'), press('wps'), { type: 'TimerFired', key: 'wps-backstop', gen: 1 }],
      CLIENT_MODE,
    );
    assert.equal(state.wps.phase, 'active');
  });

  test('a station joining by passphrase during an AP search does not end it (original bug 4)', () => {
    const { state } = run([press('wps'), { type: 'ApStationConnected', mac: PHONE }], enabledAp());
    assert.equal(state.wps.phase, 'active');
    assert.equal(ledsOf(state).connection, 'blink');
    const { state: after, effects } = run([press('wps')], state);
    assert.equal(after.wps.phase, 'idle');
    assert.equal(ofType(effects, 'WpsCancel').length, 1);
    assert.equal(ledsOf(after).connection, 'on');
  });

  test('events from the daemon of the other role are ignored', () => {
    const { state } = run(
      [press('wps'), { type: 'WpsSuccess', source: 'ap' }, { type: 'WpsTimeout', source: 'ap' }],
      CLIENT_MODE,
    );
    assert.equal(state.wps.phase, 'active');
  });

  test('WPS-PBC-ACTIVE from a search started outside the daemon still makes the LED blink', () => {
    const { state, effects } = run([{ type: 'WpsPbcActive', source: 'ap' }], AP_MODE);
    assert.equal(state.wps.phase, 'active');
    assert.equal(ofType(effects, 'WpsStart').length, 0);
    assert.equal(ledsOf(state).connection, 'blink');
  });

  test('a daemon that dies mid-search ends it as a failure', () => {
    const { state } = run([press('wps'), { type: 'WifiDaemonDown', daemon: 'ap', reason: 'socket gone' }], enabledAp());
    assert.equal(state.wps.phase, 'idle');
    assert.equal(state.lastWps?.outcome, 'fail');
    assert.deepEqual(state.daemons.ap, { state: 'down', reason: 'socket gone' });
  });

  test('a WPS start the daemon refused ends the search', () => {
    const { state } = run([press('wps'), { type: 'EffectFailed', effect: 'WpsStart', error: 'FAIL' }], enabledAp());
    assert.equal(state.wps.phase, 'idle');
    assert.equal(state.lastError, 'WpsStart: FAIL');
  });
});

describe('associations', () => {
  test('are a set: a repeated CONNECTED does not count twice, DISCONNECTED of an unknown MAC is harmless', () => {
    const { state } = run(
      [
        { type: 'ApStationConnected', mac: PHONE },
        { type: 'ApStationConnected', mac: PHONE },
        { type: 'ApStationDisconnected', mac: OTHER },
      ],
      AP_MODE,
    );
    assert.deepEqual(state.apStations, [PHONE]);
    const { state: gone } = run([{ type: 'ApStationDisconnected', mac: PHONE }], state);
    assert.equal(ledsOf(gone).connection, 'off');
  });

  test('a station that roams (CONNECTED twice with different BSS) is still one association (original bug 8)', () => {
    const { state } = run(
      [
        { type: 'StationConnected', bssid: BSS },
        { type: 'StationConnected', bssid: '02:00:00:00:02:00' },
        { type: 'StationDisconnected', bssid: '02:00:00:00:02:00' },
      ],
      CLIENT_MODE,
    );
    assert.equal(state.station, null);
    assert.equal(ledsOf(state).connection, 'off');
  });

  test('late AP-STA events after leaving AP mode are ignored', () => {
    const { state } = run([{ type: 'ApStationConnected', mac: PHONE }], CLIENT_MODE);
    assert.deepEqual(state.apStations, []);
  });
});

describe('one-time WPS keys', () => {
  test("the key issued by WPS is forgotten at that device's first connection", () => {
    const { state, effects } = run(
      [
        press('wps'),
        { type: 'WpsEnrolleeRegistered', mac: PHONE },
        { type: 'WpsSuccess', source: 'ap' },
        { type: 'ApStationConnected', mac: PHONE },
      ],
      AP_MODE,
    );
    // Off the disk at once, but hostapd keeps it in memory so this first connection is not cut.
    assert.deepEqual(ofType(effects, 'ForgetWpsKey'), [{ type: 'ForgetWpsKey', mac: PHONE, now: false }]);
    assert.deepEqual(state.keys.issued, []);
    assert.deepEqual(state.keys.expiring, [PHONE]);
    // When the device leaves, hostapd reloads its keys: the device cannot come back with that key.
    const left = run([{ type: 'ApStationDisconnected', mac: PHONE }], state);
    assert.deepEqual(ofType(left.effects, 'ForgetWpsKey'), [{ type: 'ForgetWpsKey', mac: PHONE, now: true }]);
    assert.deepEqual(left.state.keys.expiring, []);
    // Reconnecting with the passphrase is not a WPS key: nothing more to forget.
    const again = run(
      [
        { type: 'ApStationConnected', mac: PHONE },
        { type: 'ApStationDisconnected', mac: PHONE },
      ],
      left.state,
    );
    assert.equal(ofType(again.effects, 'ForgetWpsKey').length, 0);
  });

  test('with one-time keys off, the device is kept as trusted (persisted) and can be revoked', () => {
    const { state, effects } = run(
      [
        { type: 'OneTimeKeysSet', enabled: false },
        { type: 'WpsEnrolleeRegistered', mac: PHONE },
        { type: 'ApStationConnected', mac: PHONE },
      ],
      AP_MODE,
    );
    assert.equal(ofType(effects, 'ForgetWpsKey').length, 0);
    assert.deepEqual(state.keys.trusted, [PHONE]);
    assert.deepEqual(ofType(effects, 'PersistState').at(-1)?.persisted.keys, { oneTime: false, trusted: [PHONE] });
    const revoked = run([{ type: 'DeviceRevoked', mac: PHONE }], state);
    assert.deepEqual(ofType(revoked.effects, 'ForgetWpsKey'), [{ type: 'ForgetWpsKey', mac: PHONE, now: true }]);
    assert.deepEqual(revoked.state.keys.trusted, []);
  });

  test('revoking an unknown device changes nothing', () => {
    const { state, effects } = run([{ type: 'DeviceRevoked', mac: OTHER }], AP_MODE);
    assert.deepEqual(acting(effects), []);
    assert.deepEqual(state.keys.trusted, []);
  });
});

describe('replication LED', () => {
  test('blinks while replicating, flashes when done, then goes off', () => {
    const { state, perEvent } = run(
      [
        { type: 'ReplicationChanged', replicating: true },
        { type: 'ReplicationChanged', replicating: false },
      ],
      CLIENT_MODE,
    );
    assert.deepEqual(ofType(perEvent[0] ?? [], 'SetLed'), [{ type: 'SetLed', led: 'replication', pattern: 'blink' }]);
    assert.deepEqual(ofType(perEvent[1] ?? [], 'StartTimer'), [
      { type: 'StartTimer', key: 'replication-flash', ms: REPLICATION_FLASH_MS, gen: 1 },
    ]);
    assert.equal(ledsOf(state).replication, 'on');
    const done = run([{ type: 'TimerFired', key: 'replication-flash', gen: 1 }], state).state;
    assert.equal(ledsOf(done).replication, 'off');
  });

  test('replication starting again during the flash keeps blinking', () => {
    const { state } = run(
      [
        { type: 'ReplicationChanged', replicating: true },
        { type: 'ReplicationChanged', replicating: false },
        { type: 'ReplicationChanged', replicating: true },
        { type: 'TimerFired', key: 'replication-flash', gen: 1 },
      ],
      CLIENT_MODE,
    );
    assert.equal(ledsOf(state).replication, 'blink');
  });
});

describe('bad input', () => {
  test('unknown daemon events are logged, never acted on', () => {
    const { state, effects } = run([{ type: 'UnknownWifiDaemonEvent', source: 'ap', line: '<3>AP-ENABLED' }], AP_MODE);
    assert.deepEqual(acting(effects), []);
    assert.equal(ofType(effects, 'Log').length, 1);
    assert.equal(state.mode, 'ap');
  });

  test('an event of a type the reducer does not know is logged, not thrown', () => {
    const { state, effects } = run([{ type: 'Bogus' } as unknown as EventBody], AP_MODE);
    assert.equal(state.mode, 'ap');
    assert.equal(ofType(effects, 'Log')[0]?.level, 'warn');
  });
});

describe('settings changes', () => {
  test('new AP settings in AP mode restart hostapd (cancelling a search first)', () => {
    const { state, perEvent } = run(
      [{ type: 'ApStationConnected', mac: PHONE }, press('wps'), { type: 'WifiSettingsChanged', scope: 'ap' }],
      enabledAp(),
    );
    assert.deepEqual(
      acting(perEvent[2] ?? []).map((e) => e.type),
      ['WpsCancel', 'CancelTimer', 'StopAp', 'StartAp', 'StartTimer', 'SetLed', 'SetLed'],
    );
    assert.deepEqual(state.apStations, []);
  });

  test('new AP settings in client mode wait for AP mode; new known networks reconfigure the station', () => {
    const { effects } = run([{ type: 'WifiSettingsChanged', scope: 'ap' }], CLIENT_MODE);
    assert.deepEqual(acting(effects), []);
    const known = run([{ type: 'WifiSettingsChanged', scope: 'known-networks' }], CLIENT_MODE);
    assert.deepEqual(acting(known.effects), [{ type: 'ConfigureStation', networks: 'known' }]);
  });
});

describe('a state write that fails (a full card)', () => {
  test('is reported, tried again after PERSIST_RETRY_MS with the state as it is then, and never stacks retries', () => {
    const full = "the device's storage is full: PersistState could not be written";
    const { state, perEvent } = run(
      [
        press('ap'),
        { type: 'EffectFailed', effect: 'PersistState', error: full },
        { type: 'EffectFailed', effect: 'PersistState', error: full },
      ],
      CLIENT_MODE,
    );
    assert.equal(state.lastError, `PersistState: ${full}`);
    const timers = [...ofType(perEvent[1] ?? [], 'StartTimer'), ...ofType(perEvent[2] ?? [], 'StartTimer')];
    assert.deepEqual(
      timers.map((t) => [t.key, t.ms]),
      [['persist-retry', PERSIST_RETRY_MS]],
      'one retry pending, however many writes failed',
    );
    const gen = state.timers['persist-retry'];
    assert.notEqual(gen, undefined);
    const retried = run([{ type: 'TimerFired', key: 'persist-retry', gen: gen ?? -1 }], state);
    const [write] = acting(retried.effects);
    assert.equal(acting(retried.effects).length, 1);
    assert.equal(write?.type === 'PersistState' && write.persisted.mode, 'ap', 'the mode chosen since is saved');
    assert.equal(retried.state.timers['persist-retry'], undefined);
  });
});
