// Time as a port: the daemon uses the system clock; tests and the simulator drive a manual one.

export type CancelTimer = () => void;

export interface Clock {
  now(): number;
  /**
   * Runs `fn` after `ms`; the returned function cancels it. A pending timer keeps the process alive
   * (code awaits these), so whoever starts one cancels it on shutdown.
   */
  after(ms: number, fn: () => void): CancelTimer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

/** A clock that only moves when told to, for deterministic tests. */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): CancelTimer {
    const id = this.seq++;
    this.pending.set(id, { at: this.time + Math.max(0, ms), fn });
    return () => {
      this.pending.delete(id);
    };
  }

  /** Moves time forward, firing due timers in time order (including ones they schedule). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending) {
        if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      }
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = target;
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}
