// Cold start (issue 17): the SSB libraries' CommonJS modules in one file, with V8's code cache for it.
//
// The peer loads ~540 CommonJS modules of the SSB libraries. For each one Node reads a file and compiles it on
// its own (`wrapSafe`): in a CPU profile of the peer's start, reading and compiling were over a third of
// loading the libraries. Node 20 has no compile cache (module.enableCompileCache is Node 22), and a code cache
// made per module right after compiling holds only the top level (v8-compile-cache-lib saved nothing here).
//
// So `npm run build` writes every such module, as Node's wrapper function, into one script
// (dist/ssb-modules.pack.js), then loads the libraries through it in a fresh process and keeps V8's code cache
// of that script after loading (dist/ssb-modules.pack.KEY.cache): the functions that ran at start are in it,
// compiled. V8 takes a code cache only under the Node options it was made with, so the build makes one for
// each way the peer is started, named by those options (process/cached-bundle.ts, optionsKey). The peer reads
// the pack and a cache, and Node's loader takes each packed module's function from the pack in place of
// reading and compiling its file. Everything else about loading is Node's own: resolution, the
// CommonJS cache by file path, `module`, `require`, `__filename` and `__dirname` are the same as without the
// pack, so the library patches (patches/), which find and replace modules by path in that cache, work
// unchanged. A file not in the pack, a pack made for another install or Node.js, or a cache V8 rejects,
// falls back to Node's own loading (the cache to compiling the pack).
//
// What is lost: a stack trace through a packed module names the pack and its line, not the module's file. The
// pack's script is named as if it were inside node_modules (PACK_SCRIPT_NAME), because Node decides by that
// name whether a call comes from a library (e.g. whether `new Buffer()` warns, see
// patches/node-buffer-deprecation.ts).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { Module } from 'node:module';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { compileWithCache, processOptionsKey } from '../process/cached-bundle.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { fingerprint, PROJECT_ROOT } from './module-paths.js';

export const MODULE_PACK_FILE = join(PROJECT_ROOT, 'dist', 'ssb-modules.pack.js');
/** The build's code cache of the pack for a process with these Node options (`optionsKey`). */
export function packCacheFor(optionsKey: string): string {
  return join(PROJECT_ROOT, 'dist', `ssb-modules.pack.${optionsKey}.cache`);
}
/**
 * The peer's own code cache of the pack in `dir` (its SSB directory, keepOwnCodeCache), named by the pack's
 * contents and this process's Node options: V8 checks a cache against the source's length only, so a cache of
 * another pack must never be offered.
 */
export function ownCodeCacheFile(dir: string, packId: string): string {
  return join(dir, `${OWN_CACHE_PREFIX}${packId}.${processOptionsKey()}.cache`);
}
const OWN_CACHE_PREFIX = 'ssb-modules.pack.';

type Wrapper = (
  this: unknown,
  exports: unknown,
  require: NodeJS.Require,
  module: Module,
  __filename: string,
  __dirname: string,
) => void;

/** What Node's CommonJS loader exposes and a packed module's `require` is made of (not in its typings). */
interface Loader {
  _extensions: Record<string, (module: Module, filename: string) => void>;
  _cache: NodeJS.Require['cache'];
  _resolveFilename(request: string, parent: Module, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: Module): string[] | null;
  prototype: { _compile(content: string, filename: string): unknown };
}

const loader = Module as unknown as Loader;

/** The name V8 and Node see for the pack's code (in stack traces): in node_modules, as the modules are. */
export const PACK_SCRIPT_NAME = join('node_modules', '.smallworld-pack', 'ssb-modules.pack.js');

const FINGERPRINT_LINE = '// fingerprint: ';
/** The pack's second line: a hash of the rest of it, which names its code caches. */
const PACK_ID_LINE = '// pack: ';

/**
 * Whether a module can run from the pack: a real `import()` in it would need a dynamic import callback the
 * pack's script has none of (an `import('x')` in a comment, as in JSDoc types, is fine).
 */
