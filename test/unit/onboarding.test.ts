// The onboarding text `smallworld install` ends with and `wifi show --qr` prints: the network's name and
// passphrase, and a terminal QR code that a phone's camera decodes to the standard WIFI: payload (decoded
// here by jsQR from the very characters printed, quoting included).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onboardingLines } from '../../src/install/onboarding.js';
import { wifiQrPayload } from '../../src/wifi/config-gen.js';
import { decodeTerminalQr } from '../helpers/terminal-qr.js';

test('the onboarding lines give the name, the passphrase and a QR code that decodes to the WIFI: payload', async () => {
  for (const ap of [
    { ssid: 'Smallworld-7F75', passphrase: 'rppu-kigs-b3qa-p8jf' },
    { ssid: 'Café; "Bob":1', passphrase: 'semi;colon,comma:colon' },
  ]) {
    const lines = await onboardingLines(ap, '192.168.4.1');
    assert.ok(lines.includes(`  network:    ${ap.ssid}`));
    assert.ok(lines.includes(`  passphrase: ${ap.passphrase}`));
    assert.ok(lines.some((l) => l.includes('http://192.168.4.1/')));
    assert.equal(decodeTerminalQr(lines), wifiQrPayload(ap), ap.ssid);
    const visible = (l: string) => l.replaceAll(/\[[0-9;]*m/g, '').replaceAll(String.fromCharCode(27), '');
    assert.ok(Math.max(...lines.map((l) => visible(l).length)) <= 110, 'fits a terminal');
  }
});
