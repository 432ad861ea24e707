// The storage budget, as pure rules: how much of the card Smallworld may fill, when it is "tight" or "full",
// and what may still be written. The shell (space.ts) measures; these decide.
//
// The card also holds the operating system, its logs and updates, so a reserve stays free. By default 5% of
// the file system, between 1 MiB (test file systems of a few tens of MB) and 1 GiB: 400 MiB on an 8 GB card,
// 800 MiB on 16 GB, 1 GiB on 32 GB and larger.

export type StorageState = 'ok' | 'tight' | 'full';

/** What `status --json` shows, exactly these fields. */
export interface StorageReport {
  /** Bytes Smallworld's data directory occupies (photos, the log, indexes, state). */
  usedBytes: number;
  /** Bytes still available on the file system that holds it. */
  freeBytes: number;
  /** Bytes Smallworld may occupy in all: what it uses plus what is free, less the reserve. */
  budgetBytes: number;
  state: StorageState;
}

export const MIN_RESERVE_BYTES = 1024 * 1024;
export const MAX_RESERVE_BYTES = 1024 * 1024 * 1024;
const RESERVE_FRACTION = 0.05;

/**
 * Below this much free space even posts are refused: the database log grows in 64 KiB blocks and its indexes
 * write beside it, and a log that cannot write a block it already promised is what must never happen.
 */
export const POST_FLOOR_BYTES = 512 * 1024;

export function defaultReserveBytes(fileSystemBytes: number): number {
  const share = Math.floor(fileSystemBytes * RESERVE_FRACTION);
  return Math.min(MAX_RESERVE_BYTES, Math.max(MIN_RESERVE_BYTES, share));
}

export interface SpaceReading {
  usedBytes: number;
  freeBytes: number;
  reserveBytes: number;
}

/** The largest photo a peer stores by default (ssb-blobs' 5 MiB). */
export const LARGEST_PHOTO_BYTES = 5 * 1024 * 1024;

/**
 * "full": new photos are not stored (the reserve is reached); "tight": the largest photo, or another
 * reserve's worth, would no longer fit before that.
 */
export function storageReport(
  { usedBytes, freeBytes, reserveBytes }: SpaceReading,
  largestPhotoBytes = LARGEST_PHOTO_BYTES,
): StorageReport {
  const headroom = freeBytes - reserveBytes;
  const state: StorageState =
    headroom <= 0 ? 'full' : headroom < Math.max(reserveBytes, largestPhotoBytes) ? 'tight' : 'ok';
  return {
    usedBytes,
    freeBytes,
    budgetBytes: Math.max(0, usedBytes + freeBytes - reserveBytes),
    state,
  };
}

/** Bytes to free before a photo of `size` fits without eating into the reserve (0: it fits). */
export function shortfallFor(
  size: number,
  { freeBytes, reserveBytes }: Pick<SpaceReading, 'freeBytes' | 'reserveBytes'>,
): number {
  return Math.max(0, reserveBytes + size - freeBytes);
}

export function admitsPost(freeBytes: number): boolean {
  return freeBytes >= POST_FLOOR_BYTES;
}
