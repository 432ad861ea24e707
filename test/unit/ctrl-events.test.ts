import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCtrlEvent, splitEventLine } from '../../src/wifi/ctrl-events.js';

test('wpa_supplicant lines become typed station events', () => {
  assert.deepEqual(
    parseCtrlEvent('station', '<3>CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01:00 completed [id=0 id_str=]'),
    { type: 'StationConnected', bssid: '02:00:00:00:01:00' },
  );
  assert.deepEqual(
    parseCtrlEvent('station', '<3>CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=3 locally_generated=1'),
    { type: 'StationDisconnected', bssid: '02:00:00:00:01:00' },
  );
  assert.deepEqual(parseCtrlEvent('station', '<3>WPS-SUCCESS '), { type: 'WpsSuccess', source: 'station' });
  assert.deepEqual(parseCtrlEvent('station', '<3>WPS-FAIL msg=8 config_error=15'), {
    type: 'WpsFail',
    source: 'station',
    detail: 'msg=8 config_error=15',
  });
  assert.deepEqual(parseCtrlEvent('station', '<3>WPS-CANCEL '), { type: 'WpsCancelled', source: 'station' });
  assert.deepEqual(parseCtrlEvent('station', '<3>WPS-TIMEOUT '), { type: 'WpsTimeout', source: 'station' });
  assert.deepEqual(parseCtrlEvent('station', '<3>WPS-OVERLAP-DETECTED '), { type: 'WpsOverlap', source: 'station' });
  assert.deepEqual(parseCtrlEvent('station', '<2>CTRL-EVENT-TERMINATING '), {
    type: 'WifiDaemonDown',
    daemon: 'station',
    reason: 'daemon is terminating',
  });
});

test('hostapd lines become typed AP events, MACs normalised, IFNAME prefix accepted', () => {
  assert.deepEqual(parseCtrlEvent('ap', '<3>AP-STA-CONNECTED 02:00:00:00:00:AA'), {
    type: 'ApStationConnected',
    mac: '02:00:00:00:00:aa',
  });
  assert.deepEqual(parseCtrlEvent('ap', 'IFNAME=wlan0 <3>AP-STA-DISCONNECTED 02:00:00:00:00:aa'), {
    type: 'ApStationDisconnected',
    mac: '02:00:00:00:00:aa',
  });
  assert.deepEqual(parseCtrlEvent('ap', '<3>WPS-REG-SUCCESS 02:00:00:00:00:aa 6b6f1e2c-0000-0000-0000-000000000000'), {
    type: 'WpsEnrolleeRegistered',
    mac: '02:00:00:00:00:aa',
  });
  assert.deepEqual(parseCtrlEvent('ap', '<3>WPS-PBC-ACTIVE '), { type: 'WpsPbcActive', source: 'ap' });
});

test('station-only events from hostapd, bad MACs and garbage are unknown, not errors', () => {
  for (const line of [
    '<3>CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01:00 completed',
    '<3>AP-STA-CONNECTED not-a-mac',
    '<3>AP-STA-CONNECTED',
    '',
    '<3>',
    'garbage \u0000\u00ff',
    'IFNAME=',
    '<3>ap-sta-connected 02:00:00:00:00:aa',
  ]) {
    assert.equal(parseCtrlEvent('ap', line).type, 'UnknownWifiDaemonEvent', line);
  }
});

test('the parser is total on arbitrary input and bounds what it keeps', () => {
  fc.assert(
    fc.property(fc.constantFrom<'ap' | 'station'>('ap', 'station'), fc.string({ maxLength: 6000 }), (source, line) => {
      const event = parseCtrlEvent(source, line);
      if (event.type === 'UnknownWifiDaemonEvent') assert.ok(event.line.length <= 4096);
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.string(), (line) => {
      const split = splitEventLine(line);
      if (split) assert.match(split.name, /^[A-Z][A-Z0-9-]*$/);
    }),
  );
});
