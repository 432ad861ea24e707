// The mechanism of feed pruning (the rule is storage/feed-pruning.ts): every so often, once the indexes have
// caught up with the log, each feed held is observed (replicated, blocked, or outside the replication range),
// the record of since when is saved, and the feeds whose grace is over are deleted with ssb-db2's
// deleteFeed — a few per run, each logged. The log is then compacted (async-append-only-log rewrites it in
// place, resumable after a power cut) at a quiet moment: compaction holds up appends and queries, and ssb-db2
// rebuilds its indexes after it. What the card got back is logged and handed to the storage budget.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import pull from 'pull-stream';
import * as z from 'zod';
import type { LogSink } from '../log/logger.js';
import type { StorageState } from '../storage/budget.js';
import {
  DEFAULT_FEED_PRUNING_POLICY,
  type FeedPruningPolicy,
  type FeedToDelete,
  feedsToDelete,
  observeStandings,
  type StandingRecord,
  standingOf,
} from '../storage/feed-pruning.js';
import { JsonFile } from '../store/json-file.js';
import type { SsbServer } from './libraries.js';

const recordSchema = z.record(
  z.string(),
  z.object({ standing: z.enum(['blocked', 'outside']), since: z.number().finite() }),
);

export interface FeedPrunerOptions {
  ssb: SsbServer;
  dataDir: string;
  /** Hops from the owner (ssb-friends: >= 0 replicated, -1 blocked, other negatives or none outside). */
  hopsOf: (feed: string) => number | undefined;
  storageState: () => StorageState;
  logger: LogSink;
  policy?: Partial<FeedPruningPolicy>;
  /** True when nothing has arrived or been published for a while: compaction holds the log up. */
  quiet: () => boolean;
  /** The card got bytes back (the storage report is measured again). */
  onReclaimed: (bytes: number) => void;
  now?: () => number;
}

export interface PruneRun {
  deleted: FeedToDelete[];
  compacted: boolean;
  /** Bytes the log file gave back to the card (0 when it was not compacted). */
  reclaimedBytes: number;
}

export interface FeedPrunerSchedule {
  firstRunAfterMs: number;
  everyMs: number;
  /** How often a run waiting for a quiet moment looks again. */
  quietPollMs: number;
}

export const DEFAULT_FEED_PRUNER_SCHEDULE: FeedPrunerSchedule = {
  firstRunAfterMs: 5 * 60 * 1000,
  everyMs: 30 * 60 * 1000,
  quietPollMs: 10_000,
};

const NOTHING: PruneRun = { deleted: [], compacted: false, reclaimedBytes: 0 };

export class FeedPruner {
  private readonly policy: FeedPruningPolicy;
  private readonly file: JsonFile<StandingRecord>;
  private readonly now: () => number;
  private record: StandingRecord | null = null;
  private running: Promise<PruneRun> | null = null;
  private compacting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private quietPollMs = DEFAULT_FEED_PRUNER_SCHEDULE.quietPollMs;

  constructor(private readonly options: FeedPrunerOptions) {
    this.policy = { ...DEFAULT_FEED_PRUNING_POLICY, ...options.policy };
    this.file = new JsonFile(join(options.dataDir, 'feed-standings.json'), recordSchema);
    this.now = options.now ?? Date.now;
  }

