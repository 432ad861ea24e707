// multiblob reads blobs in 64 KiB chunks through pull-file, which ends a file whose size is a multiple of
// 64 KiB with an empty Buffer. Sent over muxrpc, that empty chunk becomes an empty box-stream frame, i.e. the
// "goodbye" that closes the whole connection: the blob never arrives and replication with that peer drops.
// Blobs are served without empty chunks (muxrpc calls the hooked function for remote requests).
import pull from 'pull-stream';
import type { LibraryPatch } from './patch.js';
import type { ServerPatchContext } from './server-context.js';

export const blobsNoEmptyChunks: LibraryPatch<ServerPatchContext> = {
  name: 'blobs-without-empty-chunks',
  package: ['ssb-blobs', 'multiblob'],
  versions: '>=1.13.0 <1.14.0',
  why: 'a blob whose size is a multiple of 64 KiB ends with an empty chunk, which closes the connection',
  apply(_target, { ssb }) {
    const withoutEmptyChunks = (source: pull.Source<Buffer>) =>
      pull(
        source,
        pull.filter((chunk: Buffer) => !Buffer.isBuffer(chunk) || chunk.length > 0),
      );
    ssb.blobs.get.hook((original, args) => withoutEmptyChunks(original(...args)));
    return undefined;
  },
};
