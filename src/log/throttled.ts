// Rejections of bad input are worth one line each *kind*, not one line each *time*: whoever can send
// garbage can otherwise fill the journal (and the SD card). The first occurrence of a kind in a window is
// logged with its details; later ones are counted and reported in one summary line when the window ends.
import type { Level, LogSink } from './logger.js';

export class ThrottledLog {
  private readonly counts = new Map<string, { msg: string; level: Level; count: number }>();
  private windowStart: number;

  constructor(
    private readonly logger: LogSink,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {
    this.windowStart = now();
  }

  /** Logs `msg` unless the same `kind` was already logged in this window. */
  log(level: Level, kind: string, msg: string, fields: Record<string, unknown> = {}): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) this.flush(t);
    const entry = this.counts.get(kind);
    if (entry) {
      entry.count++;
      return;
    }
    // Bounded: a sender inventing new kinds cannot grow this without limit.
    if (this.counts.size >= 100) {
      const other = this.counts.get('(other)');
      if (other) other.count++;
      else this.counts.set('(other)', { msg: 'more kinds of rejection', level, count: 1 });
      return;
    }
    this.counts.set(kind, { msg, level, count: 1 });
    this.logger.log(level, msg, fields);
  }

  /** Ends the window: one summary line for each kind that repeated. */
  flush(t: number = this.now()): void {
    for (const [kind, { msg, level, count }] of this.counts) {
      if (count > 1) this.logger.log(level, `${msg} (repeated)`, { kind, more: count - 1, windowMs: this.windowMs });
    }
    this.counts.clear();
    this.windowStart = t;
  }
}
