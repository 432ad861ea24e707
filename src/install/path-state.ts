// What a path holds on disk, read without following links: what the installer compares and records.
import { createHash } from 'node:crypto';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { unlessMissing } from '../store/missing.js';

export type PathState =
  | { kind: 'absent' }
  | { kind: 'file'; bytes: Buffer; mode: number; uid: number; gid: number }
  | { kind: 'symlink'; target: string }
  | { kind: 'other'; description: string };

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export async function inspect(path: string): Promise<PathState> {
  const info = await unlessMissing(lstat(path));
  if (info === null) return { kind: 'absent' };
  if (info.isSymbolicLink()) return { kind: 'symlink', target: await readlink(path) };
  if (info.isFile()) {
    return { kind: 'file', bytes: await readFile(path), mode: info.mode & 0o7777, uid: info.uid, gid: info.gid };
  }
  return { kind: 'other', description: info.isDirectory() ? 'a directory' : 'not a regular file' };
}