export function packable(source: string): boolean {
  return source.split('\n').every((line) => {
    if (!/\bimport\s*\(/.test(line)) return true;
    const trimmed = line.trim();
    return trimmed.startsWith('*') || trimmed.startsWith('/*') || trimmed.startsWith('//');
  });
}

/** A module's source as the body of Node's wrapper: no BOM, a hashbang line kept as a comment (same lines). */
function body(source: string): string {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  return text.startsWith('#!') ? `//${text.slice(2)}` : text;
}

/** The pack's text: an array of [path relative to the root, wrapper function], for the install it names. */
export function packText(modules: ReadonlyMap<string, string>, print: string): string {
  const parts = ['['];
  for (const [path, source] of modules) {
    parts.push(
      `${JSON.stringify(path)}, function (exports, require, module, __filename, __dirname) {${body(source)}\n},\n`,
    );
  }
  parts.push(']\n');
  const list = parts.join('');
  const id = createHash('sha256').update(list).digest('hex').slice(0, 16);
  return `${FINGERPRINT_LINE}${print}\n${PACK_ID_LINE}${id}\n${list}`;
}

/** Pure: the pack's id from its second line, or null when it has none. */
export function packIdOf(text: string): string | null {
  const start = text.indexOf('\n') + 1;
  if (!text.startsWith(PACK_ID_LINE, start)) return null;
  const id = text.slice(start + PACK_ID_LINE.length, text.indexOf('\n', start));
  return /^[0-9a-f]{16}$/.test(id) ? id : null;
}

/**
 * Records the source of every CommonJS module Node compiles below the root's node_modules until `stop`, which
 * returns them by path relative to the root.
 */
export function recordModuleSources(root: string = PROJECT_ROOT): { stop(): Map<string, string> } {
  const original = loader.prototype._compile;
  const modules = new Map<string, string>();
  function compile(this: unknown, content: string, filename: string) {
    const within = relative(root, filename);
    const inLibraries = within.split(sep)[0] === 'node_modules' && /\.c?js$/.test(filename);
    if (isAbsolute(filename) && inLibraries && packable(content)) modules.set(within, content);
    return original.call(this, content, filename);
  }
  loader.prototype._compile = compile;
  return {
    stop() {
      if (loader.prototype._compile === compile) loader.prototype._compile = original;
      return modules;
    },
  };
}

export interface ModulePackUse {
  /** Modules taken from the pack, and the pack's size. */
  used: number;
  modules: number;
  /** The code cache V8 took (false: none, or it was refused and the pack was compiled here). */
  cached: string | false;
  /** The pack's id (its second line), which names its code caches. */
  packId: string;
  /** The compiled pack's code cache, now (the build keeps it once the libraries have loaded). */
  codeCache(): Buffer;
  stop(): void;
}

/** The `require` Node gives a module (its internal makeRequireFunction), for a module run from the pack. */
function requireFor(module: Module): NodeJS.Require {
  const require = ((id: string) => module.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: unknown) =>
    loader._resolveFilename(request, module, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => loader._resolveLookupPaths(request, module);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = loader._extensions as NodeJS.Require['extensions'];
  require.cache = loader._cache;
  return require;
}

/**
 * Loads packed modules from the pack while installed. Returns null (and changes nothing) when there is no
 * pack or it was made for another install or Node.js, with the reason in `why`.
 */
export function useModulePack(
  file: string = MODULE_PACK_FILE,
  cacheFilesFor: (packId: string) => readonly string[] = () => [packCacheFor(processOptionsKey())],
  root: string = PROJECT_ROOT,
): { use: ModulePackUse } | { use: null; why: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { use: null, why: `no pack (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  const firstLine = text.slice(0, text.indexOf('\n'));
  const packId = packIdOf(text);
  if (firstLine !== `${FINGERPRINT_LINE}${fingerprint(root)}` || packId === null) {
    return { use: null, why: 'packed for another install or Node.js' };
  }
  const filename = join(root, PACK_SCRIPT_NAME);
  let compiled: ReturnType<typeof compileWithCache>;
  try {
    compiled = compileWithCache(text, filename, cacheFilesFor(packId));
  } catch (error) {
    return { use: null, why: `the pack does not compile (${String(error).split('\n')[0]})` };
  }
  const { script, cacheFile } = compiled;
  let list: unknown[];
  try {
    list = script.runInThisContext() as unknown[];
  } catch (error) {
    return { use: null, why: `the pack does not run (${String(error).split('\n')[0]})` };
  }
  const wrappers = new Map<string, Wrapper>();
  for (let i = 0; i + 1 < list.length; i += 2) wrappers.set(list[i] as string, list[i + 1] as Wrapper);
  const jsLoader = loader._extensions['.js'];
  if (jsLoader === undefined) return { use: null, why: "Node's loader has no .js extension" };
  const use: ModulePackUse = {
    used: 0,
    modules: wrappers.size,
    cached: cacheFile ?? false,
    packId,
    codeCache: () => script.createCachedData(),
    stop() {
      if (loader._extensions['.js'] === fromPack) loader._extensions['.js'] = jsLoader;
    },
  };
  function fromPack(this: unknown, module: Module, filename: string) {
    const wrapper = wrappers.get(relative(root, filename));
    if (wrapper === undefined) return jsLoader?.call(this, module, filename);
    use.used++;
    wrapper.call(module.exports, module.exports, requireFor(module), module, filename, dirname(filename));
    return undefined;
  }
  loader._extensions['.js'] = fromPack;
  return { use };
}

let inProcess: ReturnType<typeof useModulePack> | null = null;

/**
 * useModulePack with the build's pack, once per process (every peer started in it shares it). The code cache
 * is the peer's own in `ownCacheDir` (keepOwnCodeCache) if there is one, else the build's.
 */
export function useModulePackOnce(ownCacheDir: string): ReturnType<typeof useModulePack> {
  inProcess ??= useModulePack(MODULE_PACK_FILE, (packId) => [
    ownCodeCacheFile(ownCacheDir, packId),
    packCacheFor(processOptionsKey()),
  ]);
  return inProcess;
}

/**
 * V8 takes a code cache only from a process started with the same Node options: the build's are made with
 * those of the peer's starts on the build machine, and a peer started otherwise (forked on a board with other
 * heap limits) has none. Such a peer keeps its own, made once it has started, for its next start.
 */
export async function keepOwnCodeCache(use: ModulePackUse, dir: string): Promise<string | null> {
  if (use.cached !== false) return null;
  const file = ownCodeCacheFile(dir, use.packId);
  await writeFileAtomic(file, use.codeCache());
  // The caches of earlier packs or options, and the unnamed one of earlier builds, serve no start any more.
  for (const name of await readdir(dir)) {
    const old = join(dir, name);
    if (name.startsWith(OWN_CACHE_PREFIX) && name.endsWith('.cache') && old !== file) await rm(old, { force: true });
  }
  return file;
}

/** Writes the pack (the build's first pass). */
export function writeModulePack(modules: ReadonlyMap<string, string>, file: string = MODULE_PACK_FILE): void {
  writeFileSync(file, packText(modules, fingerprint()));
}
