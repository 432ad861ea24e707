// multiblob 1.13 (ssb-blobs' store) writes every blob — one added here or fetched from a friend — to a
// temporary file with pull-write-file 0.2.4, then hashes what went through the stream and renames the file
// into place under that hash. pull-write-file drops a failed write's error and ignores short writes, so on a
// full card a photo is renamed into place truncated (0 bytes, 12 KB) and reported stored: served as is, and
// never fetched again because the file exists. The module multiblob requires is replaced, before multiblob
// loads, by storage/write-file-sink.ts (same signature): every byte written or a clear error, the temporary
// file removed on failure, fsync before success. pull-fs (through pull-glob) shares the module; it only
// lists directories there.
//
// Written in the shape of the patch convention (patch.ts: package, versions, why, apply), which the
// shell's restructuring brings; until then peer.ts applies it with applyModulePatch below.
import { createRequire } from 'node:module';
import { createWriteFileSink } from '../../storage/write-file-sink.js';
import { replaceModule } from './replace-module.js';

export interface ModulePatchTarget {
  version: string | undefined;
  entry: string;
  require: NodeJS.Require;
}

export const multiblobDurableWrite = {
  name: 'multiblob-durable-write',
  package: ['ssb-blobs', 'multiblob', 'pull-write-file'] as const,
  versions: '>=0.2.4 <0.3.0' as const,
  why: 'a failed or short write of a blob is reported as success, and the truncated file is kept under its hash',
  apply({ entry }: ModulePatchTarget): string | undefined {
    const fromBlobs = createRequire(createRequire(import.meta.url).resolve('ssb-blobs'));
    const multiblob = fromBlobs.resolve('multiblob');
    if (fromBlobs.cache[multiblob] !== undefined) return 'multiblob was loaded first';
    const multiblobVersion = (fromBlobs('multiblob/package.json') as { version?: string }).version ?? '';
    if (!/^1\.13\.\d+$/.test(multiblobVersion))
      return `multiblob ${multiblobVersion} is not the 1.13 whose code was read`;
    replaceModule(createRequire(entry), entry, createWriteFileSink());
    return undefined;
  },
};

interface ModulePatch {
  name: string;
  package: readonly string[];
  versions: `>=${string} <${string}`;
  apply(target: ModulePatchTarget): string | undefined;
}

function parseVersion(version: string): number[] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match ? match.slice(1).map(Number) : null;
}

function before(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}

/** Finds the package along its chain, checks the version range and applies; a reason if it did not. */
export function applyModulePatch(patch: ModulePatch): string | undefined {
  try {
    let req = createRequire(import.meta.url);
    let version: string | undefined;
    let entry = '';
    for (const name of patch.package) {
      version = (req(`${name}/package.json`) as { version?: string }).version;
      entry = req.resolve(name);
      req = createRequire(entry);
    }
    const [, from = '', below = ''] = /^>=(\S+) <(\S+)$/.exec(patch.versions) ?? [];
    const found = parseVersion(version ?? '');
    const low = parseVersion(from);
    const high = parseVersion(below);
    if (!found || !low || !high || before(found, low) || !before(found, high)) {
      return `version ${version ?? 'unknown'} is outside ${patch.versions}, whose code the patch was written for`;
    }
    return patch.apply({ version, entry, require: req });
  } catch (error) {
    return `failed: ${String(error)}`;
  }
}
