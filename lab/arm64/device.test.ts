// The device the way a Pi runs it, on whatever CPU this Node.js is built for (lab/arm64/run.sh runs it
// under qemu): `smallworld start --sim` with the SSB peer in its own process, the peer's native-crypto
// check as it logs it, and the CLI through the daemon's and the peer's sockets.
//
// SMALLWORLD_LAB_EXPECT_NATIVE=0 turns it into the 32-bit ARM check: sodium-native cannot load there, so
// the peer must say so loudly and stop, while the connectivity daemon keeps working.
// SMALLWORLD_LAB_REPORT=FILE writes the figures (the peer's verifications per second, CLI latency) as JSON.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, freePort, removeDir, tempDir, until } from '../../test/helpers/daemon.js';

const expectNative = process.env.SMALLWORLD_LAB_EXPECT_NATIVE !== '0';
// Under emulation one CLI call costs ~10 s (Node's start-up and module loading), a peer's start ~30 s.
const CLI_TIMEOUT_MS = 120_000;
const PEER_TIMEOUT_MS = 240_000;

interface LogRecord {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

function records(output: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogRecord);
    } catch {
      // a line cut by a chunk boundary, or not ours
    }
  }
  return out;
}

function run(args: string[]): { code: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: CLI_TIMEOUT_MS });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

function json<T>(args: string[]): T {
  const result = run([...args, '--json']);
  if (result.code !== 0) throw new Error(`smallworld ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** `smallworld start --sim` as a child process; like test/helpers' DaemonProcess, with emulation's time limits. */
class Device {
  private readonly logs: string[] = [];
  readonly child: ChildProcess;
  constructor(
    readonly dir: string,
    args: string[],
  ) {
    this.child = spawn(process.execPath, [CLI, 'start', '--sim', '--data', dir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.logs.push(chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.logs.push(chunk));
  }

  output(): string {
    return this.logs.join('');
  }

  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`daemon exited early (${this.child.exitCode}):\n${this.output()}`);
      if (existsSync(join(this.dir, 'control.sock')) && run(['status', '--data', this.dir]).code === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`daemon did not come up within ${timeoutMs} ms:\n${this.output()}`);
  }

  async stop(timeoutMs: number): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

describe(`the device on ${process.arch} (${process.version})`, { timeout: 900_000 }, () => {
  let dir: string;
  let device: Device;
  const report: Record<string, unknown> = { arch: process.arch, node: process.version };

  before(async () => {
    dir = await tempDir('sw-cpu-');
    const port = await freePort();
    device = new Device(dir, ['--web-port', '0', '--ssb-host', '127.0.0.1', '--ssb-port', String(port)]);
    await device.ready(PEER_TIMEOUT_MS);
  });

  after(async () => {
    const code = await device?.stop(30_000);
    report.daemonExit = code;
    if (process.env.SMALLWORLD_LAB_REPORT) await writeFile(process.env.SMALLWORLD_LAB_REPORT, JSON.stringify(report));
    if (dir) await removeDir(dir);
  });

  test('the peer process checks native crypto and logs the binary it loaded', async () => {
    const line = await until(
      () =>
        records(device.output()).find(
          (r) =>
            r.msg === 'native crypto loaded' ||
            r.msg === 'NATIVE CRYPTO NOT LOADED: SSB is using pure-JS crypto and will be very slow',
        ),
      PEER_TIMEOUT_MS,
      "the peer's native crypto check",
    );
    const sodium = line.sodiumNative as { loaded: boolean; version: string | null; binding: string | null };
    report.peer = { msg: line.msg, sodiumNative: sodium, verifiesPerSecond: line.verifiesPerSecond };
    if (expectNative) {
      assert.equal(line.msg, 'native crypto loaded', JSON.stringify(line));
      // A prebuild for this very platform and CPU (or a local build), never another architecture's.
      assert.match(String(sodium.binding), new RegExp(`prebuilds/linux-${process.arch}/|build/Release/`));
      // Native is thousands per second even emulated (a few hundred while the peer is still starting on a
      // busy machine); chloride's pure-JS fallback manages 27 on this machine's x86 and a few under qemu.
      assert.ok(Number(line.verifiesPerSecond) > 50, `${String(line.verifiesPerSecond)} verifications/s`);
    } else {
      assert.equal(line.level, 'error');
      assert.equal(sodium.loaded, false);
    }
  });

  if (expectNative) {
    test('whoami, publish and feeds through the peer socket', async () => {
      const whoami = await until(
        () => {
          const r = run(['ssb', 'whoami', '--json', '--data', dir]);
          return r.code === 0 ? r : undefined;
        },
        PEER_TIMEOUT_MS,
        'the SSB peer',
      );
      const me = (JSON.parse(whoami.stdout) as { id: string }).id;
      assert.match(me, /^@[A-Za-z0-9+/]{43}=\.ed25519$/);
      const started = Date.now();
      const published = json<{ key: string }>([
        'ssb',
        'publish',
        '--type',
        'post',
        '--text',
        'hello from a Pi CPU',
        '--data',
        dir,
      ]);
      report.publishMs = Date.now() - started;
      report.whoamiMs = whoami.ms;
      assert.match(published.key, /^%.+\.sha256$/);
      const feeds = json<Array<{ id: string; sequence: number }>>(['ssb', 'feeds', '--data', dir]);
      // At least our post (the device may publish messages of its own, such as its profile, meanwhile).
      const mine = feeds.find((f) => f.id === me);
      assert.ok(mine && mine.sequence >= 1, JSON.stringify(feeds));
    });
  } else {
    test('without native crypto the peer stops with a clear error and the connectivity daemon keeps working', async () => {
      const failure = await until(
        () => records(device.output()).find((r) => r.msg === 'cannot load the SSB libraries'),
        PEER_TIMEOUT_MS,
        "the peer's failure",
      );
      report.peerFailure = failure;
      await until(() => /peer process exited/.test(device.output()), PEER_TIMEOUT_MS, 'the peer to exit');
      const ssb = run(['ssb', 'whoami', '--data', dir]);
      assert.equal(ssb.code, 3, ssb.stderr);
      assert.match(ssb.stderr, /SSB peer is not running/);
      const pressed = json<{ mode: string }>(['press', 'ap', '--data', dir]);
      assert.equal(pressed.mode, 'ap');
      assert.equal(json<{ mode: string }>(['status', '--data', dir]).mode, 'ap');
    });
  }
});
