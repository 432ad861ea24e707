// The worker side of WorkerVerifier (verifier.ts): checks batches of ed25519 signatures and hashes message ids
// with the same chloride the SSB libraries use, on a core the event loop of the peer does not run on.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { type Chloride, unpackAndVerify } from './verifier.js';

const { chloridePath, readyFlag } = workerData as { chloridePath: string; readyFlag?: Int32Array };
const chloride = createRequire(import.meta.url)(chloridePath) as Chloride;

parentPort?.on('message', (request: { id: number; count: number; packed: ArrayBuffer }) => {
  const { valid, digests } = unpackAndVerify(chloride, Buffer.from(request.packed), request.count);
  parentPort?.postMessage({ id: request.id, valid, digests }, [
    valid.buffer as ArrayBuffer,
    digests.buffer as ArrayBuffer,
  ]);
});
// The flag first: the parent may be in the middle of a long event-loop iteration and not see the message yet.
if (readyFlag) Atomics.store(readyFlag, 0, 1);
parentPort?.postMessage({ ready: true });
