// Where deliveries were lost: every contact's connection set-up (from the devices' "peer connection up/down"
// log lines, src/ssb/connection-log.ts) and, for each delivery the limit allowed but the device never got, what
// happened on the last hop of the foremost path. Pure functions of the trace, the per-post results and the log
// lines; readLogs() is the only part that reads files.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Adjacency, foremost } from './limit.js';
import type { PostResult } from './summary.js';
import type { Contact } from './trace.js';

/** One connection between two devices as one of them logged it, in trace seconds. */
export interface Connection {
  node: string;
  peer: string;
  start: number;
  /** Null: still up when the log ends. */
  end: number | null;
}

export interface DeviceLog {
  node: string;
  id: string | null;
  /** Log lines as parsed JSON (only those with `msg`). */
  lines: Array<{ ts: string; msg: string; [field: string]: unknown }>;
}

/** Why a delivery the limit allowed did not happen, seen on the last hop of its foremost path. */
export type MissCause =
  /** The sending side of the last hop never had the post before that contact ended (lost upstream). */
  | 'sender-lacked-it'
  /** No SSB connection between the two came up while the contact lasted. */
  | 'never-connected'
  /** A connection was up after the sender had the post, and the post did not cross. */
  | 'connected-not-replicated';

export interface Miss {
  author: string;
  at: number;
  node: string;
  via: string;
  cause: MissCause;
  /** The last hop's contact, real seconds. */
  contactRealSeconds: number;
  /** Contacts each end was in when the last hop's contact began. */
  concurrent: { node: number; via: number };
  /** From link-up to the first connection between the two in that contact, real seconds (null: none). */
  connectedAfterRealSeconds: number | null;
  /** How long a connection was up while the sender had the post, real seconds. */
  usableRealSeconds: number;
}

export interface ContactSetup {
  contacts: number;
  connected: number;
  /** Link-up to the first connection, real seconds, over the contacts that connected. */
  delayRealSeconds: { median: number | null; p90: number | null; max: number | null };
  /** Contacts that never connected, by length in real seconds: < 10, 10-30, >= 30. */
  neverConnectedByLength: { under10: number; from10to30: number; over30: number };
}

export interface Diagnosis {
  setup: ContactSetup;
  misses: number;
  byCause: Record<MissCause, number>;
  /** Counts of log lines that mark a known cost. */
  events: { duplicateResolutions: number; refusedAtSequence1: number; lostNetworkCuts: number };
  /** The misses one by one (the last hop each). */
  list: Miss[];
}

const UP = 'peer connection up';
const DOWN = 'peer connection down';

/** The devices' connections from their logs, ids mapped to nodes, times on the trace's clock. */
export function connectionsFrom(logs: readonly DeviceLog[], traceAt: (ms: number) => number): Connection[] {
  const nodeOf = new Map<string, string>();
  for (const log of logs) if (log.id !== null) nodeOf.set(log.id, log.node);
  const result: Connection[] = [];
  for (const log of logs) {
    const open: Array<{ key: string; address: unknown; dialled: unknown; start: number }> = [];
    for (const line of log.lines) {
      if (line.msg !== UP && line.msg !== DOWN) continue;
      const key = String(line.key);
      const t = traceAt(Date.parse(line.ts));
      if (line.msg === UP) {
        open.push({ key, address: line.address, dialled: line.dialled, start: t });
        continue;
      }
      const index = open.findIndex((o) => o.key === key && o.address === line.address && o.dialled === line.dialled);
      const [opened] = index >= 0 ? open.splice(index, 1) : [];
      const peer = nodeOf.get(key);
      if (peer !== undefined) result.push({ node: log.node, peer, start: opened?.start ?? t, end: t });
    }
    for (const o of open) {
      const peer = nodeOf.get(o.key);
      if (peer !== undefined) result.push({ node: log.node, peer, start: o.start, end: null });
    }
  }
  return result;
}

function between(connections: readonly Connection[], a: string, b: string): Connection[] {
  return connections.filter((c) => (c.node === a && c.peer === b) || (c.node === b && c.peer === a));
}

/** The first connection between the pair that was up during [from, to): its start, or null. */
function firstUp(connections: readonly Connection[], from: number, to: number): number | null {
  let first: number | null = null;
  for (const c of connections) {
    if (c.start >= to || (c.end !== null && c.end <= from)) continue;
    const start = Math.max(c.start, from);
    if (first === null || start < first) first = start;
  }
  return first;
}

/** Seconds of [from, to) covered by at least one of the connections. */
function covered(connections: readonly Connection[], from: number, to: number): number {
  const spans = connections
    .map((c) => [Math.max(c.start, from), Math.min(c.end ?? to, to)] as const)
    .filter(([s, e]) => e > s)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let reach = from;
  for (const [s, e] of spans) {
    if (e <= reach) continue;
    total += e - Math.max(s, reach);
    reach = e;
  }
  return total;
}

