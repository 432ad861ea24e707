// Writes that are all-or-nothing: a crash leaves either the old file or the new one, never half of one.
// The one writer for every state, settings and configuration file we write (the installer's /etc and /boot
// files included): write a temporary file beside the target, fsync it, rename (or link) it into place,
// fsync the directory. A full disk reads "the device's storage is full" (storage/errors.ts).
import { randomBytes } from 'node:crypto';
import { chmod, chown, link, open, readdir, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { asStorageError, isStorageFull } from '../storage/errors.js';

export interface AtomicWriteOptions {
  /** Set on the file after writing, whatever the umask (default: owner-only). */
  mode?: number;
  /** Owner and group of the new file (the installer keeps a system file's owner). */
  owner?: { uid: number; gid: number };
  /** Never replace: fail with EEXIST if `path` exists (a first-time setup that must not overwrite). */
  createOnly?: boolean;
}

/** Writes `data` to `path` atomically and durably; `mode` is applied exactly (default 0o600). */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  { mode = 0o600, owner, createOnly = false }: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (owner) await ignoringUnsupported(chown(tmp, owner.uid, owner.gid));
    await ignoringUnsupported(chmod(tmp, mode));
    if (createOnly) {
      // link() fails with EEXIST instead of replacing; the temporary name is removed below either way.
      await link(tmp, path);
    } else {
      await rename(tmp, path);
    }
  } catch (error) {
    await rm(tmp, { force: true });
    throw isStorageFull(error) ? asStorageError(error, `${path} could not be written`) : error;
  }
  if (createOnly) await rm(tmp, { force: true });
  await syncDir(dirname(path));
}

/** Replaces `path` (a file or a link) with a symbolic link to `target`, atomically. */
export async function writeSymlinkAtomic(path: string, target: string): Promise<void> {
  const tmp = tempPathFor(path);
  await symlink(target, tmp);
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Removes temporary files that a process killed mid-write left behind (see writeFileAtomic). Called at
 * start-up, when no write of ours is in flight; returns the names removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!TEMP_FILE.test(name)) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
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

// The rename is durable only once the directory entry is on disk.
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Not every file system syncs directories (FAT); the rename itself has happened.
  } finally {
    await handle.close();
  }
}
