// How replicated messages reach the database. ssb-ebt hands each message it receives to `db.add`, and
// ssb-db2 batches those per feed behind a 250 ms throttle, then validates the batch as a whole. Two
// things go wrong with that on a device:
//  - one invalid message in a batch fails the whole batch, so the valid messages before it are dropped
//    too, and ssb-ebt swallows the error: a misbehaving peer can keep us from storing anyone's good prefix;
//  - every burst waits a quarter of a second before anything is stored, which is most of "meet to synced".
// This queue keeps one batch per feed in flight, collects what arrives meanwhile into the next one, and
// when a batch is refused stores what is valid in it message by message. Each
// refusal is reported (once per message) so the peer can log it.

import type { LogSink } from '../log/logger.js';
import { ThrottledLog } from '../log/throttled.js';

export interface QueuedMessage {
  author: string;
  sequence: number;
}

type Callback<R> = (err: Error | null, result?: R) => void;
export type AddBatch<M, R> = (msgs: M[], opts: object, cb: (err: Error | null, results?: R[]) => void) => void;

interface Pending<M, R> {
  msg: M;
  cb: Callback<R>;
}

export interface Rejection {
  feed: string;
  sequence: number;
  error: Error;
}

/** The innermost cause of an ssb-db2 error ("validation in addBatch() failed" wraps the real reason). */
export function rootCause(error: Error): Error {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current as Error;
}

export class AppendQueue<M extends QueuedMessage, R> {
  private readonly queues = new Map<string, Pending<M, R>[]>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly addBatch: AddBatch<M, R>,
    private readonly onReject: (rejection: Rejection) => void,
    private readonly schedule: (run: () => void) => void = setImmediate,
  ) {}

  add(msg: M, cb: Callback<R>): void {
    const feed = msg.author;
    const queue = this.queues.get(feed);
    if (queue) queue.push({ msg, cb });
    else this.queues.set(feed, [{ msg, cb }]);
    // Waiting one turn of the event loop gathers what the same network read delivered into one batch.
    if (!this.inFlight.has(feed) && !queue) this.schedule(() => this.flush(feed));
  }

  /** Messages waiting or being stored, for tests and status. */
  get pending(): number {
    let n = this.inFlight.size;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  private flush(feed: string): void {
    if (this.inFlight.has(feed)) return;
    const batch = this.queues.get(feed);
    if (!batch || batch.length === 0) return;
    this.queues.delete(feed);
    this.inFlight.add(feed);
    const done = () => {
      this.inFlight.delete(feed);
      if (this.queues.has(feed)) this.flush(feed);
    };
    const sorted = [...batch].sort((a, b) => a.msg.sequence - b.msg.sequence);
    this.addBatch(
      sorted.map((p) => p.msg),
      {},
      (err, results) => {
        if (!err) {
          for (const [i, p] of sorted.entries()) p.cb(null, results?.[i]);
          done();
        } else if (sorted.length === 1) {
          this.reject(sorted[0] as Pending<M, R>, err);
          done();
        } else {
          this.oneByOne(sorted, 0, done);
        }
      },
    );
  }

  /**
   * After a refused batch: each message on its own, in order. What follows an invalid message usually
   * fails too (its `previous` is unknown), but one stale duplicate must not take the rest down with it.
   */
  private oneByOne(items: Pending<M, R>[], index: number, done: () => void): void {
    const item = items[index];
    if (!item) {
      done();
      return;
    }
    this.addBatch([item.msg], {}, (err, results) => {
      if (err) this.reject(item, err);
      else item.cb(null, results?.[0]);
      // Validation fails synchronously: go on in the next turn so a long refused batch cannot overflow the stack.
      this.schedule(() => this.oneByOne(items, index + 1, done));
    });
  }

  private reject(item: Pending<M, R>, err: Error): void {
    this.onReject({ feed: item.msg.author, sequence: item.msg.sequence, error: err });
    item.cb(err);
  }
}

/**
 * Refusals, logged once per feed and reason in each window, with the count of the ones not logged —
 * a peer that sends thousands of bad messages must not flood the journal.
 */
export class RejectionLog {
  private readonly throttled: ThrottledLog;
  total = 0;

  constructor(logger: LogSink, now: () => number = Date.now, windowMs = 60_000) {
    this.throttled = new ThrottledLog(logger, now, windowMs);
  }

  record({ feed, sequence, error }: Rejection): void {
    this.total++;
    const reason = rootCause(error).message.replace(/, on feed: \S+$/, '');
    // Numbers (sizes, sequences) and quoted values vary within one kind of refusal.
    const kind = reason
      .replace(/\d+(\.\d+)?/g, 'N')
      .replace(/"[^"]*"|'[^']*'/g, 'Q')
      .slice(0, 100);
    this.throttled.log('warn', `${feed} ${kind}`, 'refused a replicated message', { feed, sequence, reason });
  }
}
