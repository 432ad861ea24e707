// Measures the card: free space from statfs (cheap, read whenever a decision needs it) and the bytes the
// data directory occupies (a walk, cached and refreshed in the background).
import { statfs as statfsCb } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultReserveBytes, type StorageReport, storageReport } from './budget.js';

export interface FileSystemSpace {
  /** Bytes available to this process's user (statfs bavail). */
  freeBytes: number;
  /** Size of the whole file system. */
  totalBytes: number;
}

export type SpacePort = (dir: string) => Promise<FileSystemSpace>;

export const statfsSpace: SpacePort = (dir) =>
  new Promise((resolve, reject) =>
    statfsCb(dir, (err, stats) => {
      if (err) reject(err);
      else resolve({ freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize });
    }),
  );

/** Bytes the files under `dir` occupy on disk (allocated blocks, not apparent sizes). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    const stats = await lstat(path).catch(() => null);
    if (!stats) return;
    total += stats.blocks * 512;
    if (!stats.isDirectory()) return;
    const names = await readdir(path).catch(() => [] as string[]);
    for (const name of names) await walk(join(path, name));
  };
  await walk(dir);
  return total;
}

export interface StorageMonitorOptions {
  dir: string;
  /** Bytes kept free; the default depends on the file system's size (budget.ts). */
  reserveBytes?: number | undefined;
  space?: SpacePort;
  usage?: (dir: string) => Promise<number>;
  /** How old the data directory's size may be before it is walked again. */
  usageMaxAgeMs?: number;
  now?: () => number;
}

export class StorageMonitor {
  private readonly space: SpacePort;
  private readonly usage: (dir: string) => Promise<number>;
  private readonly usageMaxAgeMs: number;
  private readonly now: () => number;
  private usedBytes = 0;
  private usageAt = Number.NEGATIVE_INFINITY;
  private walking: Promise<void> | null = null;
  private last: FileSystemSpace | null = null;

  constructor(private readonly options: StorageMonitorOptions) {
    this.space = options.space ?? statfsSpace;
    this.usage = options.usage ?? diskUsage;
    this.usageMaxAgeMs = options.usageMaxAgeMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get reserveBytes(): number {
    return this.options.reserveBytes ?? defaultReserveBytes(this.last?.totalBytes ?? 0);
  }

  /** Free space now (one statfs). */
  async free(): Promise<FileSystemSpace & { reserveBytes: number }> {
    this.last = await this.space(this.options.dir);
    return { ...this.last, reserveBytes: this.reserveBytes };
  }

  /** The report, with free space read now and the directory's size at most usageMaxAgeMs old. */
  async report(): Promise<StorageReport> {
    const { freeBytes, reserveBytes } = await this.free();
    if (this.now() - this.usageAt > this.usageMaxAgeMs) {
      this.walking ??= this.usage(this.options.dir)
        .then((bytes) => {
          this.usedBytes = bytes;
          this.usageAt = this.now();
        })
        .finally(() => {
          this.walking = null;
        });
      await this.walking;
    }
    return storageReport({ usedBytes: this.usedBytes, freeBytes, reserveBytes });
  }

  /** Something was written or removed: the next report walks the directory again. */
  invalidate(): void {
    this.usageAt = Number.NEGATIVE_INFINITY;
  }
}
