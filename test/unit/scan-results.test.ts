// The parsers for scan results and the new control-interface events: total over hostile input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseCtrlEvent } from '../../src/wifi/ctrl-events.js';
import { parseHostSighting, parseIwScan, parseWpaScanResults } from '../../src/wifi/scan-results.js';

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

describe("the host's last sighting (wpa_supplicant STATUS and BSS)", () => {
  const HOST = '02:00:00:00:01:00';
  const bss = (fields: Record<string, string>) =>
    Object.entries(fields)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
  const pbcEntry = bss({
    id: '3',
    bssid: HOST,
    freq: '2442',
    age: '4',
    flags: '[WPA2-PSK-CCMP][WPS-PBC][ESS]',
    ssid: 'Smallworld-1234',
  });
  const table: Array<[string, string, string, number | null]> = [
    ['in push-button mode, seen 4 s ago', 'wpa_state=SCANNING', pbcEntry, 4_000],
    ['talking to it: associating', `wpa_state=ASSOCIATING`, '', 0],
    ['talking to it: handshake, BSSID given', `bssid=${HOST}\nwpa_state=4WAY_HANDSHAKE`, '', 0],
    ['associated with another access point', `bssid=02:00:00:00:09:00\nwpa_state=COMPLETED`, '', null],
    ['unknown to the station (empty reply)', 'wpa_state=SCANNING', '', null],
    ['FAIL', 'wpa_state=SCANNING', 'FAIL', null],
    ['seen, but no push-button session any more', 'wpa_state=SCANNING', pbcEntry.replace('[WPS-PBC]', '[WPS]'), null],
    ['another BSS answered', 'wpa_state=SCANNING', pbcEntry.replace(HOST, '02:00:00:00:02:00'), null],
    ['an age that is not a number', 'wpa_state=SCANNING', pbcEntry.replace('age=4', 'age=-1'), null],
    [
      'an SSID spelling out flags changes nothing (the first flags line counts)',
      'wpa_state=SCANNING',
      bss({ bssid: HOST, age: '2', flags: '[ESS]', ssid: 'x\\nflags=[WPS-PBC]' }) + '\nflags=[WPS-PBC]',
      null,
    ],
  ];
  for (const [name, status, reply, expected] of table) {
    test(name, () => assert.equal(parseHostSighting(HOST, status, reply), expected));
  }
  test('upper-case addresses match', () => {
    assert.equal(
      parseHostSighting(HOST.toUpperCase(), 'wpa_state=SCANNING', pbcEntry.replace(HOST, HOST.toUpperCase())),
      4_000,
    );
  });
  test('not a BSSID: null', () => assert.equal(parseHostSighting('host', 'wpa_state=COMPLETED', pbcEntry), null));
});
