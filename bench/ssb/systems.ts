// The two systems under test, each run as real separate processes in their own network namespace and driven
// through its own local API: a Smallworld device (`smallworld start --sim`, whose SSB peer is a child
// process; driven over DATA/peer/peer.sock as `smallworld ssb …` is) and a stock ssb-server 16 (`bin.js
// start`, driven with ssb-client over its unix socket). Every process started here is recorded by pid and
// stopped by pid, also when the benchmark fails.
import { type ChildProcess as Child, type ChildProcess, execFile, type SpawnOptions } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { callDaemon, socketPathFor } from '../../src/control/client.js';
import { PEER_UNIT_NODE_ARGS, peerUnitNodeOptions } from '../../src/install/templates.js';
import { peerEnvironment } from '../../src/peer/allocator.js';
import { PeerClient } from '../../src/ssb/peer-client.js';
import type { PeerProtocol } from '../../src/ssb/protocol.js';
import { blobPath, type Keys, type Template } from './fixtures.js';
import { childrenOf, isAlive, type Memory, memoryOf } from './procs.js';
import { SsbServerClient } from './ssb-server-client.js';

const run = promisify(execFile);

export type SystemName = 'smallworld' | 'ssb-server';
export const SYSTEMS: readonly SystemName[] = ['smallworld', 'ssb-server'];

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
export const SMALLWORLD_CLI = here('../../src/cli/main.js');
export const SSB_SERVER_BIN = here('../../../reference/ssb-server/node_modules/ssb-server/bin.js');
const SETUP_DB2 = here('./setup-db2.js');
const SETUP_SSB_DB = here('./setup-ssb-db.js');
const READ_DB2 = here('./read-db2.js');
const AUTOFOLLOW = here('./ssb-server-autofollow.js');
const READY_PROBE = here('./ready-probe.js');
const SSB_PORT = 8008;
/** Smallworld's web page, on the device's address, when the start is probed (`probeReady`). */
const WEB_PORT = 8300;
/** Start-up limits are multiplied by SW_BENCH_SLOW (e.g. 5 on an emulated CPU, where Node.js takes 5 s to start). */
export const SLOW = Math.max(1, Number(process.env.SW_BENCH_SLOW ?? 1) || 1);

/** Every process the benchmark started and has not yet seen exit: killed by pid on any way out. */
const live = new Set<number>();

function track(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  live.add(pid);
  child.once('exit', () => live.delete(pid));
}

