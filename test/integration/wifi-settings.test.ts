// Wi-Fi settings through the CLI: generated at first start, validated, written atomically.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, cli, cliJson, DaemonProcess, removeDir, tempDir } from '../helpers/daemon.js';
import { decodeTerminalQr } from '../helpers/terminal-qr.js';

interface WifiView {
  ap: { ssid: string; passphrase: string };
  knownNetworks: Array<{ ssid: string }>;
  qr: string;
  files: { hostapd: string };
}

describe('Wi-Fi settings', { timeout: 60_000 }, () => {
  let dir: string;
  let daemon: DaemonProcess;
  before(async () => {
    dir = await tempDir();
    daemon = await DaemonProcess.start(dir);
  });
  after(async () => {
    await daemon.stop();
    await removeDir(dir);
  });

  test('a unique network name and a random passphrase exist from the first start, in a 0600 file', async () => {
    const view = cliJson<WifiView>(['wifi', '--data', dir]);
    assert.match(view.ap.ssid, /^Smallworld-[0-9A-F]{4}$/);
    assert.match(view.ap.passphrase, /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    assert.equal(view.qr, `WIFI:T:WPA;S:${view.ap.ssid};P:${view.ap.passphrase};;`);
    assert.equal((await stat(join(dir, 'wifi.json'))).mode & 0o777, 0o600);
    const conf = await readFile(view.files.hostapd, 'utf8');
    assert.match(conf, new RegExp(`^wpa_passphrase=${view.ap.passphrase}$`, 'm'));
  });

  test('changing the passphrase rewrites the generated hostapd.conf', async () => {
    const view = cliJson<WifiView>(['wifi', 'ap', '--passphrase', 'picnic-by-the-lake', '--data', dir]);
    assert.equal(view.ap.passphrase, 'picnic-by-the-lake');
    assert.match(await readFile(view.files.hostapd, 'utf8'), /^wpa_passphrase=picnic-by-the-lake$/m);
  });

  test('the passphrase can come from stdin, keeping it out of the process list', async () => {
    const result = spawnSync(process.execPath, [CLI, 'wifi', 'ap', '--passphrase-stdin', '--json', '--data', dir], {
      input: 'from-stdin-secret\n',
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as WifiView).ap.passphrase, 'from-stdin-secret');
  });

  test('invalid values are refused with the reason, and nothing changes', async () => {
    const before = await readFile(join(dir, 'generated', 'hostapd.conf'), 'utf8');
    const cases: Array<[string[], RegExp]> = [
      [['wifi', 'ap', '--passphrase', 'short'], /8 to 63 characters/],
      [['wifi', 'ap', '--passphrase', 'has"quote-inside'], /quotes/],
      [['wifi', 'ap', '--ssid', 'x'.repeat(40)], /1 to 32 bytes/],
      [['wifi', 'ap', '--ssid', 'two\nlines'], /control characters/],
      [['wifi', 'ap'], /give an ssid, a passphrase, or both/],
      [['wifi', 'add', 'home', '--passphrase', 'tiny'], /8 to 63/],
      [['wifi', 'remove', 'nowhere'], /no known network/],
    ];
    for (const [args, message] of cases) {
      const result = cli([...args, '--data', dir]);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
    assert.equal(await readFile(join(dir, 'generated', 'hostapd.conf'), 'utf8'), before);
  });

  test('`wifi show --qr` prints the network, the passphrase and a QR code a phone joins with', () => {
    const view = cliJson<WifiView>(['wifi', '--data', dir]);
    const shown = cli(['wifi', 'show', '--qr', '--data', dir]);
    assert.equal(shown.code, 0, shown.stderr);
    const lines = shown.stdout.trimEnd().split('\n');
    assert.ok(lines.includes(`  network:    ${view.ap.ssid}`), shown.stdout);
    assert.ok(lines.includes(`  passphrase: ${view.ap.passphrase}`), shown.stdout);
    assert.ok(
      lines.some((l) => l.includes('http://192.168.4.1/')),
      'the address to open',
    );
    assert.equal(decodeTerminalQr(lines), view.qr, 'the code decodes to the WIFI: payload');
    assert.ok(/[█▀▄]/.test(lines[lines.length - 1] ?? ''), 'the code comes last');
    const wrong = cli(['wifi', 'add', 'home', '--passphrase', 'home-secret', '--qr', '--data', dir]);
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /--qr goes with "wifi show"/);
    assert.deepEqual(cliJson<WifiView>(['wifi', '--data', dir]).knownNetworks, view.knownNetworks, 'nothing added');
  });

  test('known networks: add, reorder, remove', () => {
    cli(['wifi', 'add', 'home', '--passphrase', 'home-secret', '--data', dir]);
    cli(['wifi', 'add', 'café', '--passphrase', 'cafe-secret', '--data', dir]);
    let view = cliJson<WifiView>(['wifi', 'order', 'café', 'home', '--data', dir]);
    assert.deepEqual(view.knownNetworks, [{ ssid: 'café' }, { ssid: 'home' }]);
    view = cliJson<WifiView>(['wifi', 'remove', 'café', '--data', dir]);
    assert.deepEqual(view.knownNetworks, [{ ssid: 'home' }]);
  });
});
