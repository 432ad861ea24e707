// Keeps the blob store honest. ssb-blobs (multiblob) believes it holds a blob as soon as a file exists under
// its id, so a file whose bytes do not hash to that id (a write that failed before write-file-sink.ts, an
// old version, a bad card) would be served for ever — to the owner, the web page and friends — and never
// fetched again. Such a file is found by a scan at start and whenever it is read, moved aside into
// `blobs-quarantine/` (kept for inspection, not deleted), logged, and wanted again so a friend can supply it.
// What was verified is recorded (storage/blob-verified.ts): the scan at start hashes only files that are new
// or changed since (and a few verified long ago), and a slice is served from a file so verified.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type pull from 'pull-stream';
import type ssbBlobs from 'ssb-blobs';
import type { LogSink } from '../log/logger.js';
import { checkBlobFile, digestOfBlobId } from '../storage/blob-integrity.js';
import { fingerprintOf, REVERIFY_AFTER_MS, VerifiedRecord, verdictFor } from '../storage/blob-verified.js';
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
  /** The record of verified files; `blobs-verified.json` in ssbDir by default. */
  verifiedPath?: string;
  /** Files verified longer ago than this are hashed again... */
  reverifyAfterMs?: number;
  /** ...at most this many per scan (the rest are trusted until a later one). */
  reverifyPerScan?: number;
  now?: () => number;
  /** Hashes a file against its id (a port for tests that count the hashing). */
  checkFile?: typeof checkBlobFile;
}

export interface ScanResult {
  /** Files hashed. */
  checked: number;
  /** Files skipped: verified and unchanged since. */
  trusted: number;
  damaged: string[];
}

/** Files verified long ago hashed again at each scan: a slow sweep for a card's silent decay. */
const REVERIFY_PER_SCAN = 100;

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
  private readonly record: VerifiedRecord;
  private readonly now: () => number;
  private stopped = false;
  /** Set-asides in progress, so two readers of one damaged file move it once. */
  private readonly settingAside = new Map<string, Promise<void>>();

  constructor(private readonly options: BlobGuardOptions) {
    this.quarantineDir = join(options.ssbDir, 'blobs-quarantine');
    this.keep = options.keep ?? 20;
    this.now = options.now ?? Date.now;
    this.record = new VerifiedRecord(options.verifiedPath ?? join(options.ssbDir, 'blobs-verified.json'), (error) =>
      options.logger.log('warn', 'cannot save the record of verified photos; kept in memory', {
        error: error.message,
      }),
    );
  }

  /**
   * Checks one blob's file; a damaged one is set aside. True if it is present and intact. With
   * `trustRecord`, a file verified recently and unchanged since is not hashed again.
   */
  async check(id: string, { trustRecord = false } = {}): Promise<boolean> {
    if (trustRecord && (await this.verdict(id)) === 'trusted') return true;
    return this.hash(id);
  }

  /** Every blob file new or changed since it was last verified, one at a time (the card's bandwidth is shared). */
  async scan(): Promise<ScanResult> {
    await this.record.load();
    const root = join(this.options.ssbDir, 'blobs', 'sha256');
    const reverifyPerScan = this.options.reverifyPerScan ?? REVERIFY_PER_SCAN;
    const result: ScanResult = { checked: 0, trusted: 0, damaged: [] };
    const present = new Set<string>();
    let reverified = 0;
    let complete = true;
    for (const prefix of await readdir(root).catch(() => [] as string[])) {
      for (const rest of await readdir(join(root, prefix)).catch(() => [] as string[])) {
        if (this.stopped) {
          complete = false;
          break;
        }
        const id = blobIdOfPath(prefix, rest);
        if (id === null) continue;
        const verdict = await this.verdict(id);
        if (verdict === 'missing') continue; // removed since the listing (evicted)
        present.add(id);
        if (verdict === 'trusted' || (verdict === 'stale' && reverified >= reverifyPerScan)) {
          result.trusted++;
          continue;
        }
        if (verdict === 'stale') reverified++;
        result.checked++;
        if (!(await this.hash(id).catch(() => true))) result.damaged.push(id);
        // An interrupted scan (a power cut) keeps what it verified.
        if (result.checked % 500 === 0) await this.record.flush();
        if (this.options.scanPauseMs) await new Promise((resolve) => setTimeout(resolve, this.options.scanPauseMs));
      }
    }
    if (complete) this.record.retain(present);
    await this.record.flush();
    return result;
  }

  /** Stops a scan under way and saves the record. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.record.flush();
  }

  private async verdict(id: string): Promise<ReturnType<typeof verdictFor> | 'missing'> {
    await this.record.load();
    const stats = await stat(blobPath(this.options.ssbDir, id)).catch(() => null);
    if (!stats) return 'missing';
    return verdictFor(
      this.record.get(id),
      fingerprintOf(stats),
      this.now(),
      this.options.reverifyAfterMs ?? REVERIFY_AFTER_MS,
    );
  }

  private async hash(id: string): Promise<boolean> {
    const result = await (this.options.checkFile ?? checkBlobFile)(blobPath(this.options.ssbDir, id), id);
    if (result.ok) {
      if (result.fingerprint) this.record.set(id, { ...result.fingerprint, verifiedAt: this.now() });
      return true;
    }
    this.record.delete(id);
    if (!result.missing) await this.setAside(id, result.reason);
    return false;
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
    this.record.delete(id);
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
 * through the guard: a whole blob is hashed as it streams, a slice is served only from a file checked whole
 * (recently, and unchanged since: the record).
 */
export function guardBlobReads(blobs: ssbBlobs.Api, guard: BlobGuard): void {
  blobs.get.hook((original, args) => guard.verifying(requestedId(args[0]), original(...args)));
  blobs.getSlice.hook((original, args) => {
    const id = requestedId(args[0]);
    if (!BLOB_ID.test(id)) return original(...args);
    return deferredSource(
      guard.check(id, { trustRecord: true }).then((intact) => {
        if (!intact) throw new DamagedBlobError(id);
        return original(...args);
      }),
    );
  });
}