function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? null;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export function contactSetup(contacts: readonly Contact[], connections: readonly Connection[], speed: number) {
  const delays: number[] = [];
  const never = { under10: 0, from10to30: 0, over30: 0 };
  for (const c of contacts) {
    const up = firstUp(between(connections, c.a, c.b), c.start, c.end);
    if (up !== null) {
      delays.push((up - c.start) / speed);
      continue;
    }
    const real = (c.end - c.start) / speed;
    if (real < 10) never.under10++;
    else if (real < 30) never.from10to30++;
    else never.over30++;
  }
  const max = delays.length === 0 ? null : round1(Math.max(...delays));
  const r = (v: number | null) => (v === null ? null : round1(v));
  return {
    contacts: contacts.length,
    connected: delays.length,
    delayRealSeconds: { median: r(nearestRank(delays, 50)), p90: r(nearestRank(delays, 90)), max },
    neverConnectedByLength: never,
  };
}

function concurrentAt(graph: Adjacency, node: string, t: number): number {
  return (graph.get(node) ?? []).filter((c) => c.start <= t && t < c.end).length;
}

export function diagnose(input: {
  posts: readonly PostResult[];
  contacts: readonly Contact[];
  graph: Adjacency;
  end: number;
  speed: number;
  logs: readonly DeviceLog[];
  traceAt: (ms: number) => number;
}): Diagnosis {
  const { graph, speed } = input;
  const connections = connectionsFrom(input.logs, input.traceAt);
  const list: Miss[] = [];
  for (const post of input.posts) {
    const delivered = new Map<string, number | null>(post.deliveries.map((d) => [d.node, d.delivered]));
    delivered.set(post.author, post.at);
    const reach = foremost(graph, post.author, post.at, input.end);
    for (const d of post.deliveries) {
      if (d.limit === null || d.delivered !== null) continue;
      const via = reach.get(d.node)?.via;
      if (via === undefined) continue;
      const had = delivered.get(via.node) ?? null;
      const pair = between(connections, d.node, via.node);
      const up = firstUp(pair, via.start, via.end);
      const from = had === null ? via.end : Math.max(had, via.start);
      const usable = had === null || had >= via.end ? 0 : covered(pair, from, via.end);
      const cause: MissCause =
        had === null || had >= via.end
          ? 'sender-lacked-it'
          : up === null
            ? 'never-connected'
            : 'connected-not-replicated';
      list.push({
        author: post.author,
        at: post.at,
        node: d.node,
        via: via.node,
        cause,
        contactRealSeconds: round1((via.end - via.start) / speed),
        concurrent: { node: concurrentAt(graph, d.node, via.start), via: concurrentAt(graph, via.node, via.start) },
        connectedAfterRealSeconds: up === null ? null : round1((up - via.start) / speed),
        usableRealSeconds: round1(usable / speed),
      });
    }
  }
  const count = (msg: RegExp) =>
    input.logs.reduce((n, log) => n + log.lines.filter((l) => msg.test(l.msg) || msg.test(String(l.reason))).length, 0);
  const byCause = { 'sender-lacked-it': 0, 'never-connected': 0, 'connected-not-replicated': 0 };
  for (const m of list) byCause[m.cause]++;
  return {
    setup: contactSetup(input.contacts, connections, speed),
    misses: list.length,
    byCause,
    events: {
      duplicateResolutions: count(/^duplicate connection/),
      refusedAtSequence1: input.logs.reduce(
        (n, log) =>
          n + log.lines.filter((l) => l.sequence === 1 && /expected different previous/.test(String(l.reason))).length,
        0,
      ),
      lostNetworkCuts: count(/^a network went away/),
    },
    list,
  };
}

const KEPT =
  /^(peer connection (up|down)|ssb peer listening|duplicate connection|a network went away|refused a replicated)/;

/** Reads the devices' logs (`<node>-smallworld.log`, JSON lines) from a run's log folder. */
export async function readLogs(dir: string, nodes: readonly string[]): Promise<DeviceLog[]> {
  const files = new Set(await readdir(dir).catch(() => [] as string[]));
  const logs: DeviceLog[] = [];
  for (const node of nodes) {
    const file = `${node}-smallworld.log`;
    if (!files.has(file)) continue;
    const lines: DeviceLog['lines'] = [];
    let id: string | null = null;
    for (const text of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      if (!text.startsWith('{')) continue;
      try {
        const line = JSON.parse(text) as DeviceLog['lines'][number];
        if (typeof line.msg !== 'string' || typeof line.ts !== 'string' || !KEPT.test(line.msg)) continue;
        if (line.msg === 'ssb peer listening' && typeof line.id === 'string') id = line.id;
        lines.push(line);
      } catch {
        // A line cut by the device's end: skipped.
      }
    }
    logs.push({ node, id, lines });
  }
  return logs;
}
