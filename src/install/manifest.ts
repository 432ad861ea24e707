// The manifest: what each path install touched held before, and what install put there. Uninstall reads it
// to restore the tree byte for byte; it lives at a fixed place so uninstall finds it whatever --data was.
import { join, posix } from 'node:path';
import * as z from 'zod';
import { readTextIfPresent } from '../store/missing.js';
import { InstallError } from './errors.js';
import { type PathState, sha256 } from './path-state.js';

export const BACKUP_DIR = '/var/lib/smallworld/install-backup';
export const MANIFEST = 'manifest.json';
export const MANIFEST_PATH = posix.join(BACKUP_DIR, MANIFEST);

const mode = z.number().int().min(0).max(0o7777);
const beforeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('absent') }),
  z.object({
    kind: z.literal('file'),
    sha256: z.string(),
    mode,
    uid: z.number().int(),
    gid: z.number().int(),
    backup: z.string(),
  }),
  z.object({ kind: z.literal('symlink'), target: z.string() }),
]);
const installedSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), sha256: z.string(), mode }),
  z.object({ kind: z.literal('symlink'), target: z.string() }),
]);
const manifestSchema = z.object({
  version: z.literal(1),
  /** Directories the installer created, parents first. */
  createdDirs: z.array(z.string()),
  entries: z.array(z.object({ path: z.string(), why: z.string(), before: beforeSchema, installed: installedSchema })),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type Entry = Manifest['entries'][number];

export const emptyManifest = (): Manifest => ({ version: 1, createdDirs: [], entries: [] });

export async function loadManifest(root: string): Promise<Manifest | null> {
  const path = join(root, MANIFEST_PATH);
  const text = await readTextIfPresent(path);
  if (text === null) return null;
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new InstallError(`${path} is damaged: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export const manifestBytes = (manifest: Manifest) => Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);

/** Whether a path holds what the manifest recorded (before install, or as installed). */
export function matches(state: PathState, recorded: Entry['before'] | Entry['installed']): boolean {
  switch (recorded.kind) {
    case 'absent':
      return state.kind === 'absent';
    case 'symlink':
      return state.kind === 'symlink' && state.target === recorded.target;
    case 'file':
      return state.kind === 'file' && state.mode === recorded.mode && sha256(state.bytes) === recorded.sha256;
  }
}
