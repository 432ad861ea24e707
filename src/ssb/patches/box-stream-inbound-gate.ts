// Nothing between the socket and the database slows a sender down (inbound-gate.ts), so what peers send us
// passes the process's inbound gate right after decryption: while the gate is closed the connection is not
// read, and TCP holds the sender back. secret-handshake looks createUnboxStream up on the module each time it
// opens a connection, so this works whenever it is applied.
import type { Read, Through } from '../coalesce.js';
import { inboundGate } from '../inbound-gate.js';
import type { LibraryPatch } from './patch.js';

type BoxStreamFactory = (key: Buffer, nonce?: Buffer) => Through<Buffer | string>;

/** pull-box-stream's createUnboxStream, read only while the inbound gate is open. */
export function gatedUnboxStream(original: BoxStreamFactory, gate = inboundGate): BoxStreamFactory {
  return (key, nonce) => {
    const unbox = original(key, nonce);
    const wait = gate.through<Buffer | string>();
    return (read: Read<Buffer | string>) => unbox(wait(read));
  };
}

export const boxStreamInboundGate: LibraryPatch<unknown> = {
  name: 'unbox-stream-gated',
  package: ['secret-stack', 'multiserver', 'secret-handshake', 'pull-box-stream'],
  versions: '>=1.0.13 <1.1.0',
  why: 'nothing slows a sender down while the database log falls behind writing (memory piles up)',
  apply({ require, entry }) {
    const boxes = require(entry) as { createUnboxStream?: unknown; createDecryptStream?: unknown };
    if (typeof boxes.createUnboxStream !== 'function' || boxes.createUnboxStream !== boxes.createDecryptStream) {
      return 'createUnboxStream is not as read';
    }
    const gated = gatedUnboxStream(boxes.createUnboxStream as BoxStreamFactory);
    boxes.createUnboxStream = gated;
    boxes.createDecryptStream = gated;
    return undefined;
  },
};
