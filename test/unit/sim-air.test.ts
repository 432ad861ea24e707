import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/clock.js';
import { type EventBody, WPS_WALK_TIME_MS } from '../../src/device/model.js';
import { SimAir } from '../../src/wifi/sim.js';

function setup() {
  const clock = new ManualClock(0);
  const events: EventBody[] = [];
  const air = new SimAir(clock, (e) => events.push(e));
  return { clock, events, air, types: () => events.map((e) => e.type) };
}

test('registrar: succeeds when the other device presses within the walk time', async () => {
  const { clock, air, events, types } = setup();
  await air.ap.start();
  await air.ap.wpsStart();
  clock.advance(60_000);
  const other = air.otherDevicePressesWps();
  assert.equal(other.role, 'enrollee');
  clock.advance(1_000);
  assert.deepEqual(
    types().filter((t) => t !== 'UnknownWifiDaemonEvent'),
    ['ApEnabled', 'WpsPbcActive', 'WpsEnrolleeRegistered', 'WpsSuccess', 'ApStationConnected'],
  );
  assert.deepEqual(events.at(-1), { type: 'ApStationConnected', mac: other.mac });
  assert.deepEqual(air.snapshot().ap.wpsKeys, [other.mac]);
});

test('registrar: times out after the walk time when nobody presses', async () => {
  const { clock, air, types } = setup();
  await air.ap.start();
  await air.ap.wpsStart();
  clock.advance(WPS_WALK_TIME_MS + 1);
  assert.ok(types().includes('WpsTimeout'));
  air.otherDevicePressesWps();
  clock.advance(1_000);
  assert.ok(!types().includes('WpsSuccess'));
});

test('an earlier press by the other device still pairs if ours comes within the walk time', async () => {
  const { clock, air, types } = setup();
  air.otherDevicePressesWps('02:00:00:00:09:00');
  clock.advance(30_000);
  await air.station.wpsStart();
  clock.advance(1_000);
  assert.deepEqual(
    types().filter((t) => t !== 'UnknownWifiDaemonEvent'),
    ['WpsSuccess', 'StationConnected'],
  );
  assert.equal(air.snapshot().station.bssid, '02:00:00:00:09:00');
});

test('two enrollees at once is an overlap', async () => {
  const { clock, air, types } = setup();
  await air.ap.start();
  air.otherDevicePressesWps('02:00:00:00:00:01');
  air.otherDevicePressesWps('02:00:00:00:00:02');
  await air.ap.wpsStart();
  clock.advance(1_000);
  assert.ok(types().includes('WpsOverlap'));
  assert.ok(!types().includes('WpsSuccess'));
});

test('cancel ends the search the way each daemon reports it', async () => {
  const { air, types } = setup();
  await air.station.wpsStart();
  await air.station.wpsCancel();
  await air.ap.start();
  await air.ap.wpsStart();
  await air.ap.wpsCancel();
  assert.deepEqual(
    types().filter((t) => t !== 'UnknownWifiDaemonEvent'),
    ['WpsCancelled', 'ApEnabled', 'WpsPbcActive', 'WpsTimeout'],
  );
});

test('WPS as registrar needs the AP up; phones need it too', async () => {
  const { air } = setup();
  await assert.rejects(air.ap.wpsStart(), /not running/);
  assert.throws(() => air.phoneJoins('02:00:00:00:00:aa'), /not running/);
  assert.throws(() => air.phoneJoins('nonsense'), /not a MAC/);
});

test('the station joins a known network in range, and drops it when it leaves range', async () => {
  const { clock, air, events } = setup();
  await air.station.configure('known');
  air.setNetwork({ ssid: 'home', bssid: '02:00:00:00:05:00', known: true, inRange: true });
  clock.advance(100);
  assert.deepEqual(events.at(-1), { type: 'StationConnected', bssid: '02:00:00:00:05:00' });
  air.setNetwork({ ssid: 'home', bssid: '02:00:00:00:05:00', known: true, inRange: false });
  assert.deepEqual(events.at(-1), { type: 'StationDisconnected', bssid: '02:00:00:00:05:00' });
});

test('scans: another device in push-button mode shows as a registrar; an enrollee aims at one BSSID', async () => {
  const { clock, air, types } = setup();
  await air.station.configure('known');
  const other = air.otherDevicePressesWps('02:00:00:00:07:00');
  const report = await air.station.scan();
  assert.deepEqual(
    report.peers.filter((p) => p.pbc).map((p) => p.bssid),
    [other.mac],
  );
  assert.ok(report.own);
  await air.station.wpsStart('02:00:00:00:08:00');
  clock.advance(1_000);
  assert.ok(!types().includes('WpsSuccess'), 'enrolled with a registrar it did not aim at');
  await air.station.wpsStart(other.mac);
  clock.advance(1_000);
  assert.ok(types().includes('WpsSuccess'));
});
