// Cold start (issue 17): where each CommonJS module of the SSB libraries is, recorded at build time.
//
// The peer loads ~570 CommonJS modules. For every `require(x)` Node finds the file by probing the file system
// (stat calls up the node_modules directories, package.json reads, `exports` maps): over a third of loading
// the libraries in a CPU profile. The answer is the same on every start until node_modules or Node.js change,
// so `npm run build` records it (scripts/bundle.js runs record-module-paths.js, which loads the libraries the
// way the peer does) into dist/module-paths.json, and the peer looks each (directory, request) pair up there
// before asking Node. A pair not recorded, or a file recorded for another install or another Node.js, falls
// back to Node's own resolution: the table only ever answers what Node answered for the same question.
//
// Paths are kept relative to the project's root, so a moved tree still uses them. The library patches
// (patches/) find modules through the same `require.resolve`, so they see the same paths.

import { readFileSync, statSync } from 'node:fs';
import { isBuiltin, Module } from 'node:module';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What Node's CommonJS loader exposes for resolution (not in its typings). */
interface Resolver {
  _resolveFilename(request: string, parent: ParentModule | undefined, isMain: boolean, options?: unknown): string;
}
interface ParentModule {
  path?: string;
  filename?: string | null;
}

export interface ModulePathsFile {
  /** The install and Node.js the table was recorded for (fingerprint()). */
  fingerprint: string;
  /** `directory of the requiring module \0 request` -> resolved file, both relative to the root. */
  paths: Record<string, string>;
}

export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MODULE_PATHS_FILE = join(PROJECT_ROOT, 'dist', 'module-paths.json');

const resolver = Module as unknown as Resolver;

/** Node.js, the CPU and the installed node_modules (npm rewrites its hidden lock file on every install). */
export function fingerprint(root: string = PROJECT_ROOT): string {
  const installed = [join(root, 'node_modules', '.package-lock.json'), join(root, 'package-lock.json')];
  let install = 'none';
  for (const file of installed) {
    try {
      const s = statSync(file);
      install = `${relative(root, file)} ${s.size} ${Math.round(s.mtimeMs)}`;
      break;
    } catch {
      // the next one
    }
  }
  return `${process.version} ${process.arch} ${install}`;
}

/** The key of one resolution: only the requiring module's directory and the request decide the answer. */
function keyOf(root: string, request: string, parent: ParentModule | undefined, isMain: boolean, options: unknown) {
  // `paths` options, the main module and Node's own modules are left to Node.
  if (options !== undefined || isMain || isBuiltin(request)) return null;
  const dir = parent?.path;
  if (typeof dir !== 'string' || !isAbsolute(dir) || typeof parent?.filename !== 'string') return null;
  return `${relative(root, dir)}\0${request}`;
}

export interface ModulePathsUse {
  /** Answered from the table, and asked of Node (not recorded, or not usable). */
  hits: number;
  misses: number;
  stop(): void;
}

/**
 * Answers resolutions from the recorded table while installed. Returns null (and changes nothing) when there
 * is no table or it was recorded for another install or Node.js, with the reason in `why`.
 */
export function useModulePaths(
  file: string = MODULE_PATHS_FILE,
  root: string = PROJECT_ROOT,
): { use: ModulePathsUse; entries: number } | { use: null; why: string } {
  let table: ModulePathsFile;
  try {
    table = JSON.parse(readFileSync(file, 'utf8')) as ModulePathsFile;
  } catch (error) {
    return { use: null, why: `no table (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  if (table.fingerprint !== fingerprint(root)) return { use: null, why: 'recorded for another install or Node.js' };
  const paths = new Map(Object.entries(table.paths));
  const original = resolver._resolveFilename;
  const use: ModulePathsUse = {
    hits: 0,
    misses: 0,
    stop() {
      if (resolver._resolveFilename === resolve) resolver._resolveFilename = original;
    },
  };
  function resolve(
    this: unknown,
    request: string,
    parent: ParentModule | undefined,
    isMain: boolean,
    options?: unknown,
  ) {
    const key = keyOf(root, request, parent, isMain, options);
    const found = key === null ? undefined : paths.get(key);
    if (found !== undefined) {
      use.hits++;
      return join(root, found);
    }
    if (key !== null) use.misses++;
    return original.call(this, request, parent, isMain, options);
  }
  resolver._resolveFilename = resolve;
  return { use, entries: paths.size };
}

let inProcess: ReturnType<typeof useModulePaths> | null = null;

/** useModulePaths with the build's table, once per process (every peer started in it shares it). */
export function useModulePathsOnce(): ReturnType<typeof useModulePaths> {
  inProcess ??= useModulePaths();
  return inProcess;
}

/** Records every resolution Node makes (below the root) until `stop`, which returns the table. */
export function recordModulePaths(root: string = PROJECT_ROOT): { stop(): ModulePathsFile } {
  const original = resolver._resolveFilename;
  const paths: Record<string, string> = {};
  function record(
    this: unknown,
    request: string,
    parent: ParentModule | undefined,
    isMain: boolean,
    options?: unknown,
  ) {
    const resolved = original.call(this, request, parent, isMain, options);
    const key = keyOf(root, request, parent, isMain, options);
    const within = relative(root, resolved);
    if (key !== null && isAbsolute(resolved) && !within.startsWith(`..${sep}`)) paths[key] = within;
    return resolved;
  }
  resolver._resolveFilename = record;
  return {
    stop() {
      if (resolver._resolveFilename === record) resolver._resolveFilename = original;
      return { fingerprint: fingerprint(root), paths };
    },
  };
}
