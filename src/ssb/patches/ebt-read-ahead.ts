// ssb-ebt reads each message it sends through ssb-db2's getAtSequenceNativeMsg: one index lookup and one
// event-loop turn per message. Hooked so a feed's messages are read in runs from the log (read-ahead.ts);
// a miss falls back to the original.
import { db2RunSource, decodeStoredRecord, ReadAhead } from '../read-ahead.js';
import type { LibraryPatch } from './patch.js';
import type { ServerPatchContext } from './server-context.js';

export const ebtReadAhead: LibraryPatch<ServerPatchContext> = {
  name: 'send-feeds-in-runs',
  package: ['ssb-db2'],
  versions: '>=8.1.0 <8.2.0',
  why: 'one index lookup per replicated message sent',
  apply({ require }, { ssb }) {
    const getAt = ssb.getAtSequenceNativeMsg;
    if (typeof getAt?.hook !== 'function') return 'no getAtSequenceNativeMsg hook (compat/ebt not in use)';
    const bipf = require('bipf');
    const source = db2RunSource(ssb.db, bipf);
    if (!source) return 'ssb-db2 internals not as read';
    const readAhead = new ReadAhead(source, decodeStoredRecord(bipf));
    getAt.hook((original, args) => {
      const [key, feedFormat, cb] = args;
      const [feed, sequence] = Array.isArray(key) ? key : [];
      if (feedFormat !== 'classic' || typeof feed !== 'string' || !Number.isSafeInteger(sequence)) {
        return original(...args);
      }
      readAhead.get(feed, sequence as number, cb, () => original(...args));
    });
    return undefined;
  },
};
