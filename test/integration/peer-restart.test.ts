// A peer killed the way the kernel's OOM killer kills it (SIGKILL, mid-replication) comes back: the daemon
// (`smallworld start`, which forks it) restarts it, as the installed unit's Restart=on-failure does, the daemon
// itself stays up, and the restarted peer resumes replicating where its log ended.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { CLI, DaemonProcess, freePort, removeDir, tempDir } from '../helpers/daemon.js';
import { smallworldProcesses } from '../helpers/proc.js';
import { PeerSet } from '../helpers/ssb-peers.js';

const MESSAGES = 300;

const run = promisify(execFile);

/** `smallworld ssb …`, without blocking this process: the source peer runs in it and must answer meanwhile. */
async function ssb<T = unknown>(dir: string, args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [CLI, 'ssb', ...args, '--json', '--data', dir], { timeout: 30_000 });
  return JSON.parse(stdout) as T;
}

async function heldOf(dir: string, feed: string): Promise<number> {
  try {
    const feeds = await ssb<Array<{ id: string; sequence: number }>>(dir, ['feeds']);
    return feeds.find((f) => f.id === feed)?.sequence ?? 0;
  } catch {
    return -1;
  }
}

/** Polls an async condition until it gives a value. */
async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a peer killed mid-replication is restarted and resumes', { timeout: 180_000 }, async () => {
  const peers = new PeerSet();
  const dir = await tempDir('sw-restart-');
  let device: DaemonProcess | null = null;
  try {
    const source = await peers.start('source');
    for (let i = 0; i < MESSAGES; i++) await source.publish({ type: 'post', text: `message ${i}` });
    device = await DaemonProcess.start(
      dir,
      ['--web-port', '0', '--ssb-host', '127.0.0.1', '--ssb-port', String(await freePort()), '--no-auto-follow'],
      30_000,
    );
    const daemon = device;
    await eventually('the SSB peer', 30_000, async () => ((await heldOf(dir, '@none')) >= 0 ? true : undefined));
    const peerPid = () => smallworldProcesses(daemon.child.pid ?? -1).find((p) => p.role === 'peer')?.pid;
    const first = peerPid();
    assert.ok(first, 'no peer process');
    await ssb(dir, ['follow', source.id]);
    await ssb(dir, ['connect', source.address()]);
    await eventually('the first messages', 60_000, async () => ((await heldOf(dir, source.id)) > 0 ? true : undefined));
    process.kill(first, 'SIGKILL');
    const second = await eventually('the restarted peer', 30_000, async () => {
      const pid = peerPid();
      return pid !== undefined && pid !== first && (await heldOf(dir, source.id)) >= 0 ? pid : undefined;
    });
    assert.notEqual(second, first);
    assert.equal(daemon.child.exitCode, null, 'the daemon stayed up');
    assert.match(daemon.output(), /"restarting the peer"/);
    const kept = await heldOf(dir, source.id);
    assert.ok(kept >= 0 && kept <= MESSAGES);
    await ssb(dir, ['connect', source.address()]);
    await eventually(`all ${MESSAGES} messages after the restart`, 60_000, async () =>
      (await heldOf(dir, source.id)) === MESSAGES ? true : undefined,
    );
  } finally {
    await device?.stop();
    await peers.closeAll();
    await removeDir(dir);
  }
});
