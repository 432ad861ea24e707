// `smallworld uninstall`: restores every path the manifest lists, newest change first, byte for byte; a file
// changed since install is kept beside the original (PATH.smallworld-changed), never lost.
import { readFile, rm, rmdir } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { writeFileAtomic, writeSymlinkAtomic } from '../store/atomic-file.js';
import { isMissing } from '../store/missing.js';
import type { InstallResult } from './apply.js';
import { InstallError } from './errors.js';
import { BACKUP_DIR, loadManifest, MANIFEST, matches } from './manifest.js';
import { inspect, sha256 } from './path-state.js';

export interface UninstallOptions {
  root: string;
  dryRun: boolean;
  out: (line: string) => void;
  warn: (line: string) => void;
}

export async function uninstall(options: UninstallOptions): Promise<InstallResult> {
  const root = resolve(options.root);
  const host = (path: string) => join(root, path);
  const { out, warn } = options;
  const manifest = await loadManifest(root);
  if (manifest === null) {
    out(`Nothing to uninstall: no ${host(posix.join(BACKUP_DIR, MANIFEST))}.`);
    return { code: 0, changed: [] };
  }
  const changed: string[] = [];
  for (const entry of [...manifest.entries].reverse()) {
    const { path, before, installed } = entry;
    const current = await inspect(host(path));
    if (matches(current, before)) continue;
    const asInstalled = matches(current, installed);
    if (before.kind === 'absent') {
      if (current.kind === 'absent') continue;
      if (!asInstalled) {
        warn(`kept ${path}: it changed after install`);
        continue;
      }
      changed.push(path);
      if (options.dryRun) out(`  remove  ${path}`);
      else await rm(host(path), { force: true });
      continue;
    }
    changed.push(path);
    if (options.dryRun) {
      out(`  restore ${path}`);
      continue;
    }
    if (!asInstalled && current.kind === 'file') {
      await writeFileAtomic(host(`${path}.smallworld-changed`), current.bytes, { mode: current.mode });
      warn(
        `${path} changed after install; restoring the original, the changed version is in ${path}.smallworld-changed`,
      );
    }
    if (before.kind === 'symlink') await writeSymlinkAtomic(host(path), before.target);
    else {
      const bytes = await readFile(host(before.backup));
      if (sha256(bytes) !== before.sha256) throw new InstallError(`the backup ${host(before.backup)} is damaged`);
      await writeFileAtomic(host(path), bytes, { mode: before.mode, owner: { uid: before.uid, gid: before.gid } });
    }
    out(`restored ${path}`);
  }
  if (options.dryRun) {
    out(changed.length === 0 ? 'Nothing to restore.' : 'Nothing was changed (--dry-run).');
    return { code: 0, changed };
  }
  for (const entry of manifest.entries) {
    if (entry.before.kind === 'file') await rm(host(entry.before.backup), { force: true });
  }
  await rm(host(posix.join(BACKUP_DIR, MANIFEST)), { force: true });
  for (const dir of [...manifest.createdDirs].reverse()) {
    try {
      await rmdir(host(dir));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') out(`left ${dir} in place: it holds files written since install`);
      else if (!isMissing(error)) throw error;
    }
  }
  out(changed.length === 0 ? 'Everything was already as before install.' : 'Uninstalled; reboot to finish.');
  return { code: 0, changed };
}
