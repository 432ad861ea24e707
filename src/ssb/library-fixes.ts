// Memory the SSB libraries keep that grows with the database, fixed here from our side before the libraries
// load, and only for the pinned versions whose code we read. Two are leaks that keep every message a peer
// ever stored in memory for the life of the process (found with heap snapshots while replicating: ~1 KB of
// heap per message, ~100 MB on a device that received 100,000 messages since boot); one is a cache:
//
// - ssb-db2 8.1 `utils.onceWhen(obv, filter, cb)` subscribes to an observable and unsubscribes after the
//   first matching value — except when the value already matches at subscription time (the common case: the
//   database is ready), where the listener runs before its `remove` handle exists and stays subscribed
//   forever. ssb-db2 calls it for every `add`/`addBatch`, so each batch's messages stay referenced. The
//   replacement unsubscribes the way obz (the observable it is used with) provides: returning `false`.
// - ssb-classic 1.1 `getMsgId` memoises message ids in a module-level Map keyed by the message object and
//   never evicts. The replacement keeps the same memo in a WeakMap, so an id lives as long as its message.
// - async-append-only-log 4.3 (ssb-db2's log) caches up to 1,024 64-KiB blocks of the log in a quick-lru
//   ("This is potentially 64 MiB!" says its source; quick-lru keeps up to twice its maxSize, so 128 MiB),
//   with no option to change it. Indexing reads the whole log, so the cache ends up holding all of it: the
//   bulk of the memory growth that remained after the two leaks (measured with /proc/PID/smaps). The
//   replacement caps it at `LOG_CACHE_BLOCKS` (reads beyond come from the OS page cache).
//
// The replacements compute exactly what the originals compute; only what stays in memory changes. Two more
// fixes are about time, not memory:
//
// - pull-box-stream 1.0 (secret-handshake's encryption) boxes every muxrpc packet on its own and writes
//   header and body separately: two secretbox calls and two socket writes per replicated message. The box
//   stream now gets what one turn of the event loop produced, joined (coalesce.ts), and its frames reach the
//   socket as one write. The bytes on the wire are still valid box-stream frames (up to 4 KiB each).
// - ssb-conn 6.0 drops every connection (`hub().reset()`) whenever the list of network addresses changes,
//   polled each second (on-change-network-strict). A network *appearing* — the link coming up when two
//   people meet, or the device joining a second Wi-Fi while phones are on its access point — then cuts the
//   connections just made or still good: in the meet benchmark the fresh connection was dropped and re-made
//   about a second later. The replacement reports a change only when an address we had is gone (a
//   connection over it is stale), which is the case the reset is for.
import { createRequire, Module } from 'node:module';
import { networkInterfaces } from 'node:os';
import { coalesceBuffers, type Read, type Through } from './coalesce.js';
import { inboundGate } from './inbound-gate.js';

export interface LibraryFixes {
  onceWhen: boolean;
  msgIdCache: boolean;
  logCache: boolean;
  networkReset: boolean;
  boxBatching: boolean;
}

/** What the box stream is given at once (it cuts it into 4 KiB frames), and what one socket write may hold. */
export const BOX_INPUT_BYTES = 16 * 1024;
export const BOX_OUTPUT_BYTES = 64 * 1024;

type BoxStreamFactory = (key: Buffer, nonce?: Buffer) => Through<Buffer | string>;

/** pull-box-stream's createUnboxStream, read only while the inbound gate is open. */
export function gatedUnboxStream(original: BoxStreamFactory, gate = inboundGate): BoxStreamFactory {
  return (key, nonce) => {
    const unbox = original(key, nonce);
    const wait = gate.through<Buffer | string>();
    return (read: Read<Buffer | string>) => unbox(wait(read));
  };
}

/** pull-box-stream's createBoxStream with its input and output joined per turn of the event loop. */
export function batchedBoxStream(original: BoxStreamFactory): BoxStreamFactory {
  return (key, nonce) => {
    const box = original(key, nonce);
    const input = coalesceBuffers(BOX_INPUT_BYTES);
    const output = coalesceBuffers(BOX_OUTPUT_BYTES);
    return (read: Read<Buffer | string>) => output(box(input(read)));
  };
}

/** Blocks of the database log kept in memory: quick-lru holds up to twice this, 64 KiB each (8 MiB). */
export const LOG_CACHE_BLOCKS = 64;

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

/** The non-internal addresses of the interfaces that are up, as `interface/address`. */
function currentAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    for (const info of infos ?? []) if (!info.internal) addresses.add(`${name}/${info.address}`);
  }
  return addresses;
}

/**
 * on-change-network-strict's interface (`(onNetwork, ref?) => void`, polled each second), reporting only
 * addresses that went away; `current` is for tests.
 */
export function onAddressGone(
  onNetwork: (addresses: string) => void,
  ref?: boolean,
  current: () => Set<string> = currentAddresses,
  intervalMs = 1000,
): NodeJS.Timeout {
  let known = current();
  const timer = setInterval(() => {
    const now = current();
    const gone = [...known].some((address) => !now.has(address));
    known = now;
    if (gone) onNetwork([...now].join(','));
  }, intervalMs);
  if (!ref) timer.unref();
  return timer;
}

let applied: LibraryFixes | null = null;

