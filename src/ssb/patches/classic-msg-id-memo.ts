// ssb-classic 1.1 `getMsgId` memoises message ids in a module-level Map keyed by the message object and never
// evicts: every message ever validated stays in memory. The replacement keeps the same memo in a WeakMap, so
// an id lives as long as its message, and computes exactly what the original computes.

import { isLoaded, type LibraryPatch } from './patch.js';
import { replaceModule } from './replace-module.js';

const msgIds = new WeakMap<object, string>();

/** Tells the getMsgId below a message's id computed elsewhere (classic-validation.ts hashes the same text). */
export function rememberMsgId(msg: object, id: string): void {
  msgIds.set(msg, id);
}

/** ssb-classic's getMsgId with its memo in a WeakMap. */
export function makeGetMsgId(
  hash: (data: string) => string,
  ids: WeakMap<object, string> = msgIds,
): (nativeMsg: unknown) => string {
  return (nativeMsg) => {
    const key = typeof nativeMsg === 'object' && nativeMsg !== null ? nativeMsg : null;
    const cached = key ? ids.get(key) : undefined;
    if (cached !== undefined) return cached;
    const id = `%${hash(JSON.stringify(nativeMsg, null, 2))}`;
    if (key) ids.set(key, id);
    return id;
  };
}

export const classicMsgIdMemo: LibraryPatch<unknown> = {
  name: 'msg-id-memo-weak',
  package: ['ssb-db2', 'ssb-classic'],
  versions: '>=1.1.0 <1.2.0',
  why: 'getMsgId memoises every message id in a Map that never evicts',
  apply({ require }) {
    const path = require.resolve('./get-msg-id.js');
    if (isLoaded(require, path)) return 'ssb-classic/get-msg-id.js was loaded first';
    const ssbKeys = require('ssb-keys') as { hash?: unknown };
    if (typeof ssbKeys.hash !== 'function') return 'ssb-keys has no hash()';
    replaceModule(require, path, makeGetMsgId(ssbKeys.hash as (data: string) => string));
    return undefined;
  },
};
