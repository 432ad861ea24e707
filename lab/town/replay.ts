// Replays one system on the town's trace: one real device per node in its own namespace, contacts as links
// coming up and going down on the trace's clock (scaled by the speed), posts published at their scheduled
// times; afterwards each device says when every post arrived (its database's receive times), and those
// become the per-post deliveries beside the limit.
import { mkdir, rm } from 'node:fs/promises';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryCgroup, launcherFor, type MemoryCgroup, type MemoryHierarchy } from '../../bench/ssb/cgroup.js';
import { cpuSecondsOf, memoryOf } from '../../bench/ssb/procs.js';
import { type BenchNode, startNode } from '../../bench/ssb/systems.js';
import type { SystemName } from './args.js';
import { type DeviceMemory, deviceMemory } from './device-memory.js';
import type { FollowEdges } from './follow.js';
import { describeLag, type LinkLag, linkLag } from './lag.js';
import { adjacency, foremost } from './limit.js';
import { TownNet } from './links.js';
import { photoBytes, type ScheduledPost } from './schedule.js';
import type { PostResult } from './summary.js';
import type { Contact } from './trace.js';

export interface ReplayPlan {
  system: SystemName;
  nodes: string[];
  /** The window's contacts (the limit is computed from these). */
  contacts: Contact[];
  /** The contacts replayed as links: the window's, or from the warm-up's start (--warm-up). */
  linkContacts: Contact[];
  /** Trace time when the replay starts: the window's start, or earlier by the warm-up. */
  replayFrom: number;
  posts: ScheduledPost[];
  follows: FollowEdges;
  autoFollow: boolean;
  start: number;
  end: number;
  speed: number;
  seed: number;
  settleSeconds: number;
  logDir: string;
  /** Each device in a memory cgroup of this many bytes, as on a board (null: no limit). */
  memoryLimit: { hierarchy: MemoryHierarchy; bytes: number } | null;
  progress: (line: string) => void;
}

export interface Resources {
  /** Highest RSS of any one device, its processes' RSS added up (shared file pages counted in each), MB,
   *  sampled every 2 s. */
  peakRssMB: number;
  /** Highest resident memory of any one device with every physical page counted once, as its board would hold
   *  it (device-memory.ts), MB, sampled every 2 s (file pages measured every 30 s). */
  peakResidentMB: number;
  /** Highest resident memory of any one device's SSB peer process alone (VmHWM), MB. */
  peakPeerRssMB: number;
  /** After the window and the settle time, median and max over devices, MB: RSS added up, and resident. */
  settledRssMB: { median: number; max: number };
  settledResidentMB: { median: number; max: number };
  /** CPU over the window, % of one core per device: median and max over devices, and all devices together. */
  cpuPercent: { median: number; max: number; total: number };
  /** With --memory-limit: the limit, the highest charge of any device's cgroup (MB, page cache included) and
   *  how many of the devices' processes the kernel killed for it. Null without a limit. */
  memoryLimit: { mb: number; cgroupPeakMB: number; oomKills: number } | null;
}

export interface ReplayResult {
  posts: PostResult[];
  resources: Resources;
  /** How late link changes took effect after their scheduled time, real ms, and whether the lab kept up. */
  linkLagMs: LinkLag;
  /** Posts that could not be published (with why). */
  failedPosts: Array<{ author: string; at: number; error: string }>;
  setupSeconds: number;
  replaySeconds: number;
  /** When the window's start happened, real ms since the epoch (to place the devices' log lines on the trace). */
  windowStartedAtMs: number;
}

/** The devices of the run in progress, so an interrupted run can stop them (and then remove their cgroups). */
export const active = new Set<{ net: TownNet; nodes: BenchNode[]; cgroups: MemoryCgroup[] }>();

/** How much higher than the devices the lab's clock and its link interpreters run (nice levels). */
const LAB_PRIORITY_BOOST = 10;

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

async function deviceCpu(node: BenchNode): Promise<number> {
  let sum = 0;
  for (const pid of node.pids()) sum += await cpuSecondsOf(pid).catch(() => 0);
  return sum;
}

