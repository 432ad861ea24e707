// Whether a blob file holds what its name says. A blob's id is the sha256 of its bytes, and ssb-blobs
// (multiblob) believes it has a blob as soon as a file exists under that name, so a file with the wrong
// bytes (a failed write before the fix in write-file-sink.ts, a bad card) is served for ever and never
// fetched again. These find such files.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { unlessMissing } from '../store/missing.js';
import { type FileFingerprint, fingerprintOf, sameFile } from './blob-verified.js';

/** `&<base64 sha256>.sha256`, the id of these bytes. */
export function blobIdOf(bytes: Uint8Array): string {
  return `&${createHash('sha256').update(bytes).digest('base64')}.sha256`;
}

/** The sha256 digest a blob id names. */
export function digestOfBlobId(id: string): Buffer {
  return Buffer.from(id.slice(1, -'.sha256'.length), 'base64');
}

export type BlobCheck =
  /** `fingerprint`: the file's, when it did not change while it was hashed (else null). */
  | { ok: true; size: number; fingerprint: FileFingerprint | null }
  | { ok: false; missing: true }
  | { ok: false; missing: false; reason: string };

/** Hashes the file; `expectedSize`, when known (a post's mention), is checked first. */
export async function checkBlobFile(path: string, id: string, expectedSize?: number): Promise<BlobCheck> {
  const stats = await unlessMissing(stat(path));
  if (!stats) return { ok: false, missing: true };
  if (expectedSize !== undefined && stats.size !== expectedSize) {
    return { ok: false, missing: false, reason: `${stats.size} bytes where ${expectedSize} were expected` };
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  if (!hash.digest().equals(digestOfBlobId(id))) {
    return { ok: false, missing: false, reason: `its ${size} bytes do not hash to its id` };
  }
  const before = fingerprintOf(stats);
  const after = await stat(path).then(fingerprintOf, () => null);
  return { ok: true, size, fingerprint: after && sameFile(before, after) && after.size === size ? after : null };
}