/** The version of a package as `req` resolves it (these old packages have no `exports` map). */
function versionOf(req: NodeJS.Require, name: string): string | undefined {
  return (req(`${name}/package.json`) as { version?: string }).version;
}

/**
 * Applies the fixes; must run before the libraries are first loaded (later calls report the first call's
 * outcome). Never throws: a fix that cannot be applied is reported as false and the library is left as is.
 */
export function fixLibraryMemory(): LibraryFixes {
  if (applied) return { ...applied };
  const fixes: LibraryFixes = {
    onceWhen: false,
    msgIdCache: false,
    logCache: false,
    networkReset: false,
    boxBatching: false,
  };
  const attempt = (fix: keyof LibraryFixes, apply: () => boolean) => {
    try {
      fixes[fix] = apply();
    } catch {
      fixes[fix] = false;
    }
  };
  const root = createRequire(import.meta.url);
  const fromDb2 = createRequire(root.resolve('ssb-db2'));

  // ssb-db2's core takes `onceWhen` out of utils when it loads, so the property must be replaced before.
  attempt('onceWhen', () => {
    if (versionOf(root, 'ssb-db2') !== '8.1.0' || fromDb2.cache[fromDb2.resolve('./core.js')] !== undefined) {
      return false;
    }
    const utils = fromDb2('./utils.js') as { onceWhen?: unknown };
    if (typeof utils.onceWhen !== 'function') return false;
    utils.onceWhen = onceWhen;
    return true;
  });

  attempt('msgIdCache', () => {
    const msgIdPath = fromDb2.resolve('ssb-classic/get-msg-id.js');
    const fromClassic = createRequire(msgIdPath);
    if (versionOf(fromDb2, 'ssb-classic') !== '1.1.0' || fromClassic.cache[msgIdPath] !== undefined) return false;
    const ssbKeys = fromClassic('ssb-keys') as { hash?: unknown };
    if (typeof ssbKeys.hash !== 'function') return false;
    const hash = ssbKeys.hash as (data: string) => string;
    replaceModule(fromClassic, msgIdPath, makeGetMsgId(hash));
    return true;
  });

  attempt('logCache', () => {
    const logPath = fromDb2.resolve('async-append-only-log');
    const fromLog = createRequire(logPath);
    const lruPath = fromLog.resolve('@alloc/quick-lru');
    if (versionOf(fromDb2, 'async-append-only-log') !== '4.3.10') return false;
    if (loaded(fromLog, logPath) || loaded(fromLog, lruPath)) return false;
    const QuickLRU = fromLog(lruPath) as new (options: { maxSize: number }) => object;
    // The log is its only user (npm ls @alloc/quick-lru); it constructs one with { maxSize: 1024 }.
    const Capped = class extends QuickLRU {
      constructor(options: { maxSize: number }) {
        super({ ...options, maxSize: Math.min(options.maxSize, LOG_CACHE_BLOCKS) });
      }
    };
    const lru = loaded(fromLog, lruPath);
    if (!lru) return false;
    lru.exports = Capped;
    return true;
  });

  attempt('networkReset', () => {
    const fromConn = createRequire(root.resolve('ssb-conn'));
    const watchPath = fromConn.resolve('on-change-network-strict');
    if (versionOf(root, 'ssb-conn') !== '6.0.4' || versionOf(fromConn, 'on-change-network-strict') !== '1.0.0') {
      return false;
    }
    if (loaded(fromConn, watchPath)) return false;
    replaceModule(fromConn, watchPath, onAddressGone);
    return true;
  });

  // secret-handshake looks createBoxStream up on the module each time it opens a connection, so this one works
  // whenever it is applied.
  attempt('boxBatching', () => {
    const fromSecretStack = createRequire(root.resolve('secret-stack'));
    const fromMultiserver = createRequire(fromSecretStack.resolve('multiserver'));
    const fromShs = createRequire(fromMultiserver.resolve('secret-handshake'));
    if (versionOf(fromShs, 'pull-box-stream') !== '1.0.13') return false;
    const boxes = fromShs('pull-box-stream') as { createBoxStream?: unknown; createEncryptStream?: unknown };
    if (typeof boxes.createBoxStream !== 'function' || boxes.createBoxStream !== boxes.createEncryptStream) {
      return false;
    }
    const batched = batchedBoxStream(boxes.createBoxStream as BoxStreamFactory);
    boxes.createBoxStream = batched;
    boxes.createEncryptStream = batched;
    // What peers send us passes the inbound gate after decryption (inbound-gate.ts: backpressure).
    const unboxes = boxes as { createUnboxStream?: unknown; createDecryptStream?: unknown };
    if (typeof unboxes.createUnboxStream === 'function' && unboxes.createUnboxStream === unboxes.createDecryptStream) {
      const gated = gatedUnboxStream(unboxes.createUnboxStream as BoxStreamFactory);
      unboxes.createUnboxStream = gated;
      unboxes.createDecryptStream = gated;
    }
    return true;
  });

  applied = fixes;
  return { ...fixes };
}

function loaded(req: NodeJS.Require, path: string): NodeJS.Module | undefined {
  return req.cache[path];
}

/** Puts a module into the CommonJS cache before anything requires it. */
function replaceModule(req: NodeJS.Require, path: string, exports: unknown): void {
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = exports;
  req.cache[path] = module;
}
