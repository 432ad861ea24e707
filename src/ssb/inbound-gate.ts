// Backpressure for what peers send us. Nothing between the socket and the database slows a sender down:
// ssb-ebt hands every message it reads to `db.add` without waiting, and ssb-db2's log (async-append-only-log
// 4.3) accepts appends at once but writes its 64 KiB blocks one at a time, each followed by an fsync. When a
// friend sends faster than the board's storage syncs (a 100,000-message catch-up), the blocks waiting to be
// written piled up in memory: a heap snapshot in the middle of one found ~850 of them (53 MB) in the log's
// `blocksToBeWritten`, and the peer peaked at 280–390 MB. So once `limit` messages have been stored since the
// log was last fully written, the peer stops reading from its peers' connections until it is (the log's
// `onDrain`); TCP then holds the sender back. The gate sits after each connection's decryption (the box
// stream), so a closed gate leaves the socket unread and the kernel's window closes.

export type End = Error | true | null;
export type Callback<T> = (end: End, data?: T) => void;
export type Read<T> = (end: End, cb: Callback<T>) => void;

export class InboundGate {
  /** Who holds the gate closed (several peers in one process each may). */
  private holders = 0;
  private readonly waiting: Array<() => void> = [];
  /** Times the gate closed, for tests and logs. */
  closures = 0;

  get isOpen(): boolean {
    return this.holders === 0;
  }

  /** Closes the gate until the returned function is called (once; later calls do nothing). */
  hold(): () => void {
    if (this.holders++ === 0) this.closures++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holders === 0) for (const go of this.waiting.splice(0)) go();
    };
  }

  /** Runs `go` now if the gate is open, else when it opens. */
  whenOpen(go: () => void): void {
    if (this.holders > 0) this.waiting.push(go);
    else go();
  }

  /** A pull-stream through that asks upstream for more only while the gate is open (aborts pass at once). */
  through<T>(): (read: Read<T>) => Read<T> {
    return (read) => (end, cb) => {
      if (end) read(end, cb);
      else this.whenOpen(() => read(null, cb));
    };
  }
}

/**
 * Closes `gate` once `limit` messages were stored since the log was last fully on disk, and opens it when it
 * is (`onDrain` of ssb-db2's log).
 */
export class LogBacklog {
  private stored = 0;
  private release: (() => void) | null = null;

  constructor(
    private readonly gate: InboundGate,
    private readonly onDrain: (cb: () => void) => void,
    private readonly limit = 1_000,
  ) {}

  /** One message appended to the log (not necessarily written yet). */
  stored1(): void {
    this.stored++;
    if (this.stored < this.limit || this.release) return;
    const release = this.gate.hold();
    this.release = release;
    this.onDrain(() => {
      this.stored = 0;
      if (this.release === release) this.release = null;
      release();
    });
  }

  /** The peer is closing: its log may never drain now, so it no longer holds the gate. */
  stop(): void {
    this.release?.();
    this.release = null;
  }
}

/** The one gate of this process: every connection's decryption passes through it (patches/box-stream-inbound-gate.ts). */
export const inboundGate = new InboundGate();
