// The control-interface client against a real wpa_supplicant (its global control socket needs no radio)
// and against a fake daemon that answers with garbage, truncated replies or not at all.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../src/clock/clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { DgramBridge } from '../../src/wifi/ctrl/transport.js';
import { WpaCtrl } from '../../src/wifi/ctrl/wpa-ctrl.js';
import { removeDir, tempDir, until } from '../helpers/daemon.js';

const WPA_SUPPLICANT = '/usr/sbin/wpa_supplicant';

function startWpaSupplicant(socketPath: string): ChildProcess {
  assert.ok(existsSync(WPA_SUPPLICANT), `${WPA_SUPPLICANT} is missing: install Debian's wpasupplicant package`);
  return spawn(WPA_SUPPLICANT, ['-g', socketPath], { stdio: 'ignore' });
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, signal);
  await exited;
}

describe('against a real wpa_supplicant', { timeout: 60_000 }, () => {
  let dir: string;
  let bridge: DgramBridge;
  before(async () => {
    dir = await tempDir('sw-ctrl-');
    bridge = new DgramBridge(join(dir, 'client'));
  });
  after(async () => {
    await bridge.stop();
    await removeDir(dir);
  });

  test('requests, replies, and recovery when the daemon is killed and comes back', async () => {
    const socketPath = join(dir, 'global');
    let daemon = startWpaSupplicant(socketPath);
    const health: Array<[boolean, string]> = [];
    const ctrl = new WpaCtrl({
      name: 'wpa_supplicant',
      socketPath,
      transports: bridge.factory(),
      clock: systemClock,
      logger: silentLogger,
      onEvent: () => undefined,
      onHealth: (up, reason) => health.push([up, reason]),
      pingIntervalMs: 200,
      retryMs: 100,
      requestTimeoutMs: 1_000,
    });
    try {
      ctrl.start();
      await until(() => ctrl.isUp, 10_000, 'attach');
      assert.equal((await ctrl.request('PING')).trim(), 'PONG');
      await assert.rejects(ctrl.command('NO-SUCH-COMMAND'), /refused NO-SUCH-COMMAND: UNKNOWN COMMAND/);

      await stopProcess(daemon, 'SIGKILL');
      await until(() => health.some(([up]) => !up), 5_000, 'the daemon to be reported down');
      await assert.rejects(ctrl.request('PING'), /not reachable|went away/);

      daemon = startWpaSupplicant(socketPath);
      await until(() => ctrl.isUp, 10_000, 'reattach');
      assert.equal((await ctrl.request('PING')).trim(), 'PONG');
      assert.deepEqual(
        health.map(([up]) => up),
        [true, false, true],
      );
      // Told that the daemon was restarted (its successor answers on the same path), it attaches afresh.
      await ctrl.restart();
      await until(() => ctrl.isUp, 10_000, 'attach after restart');
      assert.deepEqual(
        health.map(([up]) => up),
        [true, false, true, false, true],
      );
    } finally {
      await ctrl.close();
      await stopProcess(daemon);
    }
  });

  test('a socket path that does not exist: reported down, no crash, keeps retrying', async () => {
    const health: boolean[] = [];
    const ctrl = new WpaCtrl({
      name: 'hostapd',
      socketPath: join(dir, 'does-not-exist'),
      transports: bridge.factory(),
      clock: systemClock,
      logger: silentLogger,
      onEvent: () => undefined,
      onHealth: (up) => health.push(up),
      retryMs: 50,
    });
    ctrl.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ctrl.isUp, false);
    await assert.rejects(ctrl.request('STATUS'), /hostapd is not reachable/);
    await ctrl.close();
    assert.deepEqual(health, []);
  });
});

describe('against a misbehaving daemon', { timeout: 30_000 }, () => {
  test('garbage, truncated and missing replies are errors; events are delivered line by line', async () => {
    const dir = await tempDir('sw-fake-');
    const serverPath = join(dir, 'fake');
    const bridge = new DgramBridge(join(dir, 'client'));
    // The fake daemon is a datagram socket of its own, bound where the daemon's would be.
    const server = await bridge.transport('', serverPath);
    const attached: string[] = [];
    let statusAsked = 0;
    server.onMessage((text, from) => {
      // A real daemon drops a reply whose client has gone (closed its socket, e.g. right after DETACH).
      const reply = (answer: string) => void server.sendTo(answer, from).catch(() => undefined);
      if (text === 'PING') reply('PONG\n');
      else if (text === 'ATTACH') {
        attached.push(from);
        reply('OK\n');
      } else if (text === 'WPS_PBC') reply('\u00ff\u0000A');
      else if (text === 'WPS_CANCEL') reply('O');
      else if (text === 'STATUS') {
        statusAsked++;
        return; // never answers
      } else reply('OK\n');
    });
    const events: string[] = [];
    const ctrl = new WpaCtrl({
      name: 'hostapd',
      socketPath: serverPath,
      transports: bridge.factory(),
      clock: systemClock,
      logger: silentLogger,
      onEvent: (line) => events.push(line),
      onHealth: () => undefined,
      requestTimeoutMs: 300,
      pingIntervalMs: 60_000,
    });
    try {
      ctrl.start();
      await until(() => ctrl.isUp, 5_000, 'attach to the fake');
      await assert.rejects(ctrl.command('WPS_PBC'), /refused WPS_PBC: \?\?A/);
      await assert.rejects(ctrl.command('WPS_CANCEL'), /refused WPS_CANCEL: O/);
      await assert.rejects(ctrl.request('STATUS'), /did not answer STATUS within 300 ms/);
      // The next request still gets its own reply, not a stale one.
      await ctrl.command('RELOAD_WPA_PSK');
      const monitor = attached[0];
      assert.ok(monitor);
      await server.sendTo('<3>AP-STA-CONNECTED 02:00:00:00:00:01\n<3>WPS-SUCCESS ', monitor);
      await until(() => events.length === 2, 2_000, 'events');
      assert.deepEqual(events, ['<3>AP-STA-CONNECTED 02:00:00:00:00:01', '<3>WPS-SUCCESS ']);
      // Closed with a request in flight (the station stopped for the access point mid-scan): the request
      // fails at once rather than at its timeout, and nothing is left to reject unhandled (which ends Node).
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const pending = ctrl.request('STATUS', 10_000);
        await until(() => statusAsked === 2, 2_000, 'the request to reach the daemon');
        const started = Date.now();
        await ctrl.close();
        await assert.rejects(pending, /hostapd closed/);
        assert.ok(Date.now() - started < 2_000, 'the request waited for its timeout');
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(unhandled, []);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    } finally {
      await ctrl.close();
      await server.close();
      await bridge.stop();
      await removeDir(dir);
    }
  });
});

describe('the datagram bridge', { timeout: 30_000 }, () => {
  test('stopped while a socket is opening: the open fails and no new bridge process starts', async () => {
    const dir = await tempDir('sw-bridge-');
    const bridge = new DgramBridge(join(dir, 'client'));
    try {
      const first = await bridge.transport(join(dir, 'daemon'));
      const opening = bridge.open(); // a reconnect under way when the daemon shuts down
      opening.catch(() => undefined); // asserted below, after the stop it races
      await bridge.stop();
      await assert.rejects(opening, /bridge is stopped/);
      await assert.rejects(bridge.open(), /bridge is stopped/);
      await assert.rejects(first.send('PING'), /bridge is stopped/);
      await first.close();
      // Had a new bridge process started, this test file would never exit (node --test waits for it).
    } finally {
      await bridge.stop();
      await removeDir(dir);
    }
  });
});
