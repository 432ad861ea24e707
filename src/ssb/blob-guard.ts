// Keeps the blob store honest: a file whose bytes do not hash to its id is found — by a scan at start, and
// whenever it is read (served to a friend or shown here) — moved aside into `blobs-quarantine/`, logged, and
// wanted again so a friend can supply the real one.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type pull from 'pull-stream';
import type { LogSink } from '../log/logger.js';
import { checkBlobFile, digestOfBlobId } from '../storage/blob-integrity.js';
import { blobPath } from './durable.js';
import { BLOB_ID } from './ids.js';

export interface BlobGuardOptions {
  /** The SSB data directory (blobs in `blobs/sha256/`). */
  ssbDir: string;
  logger: LogSink;
  /** Asks friends for the blob again (blob-wants.ts). */
  wantAgain: (id: string) => void;
  /** Damaged files kept for inspection; older ones are deleted. */
  keep?: number;
}

export interface ScanResult {
  checked: number;
  damaged: string[];
}

export class DamagedBlobError extends Error {
  constructor(readonly blob: string) {
    super(`blob ${blob} was damaged on this device; it has been set aside and is being fetched again from friends`);
    this.name = 'DamagedBlobError';
  }
}

export class BlobGuard {
  readonly quarantineDir: string;
  private readonly keep: number;
  private stopped = false;

  constructor(private readonly options: BlobGuardOptions) {
    this.quarantineDir = join(options.ssbDir, 'blobs-quarantine');
    this.keep = options.keep ?? 20;
  }

  /** Checks one blob's file; a damaged one is set aside. True if it is present and intact. */
  async check(id: string): Promise<boolean> {
    const result = await checkBlobFile(blobPath(this.options.ssbDir, id), id);
    if (result.ok) return true;
    if (!result.missing) await this.setAside(id, result.reason);
    return false;
  }

  /** Every blob file, one at a time (the card's bandwidth is shared with replication). */
  async scan(): Promise<ScanResult> {
    const root = join(this.options.ssbDir, 'blobs', 'sha256');
    const damaged: string[] = [];
    let checked = 0;
    for (const prefix of await readdir(root).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const rest of await readdir(join(root, prefix)).catch(() => [] as string[])) {
        if (this.stopped) return { checked, damaged };
        if (!/^[0-9a-f]{62}$/.test(rest)) continue;
        const id = `&${Buffer.from(prefix + rest, 'hex').toString('base64')}.sha256`;
        checked++;
        if (!(await this.check(id).catch(() => true))) damaged.push(id);
      }
    }
    return { checked, damaged };
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Passes a whole blob's bytes through, hashing them; if they do not match the id, the stream ends with a
   * DamagedBlobError instead of its end (a friend fetching it drops what it got) and the file is set aside.
   */
  verifying(id: string, source: pull.Source<Buffer>): pull.Source<Buffer> {
    if (!BLOB_ID.test(id)) return source;
    const hash = createHash('sha256');
    let ended = false;
    return (abort, cb) => {
      source(abort, (end, data) => {
        if (end === true && !ended) {
          ended = true;
          if (hash.digest().equals(digestOfBlobId(id))) return cb(true);
          void this.setAside(id, 'its bytes do not hash to its id (found while reading it)');
          return cb(new DamagedBlobError(id));
        }
        if (end) return cb(end);
        if (Buffer.isBuffer(data)) hash.update(data);
        cb(null, data);
      });
    };
  }

  private async setAside(id: string, reason: string): Promise<void> {
    const from = blobPath(this.options.ssbDir, id);
    const hex = digestOfBlobId(id).toString('hex');
    const to = join(this.quarantineDir, `${hex}.${Date.now()}`);
    try {
      await mkdir(this.quarantineDir, { recursive: true, mode: 0o700 });
      await rename(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // set aside already (two readers)
      // Cannot move it (a read-only card): removing it is what stops it being served.
      await rm(from, { force: true });
    }
    this.options.logger.log('warn', 'a damaged photo was set aside and will be fetched again', {
      blob: id,
      reason,
      keptAs: to,
    });
    this.options.wantAgain(id);
    await this.prune();
  }

  private async prune(): Promise<void> {
    const names = (await readdir(this.quarantineDir).catch(() => [] as string[])).sort(
      (a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]),
    );
    for (const name of names.slice(0, Math.max(0, names.length - this.keep))) {
      await rm(join(this.quarantineDir, name), { force: true });
    }
  }
}
