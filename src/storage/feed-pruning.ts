// Which whole feeds leave the database, as a pure rule. ssb-db2 keeps every message of every feed it ever
// replicated; a feed the owner blocked, or one that left the follow graph's replication range (unfollowed, or
// its only link to the owner unfollowed), is never replicated again and its messages only fill the card. The
// mechanism (ssb/feed-pruner.ts) observes each feed's standing, keeps this record, and deletes what this
// chooses with ssb-db2's deleteFeed, then compacts the log.
//
// A feed is deleted only after it has stood outside for a grace time at every observation: an accidental
// block, or an unfollow undone the next day, loses nothing, and a follow graph still being rebuilt (start-up,
// after a compaction) cannot condemn a feed in one glance. The owner's own feed is never deleted.
import type { StorageState } from './budget.js';

/** How the replication scheduler treats a feed, from its hops (ssb-friends): >= 0 asked for, -1 blocked. */
export type FeedStanding = 'replicated' | 'blocked' | 'outside';

export function standingOf(hops: number | undefined): FeedStanding {
  if (hops === undefined || Number.isNaN(hops)) return 'outside';
  if (hops >= 0) return 'replicated';
  return hops === -1 ? 'blocked' : 'outside';
}

export interface FeedPruningPolicy {
  /** A block stands this long before the feed's messages go (time to undo a mistaken block). */
  blockedGraceMs: number;
  /** A feed outside the replication range stays this long while the card has room... */
  outsideGraceMs: number;
  /** ...and this long when the card is tight or full. */
  outsideGraceWhenShortMs: number;
  /** Feeds deleted in one run at most (each is a pass over its messages; the log is compacted after). */
  maxFeedsPerRun: number;
}

export const DEFAULT_FEED_PRUNING_POLICY: FeedPruningPolicy = {
  blockedGraceMs: 60 * 60 * 1000,
  outsideGraceMs: 7 * 24 * 60 * 60 * 1000,
  outsideGraceWhenShortMs: 60 * 60 * 1000,
  maxFeedsPerRun: 10,
};

/** Since when each feed held has stood where it stands now (replicated feeds are not recorded). */
export type StandingRecord = Readonly<Record<string, { standing: Exclude<FeedStanding, 'replicated'>; since: number }>>;

/**
 * The record after one observation of every feed held: a feed keeps its `since` while its standing is the
 * same, starts again when it changes, and leaves the record when replicated or no longer held.
 */
export function observeStandings(
  record: StandingRecord,
  feeds: ReadonlyArray<{ feed: string; standing: FeedStanding }>,
  self: string,
  now: number,
): StandingRecord {
  const next: Record<string, { standing: Exclude<FeedStanding, 'replicated'>; since: number }> = {};
  for (const { feed, standing } of feeds) {
    if (feed === self || standing === 'replicated') continue;
    const known = record[feed];
    next[feed] = known && known.standing === standing ? known : { standing, since: now };
  }
  return next;
}

export interface FeedToDelete {
  feed: string;
  standing: Exclude<FeedStanding, 'replicated'>;
  since: number;
}

function graceOf(standing: FeedToDelete['standing'], storage: StorageState, policy: FeedPruningPolicy): number {
  if (standing === 'blocked') return policy.blockedGraceMs;
  return storage === 'ok' ? policy.outsideGraceMs : policy.outsideGraceWhenShortMs;
}

/** The feeds whose grace is over: blocked ones first, then the longest outside; at most maxFeedsPerRun. */
export function feedsToDelete(
  record: StandingRecord,
  { self, now, storage, policy }: { self: string; now: number; storage: StorageState; policy: FeedPruningPolicy },
): FeedToDelete[] {
  return Object.entries(record)
    .filter(([feed, { standing, since }]) => feed !== self && now - since >= graceOf(standing, storage, policy))
    .map(([feed, { standing, since }]) => ({ feed, standing, since }))
    .sort(
      (a, b) =>
        Number(b.standing === 'blocked') - Number(a.standing === 'blocked') ||
        a.since - b.since ||
        (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0),
    )
    .slice(0, Math.max(0, policy.maxFeedsPerRun));
}
