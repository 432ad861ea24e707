// Whether we are replicating, and how far along: polled from ssb-ebt's peerStatus for the feeds within our
// hops, plus a short hangover after the last message from someone else so the LED does not flicker between
// batches. A feed that stops growing while a connected peer offers more is logged (StallWatch); asking again
// is the EBT patch's (patches/ebt-feed-sources.ts), which can direct the request at the peer that has it.
import type { LogSink } from '../log/logger.js';
import type { SsbServer } from './libraries.js';
import { STALL_MS } from './patches/ebt-feed-sources.js';
import { computeProgress, type FeedClocks, type ReplicationProgress, StallWatch } from './progress.js';

/** After the last message from someone else, stay "replicating" this long (a steadier LED). */
const REPLICATION_IDLE_MS = 1000;
const PROGRESS_POLL_MS = 500;

export class ReplicationWatch {
  private lastForeignAppend = 0;
  private replicating = false;
  private readonly listeners = new Set<(replicating: boolean) => void>();
  // ssb-ebt 9's peerStatus throws while a just-connected peer's clock is still null; keep the last good
  // reading of each feed for those moments.
  private readonly lastClocks = new Map<string, FeedClocks>();
  private readonly stalls = new StallWatch(STALL_MS);
  private readonly poll: NodeJS.Timeout;

  constructor(
    private readonly ssb: SsbServer,
    /** Feeds and their hop distance; those within `maxHops` are wanted. */
    private readonly hops: ReadonlyMap<string, number>,
    private readonly maxHops: number,
    private readonly logger: LogSink,
    private readonly now: () => number = Date.now,
  ) {
    this.poll = setInterval(() => this.check(), PROGRESS_POLL_MS);
    this.poll.unref();
  }

  /** A message from someone else was stored. */
  foreignAppended(): void {
    this.lastForeignAppend = this.now();
  }

  progress(): ReplicationProgress {
    return this.progressOf(this.wantedClocks());
  }

  /** Called with true when replication starts and false when it has been idle for a moment. */
  onChange(listener: (replicating: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    clearInterval(this.poll);
    this.listeners.clear();
  }

  private check(): void {
    let now: boolean;
    try {
      const wanted = this.wantedClocks();
      this.logStalls(wanted);
      now = this.progressOf(wanted).replicating;
    } catch (error) {
      this.logger.log('warn', 'replication progress failed', { error: String(error) });
      return;
    }
    if (now === this.replicating) return;
    this.replicating = now;
    this.logger.log('debug', now ? 'replication started' : 'replication idle');
    for (const listener of this.listeners) {
      try {
        listener(now);
      } catch (error) {
        this.logger.log('warn', 'replication listener failed', { error: String(error) });
      }
    }
  }

  private wantedClocks(): Map<string, FeedClocks> {
    const wanted = new Map<string, FeedClocks>();
    for (const [feed, distance] of this.hops) {
      if (distance < 0 || distance > this.maxHops) continue;
      let clocks: FeedClocks;
      try {
        const status = this.ssb.ebt.peerStatus(feed);
        const remote: Record<string, number | undefined> = {};
        for (const [peer, info] of Object.entries(status.peers)) remote[peer] = info.seq;
        clocks = { local: status.seq ?? 0, remote };
        this.lastClocks.set(feed, clocks);
      } catch {
        clocks = this.lastClocks.get(feed) ?? { local: 0, remote: {} };
      }
      wanted.set(feed, clocks);
    }
    return wanted;
  }

  private progressOf(wanted: ReadonlyMap<string, FeedClocks>): ReplicationProgress {
    const connected = this.ssb.conn
      .query()
      .peersConnected()
      .map(([, data]) => data.key)
      .filter((key): key is string => typeof key === 'string');
    const computed = computeProgress(wanted, connected);
    const recent = this.now() - this.lastForeignAppend < REPLICATION_IDLE_MS;
    return { ...computed, replicating: computed.replicating || recent };
  }

  private logStalls(wanted: ReadonlyMap<string, FeedClocks>): void {
    for (const feed of this.stalls.check(wanted, this.now())) {
      const clocks = wanted.get(feed);
      this.logger.log('warn', 'replication stalled', { feed, local: clocks?.local, remote: clocks?.remote });
    }
  }
}
