// Interop with the stock reference server: an unmodified ssb-server 16 plays a friend's phone in its own
// namespace. It and a Smallworld device find each other by LAN beacons, the device auto-follows it, and
// messages flow both ways as the follow graph says.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeDir } from '../helpers/daemon.js';
import { eventually, LanWorld } from '../helpers/lan-devices.js';

const SSB_SERVER = fileURLToPath(
  new URL('../../../reference/ssb-server/node_modules/ssb-server/bin.js', import.meta.url),
);

test('stock ssb-server 16 and a Smallworld device discover, follow and replicate both ways', {
  timeout: 400_000,
}, async () => {
  assert.ok(existsSync(SSB_SERVER), `${SSB_SERVER} is missing: run "npm ci --prefix reference/ssb-server"`);
  const world = await LanWorld.create();
  const phoneDir = await mkdtemp(join(tmpdir(), 'sw-ssbserver-'));
  try {
    const device = await world.add('rpi', { autoFollow: true });
    const phoneNet = await world.lan.addDevice('phone');
    const serverArgs = ['--path', phoneDir, '--host', phoneNet.address, '--port', '8008'];
    const server = world.lan.spawn('phone', [process.execPath, SSB_SERVER, 'start', ...serverArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const serverLog: string[] = [];
    server.stdout?.setEncoding('utf8').on('data', (d: string) => serverLog.push(d));
    server.stderr?.setEncoding('utf8').on('data', (d: string) => serverLog.push(d));
    const phoneCli = async (args: string[]): Promise<string> =>
      (await world.lan.exec('phone', [process.execPath, SSB_SERVER, ...args, ...serverArgs])).stdout;
    let id = '';
    const started = Date.now();
    // The server creates its key file at start; a CLI call before that would race it to create one too.
    while (!existsSync(join(phoneDir, 'secret')) && Date.now() - started < 60_000) {
      await new Promise((r) => setTimeout(r, 200));
    }
    while (!id) {
      if (server.exitCode !== null) throw new Error(`ssb-server exited:\n${serverLog.join('')}`);
      try {
        id = (JSON.parse(await phoneCli(['whoami'])) as { id: string }).id;
      } catch {
        if (Date.now() - started > 60_000) throw new Error(`ssb-server did not answer:\n${serverLog.join('')}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    // The friend's phone follows the device (as the report's Oasis user did) and has something to say.
    await phoneCli(['publish', '--type', 'contact', '--contact', device.id, '--following']);
    for (let i = 0; i < 5; i++) await phoneCli(['publish', '--type', 'post', '--text', `from the phone ${i}`]);
    const phoneSeq = 6;
    device.publish('from the device');
    const deviceSeq = device.sequenceOf(device.id);

    // Beacons -> auto-follow -> the phone's messages at the device.
    await eventually(
      "the phone's messages at the device",
      120_000,
      () => device.sequenceOf(id) === phoneSeq,
      () => ({
        feeds: device.feeds(),
        peers: device.ssb(['peers']),
        deviceLog: device.logs
          .join('')
          .split('\n')
          .filter((l) => /"(warn|error)"/.test(l))
          .slice(-30),
        serverLog: serverLog.join('').split('\n').slice(-30),
      }),
    );
    const decisions = device.ssb<{ autoFollow: Array<{ id?: string; decision?: { follow: boolean } }> }>(['status']);
    assert.ok(JSON.stringify(decisions.autoFollow).includes(id), 'the auto-follow decision is recorded');
    // And the device's messages at the phone (it follows the device).
    const deadline = Date.now() + 120_000;
    let latest = 0;
    while (Date.now() < deadline) {
      // ssb-server 16's getLatest over its CLI breaks the connection; the user stream works.
      const out = await phoneCli(['createUserStream', '--id', device.id, '--reverse', '--limit', '1']).catch(() => '');
      const match = /"sequence":\s*(\d+)/.exec(out);
      latest = match ? Number(match[1]) : 0;
      // The device may have published more since (its auto-follow of the phone); what counts is ours arrived.
      if (latest >= deviceSeq) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(latest >= deviceSeq, `the device's messages at the phone (${latest} of ${deviceSeq})`);
  } finally {
    await world.destroy();
    await removeDir(phoneDir);
  }
});
