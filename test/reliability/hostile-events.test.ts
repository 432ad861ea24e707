// Event lines from wpa_supplicant and hostapd carry text other people choose (SSIDs, device names in WPS
// messages, MACs in station events). A generated corpus of 100,000 lines — real events mutated, cut,
// padded, with control characters and interface prefixes, plus raw noise — goes through the parser and
// then, as typed events, through the reducer together with button presses. The parser never throws and
// only produces well-typed events; the device's invariants hold after every step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceState, EventBody, WifiSource } from '../../src/device/model.js';
import { associationCount, boot, ledsOf, reduce } from '../../src/device/reducer.js';
import { parseCtrlEvent } from '../../src/wifi/ctrl-events.js';
import { recordFigures } from '../helpers/figures.js';
import { seededRandom } from '../helpers/seeded.js';

const REAL_LINES = [
  '<3>CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01:00 completed [id=0 id_str=]',
  '<3>CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=3 locally_generated=1',
  '<3>WPS-PBC-ACTIVE',
  '<3>WPS-SUCCESS',
  '<3>WPS-FAIL msg=8 config_error=0',
  '<3>WPS-TIMEOUT',
  '<3>WPS-CANCEL',
  '<3>WPS-OVERLAP-DETECTED',
  '<3>AP-STA-CONNECTED 02:00:00:00:00:01',
  '<3>AP-STA-DISCONNECTED 02:00:00:00:00:01',
  '<3>WPS-REG-SUCCESS 02:00:00:00:00:02 12345678-9abc-def0-1234-56789abcdef0',
  '<3>WPS-ENROLLEE-SEEN 02:00:00:00:00:03 12345678-9abc-def0-1234-56789abcdef0 1-0050F204-1 0x3148 0 1 [My "phone"\\n]',
  '<3>WPS-ENROLLEE-SEEN 02:00:00:00:00:04 12345678-9abc-def0-1234-56789abcdef0 0-00000000-0 0x3148 4 1 [ ]',
  '<3>AP-ENABLED ',
  '<3>AP-DISABLED ',
  '<3>CTRL-EVENT-TERMINATING',
  'IFNAME=wlan0 <3>CTRL-EVENT-SCAN-RESULTS',
  '<3>CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="Smallworld-1234" auth_failures=1 duration=10 reason=WRONG_KEY',
];

const VALID_TYPES = new Set([
  'ApEnabled',
  'ApDisabled',
  'WpsEnrolleeSeen',
  'WpsPbcActive',
  'WpsSuccess',
  'WpsFail',
  'WpsTimeout',
  'WpsCancelled',
  'WpsOverlap',
  'WifiDaemonDown',
  'StationConnected',
  'StationDisconnected',
  'ApStationConnected',
  'ApStationDisconnected',
  'WpsEnrolleeRegistered',
  'UnknownWifiDaemonEvent',
]);

test('100,000 hostile event lines: the parser is total and the device invariants hold', () => {
  const rand = seededRandom(Number(process.env.SW_HOSTILE_SEED ?? 5));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const kinds: Record<string, number> = {};
  const line = (): string => {
    const base = pick(REAL_LINES);
    const r = rand();
    const kind =
      r < 0.2
        ? 'real'
        : r < 0.4
          ? 'mutated'
          : r < 0.55
            ? 'cut'
            : r < 0.7
              ? 'padded'
              : r < 0.8
                ? 'control-characters'
                : r < 0.9
                  ? 'prefixed'
                  : 'noise';
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    switch (kind) {
      case 'real':
        return base;
      case 'mutated': {
        const chars = [...base];
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
          chars[Math.floor(rand() * chars.length)] = String.fromCharCode(Math.floor(rand() * 128));
        }
        return chars.join('');
      }
      case 'cut':
        return base.slice(0, Math.floor(rand() * base.length));
      case 'padded':
        return `${base} ${'A'.repeat(Math.floor(rand() * 10_000))}`;
      case 'control-characters':
        return base.replace(/ /g, () => pick(['\n', '\r', '\t', '\0', '\x1b[31m', ' ']));
      case 'prefixed':
        return `${pick(['IFNAME=wlan0 ', 'IFNAME= ', 'IFNAME=x'.repeat(50), '<9>', '<>', ''])}${base}`;
      default:
        return Array.from({ length: Math.floor(rand() * 200) }, () =>
          String.fromCharCode(Math.floor(rand() * 65536)),
        ).join('');
    }
  };

  let state: DeviceState = boot(null)[0];
  let at = 1000;
  const TOTAL = 100_000;
  let typed = 0;
  for (let i = 0; i < TOTAL; i++) {
    const source: WifiSource = rand() < 0.5 ? 'station' : 'ap';
    const text = line();
    const event = parseCtrlEvent(source, text);
    assert.ok(VALID_TYPES.has(event.type), `unexpected event type ${event.type} from ${JSON.stringify(text)}`);
    if (event.type !== 'UnknownWifiDaemonEvent') typed++;
    const steps: EventBody[] = [event];
    if (rand() < 0.05) steps.push({ type: 'ButtonPressed', button: rand() < 0.5 ? 'ap' : 'wps' });
    for (const step of steps) {
      at += 7;
      [state] = reduce(state, { ...step, at });
      const leds = ledsOf(state);
      assert.equal(
        leds.ap === 'on',
        state.mode === 'ap' && state.accessPoint.state === 'enabled',
        'AP LED on exactly while the access point is enabled',
      );
      if (state.wps.phase === 'active') assert.equal(leds.connection, 'blink', 'blinking while searching');
      else assert.equal(leds.connection, associationCount(state) > 0 ? 'on' : 'off', 'LED tells the association truth');
    }
  }
  recordFigures('hostile-event-lines', { inputsTried: TOTAL, byKind: kinds, understoodAsDeviceEvents: typed });
});
