// "Acknowledged" has to mean "on the disk". ssb-db2's log keeps new records in memory for up to 250 ms
// before it writes and fsyncs them, and ssb-blobs renames a finished blob into place without an fsync, so
// a device that loses power right after saying "published" could lose the very post it confirmed. These
// helpers wait for the data to be synced before the API answers.
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where ssb-blobs (multiblob) keeps a blob: blobs/sha256/<first two hex digits>/<the rest>. */
export function blobPath(ssbDir: string, blobId: string): string {
  const hex = Buffer.from(blobId.slice(1, -'.sha256'.length), 'base64').toString('hex');
  return join(ssbDir, 'blobs', 'sha256', hex.slice(0, 2), hex.slice(2));
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Syncs the blob's file and the directories that name it (the rename is only durable once they are). */
export async function syncBlob(ssbDir: string, blobId: string): Promise<void> {
  const file = blobPath(ssbDir, blobId);
  await fsyncPath(file);
  await fsyncPath(dirname(file));
  await fsyncPath(dirname(dirname(file)));
}
