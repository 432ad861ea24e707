// A peer that receives a big catch-up (100,000 messages) grew to 280–390 MB resident although its live data
// stayed small: measured during the transfer, V8's heap reached 100–125 MB with 30–50 MB live, and Buffers
// outside it (socket reads, box-stream frames, encoded records) 50–118 MB, most of them garbage. V8 collects
// the old generation when the heap has grown by its own heuristics and Buffers only when they have grown by
// 64 MB since the last collection; it does not know that the board has 320 MB for everything. So the peer
// watches its own anonymous resident memory (the part swap-less RAM must hold; file pages the kernel can drop)
// and collects when it passes a budget derived from the memory the board actually has, at most once per
// `minIntervalMs`, and backing off while a collection does not bring it under (the memory is live then).
// It needs `--expose-gc` (the daemon and the installed unit start the peer with it); without it, nothing.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

export interface PressureOptions {
  /** Anonymous resident bytes above which a collection is due. */
  softLimitBytes: number;
  /** The shortest time between two collections. */
  minIntervalMs?: number;
  /** The longest back-off while collections do not help. */
  maxIntervalMs?: number;
  now?: () => number;
}

/** The decision, apart from timers and /proc: given the reading, collect now or not. */
export class PressurePolicy {
  private last = Number.NEGATIVE_INFINITY;
  private interval: number;
  private readonly minInterval: number;
  private readonly maxInterval: number;

  constructor(
    private readonly softLimit: number,
    minIntervalMs = 1000,
    maxIntervalMs = 16_000,
  ) {
    this.minInterval = minIntervalMs;
    this.maxInterval = maxIntervalMs;
    this.interval = minIntervalMs;
  }

  /** Whether to collect, given the anonymous resident bytes now and the time. */
  due(anonBytes: number, now: number): boolean {
    if (anonBytes <= this.softLimit) {
      this.interval = this.minInterval;
      return false;
    }
    if (now - this.last < this.interval) return false;
    this.last = now;
    return true;
  }

  /** After a collection: if it left the memory above the budget, wait longer before the next one. */
  collected(anonBytesAfter: number): void {
    this.interval = anonBytesAfter > this.softLimit ? Math.min(this.maxInterval, this.interval * 2) : this.minInterval;
  }
}

/** Resident anonymous bytes of this process: resident minus file-backed and shared pages (/proc/self/statm). */
export function anonResidentBytes(statm = () => readFileSync('/proc/self/statm', 'utf8'), pageSize = 4096): number {
  const [, resident, shared] = statm().split(' ').map(Number);
  return ((resident ?? 0) - (shared ?? 0)) * pageSize;
}

/**
 * The memory this peer's board has for programs: its cgroup's limit if it runs in one (a systemd unit's
 * MemoryMax, a container, the benchmark's --memory-limit), else the RAM, whichever is smaller.
 */
export function boardMemoryBytes(
  constrained: number = process.constrainedMemory?.() ?? 0,
  total: number = totalmem(),
  override: string | undefined = process.env.SMALLWORLD_BOARD_MEMORY_MB,
): number {
  // Told (SMALLWORLD_BOARD_MEMORY_MB): a board emulated on a bigger machine, or memory kept for other programs.
  const told = override === undefined ? Number.NaN : Number(override) * 1e6;
  if (Number.isFinite(told) && told > 0) return told;
  // libuv reports "no limit" as 0 or as a huge number, depending on the cgroup version.
  return constrained > 0 && constrained < total ? constrained : total;
}

/**
 * The peer's budget for anonymous memory: 30 % of the board's, between 96 and 256 MB (96 MB on a Zero 2 W's
 * 320 MB; an idle peer holding 100,000 messages uses ~85), which leaves the connectivity daemon (~75 MB), file
 * pages and the page cache their room.
 */
export function softLimitFor(boardBytes: number): number {
  const MB = 1024 * 1024;
  return Math.min(256 * MB, Math.max(96 * MB, Math.round(boardBytes * 0.3)));
}

export class PressureCollector {
  private readonly policy: PressurePolicy;
  private timer: NodeJS.Timeout | null = null;
  collections = 0;

  constructor(
    private readonly collect: (() => void) | undefined,
    options: PressureOptions,
    private readonly read: () => number = anonResidentBytes,
  ) {
    this.policy = new PressurePolicy(options.softLimitBytes, options.minIntervalMs, options.maxIntervalMs);
    this.now = options.now ?? Date.now;
  }

  private readonly now: () => number;

  /** Looks at the memory now; collects if it is over budget and a collection is due. */
  check(): void {
    if (!this.collect) return;
    if (!this.policy.due(this.read(), this.now())) return;
    this.collect();
    this.collections++;
    this.policy.collected(this.read());
  }

  /** Checks every `everyMs` (unref'd: it never keeps the process alive). */
  start(everyMs = 250): void {
    if (!this.collect || this.timer) return;
    this.timer = setInterval(() => this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
