// The best any protocol can do on a trace: a post created at `at` on `source` can be on a node no earlier
// than the end of the foremost time-respecting path to it, every contact carrying everything instantly
// (store, carry, forward). A contact [start, end) can be used at any time t with start <= t < end, so a
// message that arrives at a node at time τ leaves over that contact at max(τ, start) if that is before end.
// With waiting allowed, earliest-arrival labels are monotone, so Dijkstra on arrival times is exact.
import type { Contact } from './trace.js';

export interface Reach {
  /** Earliest arrival, trace seconds. */
  time: number;
  /** Length of the contact over which it arrives (the last hop), or 0 at the source. */
  lastContactLength: number;
  /** The last hop: the node it comes from and that contact (absent at the source). */
  via?: { node: string; start: number; end: number };
}

export type Adjacency = Map<string, Contact[]>;

export function adjacency(contacts: readonly Contact[]): Adjacency {
  const byNode: Adjacency = new Map();
  for (const c of contacts) {
    for (const node of [c.a, c.b]) {
      const list = byNode.get(node) ?? [];
      byNode.set(node, list);
      list.push(c);
    }
  }
  return byNode;
}

/**
 * Earliest arrival of a post from `source` at `at` on every node it can reach before `end`. With `handshake`
 * > 0 each hop takes that long and needs that much of the contact left (a stricter, practical bound).
 */
export function foremost(graph: Adjacency, source: string, at: number, end: number, handshake = 0): Map<string, Reach> {
  const best = new Map<string, Reach>();
  if (!(at < end)) return best;
  best.set(source, { time: at, lastContactLength: 0 });
  const done = new Set<string>();
  // Small graphs (tens to hundreds of nodes): a linear scan for the minimum is simpler than a heap and fast.
  for (;;) {
    let node: string | null = null;
    let time = Number.POSITIVE_INFINITY;
    for (const [n, reach] of best) {
      if (!done.has(n) && reach.time < time) {
        node = n;
        time = reach.time;
      }
    }
    if (node === null) return best;
    done.add(node);
    for (const c of graph.get(node) ?? []) {
      const other = c.a === node ? c.b : c.a;
      if (done.has(other)) continue;
      const leave = Math.max(time, c.start) + handshake;
      if (leave > c.end || (handshake === 0 && leave === c.end) || leave >= end) continue;
      const known = best.get(other);
      if (!known || leave < known.time) {
        best.set(other, {
          time: leave,
          lastContactLength: c.end - c.start,
          via: { node, start: c.start, end: c.end },
        });
      }
    }
  }
}
