// async-append-only-log 4.3 (ssb-db2's log) caches up to 1,024 64-KiB blocks of the log in a quick-lru ("This
// is potentially 64 MiB!" says its source; quick-lru keeps up to twice its maxSize, so 128 MiB), with no
// option to change it. Indexing reads the whole log, so the cache ends up holding all of it: the bulk of the
// peer's memory growth after the two leaks (measured with /proc/PID/smaps). The replacement caps it at
// `LOG_CACHE_BLOCKS`; reads beyond come from the OS page cache.
import { isLoaded, type LibraryPatch } from './patch.js';

/** Blocks of the database log kept in memory: quick-lru holds up to twice this, 64 KiB each (8 MiB). */
export const LOG_CACHE_BLOCKS = 64;

export const logBlockCache: LibraryPatch<unknown> = {
  name: 'log-block-cache-capped',
  package: ['ssb-db2', 'async-append-only-log'],
  versions: '>=4.3.10 <4.4.0',
  why: 'the log caches up to 128 MiB of blocks, with no option to change it',
  apply({ require, entry }) {
    const lruPath = require.resolve('@alloc/quick-lru');
    if (isLoaded(require, entry) || isLoaded(require, lruPath)) {
      return 'async-append-only-log was loaded first';
    }
    // The log is quick-lru's only user here (npm ls @alloc/quick-lru); it constructs one with { maxSize: 1024 }.
    const QuickLRU = require(lruPath) as new (options: { maxSize: number }) => object;
    const Capped = class extends QuickLRU {
      constructor(options: { maxSize: number }) {
        super({ ...options, maxSize: Math.min(options.maxSize, LOG_CACHE_BLOCKS) });
      }
    };
    const lru = require.cache[lruPath];
    if (!lru) return 'quick-lru is not in the module cache';
    lru.exports = Capped;
    return undefined;
  },
};