export function killEverything(): void {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when every pid has gone. */
async function stopPids(pids: number[], graceMs: number): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(isAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  while (pids.some(isAlive)) await sleep(20);
  for (const pid of pids) live.delete(pid);
}

export interface FeedReceipt {
  count: number;
  maxSequence: number;
  /** Local receive time of the feed's first and last message held (ms since the epoch). */
  firstReceived: number;
  lastReceived: number;
  /** Receive times of the sequences asked for. */
  at: Record<number, number>;
}

export interface BenchNode {
  readonly system: SystemName;
  readonly name: string;
  readonly id: string;
  /** `net:IP:8008~shs:KEY`. */
  readonly address: string;
  /**
   * From spawning the process to its local API answering `whoami` (with `probeReady`: and its SSB port, and
   * for Smallworld its web page, answering from inside the device's namespace).
   */
  readonly coldStartMs: number;
  /** Smallworld with `probeReady`: from spawning the daemon to its control socket answering `status`. */
  readonly controlSocketMs?: number;
  readonly blobsDir: string;
  /** The SSB peer's own process (for Smallworld the peer child, not the connectivity daemon). */
  ssbPid(): number;
  /** Every process of the system (Smallworld: daemon and peer). */
  pids(): number[];
  memory(): Promise<Memory>;
  follow(id: string): Promise<void>;
  /** Publishes a message; its sequence in our feed. */
  publish(content: Record<string, unknown> & { type: string }): Promise<number>;
  /** Stores a photo and publishes a post that links it; the post's sequence. */
  publishPhoto(bytes: Buffer, text: string): Promise<number>;
  connect(address: string): Promise<void>;
  /** Latest sequence of each feed held. */
  clock(): Promise<Record<string, number>>;
  wantBlob(id: string): Promise<void>;
  /**
   * Stops the node and reports when the given feeds' messages arrived (null for a feed not held), with the
   * receive times of `sequences` in `at`.
   */
  stopAndReadReceipts(feeds: string[], sequences?: number[]): Promise<Record<string, FeedReceipt | null>>;
  /** Stops the node and reports when the given messages (feed -> sequences) arrived (local receive times). */
  stopAndReadArrivals(wanted: Record<string, number[]>): Promise<Record<string, Map<number, number>>>;
  stop(): Promise<void>;
  /** Where its output went. */
  readonly logFile: string;
}

/** Where a node's processes run: a virtual LAN (lab/lan) or the town's links (lab/town). */
export interface NamespaceHost {
  /** `launcher` runs before entering the namespace (e.g. a cgroup wrapper; lab/lan/namespace-children.ts). */
  spawn(device: string, argv: string[], options?: SpawnOptions, launcher?: string[]): Child;
  /** The device's address that other devices reach it at. */
  device(name: string): { address: string };
}

export interface StartOptions {
  lan: NamespaceHost;
  /** A device of `lan` (its namespace). */
  device: string;
  dataDir: string;
  autoFollow: boolean;
  logDir: string;
  /** Extra node options for the system's processes (Smallworld's peer inherits them), and environment. */
  execArgv?: string[];
  env?: Record<string, string>;
  /** Smallworld only: --log-level. */
  logLevel?: string;
  /** A command prefix that starts the system's first process inside a memory cgroup (`--memory-limit`). */
  launcher?: string[];
  /** How long its local API may take to answer after the spawn (default 60 s, times SW_BENCH_SLOW). */
  readyTimeoutMs?: number;
  /**
   * Ready means every port a user meets answers too (the cold start scenario): the SSB port, and Smallworld's
   * web page (then served on the device's address), polled from inside the namespace (ready-probe.ts).
   */
  probeReady?: boolean;
  /**
   * Smallworld only: started as installed, the daemon and the peer as two processes at once (as systemd starts
   * their two units, with the peer unit's Node options), not the daemon forking its peer (`smallworld start`).
   */
  asInstalled?: boolean;
}

/**
 * The peer's command line and environment as its systemd unit starts it (install/templates.ts), on jemalloc
 * when it is installed, as the unit's installer sets it up and as the daemon forks it (peer/allocator.ts).
 */
function peerAsInstalled(
  execArgv: readonly string[],
  cliArgs: string[],
  env: Record<string, string> | undefined,
): { argv: string[]; env: Record<string, string> } {
  const { env: withAllocator } = peerEnvironment({ ...process.env, ...env, NODE_OPTIONS: peerUnitNodeOptions() });
  return {
    argv: [process.execPath, ...execArgv, ...PEER_UNIT_NODE_ARGS, SMALLWORLD_CLI, 'peer', ...cliArgs],
    env: Object.fromEntries(
      Object.entries(withAllocator).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
  };
}

/** A ready probe started in the device's namespace: when each target first answered (ms since the epoch). */
async function startReadyProbe(
  lan: NamespaceHost,
  device: string,
  targets: string[],
  timeoutMs: number,
): Promise<{ answered: Promise<number>; stop(): void }> {
  const child = lan.spawn(device, [process.execPath, READY_PROBE, String(timeoutMs), ...targets], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  track(child);
  const times = new Map<string, number>();
  let probing: () => void = () => undefined;
  let answered: (at: number) => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    probing = resolve;
  });
  const all = new Promise<number>((resolve, reject) => {
    answered = resolve;
    failed = reject;
  });
  all.catch(() => undefined);
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, nl)) as { probing?: true; target?: string; at?: number };
      buffered = buffered.slice(nl + 1);
      if (line.probing) probing();
      if (line.target !== undefined && line.at !== undefined) times.set(line.target, line.at);
      if (line.target !== undefined && line.at === undefined) failed(new Error(`${line.target} never answered`));
      if (times.size === targets.length) answered(Math.max(...times.values()));
    }
  });
  child.once('exit', (code) => failed(new Error(`the ready probe exited (${code}) before every port answered`)));
  await Promise.race([started, all]);
  return {
    answered: all,
    stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function addressOf(host: string, id: string): string {
  return `net:${host}:${SSB_PORT}~shs:${id.slice(1, -'.ed25519'.length)}`;
}

function spawnLogged(
  lan: NamespaceHost,
  device: string,
  argv: string[],
  logFile: string,
  env?: Record<string, string>,
  launcher: string[] = [],
): ChildProcess {
  const child = lan.spawn(
    device,
    argv,
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    launcher,
  );
  track(child);
  const log = createWriteStream(logFile, { flags: 'a' });
  // Output still piped in after the exit line (a run torn down on SIGTERM) must not crash the lab.
  log.on('error', () => undefined);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('exit', (code, signal) => {
    log.end(`\n[exit ${code ?? signal}]\n`);
  });
  return child;
}

async function until<T>(what: string, timeoutMs: number, intervalMs: number, fn: () => Promise<T | null>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await fn().catch(() => null);
    if (value !== null) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------- Smallworld

/** The SSB peer's directory inside a device's data directory. */
export function smallworldSsbDir(dataDir: string): string {
  return join(dataDir, 'peer', 'ssb');
}

class SmallworldNode implements BenchNode {
  readonly system = 'smallworld' as const;
  private stopped = false;
  private constructor(
    readonly name: string,
    private readonly dataDir: string,
    private readonly daemon: ChildProcess,
    private readonly peerPid: number,
    private readonly client: PeerClient,
    readonly id: string,
    readonly address: string,
    readonly coldStartMs: number,
    readonly logFile: string,
    readonly controlSocketMs?: number,
  ) {}

  get blobsDir(): string {
    return join(smallworldSsbDir(this.dataDir), 'blobs');
  }

  static async start(options: StartOptions): Promise<SmallworldNode> {
    const { lan, device, dataDir } = options;
    const logFile = join(options.logDir, `${device}-smallworld.log`);
    // The peer's flags: `start` passes them on to the peer it forks; as installed, the peer gets them itself.
    const peerArgs = [
      ...(options.probeReady
        ? ['--web-host', lan.device(device).address, '--web-port', String(WEB_PORT)]
        : ['--web-port', '0']),
      '--ssb-host',
      '0.0.0.0',
      '--ssb-port',
      String(SSB_PORT),
      ...(options.autoFollow ? [] : ['--no-auto-follow']),
    ];
    const logLevel = options.logLevel ? ['--log-level', options.logLevel] : [];
    const argv = [
      process.execPath,
      ...(options.execArgv ?? []),
      SMALLWORLD_CLI,
      'start',
      '--sim',
      '--data',
      dataDir,
      ...(options.asInstalled ? ['--web-port', '0', '--ssb-port', '0'] : peerArgs),
      ...logLevel,
    ];
    const readyTimeoutMs = (options.readyTimeoutMs ?? 60_000) * SLOW;
    const address = lan.device(device).address;
    const probe = options.probeReady
      ? await startReadyProbe(
          lan,
          device,
          [`tcp:${address}:${SSB_PORT}`, `http:http://${address}:${WEB_PORT}/`],
          readyTimeoutMs,
        )
      : null;
    const installedPeer = options.asInstalled
      ? peerAsInstalled(options.execArgv ?? [], ['--data', dataDir, ...peerArgs, ...logLevel], options.env)
      : null;
    const spawnedAt = Date.now();
    const daemon = spawnLogged(lan, device, argv, logFile, options.env, options.launcher);
    let sibling: ChildProcess | null = null;
    try {
      if (installedPeer) {
        sibling = spawnLogged(lan, device, installedPeer.argv, logFile, installedPeer.env, options.launcher);
      }
    } catch (error) {
      probe?.stop();
      await stopPids([daemon.pid ?? -1], 3000);
      throw error;
    }
    const socket = join(dataDir, 'peer', 'peer.sock');
    // Polled beside the peer's socket: the daemon's own socket answers long before the peer's.
    const controlAnswered = options.probeReady
      ? until(`smallworld ${device} control socket`, readyTimeoutMs, 5, async () => {
          if (!existsSync(socketPathFor(dataDir))) return null;
          await callDaemon(socketPathFor(dataDir), 'status');
          return Date.now();
        })
      : Promise.resolve(Number.NaN);
    controlAnswered.catch(() => undefined);
    let client: PeerClient | null = null;
    try {
      const { c, id } = await until(
        `smallworld ${device} ready`,
        (options.readyTimeoutMs ?? 60_000) * SLOW,
        20,
        async () => {
          for (const child of [daemon, sibling]) {
            if (child !== null && (child.exitCode !== null || child.signalCode !== null))
              throw new Error(`smallworld ${device} exited (${child.exitCode ?? child.signalCode}), see ${logFile}`);
          }
          if (!existsSync(socket)) return null;
          const c = await PeerClient.connect(socket, 1000);
          try {
            const { id } = await c.request('ssb.whoami', {}, 5000);
            return { c, id };
          } catch (error) {
            c.close();
            throw error;
          }
        },
      );
      client = c;
      const whoamiAt = Date.now();
      const portsAt = probe ? await probe.answered : whoamiAt;
      const coldStartMs = Math.max(whoamiAt, portsAt) - spawnedAt;
      const controlSocketMs = (await controlAnswered) - spawnedAt;
      probe?.stop();
      const daemonPid = daemon.pid ?? -1;
      const peerPid =
        sibling?.pid ??
        (await until(`smallworld ${device} peer process`, 5000 * SLOW, 50, async () => {
          const children = await childrenOf(daemonPid);
          return children.length === 1 ? (children[0] ?? null) : null;
        }));
      live.add(peerPid);
      return new SmallworldNode(
        device,
        dataDir,
        daemon,
        peerPid,
        c,
        id,
        addressOf(address, id),
        coldStartMs,
        logFile,
        Number.isNaN(controlSocketMs) ? undefined : controlSocketMs,
      );
    } catch (error) {
      probe?.stop();
      client?.close();
      const peers = sibling?.pid ? [sibling.pid] : await childrenOf(daemon.pid ?? -1);
      await stopPids([daemon.pid ?? -1, ...peers], 3000);
      throw error;
    }
  }

  ssbPid(): number {
    return this.peerPid;
  }

  pids(): number[] {
    return [this.daemon.pid ?? -1, this.peerPid];
  }

  memory(): Promise<Memory> {
    return memoryOf(this.peerPid);
  }

  private call<Q extends PeerProtocol['request']>(request: Q, timeoutMs = 30_000) {
    return this.client.send(request, timeoutMs);
  }

  async follow(id: string): Promise<void> {
    await this.call({ cmd: 'ssb.follow', feed: id });
  }

  async publish(content: Record<string, unknown> & { type: string }): Promise<number> {
    return (await this.call({ cmd: 'ssb.publish', content })).sequence;
  }

  async publishPhoto(bytes: Buffer, text: string): Promise<number> {
    const photo = {
      cmd: 'ssb.photo',
      data: bytes.toString('base64'),
      name: 'photo.jpg',
      mime: 'image/jpeg',
      text,
    } as const;
    return (await this.call(photo)).sequence;
  }

  async connect(address: string): Promise<void> {
    await this.call({ cmd: 'ssb.connect', address });
  }

  async clock(): Promise<Record<string, number>> {
    const feeds = await this.call({ cmd: 'ssb.feeds' });
    return Object.fromEntries(feeds.map((f) => [f.id, f.sequence]));
  }

  async wantBlob(id: string): Promise<void> {
    await this.call({ cmd: 'ssb.blob.get', blob: id, timeoutMs: 120_000 }, 125_000);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.client.close();
    await stopPids(this.pids(), 10_000);
  }

  async stopAndReadReceipts(feeds: string[], sequences: number[] = []): Promise<Record<string, FeedReceipt | null>> {
    await this.stop();
    const argv = [READ_DB2, smallworldSsbDir(this.dataDir), ...sequences.map(String)];
    const { stdout } = await run(process.execPath, argv, {
      maxBuffer: 64 * 1024 * 1024,
    });
    const all = JSON.parse(stdout) as Record<string, FeedReceipt>;
    return Object.fromEntries(feeds.map((f) => [f, all[f] ?? null]));
  }

  async stopAndReadArrivals(wanted: Record<string, number[]>): Promise<Record<string, Map<number, number>>> {
    const union = [...new Set(Object.values(wanted).flat())];
    const receipts = await this.stopAndReadReceipts(Object.keys(wanted), union);
    return Object.fromEntries(
      Object.entries(wanted).map(([feed, sequences]) => {
        const at = receipts[feed]?.at ?? {};
        const times = sequences.flatMap(
          (seq): Array<[number, number]> => (at[seq] === undefined ? [] : [[seq, at[seq]]]),
        );
        return [feed, new Map(times)];
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------- ssb-server

function sequenceOf(message: unknown): number {
  const sequence = (message as { value?: { sequence?: unknown } }).value?.sequence;
  if (typeof sequence !== 'number') throw new Error('ssb-server published a message without a sequence');
  return sequence;
}

class SsbServerNode implements BenchNode {
  readonly system = 'ssb-server' as const;
  private stopped = false;
  private constructor(
    readonly name: string,
    private readonly dataDir: string,
    private readonly server: ChildProcess,
    private readonly autoFollower: ChildProcess | null,
    private readonly client: SsbServerClient,
    readonly id: string,
    readonly address: string,
    readonly coldStartMs: number,
    readonly logFile: string,
  ) {}

  get blobsDir(): string {
    return join(this.dataDir, 'blobs');
  }

  static async start(options: StartOptions): Promise<SsbServerNode> {
    const { lan, device, dataDir } = options;
    const logFile = join(options.logDir, `${device}-ssb-server.log`);
    const host = lan.device(device).address;
    const argv = [
      process.execPath,
      ...(options.execArgv ?? []),
      SSB_SERVER_BIN,
      'start',
      '--path',
      dataDir,
      '--host',
      host,
      '--port',
      '8008',
    ];
    const probe = options.probeReady
      ? await startReadyProbe(lan, device, [`tcp:${host}:${SSB_PORT}`], (options.readyTimeoutMs ?? 60_000) * SLOW)
      : null;
    const spawnedAt = Date.now();
    const server = spawnLogged(lan, device, argv, logFile, options.env, options.launcher);
    let client: SsbServerClient | null = null;
    let autoFollower: ChildProcess | null = null;
    try {
      const ready = await until(
        `ssb-server ${device} ready`,
        (options.readyTimeoutMs ?? 60_000) * SLOW,
        20,
        async () => {
          if (server.exitCode !== null)
            throw new Error(`ssb-server ${device} exited (${server.exitCode}), see ${logFile}`);
          if (!existsSync(join(dataDir, 'socket')) || !existsSync(join(dataDir, 'manifest.json'))) return null;
          const c = await SsbServerClient.connect(SSB_SERVER_BIN, dataDir);
          try {
            return { c, id: await c.whoami() };
          } catch (error) {
            await c.close();
            throw error;
          }
        },
      );
      client = ready.c;
      const whoamiAt = Date.now();
      const portsAt = probe ? await probe.answered : whoamiAt;
      const coldStartMs = Math.max(whoamiAt, portsAt) - spawnedAt;
      probe?.stop();
      if (options.autoFollow) {
        const follower = spawnLogged(
          lan,
          device,
          [process.execPath, AUTOFOLLOW, SSB_SERVER_BIN, dataDir],
          join(options.logDir, `${device}-autofollow.log`),
        );
        autoFollower = follower;
        await new Promise<void>((resolve, reject) => {
          let seen = '';
          const timer = setTimeout(() => reject(new Error('the ssb-server auto-follow script did not start')), 20_000);
          follower.stdout?.on('data', (d: Buffer) => {
            seen += d.toString();
            if (seen.includes('"listening"')) {
              clearTimeout(timer);
              resolve();
            }
          });
          follower.once('exit', () => reject(new Error('the ssb-server auto-follow script exited')));
        });
      }
      return new SsbServerNode(
        device,
        dataDir,
        server,
        autoFollower,
        ready.c,
        ready.id,
        addressOf(host, ready.id),
        coldStartMs,
        logFile,
      );
    } catch (error) {
      probe?.stop();
      await client?.close().catch(() => undefined);
      await stopPids(
        [server.pid ?? -1, autoFollower?.pid ?? -1].filter((p) => p > 0),
        3000,
      );
      throw error;
    }
  }

  ssbPid(): number {
    return this.server.pid ?? -1;
  }

  pids(): number[] {
    return [this.ssbPid()];
  }

  memory(): Promise<Memory> {
    return memoryOf(this.ssbPid());
  }

  async follow(id: string): Promise<void> {
    await this.client.follow(id);
  }

  async publish(content: Record<string, unknown> & { type: string }): Promise<number> {
    return sequenceOf(await this.client.publish(content));
  }

  async publishPhoto(bytes: Buffer, text: string): Promise<number> {
    const blob = await this.client.addBlob(bytes);
    const mention = { link: blob, name: 'photo.jpg', size: bytes.length, type: 'image/jpeg' };
    return sequenceOf(
      await this.client.publish({ type: 'post', text: `${text}\n\n![photo.jpg](${blob})`, mentions: [mention] }),
    );
  }

  async connect(address: string): Promise<void> {
    await this.client.connect(address);
  }

  clock(): Promise<Record<string, number>> {
    return this.client.vectorClock();
  }

  async wantBlob(id: string): Promise<void> {
    await this.client.want(id);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.race([this.client.close(), sleep(2000)]);
    const pids = [this.ssbPid(), this.autoFollower?.pid ?? -1].filter((p) => p > 0);
    await stopPids(pids, 10_000);
  }

  async stopAndReadReceipts(feeds: string[], sequences: number[] = []): Promise<Record<string, FeedReceipt | null>> {
    const clock = await this.client.vectorClock();
    const receipts: Record<string, FeedReceipt | null> = {};
    for (const feed of feeds) {
      const last = clock[feed];
      if (last === undefined) {
        receipts[feed] = null;
        continue;
      }
      const first = await this.client.receivedAt(feed, 1);
      const lastAt = await this.client.receivedAt(feed, last);
      const at: Record<number, number> = {};
      for (const sequence of sequences) {
        const time = sequence <= last ? await this.client.receivedAt(feed, sequence) : null;
        if (time !== null) at[sequence] = time;
      }
      receipts[feed] =
        first === null || lastAt === null
          ? null
          : { count: last, maxSequence: last, firstReceived: first, lastReceived: lastAt, at };
    }
    await this.stop();
    return receipts;
  }

  async stopAndReadArrivals(wanted: Record<string, number[]>): Promise<Record<string, Map<number, number>>> {
    const arrivals: Record<string, Map<number, number>> = {};
    for (const [feed, sequences] of Object.entries(wanted)) {
      if (sequences.length === 0) continue;
      const times = await this.client.receivedTimes(feed, Math.min(...sequences));
      arrivals[feed] = new Map(
        sequences.flatMap((seq): Array<[number, number]> => {
          const at = times.get(seq);
          return at === undefined ? [] : [[seq, at]];
        }),
      );
    }
    await this.stop();
    return arrivals;
  }
}

export function startNode(system: SystemName, options: StartOptions): Promise<BenchNode> {
  return system === 'smallworld' ? SmallworldNode.start(options) : SsbServerNode.start(options);
}

// ---------------------------------------------------------------------------------------------- templates

async function writeSecret(path: string, keys: Keys): Promise<void> {
  await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Makes a data directory holding a source device's contents (its identity, messages, blobs) for `system`:
 * the messages go in through the system's own library (validated), blobs as files in ssb-blobs' layout.
 */
export async function buildTemplate(system: SystemName, template: Template, dataDir: string): Promise<void> {
  const ssbDir = system === 'smallworld' ? smallworldSsbDir(dataDir) : dataDir;
  await mkdir(ssbDir, { recursive: true, mode: 0o700 });
  await writeSecret(join(ssbDir, 'secret'), template.keys);
  const { keysFile } = template;
  if (template.messageFiles.length > 0) {
    const argv =
      system === 'smallworld'
        ? [SETUP_DB2, ssbDir, keysFile, ...template.messageFiles]
        : [SETUP_SSB_DB, SSB_SERVER_BIN, ssbDir, keysFile, ...template.messageFiles];
    await run(process.execPath, argv, { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  }
  for (const blob of template.blobs) {
    const path = blobPath(join(ssbDir, 'blobs'), blob.id);
    await mkdir(join(path, '..'), { recursive: true });
    await cp(blob.path, path);
  }
}

/** A fresh copy of a template for one run (each run starts from the same bytes). */
export async function copyTemplate(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, preserveTimestamps: true });
}
