// Serving a feed's messages to a replicating peer in runs instead of one lookup at a time.
//
// ssb-ebt asks for the next message of a feed only when the previous one has been read, and ssb-db2 answers
// each ask with a leveldb lookup of (feed, sequence) → log offset and a read of that record: ~40 µs of
// leveldb per message and one event-loop turn each (profiled on the sender: with the socket writes that
// follow, three quarters of its CPU per message). Messages of one feed mostly sit one after another in the
// log (a feed is published, or replicated, in order), so after one lookup the records that follow it in
// the same log block are read too, and those that continue the feed are kept for the asks that come next.
// Kept records are the stored bytes (never decrypted), decoded when asked for; a run lives for a few
// seconds, and a miss falls back to the library's own lookup.

export interface Run<M> {
  /** The sequence of `records[0]`. */
  start: number;
  records: M[];
}

export interface RunSource<R> {
  /** The records of `feed` from `sequence` on, as far as the log has them in order; empty if unknown. */
  readRun(feed: string, sequence: number, cb: (err: Error | null, run?: Run<R>) => void): void;
}

interface Cached<R> extends Run<R> {
  at: number;
}

export interface ReadAheadOptions {
  /** Feeds whose runs are kept at once (least recently read first out). */
  maxFeeds?: number;
  /** How long a run may serve asks, ms: bounds how long a deleted message could still be served. */
  ttlMs?: number;
  now?: () => number;
  /** Answers from a kept run come in a later tick: ssb-ebt asks again from inside the answer. */
  defer?: (run: () => void) => void;
}

export class ReadAhead<R, M> {
  private readonly runs = new Map<string, Cached<R>>();
  private readonly maxFeeds: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly defer: (run: () => void) => void;
  hits = 0;
  misses = 0;

  constructor(
    private readonly source: RunSource<R>,
    private readonly decode: (record: R) => M,
    options: ReadAheadOptions = {},
  ) {
    this.maxFeeds = options.maxFeeds ?? 32;
    this.ttlMs = options.ttlMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.defer = options.defer ?? process.nextTick;
  }

  /**
   * The message of `feed` at `sequence` if a kept run has it (answered in a later tick), else false: the
   * caller then reads it its own way and may call `fill` to start a new run there.
   */
  tryGet(feed: string, sequence: number, cb: (err: Error | null, msg?: M) => void): boolean {
    const run = this.runs.get(feed);
    if (!run) return false;
    const index = sequence - run.start;
    const record = run.records[index];
    if (record === undefined || this.now() - run.at > this.ttlMs) return false;
    // Most recently used last, for eviction.
    this.runs.delete(feed);
    this.runs.set(feed, run);
    let msg: M;
    try {
      msg = this.decode(record);
    } catch {
      this.runs.delete(feed);
      return false;
    }
    this.hits++;
    this.defer(() => cb(null, msg));
    return true;
  }

  /** Reads the run at (feed, sequence): the first record is the answer, the rest are kept. */
  get(feed: string, sequence: number, cb: (err: Error | null, msg?: M) => void, fallback: () => void): void {
    if (this.tryGet(feed, sequence, cb)) return;
    this.misses++;
    this.source.readRun(feed, sequence, (err, run) => {
      const first = run?.start === sequence ? run.records[0] : undefined;
      if (err || !run || first === undefined) {
        fallback();
        return;
      }
      let msg: M;
      try {
        msg = this.decode(first);
      } catch {
        fallback();
        return;
      }
      if (run.records.length > 1) this.keep(feed, run);
      cb(null, msg);
    });
  }

  /** Drops every kept run (e.g. when messages were deleted). */
  clear(): void {
    this.runs.clear();
  }

  get feedsKept(): number {
    return this.runs.size;
  }

  private keep(feed: string, run: Run<R>): void {
    this.runs.delete(feed);
    this.runs.set(feed, { start: run.start, records: run.records, at: this.now() });
    while (this.runs.size > this.maxFeeds) {
      const oldest = this.runs.keys().next().value;
      if (oldest === undefined) break;
      this.runs.delete(oldest);
    }
  }
}

// ---- ssb-db2 8.1 (async-append-only-log 4.3) as a RunSource ------------------------------------------------

type Cb<T> = (err: Error | null, value?: T) => void;

