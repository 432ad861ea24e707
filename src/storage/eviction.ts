// Which photos go when the card runs short, as a pure rule (the order): photos of feeds further away
// in the follow graph first, older before newer among equals; never the owner's own. The mechanism
// (ssb/blob-eviction.ts) lists the blob files and who mentioned them, and removes what this chooses.
//
// Why not ssb-blobs-purge (2.0.3, Manyverse's): it ranks by file age and size only, not by distance in the
// follow graph; it aims at a size for the blobs folder, where the budget here is free space on the card; it
// needs ssb-db2's full-mentions index (another index to build and keep on a Pi Zero); and it runs as a
// background task gated by CPU load rather than when a write needs the room.

export interface EvictionCandidate {
  blob: string;
  /** Bytes the file occupies. */
  size: number;
  /**
   * Hops from the owner to the nearest feed whose post mentions it: 0 is the owner's own (never evicted),
   * Infinity or negative for a feed outside the graph or blocked, null when no known post mentions it (a
   * photo nobody here refers to: first to go once older than the grace time).
   */
  hops: number | null;
  /** When it was last mentioned (ms since the epoch), or when its file arrived if never. */
  at: number;
  /** Whose post that nearest mention is (for the owner's report). */
  author: string | null;
}

/** Unreferenced photos this recent may be the owner's own on their way into a post: kept. */
export const UNREFERENCED_GRACE_MS = 60 * 60 * 1000;

export function isProtected(candidate: EvictionCandidate, now: number): boolean {
  if (candidate.hops === 0) return true;
  return candidate.hops === null && now - candidate.at < UNREFERENCED_GRACE_MS;
}

/** Blocked feeds' photos first, then those of no feed in the graph (or of none), then by distance. */
function tier(c: EvictionCandidate): number {
  if (c.hops !== null && c.hops < 0) return 2;
  return c.hops === null || c.hops === Number.POSITIVE_INFINITY ? 1 : 0;
}

/** Eviction order: by tier, furthest first; among equal distance the oldest; ties by id. */
export function evictionOrder(a: EvictionCandidate, b: EvictionCandidate): number {
  const byTier = tier(b) - tier(a);
  if (byTier !== 0) return byTier;
  const byDistance = tier(a) === 0 ? (b.hops ?? 0) - (a.hops ?? 0) : 0;
  return byDistance || a.at - b.at || (a.blob < b.blob ? -1 : a.blob > b.blob ? 1 : 0);
}

/**
 * The fewest candidates, taken in eviction order, whose sizes add up to `bytes` (all that may go when even
 * they do not). Never a protected one.
 */
export function chooseEvictions(
  candidates: readonly EvictionCandidate[],
  bytes: number,
  now: number,
): EvictionCandidate[] {
  if (bytes <= 0) return [];
  const chosen: EvictionCandidate[] = [];
  let freed = 0;
  for (const candidate of candidates.filter((c) => !isProtected(c, now)).sort(evictionOrder)) {
    if (freed >= bytes) break;
    chosen.push(candidate);
    freed += candidate.size;
  }
  return chosen;
}