  start(schedule: Partial<FeedPrunerSchedule> = {}): void {
    const { firstRunAfterMs, everyMs, quietPollMs } = { ...DEFAULT_FEED_PRUNER_SCHEDULE, ...schedule };
    this.quietPollMs = quietPollMs;
    const next = (delay: number) => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.run()
          .catch((error: Error) =>
            this.options.logger.log('warn', 'cannot prune blocked and unfollowed feeds', { error: error.message }),
          )
          .finally(() => next(everyMs));
      }, delay);
      this.timer.unref();
    };
    next(firstRunAfterMs);
  }

  /**
   * Stops the schedule; a run in progress stops before its next step. A compaction under way is waited for
   * (the log is closed after it), though the log would resume it after a power cut.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.compacting?.catch(() => undefined);
  }

  /** One run (runs never overlap). */
  run(): Promise<PruneRun> {
    this.running ??= this.runOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runOnce(): Promise<PruneRun> {
    const { ssb, logger } = this.options;
    await this.indexesCaughtUp();
    if (this.stopped) return NOTHING;
    const held = await this.feedsHeld();
    const record = observeStandings(
      await this.loadRecord(),
      [...held.keys()].map((feed) => ({ feed, standing: standingOf(this.options.hopsOf(feed)) })),
      ssb.id,
      this.now(),
    );
    await this.saveRecord(record);
    const chosen = feedsToDelete(record, {
      self: ssb.id,
      now: this.now(),
      storage: this.options.storageState(),
      policy: this.policy,
    });
    const deleted: FeedToDelete[] = [];
    for (const [index, feed] of chosen.entries()) {
      await this.whenQuiet();
      if (this.stopped) break;
      // The graph may have changed since the observation (an unblock, a new follow): look again.
      if (standingOf(this.options.hopsOf(feed.feed)) !== feed.standing) continue;
      const started = this.now();
      await new Promise<void>((resolve, reject) =>
        ssb.db.deleteFeed(feed.feed, (err) => (err ? reject(err) : resolve())),
      );
      deleted.push(feed);
      const rest = { ...this.record };
      delete rest[feed.feed];
      await this.saveRecord(rest);
      logger.log('info', 'deleted the messages of a feed no longer replicated', {
        feed: feed.feed,
        standing: feed.standing,
        since: new Date(feed.since).toISOString(),
        messages: held.get(feed.feed) ?? 0,
        progress: `${index + 1}/${chosen.length}`,
        ms: this.now() - started,
      });
    }
    const { deletedBytes } = await this.logStats();
    if (deletedBytes === 0 || this.stopped) return { deleted, compacted: false, reclaimedBytes: 0 };
    await this.whenQuiet();
    if (this.stopped) return { deleted, compacted: false, reclaimedBytes: 0 };
    const reclaimedBytes = await this.compact(deletedBytes);
    return { deleted, compacted: true, reclaimedBytes };
  }

  /** Compacts the log, logging its progress; returns the bytes the log file gave back. */
  private async compact(deletedBytes: number): Promise<number> {
    const { ssb, logger } = this.options;
    const logPath = join(this.options.dataDir, 'db2', 'log.bipf');
    const before = await allocatedBytes(logPath);
    const started = this.now();
    logger.log('info', 'compacting the database log', { deletedBytes, logBytes: before });
    let reported = 0;
    const progress = pull.drain<{ percent: number; done: boolean }>(({ percent, done }) => {
      const step = Math.floor(percent * 4) * 25;
      if (!done && step > reported) {
        reported = step;
        logger.log('info', 'compacting the database log', { percent: step });
      }
    });
    pull(ssb.db.compactionProgress(), progress);
    this.compacting = new Promise<void>((resolve, reject) => ssb.db.compact((err) => (err ? reject(err) : resolve())));
    try {
      await this.compacting;
    } finally {
      this.compacting = null;
      progress.abort();
    }
    const after = await allocatedBytes(logPath);
    const reclaimedBytes = Math.max(0, before - after);
    logger.log('info', 'database log compacted; its indexes are being rebuilt', {
      reclaimedBytes,
      logBytes: after,
      ms: this.now() - started,
    });
    this.options.onReclaimed(reclaimedBytes);
    const rebuilding = this.now();
    void this.indexesCaughtUp().then(() =>
      logger.log('info', 'database indexes rebuilt after compaction', { ms: this.now() - rebuilding }),
    );
    return reclaimedBytes;
  }

  /** Hops and the feeds held are read from the indexes: judge only once they are complete. */
  private indexesCaughtUp(): Promise<void> {
    const { db } = this.options.ssb;
    return new Promise((resolve) => db.onDrain('base', () => db.onDrain('contacts', () => resolve())));
  }

  private async whenQuiet(): Promise<void> {
    while (!this.stopped && !this.options.quiet()) {
      await new Promise((resolve) => setTimeout(resolve, this.quietPollMs).unref());
    }
  }

  /** Each feed held, with its latest sequence (how many messages it has). */
  private feedsHeld(): Promise<Map<string, number>> {
    const held = new Map<string, number>();
    return new Promise((resolve, reject) =>
      pull(
        this.options.ssb.db.getAllLatest(),
        pull.drain(
          ({ key, value }) => {
            held.set(key, value.sequence);
          },
          (err) => (err && err !== true ? reject(err) : resolve(held)),
        ),
      ),
    );
  }

  private logStats(): Promise<{ totalBytes: number; deletedBytes: number }> {
    return new Promise((resolve, reject) =>
      this.options.ssb.db.getLog().stats((err, stats) => (err ? reject(err) : resolve(stats))),
    );
  }

  private async loadRecord(): Promise<StandingRecord> {
    if (this.record) return this.record;
    const loaded = await this.file.load();
    if (loaded.warning) this.options.logger.log('warn', 'feed standings file', { detail: loaded.warning });
    this.record = loaded.value ?? {};
    return this.record;
  }

  /** Kept in memory when the card cannot take it: pruning is what gives the card room back. */
  private async saveRecord(record: StandingRecord): Promise<void> {
    this.record = record;
    await this.file
      .save(record)
      .catch((error: Error) =>
        this.options.logger.log('warn', 'cannot save the feed standings; kept in memory', { error: error.message }),
      );
  }
}

async function allocatedBytes(path: string): Promise<number> {
  const stats = await stat(path).catch(() => null);
  return stats ? stats.blocks * 512 : 0;
}
