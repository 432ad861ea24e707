// Replicated messages reach ssb-db2 through `db.add` one at a time, each waiting for its 250 ms write
// throttle, and a refused batch loses its valid prefix. They go through our queue instead (append-queue.ts):
// valid prefixes of refused batches are kept, nothing waits for the throttle, and every refusal is logged
// without flooding. Messages that are not classic, or calls without a callback, still take ssb-db2's path.
import type ssbDb2 from 'ssb-db2';
import { AppendQueue, RejectionLog } from '../append-queue.js';
import { classicValidator } from './classic-validate-batch.js';
import type { LibraryPatch } from './patch.js';
import type { ServerPatchContext } from './server-context.js';

export const db2AppendQueue: LibraryPatch<ServerPatchContext> = {
  name: 'add-through-append-queue',
  package: ['ssb-db2'],
  versions: '>=8.1.0 <8.2.0',
  why: 'db.add waits for a 250 ms throttle per message and drops the valid prefix of a refused batch',
  apply(_target, { ssb, logger }) {
    const rejections = new RejectionLog(logger);
    const appendQueue = new AppendQueue<ssbDb2.MsgValue, ssbDb2.Msg>(
      (msgs, opts, cb) => ssb.db.addBatch(msgs, opts, cb),
      (rejection) => rejections.record(rejection),
    );
    const validator = classicValidator();
    const addOne = ssb.db.add.bind(ssb.db);
    ssb.db.add = (msgVal: ssbDb2.MsgValue, ...args: unknown[]) => {
      const cb = args.at(-1);
      const classic =
        typeof msgVal === 'object' &&
        msgVal !== null &&
        typeof msgVal.author === 'string' &&
        Number.isInteger(msgVal.sequence);
      if (typeof cb !== 'function' || !classic) return addOne(msgVal, ...args);
      validator?.admit(msgVal);
      appendQueue.add(msgVal, cb as (err: Error | null, msg?: ssbDb2.Msg) => void);
    };
    return undefined;
  },
};