interface Bipf {
  allocAndEncode(value: unknown): Buffer;
  seekKey2(buffer: Buffer, start: number, key: Buffer, keyStart: number): number;
  decode(buffer: Buffer, start: number): unknown;
}

interface OffsetLog {
  getBlock(offset: number, cb: Cb<Buffer>): void;
  /** [next offset (-1 end of log, 0 next block), record bytes or null if deleted, record size] */
  getDataNextOffset(block: Buffer, offset: number, asRaw: true): [number, Buffer | null, number];
}

interface Db2Internals {
  onDrain(index: string, cb: () => void): void;
  getIndex(name: string): { level?: { get(key: string, cb: Cb<string>): void } } | undefined;
  getLog(): OffsetLog;
}

/** A stored record: the log's bytes and where the message value starts in them. */
export interface StoredRecord {
  bytes: Buffer;
  valueAt: number;
}

/** Records of one log block read per lookup at most (a 64 KiB block holds ~100 typical messages). */
export const RUN_MAX_RECORDS = 256;

function hasDb2Internals(db: unknown): db is Db2Internals {
  if (typeof db !== 'object' || db === null) return false;
  const d = db as Record<string, unknown>;
  if (typeof d.onDrain !== 'function' || typeof d.getIndex !== 'function' || typeof d.getLog !== 'function') {
    return false;
  }
  const log = (d.getLog as () => unknown)() as Record<string, unknown> | null;
  return typeof log?.getBlock === 'function' && typeof log.getDataNextOffset === 'function';
}

/**
 * Runs read from ssb-db2's log after one lookup in its `ebt` index, or null when the database does not
 * have the internals this was written against (then nothing is read ahead).
 */
export function db2RunSource(db: unknown, bipf: Bipf): RunSource<StoredRecord> | null {
  if (!hasDb2Internals(db)) return null;
  const VALUE = bipf.allocAndEncode('value');
  const AUTHOR = bipf.allocAndEncode('author');
  const SEQUENCE = bipf.allocAndEncode('sequence');
  const FEED = bipf.allocAndEncode('feed');
  const log = db.getLog();

  /** The author and sequence of a classic record, or null for anything else (other formats, `feed` key). */
  const position = (bytes: Buffer): { author: unknown; sequence: unknown; valueAt: number } | null => {
    if (bipf.seekKey2(bytes, 0, FEED, 0) >= 0) return null;
    const valueAt = bipf.seekKey2(bytes, 0, VALUE, 0);
    if (valueAt < 0) return null;
    const authorAt = bipf.seekKey2(bytes, valueAt, AUTHOR, 0);
    const sequenceAt = bipf.seekKey2(bytes, valueAt, SEQUENCE, 0);
    if (authorAt < 0 || sequenceAt < 0) return null;
    return { author: bipf.decode(bytes, authorAt), sequence: bipf.decode(bytes, sequenceAt), valueAt };
  };

  return {
    readRun(feed, sequence, cb) {
      db.onDrain('ebt', () => {
        const level = db.getIndex('ebt')?.level;
        if (!level) return cb(null);
        level.get(JSON.stringify([feed, sequence]), (err, offsetText) => {
          const offset = Number.parseInt(String(offsetText), 10);
          if (err || !Number.isSafeInteger(offset) || offset < 0) return cb(null);
          log.getBlock(offset, (blockErr, block) => {
            if (blockErr || !block) return cb(null);
            const records: StoredRecord[] = [];
            try {
              let at = offset;
              while (records.length < RUN_MAX_RECORDS) {
                const [next, bytes] = log.getDataNextOffset(block, at, true);
                const found = bytes ? position(bytes) : null;
                if (found?.author === feed) {
                  // The run ends where the feed does not go on in order (a gap, a fork, a duplicate).
                  if (found.sequence !== sequence + records.length || !bytes) break;
                  records.push({ bytes, valueAt: found.valueAt });
                } else if (records.length === 0) {
                  break; // the index pointed elsewhere: let the library answer
                }
                if (next <= 0) break;
                at = next;
              }
            } catch {
              // A record that does not parse ends the run; what was read before it is good.
            }
            cb(null, { start: sequence, records });
          });
        });
      });
    },
  };
}

/** The message value of a stored record, as ssb-db2's getNativeMsg gives it for a classic feed. */
export function decodeStoredRecord(bipf: Bipf): (record: StoredRecord) => unknown {
  return (record) => bipf.decode(record.bytes, record.valueAt);
}
