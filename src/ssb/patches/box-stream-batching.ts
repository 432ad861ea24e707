// pull-box-stream 1.0 (secret-handshake's encryption) boxes every muxrpc packet on its own and writes header
// and body separately: two secretbox calls and two socket writes per replicated message. The box stream now
// gets what one turn of the event loop produced, joined (coalesce.ts), and its frames reach the socket as one
// write. The bytes on the wire are still valid box-stream frames (up to 4 KiB each). secret-handshake looks
// createBoxStream up on the module each time it opens a connection, so this one works whenever it is applied.
import { coalesceBuffers, type Read, type Through } from '../coalesce.js';
import type { LibraryPatch } from './patch.js';

/** What the box stream is given at once (it cuts it into 4 KiB frames), and what one socket write may hold. */
export const BOX_INPUT_BYTES = 16 * 1024;
export const BOX_OUTPUT_BYTES = 64 * 1024;

type BoxStreamFactory = (key: Buffer, nonce?: Buffer) => Through<Buffer | string>;

/** pull-box-stream's createBoxStream with its input and output joined per turn of the event loop. */
export function batchedBoxStream(original: BoxStreamFactory): BoxStreamFactory {
  return (key, nonce) => {
    const box = original(key, nonce);
    const input = coalesceBuffers(BOX_INPUT_BYTES);
    const output = coalesceBuffers(BOX_OUTPUT_BYTES);
    return (read: Read<Buffer | string>) => output(box(input(read)));
  };
}

export const boxStreamBatching: LibraryPatch<unknown> = {
  name: 'box-stream-batched',
  package: ['secret-stack', 'multiserver', 'secret-handshake', 'pull-box-stream'],
  versions: '>=1.0.13 <1.1.0',
  why: 'two secretbox calls and two socket writes per replicated message',
  apply({ require, entry }) {
    const boxes = require(entry) as { createBoxStream?: unknown; createEncryptStream?: unknown };
    if (typeof boxes.createBoxStream !== 'function' || boxes.createBoxStream !== boxes.createEncryptStream) {
      return 'createBoxStream is not as read';
    }
    const batched = batchedBoxStream(boxes.createBoxStream as BoxStreamFactory);
    boxes.createBoxStream = batched;
    boxes.createEncryptStream = batched;
    return undefined;
  },
};
