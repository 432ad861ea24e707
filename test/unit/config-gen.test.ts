import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_PLAN,
  derivePsk,
  dnsmasqConf,
  hostapdConf,
  InvalidSetting,
  type Paths,
  validatePassphrase,
  validateSsid,
  wifiQrPayload,
  wpaSupplicantConf,
} from '../../src/wifi/config-gen.js';
import {
  freshSettings,
  generatePassphrase,
  withAp,
  withNetwork,
  withOrder,
  withoutNetwork,
} from '../../src/wifi/settings.js';

const PATHS: Paths = {
  hostapdCtrlDir: '/run/smallworld/hostapd',
  wpaCtrlDir: '/run/smallworld/wpa_supplicant',
  pskFile: '/var/lib/smallworld/hostapd.psk',
  leaseFile: '/var/lib/smallworld/dnsmasq.leases',
};

const lines = (text: string) => text.split('\n');

describe('hostapd.conf', () => {
  const conf = hostapdConf({ ssid: 'Smallworld-1A2B', passphrase: 'abcd-efgh-ijkm-npqr' }, DEFAULT_PLAN, PATHS);

  test('WPA2 with CCMP only, WPS push-button only, AP PIN locked, client isolation off', () => {
    for (const line of [
      'wpa=2',
      'wpa_key_mgmt=WPA-PSK',
      'rsn_pairwise=CCMP',
      'wps_state=2',
      'ap_setup_locked=1',
      'config_methods=push_button',
      'ap_isolate=0',
      'eap_server=1',
    ]) {
      assert.ok(lines(conf).includes(line), line);
    }
    assert.doesNotMatch(conf, /TKIP|wpa_pairwise|ap_pin=|keypad|label|display/);
    assert.ok(lines(conf).includes(`wpa_psk_file=${PATHS.pskFile}`));
  });

  test('the SSID is written as hex, so no character in it can break the file', () => {
    assert.ok(lines(conf).includes(`ssid2=${Buffer.from('Smallworld-1A2B').toString('hex')}`));
    assert.ok(!lines(conf).some((l) => l.startsWith('ssid=')));
  });
});

