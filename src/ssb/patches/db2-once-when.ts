// ssb-db2 8.1 `utils.onceWhen(obv, filter, cb)` subscribes to an observable and unsubscribes after the first
// matching value — except when the value already matches at subscription time (the common case: the database
// is ready), where the listener runs before its `remove` handle exists and stays subscribed forever. ssb-db2
// calls it for every `add`/`addBatch`, so each batch's messages stay referenced (~1 KB of heap per message
// received since boot, found with heap snapshots). The replacement unsubscribes the way obz (the observable
// it is used with) provides: returning `false`. Its core takes `onceWhen` out of utils when it loads, so the
// property must be replaced before.
import { isLoaded, type LibraryPatch } from './patch.js';

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

export const db2OnceWhen: LibraryPatch<unknown> = {
  name: 'once-when-unsubscribes',
  package: ['ssb-db2'],
  versions: '>=8.1.0 <8.2.0',
  why: 'onceWhen leaks a listener (and the messages of every add) when the value already matches',
  apply({ require }) {
    if (isLoaded(require, require.resolve('./core.js'))) return 'ssb-db2 was loaded first';
    const utils = require('./utils.js') as { onceWhen?: unknown };
    if (typeof utils.onceWhen !== 'function') return 'utils.onceWhen is not a function';
    utils.onceWhen = onceWhen;
    return undefined;
  },
};
