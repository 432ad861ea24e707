// Anyone on a shared network can mint keys and announce them, thousands a second. Each new key would
// cost a staged peer, an auto-follow decision and a verification dial — and a log line each. The gate
// lets a few new keys through per minute (more than any real meeting brings) and remembers a bounded set
// of keys it admitted; beacons from admitted keys always pass (cooldowns further down handle repeats).

export interface DiscoveryGateOptions {
  /** New keys admitted per minute, on average; also the burst allowed at once. */
  newKeysPerMinute: number;
  /** Keys remembered as admitted; the oldest is forgotten (and should be unstaged) beyond this. */
  tracked: number;
}

export interface Admission {
  admitted: boolean;
  /** Keys forgotten to make room: the caller drops what it holds for them. */
  evicted: string[];
}

export class DiscoveryGate {
  private readonly known = new Map<string, number>();
  private tokens: number;
  private refilledAt: number;
  dropped = 0;

  constructor(
    private readonly options: DiscoveryGateOptions,
    now: number,
  ) {
    this.tokens = options.newKeysPerMinute;
    this.refilledAt = now;
  }

  admit(key: string, now: number): Admission {
    if (this.known.has(key)) {
      // Most recently seen last: Map order is the eviction order.
      this.known.delete(key);
      this.known.set(key, now);
      return { admitted: true, evicted: [] };
    }
    const rate = this.options.newKeysPerMinute / 60_000;
    this.tokens = Math.min(this.options.newKeysPerMinute, this.tokens + Math.max(0, now - this.refilledAt) * rate);
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.dropped++;
      return { admitted: false, evicted: [] };
    }
    this.tokens -= 1;
    this.known.set(key, now);
    return { admitted: true, evicted: this.evictOverflow() };
  }

  /** A key proven by a handshake: admitted without spending the budget for strangers. */
  trust(key: string, now: number): string[] {
    this.known.delete(key);
    this.known.set(key, now);
    return this.evictOverflow();
  }

  /** Forgets the least recently seen keys beyond `tracked`; Map order is the eviction order. */
  private evictOverflow(): string[] {
    const evicted: string[] = [];
    for (const oldest of this.known.keys()) {
      if (this.known.size <= this.options.tracked) break;
      this.known.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }
}
