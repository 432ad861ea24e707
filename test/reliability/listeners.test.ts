// Which sockets a running device listens on, and who gets an answer. The device runs in its own network
// namespace, joined as a client to a network of strangers (the bridge), with its access point's address
// on an interface of its own. Its web page listens on every address, as installed; a stranger on the
// joined network gets 403, a phone on the AP gets the login page. The full list of listening sockets is
// what we expect and nothing more.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { VirtualLan } from '../../lab/lan/virtual-lan.js';
import { CLI, cli, removeDir, tempDir } from '../helpers/daemon.js';
import { recordFigures } from '../helpers/figures.js';
import { processTree } from '../helpers/proc.js';

const WEB_PORT = 8300;

test('listening sockets: only what a device needs, and the web page only for its own networks', {
  timeout: 180_000,
}, async () => {
  const lan = await VirtualLan.create('10.78.0');
  const dir = await tempDir('sw-listeners-');
  try {
    const device = await lan.addDevice('rpi');
    await lan.addDevice('other');
    // The AP's address, held by the device's namespace (the simulator has no radio to put it on).
    const ap = '192.168.4.1';
    await lan.exec('rpi', ['/usr/sbin/ip', 'addr', 'add', `${ap}/32`, 'dev', 'lo']);
    const child = lan.spawn(
      'rpi',
      [
        process.execPath,
        CLI,
        'start',
        '--sim',
        '--data',
        dir,
        '--web-host',
        '0.0.0.0',
        '--web-port',
        String(WEB_PORT),
        '--ssb-host',
        '0.0.0.0',
        '--ssb-port',
        '8008',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    const deadline = Date.now() + 60_000;
    while (!(existsSync(join(dir, 'peer', 'peer.sock')) && /web page listening/.test(output))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the device did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(cli(['status', '--data', dir]).code, 0);

    // An HTTP GET from inside a namespace, by Node itself: prints the status code.
    const httpGet = async (ns: string, url: string) => {
      const script = `require('http').get(process.argv[1], { timeout: 10000 }, (r) => { console.log(r.statusCode); r.resume(); }).on('error', (e) => { console.log(0); })`;
      const { stdout } = await lan.exec(ns, [process.execPath, '-e', script, url]);
      return Number(stdout.trim());
    };
    // A stranger on the network the device joined: refused.
    const fromStranger = await httpGet('other', `http://${device.address}:${WEB_PORT}/`);
    // A phone on the device's own AP (here: from inside, to the AP address): the page answers.
    const fromAp = await httpGet('rpi', `http://${ap}:${WEB_PORT}/login`);
    const fromLoopback = await httpGet('rpi', `http://127.0.0.1:${WEB_PORT}/login`);
    assert.equal(fromStranger, 403, 'the web page on a joined network');
    // (No password yet: the page sends a first visitor to set one up.)
    assert.ok(fromAp === 200 || fromAp === 303, `the web page on the AP: ${fromAp}`);
    assert.equal(fromLoopback, fromAp);

    // Every listening socket of the device's processes.
    const pids = new Set(processTree(child.pid ?? 0));
    const { stdout } = await lan.exec('rpi', ['/usr/bin/ss', '-H', '-lntup']);
    const listeners = stdout
      .split('\n')
      .filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((m) => pids.has(Number(m[1]))))
      .map((line) => {
        const [proto, , , , local] = line.trim().split(/\s+/);
        // `*:port` and `[::]:port` (dual stack) mean every address, like 0.0.0.0.
        return `${proto} ${String(local).replace(/^(\*|\[::\]):/, '0.0.0.0:')}`;
      })
      .sort();
    const expected = [
      `tcp 0.0.0.0:${WEB_PORT}`, // the web page (answers only on loopback, AP and USB addresses)
      'tcp 0.0.0.0:8008', // SSB: gossip with peers on any network it is on
      'udp 0.0.0.0:26830', // ssb-lan beacons
      'udp 0.0.0.0:8008', // legacy LAN beacons
    ].sort();
    recordFigures('listeners', { listeners, webFromJoinedNetwork: fromStranger, webFromAp: fromAp });
    for (const listener of listeners)
      assert.ok(expected.includes(listener), `unexpected listener: ${listener} (all: ${listeners})`);
    for (const wanted of expected)
      assert.ok(listeners.includes(wanted), `${wanted} is not listening (all: ${listeners})`);
  } finally {
    await lan.destroy();
    await removeDir(dir);
  }
});
