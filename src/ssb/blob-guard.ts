// Keeps the blob store honest. ssb-blobs (multiblob) believes it holds a blob as soon as a file exists under
// its id, so a file whose bytes do not hash to that id (a write that failed before write-file-sink.ts, an
// old version, a bad card) would be served for ever — to the owner, the web page and friends — and never
// fetched again. Such a file is found by a scan at start and whenever it is read, moved aside into
// `blobs-quarantine/` (kept for inspection, not deleted), logged, and wanted again so a friend can supply it.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type pull from 'pull-stream';
import type ssbBlobs from 'ssb-blobs';
import type { LogSink } from '../log/logger.js';
import { checkBlobFile, digestOfBlobId } from '../storage/blob-integrity.js';
import { isMissing } from '../store/missing.js';
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
  /** Pause between two files of the start scan, so replication and the web page keep the card's bandwidth. */
  scanPauseMs?: number;
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

/** `&<base64>.sha256` from a file's place under blobs/sha256/<2 hex>/<62 hex>. */
export function blobIdOfPath(prefix: string, rest: string): string | null {
  if (!/^[0-9a-f]{2}$/.test(prefix) || !/^[0-9a-f]{62}$/.test(rest)) return null;
  return `&${Buffer.from(prefix + rest, 'hex').toString('base64')}.sha256`;
}

export class BlobGuard {
  readonly quarantineDir: string;
  private readonly keep: number;
  private stopped = false;
  /** Set-asides in progress, so two readers of one damaged file move it once. */
  private readonly settingAside = new Map<string, Promise<void>>();

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
      for (const rest of await readdir(join(root, prefix)).catch(() => [] as string[])) {
        if (this.stopped) return { checked, damaged };
        const id = blobIdOfPath(prefix, rest);
        if (id === null) continue;
        checked++;
        if (!(await this.check(id).catch(() => true))) damaged.push(id);
        if (this.options.scanPauseMs) await new Promise((resolve) => setTimeout(resolve, this.options.scanPauseMs));
      }
    }
    return { checked, damaged };
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Passes a whole blob's bytes through, hashing them; if they do not match the id, the stream ends with a
   * DamagedBlobError instead of its end (a friend fetching it drops what it got: multiblob checks the hash
   * of what it receives) and the file is set aside. A reader that stops early is not judged.
   */
  verifying(id: string, source: pull.Source<Buffer>): pull.Source<Buffer> {
    if (!BLOB_ID.test(id)) return source;
    const hash = createHash('sha256');
    let judged = false;
    return (abort, cb) => {
      if (abort) {
        judged = true;
        return source(abort, cb);
      }
      source(null, (end, data) => {
        if (end === true && !judged) {
          judged = true;
          if (hash.digest().equals(digestOfBlobId(id))) return cb(true);
          // The error comes once the file is aside: a reader that then wants the blob finds it missing.
          void this.setAside(id, 'its bytes do not hash to its id (found while reading it)')
            .catch(() => undefined)
            .then(() => cb(new DamagedBlobError(id)));
          return;
        }
        if (end) return cb(end);
        if (Buffer.isBuffer(data)) hash.update(data);
        cb(null, data);
      });
    };
  }

  /** A damaged blob's file goes aside (once, even with several readers) and the blob is wanted again. */
  setAside(id: string, reason: string): Promise<void> {
    const pending = this.settingAside.get(id);
    if (pending) return pending;
    const done = this.moveAside(id, reason).finally(() => this.settingAside.delete(id));
    this.settingAside.set(id, done);
    return done;
  }

  private async moveAside(id: string, reason: string): Promise<void> {
    const from = blobPath(this.options.ssbDir, id);
    // A reader of the old file can finish after a friend's good copy was renamed into place: look again.
    const now = await checkBlobFile(from, id).catch(() => ({ ok: false, missing: false }) as const);
    if (now.ok) return;
    if (!now.missing) {
      const hex = digestOfBlobId(id).toString('hex');
      const to = join(this.quarantineDir, `${hex}.${Date.now()}`);
      try {
        await mkdir(this.quarantineDir, { recursive: true, mode: 0o700 });
        await rename(from, to);
        this.options.logger.log('warn', 'a damaged blob was set aside and will be fetched again from friends', {
          blob: id,
          reason,
          keptAs: to,
        });
      } catch (error) {
        if (!isMissing(error)) {
          // Cannot move it (a read-only directory): removing it is what stops it being served.
          await rm(from, { force: true });
          this.options.logger.log('warn', 'a damaged blob was removed and will be fetched again from friends', {
            blob: id,
            reason,
            error: (error as Error).message,
          });
        }
      }
      await this.prune();
    }
    this.options.wantAgain(id);
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

type BlobRequest = string | { key?: unknown; id?: unknown } | undefined;

function requestedId(request: BlobRequest): string {
  if (typeof request === 'string') return request;
  const id = request?.key ?? request?.id;
  return typeof id === 'string' ? id : '';
}

/** A source that starts once `ready` settles (an error settles it as an error). */
function deferredSource<T>(ready: Promise<pull.Source<T>>): pull.Source<T> {
  return (abort, cb) => {
    ready.then(
      (source) => source(abort, cb),
      (error: Error) => cb(error),
    );
  };
}

/**
 * Every read of a blob, ours or a friend's (muxrpc calls the hooked functions for remote requests), goes
 * through the guard: a whole blob is hashed as it streams, a slice is served only from a file checked whole.
 */
export function guardBlobReads(blobs: ssbBlobs.Api, guard: BlobGuard): void {
  blobs.get.hook((original, args) => guard.verifying(requestedId(args[0]), original(...args)));
  blobs.getSlice.hook((original, args) => {
    const id = requestedId(args[0]);
    if (!BLOB_ID.test(id)) return original(...args);
    return deferredSource(
      guard.check(id).then((intact) => {
        if (!intact) throw new DamagedBlobError(id);
        return original(...args);
      }),
    );
  });
}
