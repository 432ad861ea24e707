// async-append-only-log 4.3 (ssb-db2's log) answers an append at once, from memory, and writes its 64 KiB
// blocks later; when that write fails it throws from the callback (`if (err) throw err` in write()), which
// ends the process. On a full card that means a crash loop at each start that replays the same append.
// The blocks it writes are whole (random-access-file continues short writes), so a block that did not get
// onto the disk can simply be written again: the log's file handle (polyraf, used by nothing else in the
// tree) retries a write that failed for lack of space, every second up to every 10 s, until space returns.
// Meanwhile nothing new reaches the indexes (they read only what is written) and `publish` does not answer
// (it waits for the log to drain, durable.ts) — and the storage budget (peer-storage.ts) refuses posts well
// before this point, so this is the last line, not the policy.
import { createRequire } from 'node:module';
import { isStorageFull } from '../../storage/errors.js';
import { replaceModule } from './replace-module.js';

type Callback = (err: Error | null) => void;
interface Raf {
  write(offset: number, data: Buffer, cb?: Callback): void;
  closed?: boolean;
}
type RafFactory = (filename: unknown, options?: unknown) => Raf;

let onFullListener: ((error: Error) => void) | null = null;

/** Told (once per failing write) when the log could not write a block for lack of space. */
export function onLogWriteFull(listener: ((error: Error) => void) | null): void {
  onFullListener = listener;
}

export function retryingRaf(original: RafFactory, delays = { firstMs: 1000, maxMs: 10_000 }): RafFactory {
  return (filename, options) => {
    const raf = original(filename, options);
    if (typeof raf !== 'object' || raf === null || typeof raf.write !== 'function') return raf;
    const write = raf.write.bind(raf);
    raf.write = (offset, data, cb) => {
      let delay = delays.firstMs;
      let told = false;
      const attempt = () =>
        write(offset, data, (err) => {
          if (!err || !isStorageFull(err) || raf.closed) return cb?.(err);
          if (!told) {
            told = true;
            onFullListener?.(err);
          }
          setTimeout(attempt, delay).unref();
          delay = Math.min(delay * 2, delays.maxMs);
        });
      attempt();
    };
    return raf;
  };
}

export const logWriteRetry = {
  name: 'log-write-retry-when-full',
  package: ['ssb-db2', 'async-append-only-log', 'polyraf'] as const,
  versions: '>=1.1.0 <1.2.0' as const,
  why: 'the log throws (ending the process) when a block cannot be written for lack of space',
  apply({ entry, require }: { entry: string; require: NodeJS.Require }): string | undefined {
    const fromDb2 = createRequire(createRequire(import.meta.url).resolve('ssb-db2'));
    if (fromDb2.cache[fromDb2.resolve('async-append-only-log')] !== undefined) {
      return 'async-append-only-log was loaded first';
    }
    const original = require(entry) as RafFactory;
    replaceModule(require, entry, retryingRaf(original));
    return undefined;
  },
};
