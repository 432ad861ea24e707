// Two leaks in the SSB libraries that keep every message a peer ever stored in memory for the life of the
// process (found with heap snapshots while replicating: ~1 KB of heap per message, so a device that
// received 100,000 messages since boot carried ~100 MB more). Both are fixed here, from our side, before
// the libraries load, and only for the pinned versions whose code we read:
//
// - ssb-db2 8.1 `utils.onceWhen(obv, filter, cb)` subscribes to an observable and unsubscribes after the
//   first matching value — except when the value already matches at subscription time (the common case: the
//   database is ready), where the listener runs before its `remove` handle exists and stays subscribed
//   forever. ssb-db2 calls it for every `add`/`addBatch`, so each batch's messages stay referenced. The
//   replacement unsubscribes the way obz (the observable it is used with) provides: returning `false`.
// - ssb-classic 1.1 `getMsgId` memoises message ids in a module-level Map keyed by the message object and
//   never evicts. The replacement keeps the same memo in a WeakMap, so an id lives as long as its message.
//
// Both replacements compute exactly what the originals compute; only what stays reachable changes.
import { createRequire, Module } from 'node:module';

export interface LibraryFixes {
  onceWhen: boolean;
  msgIdCache: boolean;
}

type Obz = (listener: (value: unknown) => unknown) => unknown;

/** ssb-db2's onceWhen without the leak: obz drops a listener that returns false. */
export function onceWhen(obv: Obz | null | undefined, filter: (value: unknown) => boolean, cb: () => void): void {
  if (!obv) {
    cb();
    return;
  }
  let answered = false;
  obv((value) => {
    if (answered) return false;
    if (!filter(value)) return undefined;
    answered = true;
    cb();
    return false;
  });
}

/** ssb-classic's getMsgId with its memo in a WeakMap. */
export function makeGetMsgId(hash: (data: string) => string): (nativeMsg: unknown) => string {
  const ids = new WeakMap<object, string>();
  return (nativeMsg) => {
    const key = typeof nativeMsg === 'object' && nativeMsg !== null ? nativeMsg : null;
    const cached = key ? ids.get(key) : undefined;
    if (cached !== undefined) return cached;
    const id = `%${hash(JSON.stringify(nativeMsg, null, 2))}`;
    if (key) ids.set(key, id);
    return id;
  };
}

let applied: LibraryFixes | null = null;

/** Applies both fixes; must run before ssb-db2 is first loaded (later calls report the first's outcome). */
export function fixLibraryLeaks(): LibraryFixes {
  if (applied) return { ...applied };
  const fixes: LibraryFixes = { onceWhen: false, msgIdCache: false };
  const root = createRequire(import.meta.url);
  const fromDb2 = createRequire(root.resolve('ssb-db2'));
  const version = (fromDb2('./package.json') as { version?: string }).version;
  // ssb-db2's core takes `onceWhen` out of utils when it loads, so the property must be replaced before.
  if (version === '8.1.0' && fromDb2.cache[fromDb2.resolve('./core.js')] === undefined) {
    const utils = fromDb2('./utils.js') as { onceWhen?: unknown };
    if (typeof utils.onceWhen === 'function') {
      utils.onceWhen = onceWhen;
      fixes.onceWhen = true;
    }
  }

  const msgIdPath = fromDb2.resolve('ssb-classic/get-msg-id.js');
  const fromClassic = createRequire(msgIdPath);
  const classicVersion = (fromClassic('./package.json') as { version?: string }).version;
  if (classicVersion === '1.1.0' && fromClassic.cache[msgIdPath] === undefined) {
    const ssbKeys = fromClassic('ssb-keys') as { hash?: unknown };
    if (typeof ssbKeys.hash === 'function') {
      const hash = ssbKeys.hash as (data: string) => string;
      const module = new Module(msgIdPath);
      module.filename = msgIdPath;
      module.loaded = true;
      module.exports = makeGetMsgId(hash);
      fromClassic.cache[msgIdPath] = module;
      fixes.msgIdCache = true;
    }
  }
  applied = fixes;
  return { ...fixes };
}
