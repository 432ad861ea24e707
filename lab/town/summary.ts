// The figures of one system's run, from the per-post deliveries alone (so anyone can recompute them).

export interface Delivery {
  node: string;
  /** Earliest possible arrival (trace seconds), null if no time-respecting path reaches the node in the window. */
  limit: number | null;
  /** When it arrived (trace seconds), null if it never did. */
  delivered: number | null;
  /** Length of the last contact of the foremost path (trace seconds); not part of the contract. */
  lastContact?: number | null;
}

export interface PostResult {
  author: string;
  at: number;
  deliveries: Delivery[];
}

export interface DelayStats {
  median: number | null;
  p90: number | null;
  max: number | null;
}

export interface ContactBucket {
  /** Contact length range in trace seconds, [from, to). */
  from: number;
  to: number | null;
  deliverable: number;
  delivered: number;
  delayOverLimit: DelayStats;
}

export interface Summary {
  delivered: number;
  deliverable: number;
  ratio: number | null;
  delayOverLimit: DelayStats;
  /** Arrivals where no path allowed them or earlier than the limit by more than the tolerance: lab faults. */
  impossible: number;
  byContactLength: ContactBucket[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

export function delayStats(delays: readonly number[]): DelayStats {
  const sorted = [...delays].sort((x, y) => x - y);
  return { median: percentile(sorted, 50), p90: percentile(sorted, 90), max: sorted[sorted.length - 1] ?? null };
}

export const CONTACT_BUCKETS: ReadonlyArray<[number, number | null]> = [
  [0, 300],
  [300, 900],
  [900, 3600],
  [3600, null],
];

/**
 * `tolerance`: how much earlier than the limit an arrival may be stamped (trace seconds) before it counts as
 * impossible; the replay's timers and the devices' clocks are not exact to the millisecond.
 */
export function summarize(posts: readonly PostResult[], tolerance: number): Summary {
  let delivered = 0;
  let deliverable = 0;
  let impossible = 0;
  const delays: number[] = [];
  const buckets = CONTACT_BUCKETS.map(([from, to]) => ({
    from,
    to,
    deliverable: 0,
    delivered: 0,
    delays: [] as number[],
  }));
  for (const post of posts) {
    for (const d of post.deliveries) {
      if (d.limit === null) {
        if (d.delivered !== null) impossible++;
        continue;
      }
      deliverable++;
      const length = d.lastContact ?? 0;
      const bucket = buckets.find((b) => length >= b.from && (b.to === null || length < b.to));
      if (bucket) bucket.deliverable++;
      if (d.delivered === null) continue;
      if (d.delivered < d.limit - tolerance) impossible++;
      delivered++;
      const delay = Math.max(0, d.delivered - d.limit);
      delays.push(delay);
      if (bucket) {
        bucket.delivered++;
        bucket.delays.push(delay);
      }
    }
  }
  return {
    delivered,
    deliverable,
    ratio: deliverable === 0 ? null : delivered / deliverable,
    delayOverLimit: delayStats(delays),
    impossible,
    byContactLength: buckets.map(({ delays: ds, ...rest }) => ({ ...rest, delayOverLimit: delayStats(ds) })),
  };
}