test('wpa_supplicant.conf: no networks for AP mode; known networks as derived PSKs, in preference order', () => {
  const none = wpaSupplicantConf([], DEFAULT_PLAN, PATHS);
  assert.doesNotMatch(none, /network=/);
  assert.match(none, /^update_config=0$/m);
  const known = wpaSupplicantConf(
    [
      { ssid: 'home', passphrase: 'correct horse battery' },
      { ssid: 'café', passphrase: 'staple-staple' },
    ],
    DEFAULT_PLAN,
    PATHS,
  );
  assert.equal(known.match(/network=\{/g)?.length, 2);
  assert.match(known, new RegExp(`ssid=${Buffer.from('café').toString('hex')}`));
  assert.doesNotMatch(known, /correct horse/);
  assert.match(known, /priority=2[\s\S]*priority=1/);
  // IEEE 802.11i test vector.
  assert.equal(derivePsk('IEEE', 'password'), 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e');
});

test('dnsmasq.conf serves the AP and USB ranges, no default route, and a catch-all DNS that forwards nothing', () => {
  const conf = lines(dnsmasqConf(DEFAULT_PLAN, PATHS));
  assert.ok(conf.includes('dhcp-range=set:ap,192.168.4.2,192.168.4.20,255.255.255.0,24h'));
  assert.ok(conf.includes('dhcp-range=set:usb,192.168.6.2,192.168.6.20,255.255.255.0,24h'));
  assert.ok(!conf.includes('port=0'), 'DNS is served');
  for (const line of ['no-resolv', 'no-hosts', 'address=/#/192.168.4.1', 'address=/#/192.168.6.1'])
    assert.ok(conf.includes(line), line);
  assert.ok(conf.includes('dhcp-option=tag:ap,option:router'), 'an empty router option: no default route');
  assert.ok(conf.includes('dhcp-option=tag:ap,option:dns-server,192.168.4.1'));
  assert.ok(conf.includes('dhcp-option=tag:usb,option:dns-server,192.168.6.1'));
  assert.ok(!conf.some((l) => l.startsWith('server=')), 'nothing is forwarded');
  assert.throws(() => dnsmasqConf({ ...DEFAULT_PLAN, apAddress: '192.168.4.1\naddress=/#/6.6.6.6' }, PATHS));
});

describe('validation', () => {
  const badSsids: Array<[unknown, RegExp]> = [
    ['', /1 to 32 bytes/],
    ['x'.repeat(33), /1 to 32 bytes/],
    ['ééééééééééééééééé', /1 to 32 bytes/],
    ['line\nbreak', /control characters/],
    ['tab\there', /control characters/],
    ['say "hi"', /quotes/],
    ['back\\slash', /quotes or backslashes/],
    [' padded', /spaces/],
    ['\ud800lone', /UTF-8/],
    [42, /must be text/],
  ];
  for (const [ssid, message] of badSsids) {
    test(`SSID ${JSON.stringify(ssid)} is refused`, () => assert.throws(() => validateSsid(ssid), message));
  }
  const badPassphrases: Array<[unknown, RegExp]> = [
    ['short', /8 to 63/],
    ['x'.repeat(64), /8 to 63/],
    ['pässwörter', /printable ASCII/],
    ['new\nline-secret', /printable ASCII/],
    ['quote"secret', /quotes/],
    [null, /must be text/],
  ];
  for (const [passphrase, message] of badPassphrases) {
    test(`passphrase ${JSON.stringify(passphrase)} is refused`, () =>
      assert.throws(() => validatePassphrase(passphrase), message));
  }

  test('whatever is accepted produces a file with exactly the expected lines', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 70 }),
        (ssid, passphrase) => {
          let conf: string;
          try {
            conf = hostapdConf({ ssid, passphrase }, DEFAULT_PLAN, PATHS);
          } catch (error) {
            assert.ok(error instanceof InvalidSetting);
            return;
          }
          assert.equal(
            lines(conf).length,
            lines(hostapdConf({ ssid: 'a', passphrase: '12345678' }, DEFAULT_PLAN, PATHS)).length,
          );
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('settings', () => {
  test('each device gets its own SSID and a random, readable passphrase', () => {
    const a = freshSettings();
    const b = freshSettings();
    assert.match(a.ap.ssid, /^Smallworld-[0-9A-F]{4}$/);
    assert.notEqual(a.ap.passphrase, b.ap.passphrase);
    assert.match(generatePassphrase(), /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    validatePassphrase(a.ap.passphrase);
  });

  test('changes validate first and leave the settings untouched when refused', () => {
    const s = freshSettings();
    assert.throws(() => withAp(s, { passphrase: 'bad"one!!' }), /quotes/);
    const changed = withAp(s, { ssid: 'Picnic' });
    assert.equal(changed.ap.ssid, 'Picnic');
    assert.equal(changed.ap.passphrase, s.ap.passphrase);
    const two = withNetwork(withNetwork(s, { ssid: 'home', passphrase: '12345678' }), {
      ssid: 'work',
      passphrase: 'abcdefgh',
    });
    assert.deepEqual(
      withOrder(two, ['work', 'home']).knownNetworks.map((n) => n.ssid),
      ['work', 'home'],
    );
    assert.throws(() => withOrder(two, ['work']), /exactly once/);
    assert.throws(() => withoutNetwork(two, 'nope'), /no known network/);
    assert.equal(
      withNetwork(two, { ssid: 'home', passphrase: 'newpass123' }).knownNetworks[0]?.passphrase,
      'newpass123',
    );
  });

  test('the QR payload escapes the WIFI: special characters', () => {
    assert.equal(wifiQrPayload({ ssid: 'a;b', passphrase: 'p:q,r12345' }), 'WIFI:T:WPA;S:a\\;b;P:p\\:q\\,r12345;;');
  });
});
