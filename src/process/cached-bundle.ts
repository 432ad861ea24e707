// Cold start (issue 17): a CommonJS bundle run with V8's code cache, made by `npm run build` (scripts/bundle.js).
//
// Node 20 compiles every ES module from its source at each start (module.enableCompileCache is Node 22), and
// in a CPU profile of the peer's start compiling our modules and the web server's was the largest part of
// loading our own code. A CommonJS bundle can be compiled by `vm.Script` with a code cache instead. V8 takes a
// code cache only in a process with the same V8 options as the one that made it, so the build makes one per
// way the peer is started (by hand, forked by `smallworld start`, by its systemd unit), each named by those
// options (`optionsKey`); a process started another way finds none and compiles the bundle, as it would
// without one.
//
// The bundle's first line names its contents (BUNDLE_HEADER and a hash), and each cache file carries that
// name: V8 checks a cache against the source's length only, so a cache of an older bundle of the same length
// must never be offered to it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

export const BUNDLE_HEADER = '// smallworld bundle ';
/** The hash in the header, as the build writes it (hex digits). */
export const BUNDLE_ID_LENGTH = 16;

/** Node's own options that do not change V8's flags (profiling, preloading), left out of the key. */
const NOT_V8 = /^(--(cpu|heap)-prof|--import|--require|-r$|--heapsnapshot-)/;
/** Of those, the ones whose value may follow as the next argument. */
const TAKES_VALUE = /^(--(cpu|heap)-prof-(dir|name|interval)|--import|--require|-r|--heapsnapshot-signal)$/;

/** FNV-1a, 32 bits, in hex: a short name, not a secret (node:crypto would cost its own load). */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Pure: the name of a process's Node options (command line and NODE_OPTIONS), which V8 checks a cache against. */
export function optionsKey(execArgv: readonly string[], nodeOptions: string): string {
  const all = [...execArgv, ...nodeOptions.split(/\s+/)].filter((o) => o !== '');
  const kept: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const option = all[i] ?? '';
    if (!NOT_V8.test(option)) kept.push(option);
    else if (TAKES_VALUE.test(option)) i++;
  }
  return shortHash(JSON.stringify(kept));
}

/** Pure: the code cache of the bundle `file` whose header names `bundleId`, for a process with `key`. */
export function cacheFileFor(file: string, bundleId: string, key: string): string {
  return `${file}.${bundleId}.${key}.cache`;
}

/** Pure: the bundle's name from its first line, or null when it has none. */
export function bundleIdOf(source: string): string | null {
  if (!source.startsWith(BUNDLE_HEADER)) return null;
  const id = source.slice(BUNDLE_HEADER.length, BUNDLE_HEADER.length + BUNDLE_ID_LENGTH);
  return /^[0-9a-f]+$/.test(id) && id.length === BUNDLE_ID_LENGTH ? id : null;
}

/**
 * `text` compiled with the first of `cacheFiles` V8 takes (a cache it refuses, e.g. one made under other Node
 * options, is passed over), or without one. Also for the SSB library pack (ssb/module-pack.ts).
 */
export function compileWithCache(
  text: string,
  filename: string,
  cacheFiles: readonly string[],
): { script: Script; cacheFile: string | undefined; refused: boolean } {
  let refused = false;
  for (const cacheFile of cacheFiles) {
    let cachedData: Buffer;
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      continue;
    }
    const script = new Script(text, { filename, cachedData });
    if (!script.cachedDataRejected) return { script, cacheFile, refused };
    refused = true;
  }
  return { script: new Script(text, { filename }), cacheFile: undefined, refused };
}

/**
 * The bundle as the body of Node's CommonJS wrapper function. It has no `import()` (the build refuses one): a
 * script compiled here has no loader for it before Node 20.12.
 */
function wrapped(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

function run<T>(file: string, script: Script): T {
  const module = { exports: {} as T };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

export interface CachedBundle<T> {
  exports: T;
  /** Whether V8 took the build's code cache for this process's options. */
  codeCache: 'used' | 'rejected' | 'none';
}

/** The name of this process's Node options (optionsKey). */
export function processOptionsKey(): string {
  return optionsKey(process.execArgv, process.env.NODE_OPTIONS ?? '');
}

/**
 * Runs the bundle `file` with its code cache for this process's options, if the build made one. Null when
 * there is no bundle or it has no header (then the caller loads the modules themselves).
 */
export function runCachedBundle<T>(file: string): CachedBundle<T> | null {
  let source: string;
  try {
    // The build checks that the bundle is ASCII (esbuild's default), which latin1 reads without decoding.
    source = readFileSync(file, 'latin1');
  } catch {
    return null;
  }
  const bundleId = bundleIdOf(source);
  if (bundleId === null) return null;
  const cacheFile = cacheFileFor(file, bundleId, processOptionsKey());
  const { script, cacheFile: used, refused } = compileWithCache(wrapped(source), file, [cacheFile]);
  const codeCache = used !== undefined ? 'used' : refused ? 'rejected' : 'none';
  return { exports: run<T>(file, script), codeCache };
}

/**
 * The build's step: compiles and runs the bundle's top level (its modules' definitions, nothing started),
 * then keeps V8's code cache for this process's options. Returns the cache file.
 */
export function makeBundleCache(file: string): string {
  const source = readFileSync(file, 'latin1');
  const bundleId = bundleIdOf(source);
  if (bundleId === null) throw new Error(`${file} has no bundle header`);
  const script = new Script(wrapped(source), { filename: file });
  run(file, script);
  const cacheFile = cacheFileFor(file, bundleId, processOptionsKey());
  writeFileSync(cacheFile, script.createCachedData());
  return cacheFile;
}
