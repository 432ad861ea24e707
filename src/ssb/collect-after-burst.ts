// V8 collects garbage when it allocates, not when it is idle: after replicating 100,000 messages the peer sat at
// 230 MB resident, of which a full collection (a heap snapshot forces one) gave back half (~116 MB after).
// On a small board that memory matters more than the ~0.1–1 s of CPU one collection costs once a burst is over,
// so after at least `threshold` messages were stored and none for `quietMs`, the peer collects; and once more
// `followUpMs` later if nothing was stored meanwhile: the first collection comes while the indexes are still
// catching up with the burst and the signature worker is still there (holding 100,100 messages, settled
// resident memory over 3 runs 196–250 MB with the first only, 145–159 MB with both).
// It needs `--expose-gc` (the daemon and the installed unit start the peer with it); without it, nothing.

export interface CollectOptions {
  threshold?: number;
  quietMs?: number;
  followUpMs?: number;
  now?: () => number;
}

export class CollectAfterBurst {
  private stored = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private followUp: NodeJS.Timeout | null = null;
  private readonly threshold: number;
  private readonly quietMs: number;
  private readonly followUpMs: number;
  private readonly now: () => number;
  collections = 0;

  constructor(
    private readonly collect: (() => void) | undefined,
    options: CollectOptions = {},
  ) {
    this.threshold = options.threshold ?? 2_000;
    this.quietMs = options.quietMs ?? 1_000;
    this.followUpMs = options.followUpMs ?? 3_000;
    this.now = options.now ?? Date.now;
  }

  /** One message stored. */
  added(): void {
    if (!this.collect) return;
    if (this.followUp) {
      clearTimeout(this.followUp);
      this.followUp = null;
    }
    this.stored++;
    this.lastAt = this.now();
    if (this.stored >= this.threshold && !this.timer) this.wait(this.quietMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.followUp) clearTimeout(this.followUp);
    this.timer = null;
    this.followUp = null;
  }

  private wait(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const quietFor = this.now() - this.lastAt;
      if (quietFor < this.quietMs) {
        this.wait(this.quietMs - quietFor);
        return;
      }
      this.stored = 0;
      this.collections++;
      this.collect?.();
      this.followUp = setTimeout(() => {
        this.followUp = null;
        this.collections++;
        this.collect?.();
      }, this.followUpMs);
      this.followUp.unref();
    }, ms);
    this.timer.unref();
  }
}

/** The collector `--expose-gc` gives, if the process has it. */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
}