export async function replay(plan: ReplayPlan): Promise<ReplayResult> {
  const { system, nodes, start, end, speed } = plan;
  const setupStarted = Date.now();
  const net = new TownNet(system === 'smallworld' ? 's' : 'r');
  const dataRoot = join(tmpdir(), `smallworld-town-${process.pid}-${system}`);
  const byNode = new Map<string, BenchNode>();
  const run = { net, nodes: [] as BenchNode[], cgroups: [] as MemoryCgroup[] };
  active.add(run);
  const basePriority = getPriority();
  try {
    await mkdir(plan.logDir, { recursive: true });
    const cgroupOf = new Map<string, MemoryCgroup>();
    for (const node of nodes) {
      const device = await net.addDevice(node);
      if (plan.memoryLimit === null) continue;
      const { hierarchy, bytes } = plan.memoryLimit;
      const cgroup = await createMemoryCgroup(hierarchy, `${device.ns}-memory`, bytes);
      run.cgroups.push(cgroup);
      cgroupOf.set(node, cgroup);
    }
    plan.progress(`${system}: starting ${nodes.length} devices`);
    await inParallel(nodes, 4, async (node) => {
      const cgroup = cgroupOf.get(node);
      const started = await startNode(system, {
        lan: net,
        device: node,
        dataDir: join(dataRoot, node),
        autoFollow: plan.autoFollow,
        logDir: plan.logDir,
        // Dozens of devices starting on a shared machine: a cold start took 10-22 s alone under load.
        readyTimeoutMs: 240_000,
        ...(cgroup ? { launcher: launcherFor(cgroup) } : {}),
      });
      byNode.set(node, started);
      run.nodes.push(started);
    });
    const feedOf = (node: string) => (byNode.get(node) as BenchNode).id;
    const followers = new Map<string, string[]>();
    for (const [a, b] of plan.follows) followers.set(a, [...(followers.get(a) ?? []), b]);
    plan.progress(`${system}: publishing ${plan.follows.length} follows`);
    await inParallel([...followers.entries()], 4, async ([a, followed]) => {
      const node = byNode.get(a) as BenchNode;
      for (const b of followed) await node.follow(feedOf(b));
    });
    const setupSeconds = (Date.now() - setupStarted) / 1000;

    // The clock: trace time `t` happens at real time t0 + (t - start) / speed; t0 is set once everything
    // else is ready, just before the first action.
    let t0 = Number.NaN;
    const from = plan.replayFrom;
    const realAt = (t: number) => t0 + ((t - from) / speed) * 1000;
    const traceAt = (ms: number) => from + ((ms - t0) / 1000) * speed;
    /** `at` in trace seconds. */
    type Action = { at: number; run: () => Promise<void> };
    const actions: Action[] = [];
    const lags: number[] = [];
    // Changes of one pair's link run in order; different pairs' run at once (each is a few `ip` processes).
    const pairQueues = new Map<string, Promise<void>>();
    const linkOp = (pair: string, at: number, op: () => Promise<void>) => {
      const queued = (pairQueues.get(pair) ?? Promise.resolve()).then(async () => {
        await op().catch((error: Error) => plan.progress(`${system}: link change failed: ${error.message}`));
        lags.push(Date.now() - realAt(at));
      });
      pairQueues.set(pair, queued);
      return Promise.resolve();
    };
    for (const c of plan.linkContacts) {
      const pair = `${c.a} ${c.b}`;
      actions.push({ at: c.start, run: () => linkOp(pair, c.start, () => net.linkUp(c.a, c.b)) });
      if (c.end < end) actions.push({ at: c.end, run: () => linkOp(pair, c.end, () => net.linkDown(c.a, c.b)) });
    }
    const published: Array<{ post: ScheduledPost; sequence: number; sentAt: number }> = [];
    const failedPosts: ReplayResult['failedPosts'] = [];
    const publishing: Promise<void>[] = [];
    for (const post of plan.posts) {
      actions.push({
        at: post.at,
        run: async () => {
          const node = byNode.get(post.author) as BenchNode;
          const text = `post ${post.index} from ${post.author} at ${post.at}`;
          const sentAt = Date.now();
          const task = (
            post.photo
              ? node.publishPhoto(photoBytes(plan.seed, post.author, post.index), text)
              : node.publish({ type: 'post', text })
          ).then(
            (sequence) => {
              published.push({ post, sequence, sentAt });
            },
            (error: Error) => {
              failedPosts.push({ author: post.author, at: post.at, error: error.message });
            },
          );
          publishing.push(task);
        },
      });
    }
    actions.sort((x, y) => x.at - y.at);

    // Resource samples every 2 s: per device the highest memory (file pages every 15th sample), and CPU at the
    // window's ends.
    const peakRss = new Map<string, number>();
    const peakResident = new Map<string, number>();
    const fileMB = new Map<string, number>();
    const memoryNow = async (n: string, measureFiles: boolean) => {
      const m = await deviceMemory((byNode.get(n) as BenchNode).pids(), measureFiles, fileMB.get(n));
      if (measureFiles) fileMB.set(n, m.fileMB);
      peakRss.set(n, Math.max(peakRss.get(n) ?? 0, m.rssSumMB));
      peakResident.set(n, Math.max(peakResident.get(n) ?? 0, m.residentMB));
      return m;
    };
    let sampling = true;
    const sampler = (async () => {
      for (let sample = 0; sampling; sample++) {
        for (const n of nodes) await memoryNow(n, sample % 15 === 0);
        await sleep(2000);
      }
    })();
    const cpuBefore = new Map<string, number>();
    for (const n of nodes) cpuBefore.set(n, await deviceCpu(byNode.get(n) as BenchNode));

    // The devices share this machine's cores (a board has its own); the lab's clock and its link changes must
    // not queue behind them, or the trace is replayed late and the lateness is counted against the system.
    const labPriority = Math.max(-20, basePriority - LAB_PRIORITY_BOOST);
    try {
      setPriority(labPriority);
      net.setPriority(labPriority);
    } catch (error) {
      plan.progress(`${system}: the lab's priority could not be raised (${(error as Error).message})`);
    }
    t0 = Date.now() + 1000;
    const endAt = realAt(end);
    plan.progress(
      `${system}: replaying [${from}, ${end})${from < start ? ` (the window from ${start})` : ''} at ${speed}x: ` +
        `${Math.round((endAt - Date.now()) / 1000)} s`,
    );
    let nextReport = 0.1;
    for (const action of actions) {
      const wait = realAt(action.at) - Date.now();
      if (wait > 0) await sleep(wait);
      await action.run();
      const done = (Date.now() - t0) / (endAt - t0);
      if (done >= nextReport) {
        plan.progress(`${system}: ${Math.round(done * 100)} % of the window; ${describeLag(linkLag(lags))}`);
        nextReport = Math.floor(done * 10) / 10 + 0.1;
      }
    }
    if (endAt > Date.now()) await sleep(endAt - Date.now());
    await Promise.all(pairQueues.values());
    await net.allDown();
    setPriority(basePriority);
    const cpuWindowSeconds = (Date.now() - t0) / 1000;
    const cpu = new Map<string, number>();
    for (const n of nodes) {
      cpu.set(n, ((await deviceCpu(byNode.get(n) as BenchNode)) - (cpuBefore.get(n) ?? 0)) / cpuWindowSeconds);
    }
    await Promise.all(publishing);
    const replaySeconds = (Date.now() - t0) / 1000;
    plan.progress(`${system}: window over; settling ${plan.settleSeconds} s`);
    await sleep(plan.settleSeconds * 1000);
    sampling = false;
    await sampler;
    const settled: DeviceMemory[] = [];
    for (const n of nodes) settled.push(await memoryNow(n, true));
    const settledRss = settled.map((m) => m.rssSumMB);
    const settledResident = settled.map((m) => m.residentMB);
    const peerPeaks = await Promise.all(
      nodes.map((n) =>
        memoryOf((byNode.get(n) as BenchNode).ssbPid()).then(
          (m) => m.peakMB,
          () => 0,
        ),
      ),
    );

    // Which post is which message: the author's feed and sequence.
    const wanted: Record<string, number[]> = {};
    for (const p of published) {
      const feed = feedOf(p.post.author);
      wanted[feed] = [...(wanted[feed] ?? []), p.sequence];
    }
    plan.progress(`${system}: reading when each post arrived`);
    const arrivals = new Map<string, Record<string, Map<number, number>>>();
    await inParallel(nodes, 3, async (n) => {
      arrivals.set(n, await (byNode.get(n) as BenchNode).stopAndReadArrivals(wanted));
    });

    const graph = adjacency(plan.contacts);
    const posts: PostResult[] = published
      .sort((x, y) => x.post.at - y.post.at || (x.post.author < y.post.author ? -1 : 1))
      .map(({ post, sequence, sentAt }) => {
        const feed = feedOf(post.author);
        const ownAt = arrivals.get(post.author)?.[feed]?.get(sequence) ?? sentAt;
        const at = traceAt(ownAt);
        const reach = foremost(graph, post.author, at, end);
        const deliveries = nodes
          .filter((n) => n !== post.author)
          .map((n) => {
            const r = reach.get(n);
            const arrived = arrivals.get(n)?.[feed]?.get(sequence);
            const delivered = arrived === undefined ? null : traceAt(arrived);
            return {
              node: n,
              limit: r ? round3(r.time) : null,
              // Arrivals after the window closed do not count: the links were all down by then.
              delivered: delivered === null || delivered >= end ? null : round3(delivered),
              lastContact: r ? r.lastContactLength : null,
            };
          });
        return { author: post.author, at: round3(at), deliveries };
      });

    const cpuValues = nodes.map((n) => (cpu.get(n) ?? 0) * 100);
    let memoryLimit: Resources['memoryLimit'] = null;
    if (plan.memoryLimit !== null) {
      const peaks = await Promise.all(run.cgroups.map((c) => c.peakBytes()));
      const kills = await Promise.all(run.cgroups.map((c) => c.oomKills()));
      memoryLimit = {
        mb: plan.memoryLimit.bytes / 1e6,
        cgroupPeakMB: round1(Math.max(0, ...peaks) / 1e6),
        oomKills: kills.reduce((a, b) => a + b, 0),
      };
    }
    return {
      posts,
      resources: {
        peakRssMB: round1(Math.max(...nodes.map((n) => peakRss.get(n) ?? 0))),
        peakResidentMB: round1(Math.max(...nodes.map((n) => peakResident.get(n) ?? 0))),
        peakPeerRssMB: round1(Math.max(...peerPeaks)),
        settledRssMB: { median: round1(median(settledRss)), max: round1(Math.max(...settledRss)) },
        settledResidentMB: { median: round1(median(settledResident)), max: round1(Math.max(...settledResident)) },
        cpuPercent: {
          median: round1(median(cpuValues)),
          max: round1(Math.max(...cpuValues)),
          total: round1(cpuValues.reduce((a, b) => a + b, 0)),
        },
        memoryLimit,
      },
      linkLagMs: linkLag(lags),
      failedPosts,
      setupSeconds: round1(setupSeconds),
      replaySeconds: round1(replaySeconds),
      windowStartedAtMs: realAt(start),
    };
  } finally {
    setPriority(basePriority);
    await Promise.all([...byNode.values()].map((n) => n.stop().catch(() => undefined)));
    await net.destroy();
    await removeCgroups(run.cgroups);
    active.delete(run);
    await rm(dataRoot, { recursive: true, force: true });
  }
}

/** Removes the devices' cgroups once their processes have gone. */
export async function removeCgroups(cgroups: MemoryCgroup[]): Promise<void> {
  await Promise.all(cgroups.splice(0).map((c) => c.remove().catch(() => undefined)));
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
