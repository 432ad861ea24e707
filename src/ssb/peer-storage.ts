// The SSB peer's side of the storage budget (storage/budget.ts): what may still be written, asked before
// each write rather than learnt from a failure. The owner's photo is refused with "the device's storage is
// full" when it would eat into the reserve (after evicting what the rules allow); photos from friends pause
// once the reserve is reached (the blob write gate); posts, small, flow until a last floor that keeps the
// database log able to write what it has promised.
import type { LogSink } from '../log/logger.js';
import {
  admitsPost,
  LARGEST_PHOTO_BYTES,
  POST_FLOOR_BYTES,
  type StorageReport,
  type StorageState,
  shortfallFor,
  storageReport,
} from '../storage/budget.js';
import { StorageFullError } from '../storage/errors.js';
import { formatBytes } from '../storage/format-bytes.js';
import { StorageMonitor } from '../storage/space.js';
import { setWriteGate } from '../storage/write-file-sink.js';

export interface EvictedBlob {
  blob: string;
  size: number;
  /** Whose post mentioned it, and how far they are in the follow graph. */
  author: string | null;
  hops: number | null;
  at: string;
}

export interface StorageView {
  report: StorageReport;
  reserveBytes: number;
  /** New photos from friends are not fetched while the reserve is reached. */
  photosPaused: boolean;
  /** Even posts are refused (the last floor). */
  postsPaused: boolean;
  /** Recently evicted photos, newest first. */
  evicted: EvictedBlob[];
}

/** Frees at least `bytes` by the eviction rules; returns what it removed. */
export type Evict = (bytes: number) => Promise<EvictedBlob[]>;

export interface PeerStorageOptions {
  /** Where the peer writes (its free space is what counts). */
  ssbDir: string;
  /** The whole data directory, whose size the report shows. */
  reportDir: string;
  /** Blob files are written under here (the gate). */
  blobsDir: string;
  reserveBytes?: number | undefined;
  logger: LogSink;
  evict?: Evict;
  monitor?: StorageMonitor;
  pollMs?: number;
  /** Eviction for friends' photos frees this much beyond the reserve, so it does not run for every photo. */
  evictionHeadroomBytes?: number;
  now?: () => number;
}

/** After an eviction that freed nothing, the rules are not asked again for this long (nothing changed). */
const FRUITLESS_EVICTION_PAUSE_MS = 60_000;

const EVICTED_SHOWN = 20;

