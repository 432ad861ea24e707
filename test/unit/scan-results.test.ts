// The parsers for scan results and the new control-interface events: total over hostile input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCtrlEvent } from '../../src/wifi/ctrl-events.js';
import { parseIwScan, parseWpaScanResults } from '../../src/wifi/scan-results.js';

test("wpa_supplicant's SCAN_RESULTS: the flags field alone says push-button; SSIDs can say anything", () => {
  const text = [
    'bssid / frequency / signal level / flags / ssid',
    '02:00:00:00:00:00\t2442\t-30\t[WPA2-PSK-CCMP][WPS-PBC][ESS]\tSmallworld-0A1B',
    '02:00:00:00:02:00\t2442\t-30\t[WPA2-PSK-CCMP][WPS][ESS]\t[WPS-PBC]\tstill the ssid',
    'zz:00:00:00:02:00\t2442\t-30\t[WPS-PBC]\tbad mac',
    '02:00:00:00:03:00\t2442',
    '',
  ].join('\n');
  assert.deepEqual(parseWpaScanResults(text), [
    { bssid: '02:00:00:00:00:00', ssid: 'Smallworld-0A1B', pbc: true },
    { bssid: '02:00:00:00:02:00', ssid: '[WPS-PBC]\tstill the ssid', pbc: false },
  ]);
});

test('iw scan: selected registrar with password id 4 is push-button; an SSID spelling it out is not', () => {
  const text = [
    'BSS 02:00:00:00:00:00(on wlan0)',
    '\tfreq: 2442',
    '\tSSID: Smallworld-0A1B',
    '\tWPS:\t * Version: 1.0',
    '\t\t * Wi-Fi Protected Setup State: 2 (Configured)',
    '\t\t * Selected Registrar: 0x1',
    '\t\t * Device Password ID: 4 (PushButton)',
    'BSS 02:00:00:00:02:00(on wlan0)',
    '\tSSID: \t\t * Selected Registrar: 0x1',
    '\tWPS:\t * Version: 1.0',
    '\t\t * Device Password ID: 4',
    'BSS 02:00:00:00:03:00(on wlan0)',
    '\tSSID: pin',
    '\t\t * Selected Registrar: 0x1',
    '\t\t * Device Password ID: 0 (Default (PIN))',
  ].join('\n');
  assert.deepEqual(parseIwScan(text), [
    { bssid: '02:00:00:00:00:00', ssid: 'Smallworld-0A1B', pbc: true },
    { bssid: '02:00:00:00:02:00', ssid: '\t\t * Selected Registrar: 0x1', pbc: false },
    { bssid: '02:00:00:00:03:00', ssid: 'pin', pbc: false },
  ]);
});

test('the scan parsers never throw and never invent a BSSID', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (text) => {
      for (const peer of [...parseWpaScanResults(text), ...parseIwScan(text)]) {
        assert.match(peer.bssid, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        assert.ok(text.toLowerCase().includes(peer.bssid));
      }
    }),
    { numRuns: 2000 },
  );
});

test("hostapd's AP-ENABLED, AP-DISABLED and WPS-ENROLLEE-SEEN become events", () => {
  assert.deepEqual(parseCtrlEvent('ap', '<3>AP-ENABLED '), { type: 'ApEnabled' });
  assert.deepEqual(parseCtrlEvent('ap', '<3>AP-DISABLED '), { type: 'ApDisabled' });
  assert.equal(parseCtrlEvent('station', '<3>AP-ENABLED ').type, 'UnknownWifiDaemonEvent');
  assert.deepEqual(
    parseCtrlEvent(
      'ap',
      '<3>WPS-ENROLLEE-SEEN 02:00:00:00:01:00 572cf82f-c957-5653-9b16-b5cfb298abf1 0-00000000-0 0x3148 4 1 [ ]',
    ),
    { type: 'WpsEnrolleeSeen', mac: '02:00:00:00:01:00', pbc: true },
  );
  assert.deepEqual(
    parseCtrlEvent('ap', '<3>WPS-ENROLLEE-SEEN 02:00:00:00:01:00 572cf82f 0-00000000-0 0x3148 0 0 [ ]'),
    { type: 'WpsEnrolleeSeen', mac: '02:00:00:00:01:00', pbc: false },
  );
  assert.equal(parseCtrlEvent('ap', '<3>WPS-ENROLLEE-SEEN garbage 4').type, 'UnknownWifiDaemonEvent');
});
