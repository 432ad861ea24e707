// The SSB peer's photos, as its local API offers them (peer-api.ts): added with the size limit and the
// storage budget checked, written durably and verified on the card; read intact or asked of friends.
import pull from 'pull-stream';
import { checkBlobFile } from '../storage/blob-integrity.js';
import { asStorageError } from '../storage/errors.js';
import { DamagedBlobError } from './blob-guard.js';
import { callback } from './callback.js';
import { blobPath, syncBlob } from './durable.js';
import { BLOB_ID } from './ids.js';
import type { SsbServer } from './libraries.js';
import type { SsbPeer } from './peer-api.js';
import type { PeerStorage } from './peer-storage.js';
import { collect, fromAsyncIterable } from './pull.js';

export function blobApi(parts: {
  ssb: SsbServer;
  dataDir: string;
  blobsMaxBytes: number;
  storage: PeerStorage;
}): Pick<SsbPeer, 'addBlob' | 'getBlob' | 'hasBlob'> {
  const { ssb, dataDir, blobsMaxBytes } = parts;
  const checkBlob = (id: string) => {
    if (!BLOB_ID.test(id)) throw new TypeError(`not a blob id: ${id}`);
  };
  const hasBlob = async (id: string) => {
    checkBlob(id);
    return (await callback<boolean>((cb) => ssb.blobs.has(id, cb))) === true;
  };
  return {
    async addBlob(data: Uint8Array | AsyncIterable<Uint8Array>) {
      const tooLarge = () => new RangeError(`blob is larger than the limit of ${blobsMaxBytes} bytes`);
      if (data instanceof Uint8Array && data.byteLength > blobsMaxBytes) throw tooLarge();
      const source = data instanceof Uint8Array ? pull.values([Buffer.from(data)]) : fromAsyncIterable(data);
      // Count ourselves so a stream that is too long fails with a clear error (ssb-blobs' own is wrapped
      // as "could not write to tmpfile") and the temporary file is dropped by ssb-blobs.
      let size = 0;
      let overflow: RangeError | null = null;
      const counted = pull(
        source,
        pull.filter((chunk: Buffer) => {
          size += chunk.length;
          if (size > blobsMaxBytes) overflow ??= tooLarge();
          return true;
        }),
      );
      // Refused up front when it would eat into the reserve (storage/budget.ts).
      await parts.storage.admitPhoto(data instanceof Uint8Array ? data.byteLength : 0);
      const id = await parts.storage.ownWrite(async () => {
        try {
          return await new Promise<string>((resolve, reject) => {
            pull(
              counted,
              ssb.blobs.add((err, blobId) => {
                if (overflow) reject(overflow);
                else if (err) reject(err);
                else if (blobId) resolve(blobId);
                else reject(new Error('ssb-blobs returned no blob id'));
              }),
            );
          });
        } catch (error) {
          // multiblob wraps the write's error ("could not write to tmpfile"); the owner reads "storage full".
          throw asStorageError(error, 'the photo was not stored');
        }
      });
      // The file under its id must hold exactly what was given (the write path is ours, but a card can lie).
      const check = await checkBlobFile(blobPath(dataDir, id), id, size);
      if (!check.ok) {
        throw new Error(`the photo was not stored intact (${check.missing ? 'missing after writing' : check.reason})`);
      }
      await syncBlob(dataDir, id);
      return id;
    },
    async getBlob(id: string, getOptions: { timeoutMs?: number } = {}) {
      // A damaged file is set aside while it is read (the guard's hook on blobs.get): then it is missing,
      // and a friend is asked for it like any missing blob.
      const readIntact = async (): Promise<Buffer | null> => {
        if (!(await hasBlob(id))) return null;
        try {
          return Buffer.concat(await collect(ssb.blobs.get(id)));
        } catch (error) {
          if (error instanceof DamagedBlobError || !(await hasBlob(id))) return null;
          throw error;
        }
      };
      const held = await readIntact();
      if (held) return held;
      const timeoutMs = getOptions.timeoutMs ?? 30_000;
      const notFound = () => new Error(`blob ${id} not found within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          callback<boolean>((cb) => ssb.blobs.want(id, cb)),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(notFound()), timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      const fetched = await readIntact();
      if (!fetched) throw notFound();
      return fetched;
    },
    hasBlob,
  };
}
