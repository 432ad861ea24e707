// multiblob 1.13 moves a finished blob from its temporary file into blobs/sha256/<2 hex>/ after
// `mkdirp(dir).then(rename)`, with no handler for a rejection. When that directory is new and the card is
// full, mkdir fails with ENOSPC, the rejection is unhandled, and Node.js ends the whole peer: the full-card
// test saw the photos in flight answered with "the SSB peer closed the connection" and the peer restarted.
// A directory costs a block, so the peer makes all 256 of them while it starts (nothing when they exist);
// afterwards a blob's move never needs new space for its directory. (Reported upstream in spirit: multiblob's
// index.js `mkdirp(path.dirname(p)).then(...)` has no catch.)
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The 256 two-hex-digit directories multiblob puts sha256 blobs in. */
export function blobPrefixes(): string[] {
  return Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
}

/**
 * Creates every prefix directory under `<ssbDir>/blobs/sha256` that is missing (one directory read when all
 * are there). Returns how many could not be made (a full card at start): those are tried again at next start.
 */
export async function ensureBlobDirectories(ssbDir: string): Promise<{ failed: number; error: string | null }> {
  const root = join(ssbDir, 'blobs', 'sha256');
  let failed = 0;
  let error: string | null = null;
  await mkdir(root, { recursive: true }).catch(() => undefined);
  const present = new Set(await readdir(root).catch(() => [] as string[]));
  await Promise.all(
    blobPrefixes()
      .filter((prefix) => !present.has(prefix))
      .map((prefix) =>
        mkdir(join(root, prefix), { recursive: true }).catch((e: Error) => {
          failed++;
          error ??= e.message;
        }),
      ),
  );
  return { failed, error };
}
