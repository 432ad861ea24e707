// What a path holds on disk, and exact writes: bytes, mode and owner, replaced atomically.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, lstat, open, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type PathState =
  | { kind: 'absent' }
  | { kind: 'file'; bytes: Buffer; mode: number; uid: number; gid: number }
  | { kind: 'symlink'; target: string }
  | { kind: 'other'; description: string };

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export async function inspect(path: string): Promise<PathState> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw error;
  }
  if (info.isSymbolicLink()) return { kind: 'symlink', target: await readlink(path) };
  if (info.isFile()) {
    return { kind: 'file', bytes: await readFile(path), mode: info.mode & 0o7777, uid: info.uid, gid: info.gid };
  }
  return { kind: 'other', description: info.isDirectory() ? 'a directory' : 'not a regular file' };
}

/** Some file systems (the FAT boot partition) have no modes or owners: their chmod/chown fail, harmlessly. */
async function ignoringUnsupported(operation: Promise<void>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
  }
}

/** Replaces `path` (file or symlink) with exactly these bytes, mode and (if given) owner; crash-safe. */
export async function writeExact(
  path: string,
  bytes: Uint8Array,
  mode: number,
  owner?: { uid: number; gid: number },
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.sw-tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    if (owner) await ignoringUnsupported(chown(tmp, owner.uid, owner.gid));
    await ignoringUnsupported(chmod(tmp, mode));
    await rename(tmp, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

export async function writeSymlink(path: string, target: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.sw-tmp`);
  await symlink(target, tmp);
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Not every file system syncs directories; the rename itself has happened.
  } finally {
    await handle.close();
  }
}
