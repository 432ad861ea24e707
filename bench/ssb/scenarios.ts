// The benchmark's scenarios. Each runs one system (Smallworld or ssb-server) on a fresh virtual LAN of
// network namespaces (lab/lan/virtual-lan.ts), from fresh copies of the same source contents, and returns
// named measurements. End points come from the receiving database's own receive timestamps (or the blob
// files' modification times), so the polling interval does not blur them; start points are taken by the
// benchmark just before it acts (link up, connect, want).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VirtualLan } from '../../lab/lan/virtual-lan.js';
import { createMemoryCgroup, launcherFor, type MemoryCgroup, type MemoryHierarchy } from './cgroup.js';
import { blobPath, type FixtureSizes, type Template } from './fixtures.js';
import { cpuSecondsOf, isAlive, loopCpuSecondsOf, memoryOf, waitIdle } from './procs.js';
import { type BenchNode, copyTemplate, SLOW, SSB_SERVER_BIN, type SystemName, startNode } from './systems.js';

const run = promisify(execFile);
const VERIFY_RATE = fileURLToPath(new URL('./verify-rate.js', import.meta.url));

export const LINK_RATE_MBIT = 20;

export interface Context {
  workDir: string;
  logDir: string;
  sizes: FixtureSizes;
  fixtures: Record<string, Template>;
  /** Per fixture name, the prepared data directory of each system. */
  templates: Record<string, Record<SystemName, string>>;
  /** Extra node options and environment for the systems' processes, per system (profiling). */
  execArgv: Partial<Record<SystemName, string[]>>;
  env: Record<string, string>;
  /** Environment for Smallworld's processes only (experiments). */
  smallworldEnv: Record<string, string>;
  /** Smallworld's log level (diagnostics; its default is info). */
  smallworldLogLevel?: string;
  /** CPU use (fraction of one core, all of a node's processes) below which a node counts as idle. */
  idleCpu: number;
  progress(message: string): void;
  /** `--memory-limit`: the hold scenario's receiving device runs inside a memory cgroup of this size. */
  memoryLimit?: MemoryLimit;
}

export type Measurements = Record<string, number>;

export interface MemoryLimit {
  mb: number;
  hierarchy: MemoryHierarchy;
  /** What happened to the receiving device in each limited run, per system, failed runs included. */
  outcomes: Record<SystemName, LimitOutcome[]>;
}

export interface LimitOutcome {
  /** It received every message. */
  completed: boolean;
  /** The kernel killed a process of the device for exceeding the limit. */
  oomKilled: boolean;
  oomKills: number;
  /** Peak resident memory of the SSB process (Smallworld's peer, or ssb-server), MB; the last reading if killed. */
  peakMB: number | null;
  /** Smallworld: the connectivity daemon's peak resident memory, MB. */
  daemonPeakMB: number | null;
  /** The cgroup's own peak: every process of the device plus the page cache charged to it, MB. */
  cgroupPeakMB: number;
  /** From the dial to the last message's arrival; null if it did not complete. */
  seconds: number | null;
  error: string | null;
}

let runCounter = 0;

async function cpuOf(node: BenchNode): Promise<number> {
  let sum = 0;
  for (const pid of node.pids()) sum += await cpuSecondsOf(pid).catch(() => 0);
  return sum;
}

function idle(ctx: Context, pids: number[], options: { windowMs?: number; timeoutMs?: number } = {}): Promise<number> {
  return waitIdle(pids, { ...options, maxCpu: ctx.idleCpu });
}

/** LANs not yet destroyed, for the benchmark's emergency exit. */
const lans = new Set<VirtualLan>();

async function createLan(subnet: string): Promise<VirtualLan> {
  const lan = await VirtualLan.create(subnet);
  lans.add(lan);
  return lan;
}

async function destroyLan(lan: VirtualLan): Promise<void> {
  await lan.destroy();
  lans.delete(lan);
}

export async function destroyAllLans(): Promise<void> {
  for (const lan of [...lans]) await destroyLan(lan).catch(() => undefined);
}

/** A fresh LAN with the given devices (their links cut if listed in `cut`), destroyed afterwards. */
async function onLan<T>(
  ctx: Context,
  system: SystemName,
  devices: string[],
  body: (lan: VirtualLan, dirs: Record<string, string>, started: BenchNode[]) => Promise<T>,
): Promise<T> {
  const lan = await createLan('10.78.0');
  const started: BenchNode[] = [];
  const runDir = join(ctx.workDir, `run-${++runCounter}-${system}`);
  const dirs: Record<string, string> = {};
  try {
    for (const device of devices) {
      await lan.addDevice(device);
      dirs[device] = join(runDir, device);
    }
    return await body(lan, dirs, started);
  } finally {
    for (const node of started) await node.stop().catch(() => undefined);
    await destroyLan(lan);
  }
}

