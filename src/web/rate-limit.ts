// Login attempts: at most 5 failures per client per rolling minute, and at most 30 per minute from all
// clients together (an attacker with many addresses). Past either, attempts are refused without checking
// the password until the oldest failure leaves the window; the answer says how long (Retry-After).
// Pure apart from the clock, which is injected.

export interface LimiterOptions {
  max?: number;
  globalMax?: number;
  windowMs?: number;
  /** Clients remembered at once; beyond this the least recently failing is forgotten. */
  maxTracked?: number;
  now?: () => number;
}

export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterS: number };

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private global: number[] = [];
  private readonly max: number;
  private readonly globalMax: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;

  constructor(options: LimiterOptions = {}) {
    this.max = options.max ?? 5;
    this.globalMax = options.globalMax ?? 30;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxTracked = options.maxTracked ?? 1024;
    this.now = options.now ?? Date.now;
  }

  check(client: string): LimitVerdict {
    const now = this.now();
    const recent = this.prune(client, now);
    this.global = this.global.filter((t) => now - t < this.windowMs);
    const waits: number[] = [];
    if (recent.length >= this.max) waits.push((recent[recent.length - this.max] ?? now) + this.windowMs - now);
    if (this.global.length >= this.globalMax)
      waits.push((this.global[this.global.length - this.globalMax] ?? now) + this.windowMs - now);
    if (waits.length === 0) return { allowed: true };
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil(Math.max(...waits) / 1000)) };
  }

  fail(client: string): void {
    const now = this.now();
    const recent = [...this.prune(client, now), now].slice(-this.max);
    this.failures.delete(client);
    this.failures.set(client, recent);
    while (this.failures.size > this.maxTracked) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
    this.global = [...this.global.filter((t) => now - t < this.windowMs), now].slice(-this.globalMax);
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }

  private prune(client: string, now: number): number[] {
    const kept = (this.failures.get(client) ?? []).filter((t) => now - t < this.windowMs);
    if (kept.length === 0) this.failures.delete(client);
    else this.failures.set(client, kept);
    return kept;
  }
}
