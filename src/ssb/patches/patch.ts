// What a patch to a library's internals declares, and the one way patches find the library they change.
//
// A patch is a last resort: each one names the package it changes, the versions whose code was read (a
// range), and why. A package outside the range is refused loudly (an error line; the library runs as it is)
// rather than patched blindly. See index.ts for the list and the order they are applied in.
import { createRequire } from 'node:module';

/** `>=A.B.C <X.Y.Z`: the versions whose code the patch was written against. */
export type VersionRange = `>=${string} <${string}`;

export interface PatchTarget {
  /** The package as found from its parent (`version`, and a require rooted at its entry point). */
  version: string | undefined;
  /** The package's entry point (its `main`), and a require rooted there. */
  entry: string;
  require: NodeJS.Require;
}

/**
 * One patch. Those in `MODULE_PATCHES` (index.ts) change modules once per process, before the libraries
 * load; those in `SERVER_PATCHES` change one assembled server (its hooks and methods) and get it as context.
 */
export interface LibraryPatch<Context> {
  name: string;
  /** The package changed, as reached from our own dependencies, e.g. `['ssb-db2', 'ssb-classic']`. */
  package: readonly string[];
  versions: VersionRange;
  why: string;
  /** Changes the library; returns a reason when it cannot (the module was already loaded, not as read). */
  apply(target: PatchTarget, context: Context): string | undefined;
}

export type PatchOutcome =
  | { name: string; package: string; version: string; applied: true }
  | { name: string; package: string; version: string | undefined; applied: false; reason: string };

function parseVersion(version: string): [number, number, number] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version.trim().replace(/^v/, ''));
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` (x.y.z) is within `range` (`>=A <B`); pre-releases and other forms are outside. */
export function inRange(version: string | undefined, range: VersionRange): boolean {
  const match = /^>=(\S+) <(\S+)$/.exec(range);
  const bounds = match ? [parseVersion(match[1] ?? ''), parseVersion(match[2] ?? '')] : [];
  const [from, below] = bounds;
  const found = version === undefined ? null : parseVersion(version);
  if (!from || !below || !found) return false;
  return compare(found, from) >= 0 && compare(found, below) < 0;
}

/**
 * Finds a package along a chain of dependencies (each resolved from the previous one, as Node would load
 * it), starting from ours. `node` is Node.js itself.
 */
export function locate(chain: readonly string[]): PatchTarget {
  if (chain.length === 1 && chain[0] === 'node') {
    return { version: process.versions.node, entry: process.execPath, require: createRequire(import.meta.url) };
  }
  let req = createRequire(import.meta.url);
  let version: string | undefined;
  let entry = '';
  for (const name of chain) {
    version = (req(`${name}/package.json`) as { version?: string }).version;
    entry = req.resolve(name);
    req = createRequire(entry);
  }
  return { version, entry, require: req };
}

/** Applies one patch if its package is within range; never throws. */
export function applyPatch<C>(patch: LibraryPatch<C>, context: C, find = locate): PatchOutcome {
  const name = patch.name;
  const pkg = patch.package.join(' > ');
  let target: PatchTarget;
  try {
    target = find(patch.package);
  } catch (error) {
    return { name, package: pkg, version: undefined, applied: false, reason: `not found: ${String(error)}` };
  }
  const { version } = target;
  if (!inRange(version, patch.versions)) {
    return {
      name,
      package: pkg,
      version,
      applied: false,
      reason: `version ${version ?? 'unknown'} is outside ${patch.versions}, whose code the patch was written for`,
    };
  }
  try {
    const refused = patch.apply(target, context);
    if (refused !== undefined) return { name, package: pkg, version, applied: false, reason: refused };
    return { name, package: pkg, version: version ?? '', applied: true };
  } catch (error) {
    return { name, package: pkg, version, applied: false, reason: `failed: ${String(error)}` };
  }
}

/** Whether a module is in the CommonJS cache, i.e. already loaded (too late to replace). */
export function isLoaded(req: NodeJS.Require, path: string): boolean {
  return req.cache[path] !== undefined;
}