async function start(
  ctx: Context,
  system: SystemName,
  lan: VirtualLan,
  started: BenchNode[],
  device: string,
  dataDir: string,
  options: { template?: string; autoFollow: boolean; launcher?: string[]; probeReady?: boolean; asInstalled?: boolean },
): Promise<BenchNode> {
  if (options.template !== undefined) {
    const from = ctx.templates[options.template]?.[system];
    if (!from) throw new Error(`no ${system} template ${options.template}`);
    await copyTemplate(from, dataDir);
  } else {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  }
  const execArgv = ctx.execArgv[system];
  const node = await startNode(system, {
    lan,
    device,
    dataDir,
    autoFollow: options.autoFollow,
    logDir: await runLogDir(ctx, dataDir),
    ...(execArgv ? { execArgv } : {}),
    env: system === 'smallworld' ? { ...ctx.env, ...ctx.smallworldEnv } : ctx.env,
    ...(ctx.smallworldLogLevel ? { logLevel: ctx.smallworldLogLevel } : {}),
    ...(options.launcher ? { launcher: options.launcher } : {}),
    ...(options.probeReady ? { probeReady: true } : {}),
    ...(options.asInstalled ? { asInstalled: true } : {}),
  });
  started.push(node);
  return node;
}

/** Each run's logs in their own folder (named like the run's data folder). */
async function runLogDir(ctx: Context, dataDir: string): Promise<string> {
  const dir = join(ctx.logDir, basename(dirname(dataDir)));
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Polls the node's clock until `done` holds; returns the clock. */
async function waitForClock(
  node: BenchNode,
  what: string,
  timeoutMs: number,
  intervalMs: number,
  done: (clock: Record<string, number>) => boolean,
  /** Gives a reason to stop waiting (e.g. the process has been killed), or null. */
  abort: () => string | null = () => null,
): Promise<Record<string, number>> {
  const started = Date.now();
  let last: Record<string, number> = {};
  for (;;) {
    const reason = abort();
    if (reason !== null) throw new Error(`${node.system}: ${reason} while waiting for ${what}`);
    try {
      last = await node.clock();
      if (done(last)) return last;
    } catch {
      // a call racing a busy peer; try again
    }
    if (Date.now() - started > timeoutMs) {
      const summary = Object.entries(last)
        .slice(0, 5)
        .map(([k, v]) => `${k.slice(0, 8)}…=${v}`)
        .join(' ');
      throw new Error(`${node.system}: timed out after ${timeoutMs / 1000} s waiting for ${what} (clock: ${summary})`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Cold start: one fresh device (empty store) and nothing else running, from spawning its processes until
 * everything a user meets answers: its local API (`whoami`), its SSB port and, for Smallworld, its web page
 * (ssb-server is one process with no web page). Smallworld is started as installed — the daemon and the peer
 * at once, as systemd starts their two units — and also as in development, `smallworld start` forking its
 * peer (`coldStartForkedMs`). Also when Smallworld's control socket first answered (`status`), as installed.
 */
export function coldStart(ctx: Context, system: SystemName): Promise<Measurements> {
  const devices = system === 'smallworld' ? ['cold', 'forked'] : ['cold'];
  return onLan(ctx, system, devices, async (lan, dirs, started) => {
    const options = { autoFollow: false, probeReady: true };
    const node = await start(ctx, system, lan, started, 'cold', dirs.cold ?? '', { ...options, asInstalled: true });
    if (system !== 'smallworld') return { coldStartMs: node.coldStartMs };
    await node.stop();
    const forked = await start(ctx, system, lan, started, 'forked', dirs.forked ?? '', options);
    return {
      coldStartMs: node.coldStartMs,
      coldStartForkedMs: forked.coldStartMs,
      ...(node.controlSocketMs === undefined ? {} : { controlSocketMs: node.controlSocketMs }),
    };
  });
}

/**
 * Replication throughput: a fresh follower follows the source (while its link is down), the link comes up,
 * the follower dials the source; messages per second from the dial to the last message's arrival. Also
 * measured on the way: cold start of both nodes and the fresh follower's idle memory.
 */
export function replication(ctx: Context, system: SystemName): Promise<Measurements> {
  const n = ctx.sizes.replication;
  return onLan(ctx, system, ['src', 'dst'], async (lan, dirs, started) => {
    await lan.cut('dst');
    const src = await start(ctx, system, lan, started, 'src', dirs.src ?? '', {
      template: 'replication',
      autoFollow: false,
    });
    const dst = await start(ctx, system, lan, started, 'dst', dirs.dst ?? '', { autoFollow: false });
    await idle(ctx, [...src.pids(), ...dst.pids()]);
    const idleMemory = await dst.memory();
    const otherRss: Measurements = {};
    if (system === 'smallworld') {
      const [daemonPid] = dst.pids();
      if (daemonPid !== undefined) otherRss.daemonIdleRssMB = (await memoryOf(daemonPid)).rssMB;
    }
    await dst.follow(src.id);
    await idle(ctx, dst.pids(), { windowMs: 1000 });
    await lan.restore('dst');
    const loopCpu = () => Promise.all([loopCpuSecondsOf(src.ssbPid()), loopCpuSecondsOf(dst.ssbPid())]);
    const cpuBefore = await Promise.all([cpuOf(src), cpuOf(dst)]);
    const loopBefore = await loopCpu();
    const t0 = Date.now();
    await dst.connect(src.address);
    await waitForClock(dst, `${n} messages`, 60_000 + n * 5, 100, (c) => (c[src.id] ?? 0) >= n);
    const polledMs = Date.now() - t0;
    // CPU time used per message (all of each node's processes, until the follower had them all): less
    // sensitive than throughput to other load on the machine.
    const [srcCpu, dstCpu] = await Promise.all([cpuOf(src), cpuOf(dst)]);
    const loopAfter = await loopCpu();
    const senderCpuUs = ((srcCpu - (cpuBefore[0] ?? 0)) * 1e6) / n;
    const receiverCpuUs = ((dstCpu - (cpuBefore[1] ?? 0)) * 1e6) / n;
    // The receiving peer's event loop alone: the stage every message passes through one at a time.
    const receiverLoopCpuUs = (((loopAfter[1] ?? 0) - (loopBefore[1] ?? 0)) * 1e6) / n;
    const senderLoopCpuUs = (((loopAfter[0] ?? 0) - (loopBefore[0] ?? 0)) * 1e6) / n;
    const receipt = (await dst.stopAndReadReceipts([src.id], [n]))[src.id];
    const lastAt = receipt?.at[n];
    if (!receipt || lastAt === undefined || receipt.count < n) throw new Error(`${system}: follower lacks messages`);
    return {
      msgsPerSecond: n / ((lastAt - t0) / 1000),
      steadyMsgsPerSecond: (n - 1) / Math.max(0.001, (lastAt - receipt.firstReceived) / 1000),
      firstMessageMs: receipt.firstReceived - t0,
      polledMs,
      senderCpuUsPerMsg: senderCpuUs,
      receiverCpuUsPerMsg: receiverCpuUs,
      cpuUsPerMsg: senderCpuUs + receiverCpuUs,
      senderLoopCpuUsPerMsg: senderLoopCpuUs,
      receiverLoopCpuUsPerMsg: receiverLoopCpuUs,
      coldStartMs: dst.coldStartMs,
      coldStartHoldingMs: src.coldStartMs,
      idleRssMB: idleMemory.rssMB,
      idlePeakMB: idleMemory.peakMB,
      ...otherRss,
    };
  });
}

/**
 * Meet to synced: two devices that have never met, both links down; the source holds `meet` messages of its
 * own. Both links come up at t0; discovery, following (Smallworld's auto-follow; for ssb-server the seed's
 * beacon-triggered follow) and replication do the rest. Ends when the follower holds the source's messages.
 */
export function meet(ctx: Context, system: SystemName): Promise<Measurements> {
  const m = ctx.sizes.meet;
  return onLan(ctx, system, ['src', 'dst'], async (lan, dirs, started) => {
    await lan.cut('src');
    await lan.cut('dst');
    const src = await start(ctx, system, lan, started, 'src', dirs.src ?? '', { template: 'meet', autoFollow: true });
    const dst = await start(ctx, system, lan, started, 'dst', dirs.dst ?? '', { autoFollow: true });
    await idle(ctx, [...src.pids(), ...dst.pids()]);
    const t0 = Date.now();
    await Promise.all([lan.restore('src'), lan.restore('dst')]);
    await writeFile(join(await runLogDir(ctx, dirs.dst ?? ''), 'link-up.txt'), `${new Date(t0).toISOString()}\n`);
    await waitForClock(dst, `${m} messages after meeting`, 90_000, 100, (c) => (c[src.id] ?? 0) >= m);
    const polledMs = Date.now() - t0;
    const receipt = (await dst.stopAndReadReceipts([src.id], [1, m]))[src.id];
    const first = receipt?.at[1];
    const last = receipt?.at[m];
    if (first === undefined || last === undefined) throw new Error(`${system}: follower lacks messages`);
    return { seconds: (last - t0) / 1000, firstMessageSeconds: (first - t0) / 1000, polledMs };
  });
}

async function blobArrival(path: string, size: number): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.size === size ? s.mtimeMs : null;
  } catch {
    return null;
  }
}

/**
 * Photo transfer: the follower's link is shaped to 20 Mbit/s (tc tbf on its bridge port); once connected
 * it wants every photo at once. Bits delivered per second, as a fraction of the link rate, until the last
 * blob file is complete.
 */
export function photos(ctx: Context, system: SystemName): Promise<Measurements> {
  const blobs = ctx.fixtures.photos?.blobs ?? [];
  const bytes = blobs.reduce((sum, b) => sum + b.size, 0);
  return onLan(ctx, system, ['src', 'dst'], async (lan, dirs, started) => {
    await lan.shape('dst', `${LINK_RATE_MBIT}mbit`);
    const src = await start(ctx, system, lan, started, 'src', dirs.src ?? '', {
      template: 'photos',
      autoFollow: false,
    });
    const dst = await start(ctx, system, lan, started, 'dst', dirs.dst ?? '', { autoFollow: false });
    await idle(ctx, [...src.pids(), ...dst.pids()]);
    await dst.connect(src.address);
    await idle(ctx, [...src.pids(), ...dst.pids()], { windowMs: 1000 });
    const t0 = Date.now();
    const wants = blobs.map((b) => dst.wantBlob(b.id).catch((error: Error) => error));
    const ideal = (bytes * 8) / (LINK_RATE_MBIT * 1e6);
    const deadline = t0 + ideal * 4000 + 30_000;
    let arrivals: Array<number | null> = [];
    for (;;) {
      arrivals = await Promise.all(blobs.map((b) => blobArrival(blobPath(dst.blobsDir, b.id), b.size)));
      if (arrivals.every((a) => a !== null)) break;
      if (Date.now() > deadline) {
        const missing = arrivals.filter((a) => a === null).length;
        throw new Error(`${system}: ${missing} of ${blobs.length} photos missing after ${(Date.now() - t0) / 1000} s`);
      }
      await sleep(100);
    }
    const end = Math.max(...arrivals.map((a) => a ?? 0));
    for (const b of blobs) {
      const hash = createHash('sha256')
        .update(await readFile(blobPath(dst.blobsDir, b.id)))
        .digest('base64');
      if (`&${hash}.sha256` !== b.id) throw new Error(`${system}: photo ${b.id} arrived corrupted`);
    }
    await Promise.race([Promise.all(wants), sleep(10_000)]);
    const mbit = (bytes * 8) / ((end - t0) / 1000) / 1e6;
    return { linkFraction: mbit / LINK_RATE_MBIT, mbitPerSecond: mbit, seconds: (end - t0) / 1000 };
  });
}

/**
 * Memory holding many messages: a fresh follower follows the source, which follows `holdFeeds` authors whose
 * feeds it holds; at 2 hops the follower replicates all of them. Resident memory once it has them all and
 * has gone idle, and the peak on the way. With `--memory-limit`, the follower (every process of the receiving
 * device) runs inside a memory cgroup of that size, as on a board, and what happened is recorded in
 * `ctx.memoryLimit.outcomes` whether or not it completed.
 */
export async function hold(ctx: Context, system: SystemName): Promise<Measurements> {
  const limit = ctx.memoryLimit;
  if (!limit) return holdOnce(ctx, system, null);
  const cgroup = await createMemoryCgroup(
    limit.hierarchy,
    `sw-bench-${process.pid}-${runCounter + 1}-${system}`,
    limit.mb * 1e6,
  );
  cgroups.add(cgroup);
  const outcome: LimitOutcome = {
    completed: false,
    oomKilled: false,
    oomKills: 0,
    peakMB: null,
    daemonPeakMB: null,
    cgroupPeakMB: 0,
    seconds: null,
    error: null,
  };
  try {
    return await holdOnce(ctx, system, { cgroup, outcome });
  } catch (error) {
    outcome.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    // The processes have been stopped by pid (onLan); the counters stay readable until the cgroup goes.
    outcome.oomKills = await cgroup.oomKills();
    outcome.oomKilled = outcome.oomKills > 0;
    outcome.cgroupPeakMB = (await cgroup.peakBytes()) / 1e6;
    await removeCgroup(cgroup);
    limit.outcomes[system].push(outcome);
    ctx.progress(
      `hold under ${limit.mb} MB, ${system}: completed=${outcome.completed} oomKilled=${outcome.oomKilled} ` +
        `peakMB=${outcome.peakMB?.toFixed(1)} cgroupPeakMB=${outcome.cgroupPeakMB.toFixed(1)} seconds=${outcome.seconds?.toFixed(1)}`,
    );
  }
}

async function holdOnce(
  ctx: Context,
  system: SystemName,
  limited: { cgroup: MemoryCgroup; outcome: LimitOutcome } | null,
): Promise<Measurements> {
  const { holdFeeds, holdPerFeed } = ctx.sizes;
  const total = holdFeeds * holdPerFeed + holdFeeds;
  return onLan(ctx, system, ['src', 'dst'], async (lan, dirs, started) => {
    await lan.cut('dst');
    const src = await start(ctx, system, lan, started, 'src', dirs.src ?? '', { template: 'hold', autoFollow: false });
    const dst = await start(ctx, system, lan, started, 'dst', dirs.dst ?? '', {
      autoFollow: false,
      ...(limited ? { launcher: launcherFor(limited.cgroup) } : {}),
    });
    const watch = limited ? watchPeaks(dst, limited.outcome) : null;
    try {
      await idle(ctx, [...src.pids(), ...dst.pids()], { timeoutMs: 300_000 });
      await dst.follow(src.id);
      await idle(ctx, dst.pids(), { windowMs: 1000 });
      await lan.restore('dst');
      const cpuBefore = await Promise.all([cpuOf(src), cpuOf(dst)]);
      const t0 = Date.now();
      await dst.connect(src.address);
      const authors = (ctx.fixtures.hold?.messageFiles.length ?? 0) > 0 ? await holdAuthors(ctx) : [];
      await waitForClock(
        dst,
        `${total} messages of ${holdFeeds + 1} feeds`,
        (120_000 + total * 2) * SLOW,
        500,
        (c) => {
          if ((c[src.id] ?? 0) < holdFeeds) return false;
          return authors.every((a) => (c[a] ?? 0) >= holdPerFeed);
        },
        () => watch?.gone() ?? null,
      );
      const polledMs = Date.now() - t0;
      const [srcCpu, dstCpu] = await Promise.all([cpuOf(src), cpuOf(dst)]);
      await idle(ctx, dst.pids(), { windowMs: 2000, timeoutMs: 180_000 });
      const memory = await dst.memory();
      if (ctx.env.SW_BENCH_HEAP_SNAPSHOT) {
        const smaps = await readFile(`/proc/${dst.ssbPid()}/smaps`, 'utf8');
        await writeFile(join(ctx.logDir, `smaps-${system}-${dst.ssbPid()}.txt`), smaps);
        process.kill(dst.ssbPid(), 'SIGUSR2');
        await writeFile(
          join(ctx.logDir, `smaps-after-${system}-${dst.ssbPid()}.txt`),
          await readFile(`/proc/${dst.ssbPid()}/smaps`, 'utf8'),
        );
        await idle(ctx, dst.pids(), { windowMs: 2000, timeoutMs: 180_000 });
      }
      // And once more after ten quiet seconds (V8 and the allocator give memory back lazily).
      await sleep(10_000);
      const settled = await dst.memory();
      await watch?.sample();
      watch?.stop();
      const receipts = await dst.stopAndReadReceipts([src.id, ...authors]);
      let lastArrival = 0;
      for (const receipt of Object.values(receipts)) lastArrival = Math.max(lastArrival, receipt?.lastReceived ?? 0);
      const seconds = (lastArrival - t0) / 1000;
      if (limited) {
        limited.outcome.completed = true;
        limited.outcome.seconds = seconds;
      }
      return {
        rssMB: memory.rssMB,
        peakMB: memory.peakMB,
        settledRssMB: settled.rssMB,
        messages: total,
        seconds,
        msgsPerSecond: total / seconds,
        polledMs,
        // Until the clock showed them all (polled every 0.5 s), so slightly more than the transfer itself.
        senderCpuUsPerMsg: ((srcCpu - (cpuBefore[0] ?? 0)) * 1e6) / total,
        receiverCpuUsPerMsg: ((dstCpu - (cpuBefore[1] ?? 0)) * 1e6) / total,
      };
    } finally {
      watch?.stop();
    }
  });
}

/** Cgroups not yet removed, for the benchmark's emergency exit. */
const cgroups = new Set<MemoryCgroup>();

async function removeCgroup(cgroup: MemoryCgroup): Promise<void> {
  await cgroup.remove();
  cgroups.delete(cgroup);
}

/** Removes every cgroup still there (their processes must have been killed first). */
export async function removeAllCgroups(): Promise<void> {
  for (const cgroup of [...cgroups]) await removeCgroup(cgroup).catch(() => undefined);
}

/**
 * Follows a limited device's peak resident memory while it runs (a process the kernel kills can no longer be
 * asked for its peak afterwards) and notices when one of its processes has gone.
 */
function watchPeaks(node: BenchNode, outcome: LimitOutcome) {
  const [daemonPid] = node.system === 'smallworld' ? node.pids() : [];
  let gone: string | null = null;
  const sample = async () => {
    for (const [pid, field] of [
      [node.ssbPid(), 'peakMB'],
      [daemonPid, 'daemonPeakMB'],
    ] as const) {
      if (pid === undefined) continue;
      try {
        const { peakMB } = await memoryOf(pid);
        if (Number.isFinite(peakMB)) outcome[field] = Math.max(outcome[field] ?? 0, peakMB);
      } catch {
        // gone; noticed below
      }
      if (!isAlive(pid)) gone ??= `process ${pid} (${field === 'peakMB' ? 'SSB peer' : 'daemon'}) has exited`;
    }
  };
  const timer = setInterval(() => void sample(), 200);
  return {
    gone: () => gone,
    sample,
    stop: () => clearInterval(timer),
  };
}

let cachedAuthors: string[] | null = null;
async function holdAuthors(ctx: Context): Promise<string[]> {
  if (cachedAuthors) return cachedAuthors;
  const file = ctx.fixtures.hold?.messageFiles[0];
  const own = ctx.fixtures.hold?.keys.id;
  const authors = new Set<string>();
  if (file) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const match = /"author":"(@[^"]+)"/.exec(line);
      if (match?.[1] && match[1] !== own) authors.add(match[1]);
    }
  }
  cachedAuthors = [...authors];
  return cachedAuthors;
}