export class PeerStorage {
  private readonly monitor: StorageMonitor;
  private readonly usage: StorageMonitor;
  private freeBytes = Number.POSITIVE_INFINITY;
  private ownAdds = 0;
  private readonly evicted: EvictedBlob[] = [];
  private timer: NodeJS.Timeout | null = null;
  private removeGate: (() => void) | null = null;
  private wasPaused = false;
  private readonly resumedListeners: Array<() => void> = [];
  private evicting: Promise<unknown> = Promise.resolve();
  private fruitlessAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: PeerStorageOptions) {
    this.monitor = options.monitor ?? new StorageMonitor({ dir: options.ssbDir, reserveBytes: options.reserveBytes });
    this.usage = new StorageMonitor({ dir: options.reportDir, reserveBytes: options.reserveBytes });
  }

  get reserveBytes(): number {
    return this.monitor.reserveBytes;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.removeGate = setWriteGate(this.options.blobsDir, () => this.gate());
    this.timer = setInterval(
      () =>
        void this.refresh()
          .then(() => this.keepReserve())
          .catch((error: Error) =>
            this.options.logger.log('warn', 'storage: cannot keep the reserve', { error: error.message }),
          ),
      this.options.pollMs ?? 1000,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.removeGate?.();
  }

  async refresh(): Promise<number> {
    const { freeBytes } = await this.monitor.free();
    this.freeBytes = freeBytes;
    const paused = this.photosPaused;
    if (paused !== this.wasPaused) {
      this.wasPaused = paused;
      this.options.logger.log(
        paused ? 'warn' : 'info',
        paused ? 'storage full: photos from friends paused' : 'storage: photos from friends resumed',
        {
          freeBytes,
          reserveBytes: this.reserveBytes,
        },
      );
      if (!paused) for (const listener of this.resumedListeners) listener();
    }
    return freeBytes;
  }

  /** Called when photos from friends were paused and space is back (what was refused can be fetched again). */
  onPhotosResumed(listener: () => void): void {
    this.resumedListeners.push(listener);
  }

  /** The report's state from the last reading of free space. */
  get state(): StorageState {
    return storageReport({ usedBytes: 0, freeBytes: this.freeBytes, reserveBytes: this.reserveBytes }).state;
  }

  /** Something outside the blob store gave bytes back (a compacted log): measure again. */
  reclaimed(): void {
    this.usage.invalidate();
    void this.refresh().catch(() => undefined);
  }

  get photosPaused(): boolean {
    return this.freeBytes <= this.reserveBytes;
  }

  /** Before the owner's photo is written: room is made by eviction if the rules allow, or it is refused. */
  async admitPhoto(size: number): Promise<void> {
    // The post that links the photo must still fit after it (posts stop at POST_FLOOR_BYTES).
    const keep = () => ({ freeBytes: this.freeBytes, reserveBytes: Math.max(this.reserveBytes, POST_FLOOR_BYTES) });
    let free = await this.refresh();
    let shortfall = shortfallFor(size, keep());
    if (shortfall > 0 && this.options.evict) {
      await this.evictSerially(shortfall);
      free = await this.refresh();
      shortfall = shortfallFor(size, keep());
    }
    if (shortfall > 0) {
      throw new StorageFullError(
        `the photo (${formatBytes(size)}) was not stored; ${formatBytes(free)} free, ${formatBytes(this.reserveBytes)} kept in reserve`,
      );
    }
  }

  /** Runs the owner's own blob write: the gate lets it through (it was admitted by admitPhoto). */
  async ownWrite<T>(write: () => Promise<T>): Promise<T> {
    this.ownAdds++;
    try {
      return await write();
    } finally {
      this.ownAdds--;
      this.usage.invalidate();
      void this.refresh().catch(() => undefined);
    }
  }

  async admitPost(): Promise<void> {
    const free = await this.refresh();
    if (!admitsPost(free)) throw new StorageFullError(`the post was not published; ${formatBytes(free)} free`);
  }

  /** Replicated messages, checked against the last reading (refreshed each second and after writes). */
  admitsReplicatedPosts(): boolean {
    return admitsPost(this.freeBytes);
  }

  /**
   * The reserve restored by the eviction rules when friends' photos are paused (and a headroom beyond it);
   * when the rules allow nothing more, photos stay paused and posts still flow.
   */
  async keepReserve(): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    if (!this.photosPaused || now - this.fruitlessAt < FRUITLESS_EVICTION_PAUSE_MS) return;
    const headroom = this.options.evictionHeadroomBytes ?? Math.min(LARGEST_PHOTO_BYTES, this.reserveBytes);
    const evicted = await this.evictSerially(this.reserveBytes + headroom - this.freeBytes);
    if (evicted.length === 0) this.fruitlessAt = now;
    await this.refresh();
  }

  /** One eviction at a time (the owner's photo and the reserve can both ask). */
  private evictSerially(bytes: number): Promise<EvictedBlob[]> {
    const evict = this.options.evict;
    if (!evict || bytes <= 0) return Promise.resolve([]);
    const run = this.evicting.then(() => evict(bytes));
    this.evicting = run.catch(() => undefined);
    return run.then((evicted) => {
      this.remember(evicted);
      return evicted;
    });
  }

  async view(): Promise<StorageView> {
    const report = await this.usage.report();
    return {
      report,
      reserveBytes: this.reserveBytes,
      photosPaused: this.photosPaused,
      postsPaused: !admitsPost(this.freeBytes),
      evicted: [...this.evicted],
    };
  }

  private gate(): Error | null {
    if (this.ownAdds > 0 || !this.photosPaused) return null;
    return new StorageFullError('photos from friends are paused until space is freed');
  }

  private remember(evicted: EvictedBlob[]): void {
    if (evicted.length === 0) return;
    this.usage.invalidate();
    this.evicted.unshift(...evicted.reverse());
    this.evicted.splice(EVICTED_SHOWN);
  }
}
