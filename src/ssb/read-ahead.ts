// Read-ahead for the messages ssb-ebt sends. ssb-ebt fetches what it sends one message at a time: it asks
// the database for (feed, sequence) through `getAtSequenceNativeMsg`, and asks for the next one only when
// that answer came back. With ssb-db2 each answer is a LevelDB lookup on the thread pool and a log read, so
// the sending peer spends most of a bulk transfer waiting (measured here: ~12,600 sequential lookups/s,
// ~43,000/s with 100 in flight). This wrapper keeps the next few messages of a feed being read while
// ssb-ebt works through the current one, and hands each answer over asynchronously, as the database would.
//
// It never answers from anything but a database read: entries are dropped once delivered, failures are not
// kept (a later request reads again), it only reads ahead as far as the feed is known to go, and memory is
// bounded (`window` entries per feed, `maxFeeds` feeds).

export type NativeMsgCallback = (err: Error | null, msg?: unknown) => void;
export type GetAtSequence = (key: [string, number], format: string, cb: NativeMsgCallback) => void;

interface Entry {
  done: boolean;
  err: Error | null;
  msg: unknown;
  waiting: NativeMsgCallback[];
}

interface FeedWindow {
  format: string;
  entries: Map<number, Entry>;
  /** The sequence the last request asked for: a request for the next one is a sequential read. */
  lastRequested: number;
  usedAt: number;
}

export interface ReadAheadOptions {
  /** Messages read ahead per feed (and kept at most). */
  window?: number;
  /** Feeds with a read-ahead window at once; the least recently used goes first. */
  maxFeeds?: number;
  /** The latest sequence we hold of a feed, if known: no reads beyond it. */
  latest(feed: string): number | undefined;
}

export class ReadAhead {
  private readonly feeds = new Map<string, FeedWindow>();
  private readonly window: number;
  private readonly maxFeeds: number;
  private tick = 0;
  /** Answers served from a read that was already under way or done (for tests and the log). */
  hits = 0;
  misses = 0;

  constructor(
    private readonly read: GetAtSequence,
    private readonly options: ReadAheadOptions,
  ) {
    this.window = options.window ?? 32;
    this.maxFeeds = options.maxFeeds ?? 64;
  }

  /** The wrapped `getAtSequenceNativeMsg`. */
  get(key: [string, number], format: string, cb: NativeMsgCallback): void {
    const [feed, sequence] = key;
    if (typeof feed !== 'string' || !Number.isInteger(sequence) || sequence < 1) {
      this.read(key, format, cb);
      return;
    }
    let state = this.feeds.get(feed);
    if (state !== undefined && state.format !== format) {
      this.feeds.delete(feed);
      state = undefined;
    }
    const sequential = state !== undefined && sequence === state.lastRequested + 1;
    if (state === undefined) {
      state = { format, entries: new Map(), lastRequested: 0, usedAt: 0 };
      this.feeds.set(feed, state);
      this.evictFeeds();
    }
    state.lastRequested = sequence;
    state.usedAt = ++this.tick;
    // Entries behind the reader are of no more use (another peer reading the same feed elsewhere reads again).
    for (const seq of state.entries.keys()) {
      if (seq < sequence) state.entries.delete(seq);
    }

    let entry = state.entries.get(sequence);
    if (entry === undefined) {
      this.misses++;
      entry = this.start(feed, sequence, format, state);
    } else {
      this.hits++;
    }
    // Read ahead only for sequential readers (ssb-ebt sending a feed), never past what we hold.
    if (sequential) {
      const latest = this.options.latest(feed) ?? sequence;
      const last = Math.min(latest, sequence + this.window - 1);
      for (let seq = sequence + 1; seq <= last; seq++) {
        if (!state.entries.has(seq)) this.start(feed, seq, format, state);
      }
    }
    state.entries.delete(sequence);
    if (entry.done) {
      const { err, msg } = entry;
      // Asynchronous like a database answer: ssb-ebt asks for the next message from inside this callback.
      queueMicrotask(() => cb(err, msg));
    } else {
      entry.waiting.push(cb);
    }
  }

  private start(feed: string, sequence: number, format: string, state: FeedWindow): Entry {
    const entry: Entry = { done: false, err: null, msg: undefined, waiting: [] };
    state.entries.set(sequence, entry);
    this.read([feed, sequence], format, (err, msg) => {
      entry.done = true;
      entry.err = err;
      entry.msg = msg;
      // A failed read is not kept for anyone else: the next request reads again.
      if (err && state.entries.get(sequence) === entry) state.entries.delete(sequence);
      const waiting = entry.waiting;
      entry.waiting = [];
      for (const cb of waiting) cb(err, msg);
    });
    return entry;
  }

  private evictFeeds(): void {
    while (this.feeds.size > this.maxFeeds) {
      let oldest: string | null = null;
      let oldestAt = Number.POSITIVE_INFINITY;
      for (const [feed, state] of this.feeds) {
        if (state.usedAt < oldestAt) {
          oldestAt = state.usedAt;
          oldest = feed;
        }
      }
      if (oldest === null) return;
      this.feeds.delete(oldest);
    }
  }
}