/** ed25519 verifications per second on one core through the system's own chloride/sodium-native. */
export async function crypto(_ctx: Context, system: SystemName): Promise<Measurements> {
  const { stdout } = await run(process.execPath, [
    VERIFY_RATE,
    system === 'smallworld' ? 'smallworld' : SSB_SERVER_BIN,
  ]);
  const result = JSON.parse(stdout) as { verifiesPerSecond: number; native: boolean | null };
  if (result.native === false) throw new Error('Smallworld: native crypto is not loaded');
  return { verifiesPerSecond: result.verifiesPerSecond };
}

/**
 * Starts a system on a template once, in a namespace with its link down, until it has gone idle: indexes
 * are built then, as on a device that has been running, and each run copies the warmed directory.
 */
export async function warmTemplate(ctx: Context, system: SystemName, template: string): Promise<void> {
  const dir = ctx.templates[template]?.[system];
  if (!dir) throw new Error(`no ${system} template ${template}`);
  const lan = await createLan('10.78.1');
  let node: BenchNode | null = null;
  try {
    await lan.addDevice('warm');
    await lan.cut('warm');
    node = await startNode(system, { lan, device: 'warm', dataDir: dir, autoFollow: false, logDir: ctx.logDir });
    await idle(ctx, node.pids(), { windowMs: 2000, timeoutMs: 300_000 });
    // A query that touches the feeds index, as the runs will.
    await node.clock();
    await idle(ctx, node.pids(), { windowMs: 1000, timeoutMs: 120_000 });
  } finally {
    await node?.stop();
    await destroyLan(lan);
  }
  // Sockets cannot be copied (and are stale now).
  for (const socket of ['socket', 'control.sock', join('peer', 'peer.sock')])
    await rm(join(dir, socket), { force: true });
}
