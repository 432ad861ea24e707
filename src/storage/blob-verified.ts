// What the blob store's checks have already verified, so a boot re-hashes only new or changed files. Each
// blob verified whole is recorded with its file's fingerprint (size, modification and change times, inode):
// a file rewritten or renamed into place has another. The record is only ever a reason to skip work: a lost
// or unreadable record means every file is hashed again, never that one is trusted.
//
// A failing card can change bytes without touching any of that, so an entry is trusted for a while only
// (REVERIFY_AFTER_MS) and a few of the oldest are hashed again at each boot; the read of a whole blob is
// always checked as it streams (blob-guard.ts).
import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../store/atomic-file.js';

export interface FileFingerprint {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export interface VerifiedEntry extends FileFingerprint {
  /** When its bytes were last hashed and matched (ms since the epoch). */
  verifiedAt: number;
}

export const REVERIFY_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

export function fingerprintOf(stats: Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>): FileFingerprint {
  return { size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino };
}

export function sameFile(a: FileFingerprint, b: FileFingerprint): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

export type Verdict = 'trusted' | 'stale' | 'unknown';

/**
 * "trusted": verified and unchanged since, recently enough; "stale": unchanged but verified long ago (hash
 * it when there is time); "unknown": never verified, or changed since (hash it).
 */
export function verdictFor(
  entry: VerifiedEntry | undefined,
  file: FileFingerprint,
  now: number,
  reverifyAfterMs = REVERIFY_AFTER_MS,
): Verdict {
  if (!entry || !sameFile(entry, file)) return 'unknown';
  return now - entry.verifiedAt < reverifyAfterMs ? 'trusted' : 'stale';
}

/** On disk: `{"version":1,"blobs":{"&id.sha256":[size,mtimeMs,ctimeMs,ino,verifiedAt]}}`. */
const VERSION = 1;

export function parseVerifiedRecord(text: string): Map<string, VerifiedEntry> {
  const record = new Map<string, VerifiedEntry>();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return record;
  }
  const { version, blobs } = (json ?? {}) as { version?: unknown; blobs?: unknown };
  if (version !== VERSION || typeof blobs !== 'object' || blobs === null) return record;
  for (const [id, value] of Object.entries(blobs)) {
    if (
      !Array.isArray(value) ||
      value.length !== 5 ||
      !value.every((n) => typeof n === 'number' && Number.isFinite(n))
    ) {
      continue;
    }
    const [size, mtimeMs, ctimeMs, ino, verifiedAt] = value as number[] as [number, number, number, number, number];
    record.set(id, { size, mtimeMs, ctimeMs, ino, verifiedAt });
  }
  return record;
}

export function serializeVerifiedRecord(record: ReadonlyMap<string, VerifiedEntry>): string {
  // fromEntries defines each key as its own property (an assignment to "__proto__" would set the prototype).
  const blobs = Object.fromEntries(
    [...record].map(([id, e]) => [id, [e.size, e.mtimeMs, e.ctimeMs, e.ino, e.verifiedAt]]),
  );
  return JSON.stringify({ version: VERSION, blobs });
}

/** The record on disk, replaced atomically; saved at most once per `saveDelayMs` after a change. */
export class VerifiedRecord {
  private entries = new Map<string, VerifiedEntry>();
  private loaded: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly onSaveError: (error: Error) => void,
    private readonly saveDelayMs = 10_000,
  ) {}

  /** Reads the file once; a missing or unreadable one is an empty record. */
  load(): Promise<void> {
    this.loaded ??= readFile(this.path, 'utf8').then(
      (text) => {
        this.entries = parseVerifiedRecord(text);
      },
      () => undefined,
    );
    return this.loaded;
  }

  get(id: string): VerifiedEntry | undefined {
    return this.entries.get(id);
  }

  get size(): number {
    return this.entries.size;
  }

  set(id: string, entry: VerifiedEntry): void {
    this.entries.set(id, entry);
    this.changed();
  }

  delete(id: string): void {
    if (this.entries.delete(id)) this.changed();
  }

  /** Keeps only the entries of these blobs (files that are gone are forgotten). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.entries.keys()) if (!ids.has(id)) this.delete(id);
  }

  /** Writes it now if it changed (a failed write leaves the record in memory, dirty). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.saving = this.saving.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeFileAtomic(this.path, serializeVerifiedRecord(this.entries));
      } catch (error) {
        this.dirty = true;
        this.onSaveError(error as Error);
      }
    });
    return this.saving;
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.saveDelayMs);
    this.timer.unref();
  }
}
