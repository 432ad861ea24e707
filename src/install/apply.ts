// The one step of `smallworld install` that writes: the device's network settings if it has none, a backup
// of everything about to change and the manifest that lists it, then each planned change, atomically.

import { chmod, mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic, writeSymlinkAtomic } from '../store/atomic-file.js';
import { WifiSettingsStore } from '../wifi/settings.js';
import { type InstallDiff, NOTHING_TO_CHANGE } from './diff.js';
import { InstallError } from './errors.js';
import {
  BACKUP_DIR,
  type Entry,
  emptyManifest,
  MANIFEST,
  MANIFEST_PATH,
  type Manifest,
  manifestBytes,
} from './manifest.js';
import { printOnboarding } from './onboarding.js';
import { inspect, type PathState, sha256 } from './path-state.js';
import { dirModes, type InstallPlan } from './plan.js';
import { dirKind } from './probe.js';

export type ReadyPlan = Extract<InstallPlan, { kind: 'ready' }>;

export interface InstallResult {
  code: number;
  /** The paths changed (or, in a dry run, that would be). */
  changed: string[];
}

export interface ApplyTarget {
  root: string;
  dataDir: string;
  manifest: Manifest | null;
  out: (line: string) => void;
  warn: (line: string) => void;
}

export async function applyInstall(target: ApplyTarget, plan: ReadyPlan, diff: InstallDiff): Promise<InstallResult> {
  const { root, dataDir, out, warn } = target;
  const host = (path: string) => join(root, path);
  const manifest = target.manifest ?? emptyManifest();
  const originalManifest = manifestBytes(manifest);
  const modes = dirModes(dataDir, BACKUP_DIR);

  /** Creates the directories missing up to `dir` (target path), recording them for uninstall. */
  const createMissingDirs = async (dir: string) => {
    const missing: string[] = [];
    for (let d = dir; d !== '/' && d !== '.'; d = posix.dirname(d)) {
      const kind = await dirKind(host(d));
      if (kind === 'absent') missing.unshift(d);
      else if (kind === 'other') throw new InstallError(`${host(d)} is in the way: it should be a directory`);
      else break;
    }
    for (const d of missing) {
      if (!manifest.createdDirs.includes(d)) manifest.createdDirs.push(d);
      await mkdir(host(d));
      await chmod(host(d), modes.get(d) ?? 0o755);
    }
  };

  // The device's own network: the daemon will load the very same settings.
  const before = await inspect(host(plan.wifiPath));
  await createMissingDirs(dataDir);
  const loaded = await new WifiSettingsStore(host(dataDir)).loadOrCreate(() => plan.settings);
  if (loaded.warning) warn(`warning: ${loaded.warning}`);
  if (!isDeepStrictEqual(loaded.settings, plan.settings))
    throw new InstallError(`${host(plan.wifiPath)} changed while installing; run install again`);
  const after = await inspect(host(plan.wifiPath));
  if (before.kind === 'absent' && after.kind === 'file' && !manifest.entries.some((e) => e.path === plan.wifiPath)) {
    manifest.entries.push({
      path: plan.wifiPath,
      why: "this device's network name and passphrase",
      before: { kind: 'absent' },
      installed: { kind: 'file', sha256: sha256(after.bytes), mode: after.mode },
    });
  }

  // Back up what will change, record it, then change it.
  const { changes, dirsToCreate } = diff;
  if (changes.length > 0) {
    await createMissingDirs(posix.join(BACKUP_DIR, 'files'));
    for (const { desired: d, state } of changes) {
      const installed: Entry['installed'] =
        d.kind === 'file'
          ? { kind: 'file', sha256: sha256(d.bytes), mode: d.mode }
          : { kind: 'symlink', target: d.target };
      const entry = manifest.entries.find((e) => e.path === d.path);
      if (entry === undefined) {
        const backup = await backUp(root, manifest, d.path, state);
        manifest.entries.push({ path: d.path, why: d.why, before: backup, installed });
      } else entry.installed = installed;
    }
    for (const dir of dirsToCreate) if (!manifest.createdDirs.includes(dir)) manifest.createdDirs.push(dir);
  }
  const newManifest = manifestBytes(manifest);
  if (!newManifest.equals(originalManifest)) {
    await createMissingDirs(BACKUP_DIR);
    await writeFileAtomic(host(MANIFEST_PATH), newManifest, { mode: 0o600 });
  }
  for (const { desired: d } of changes) {
    await createMissingDirs(posix.dirname(d.path));
    if (d.kind === 'file') await writeFileAtomic(host(d.path), d.bytes, { mode: d.mode });
    else await writeSymlinkAtomic(host(d.path), d.target);
    out(`${d.kind === 'symlink' ? 'linked ' : 'wrote  '} ${d.path}${d.kind === 'symlink' ? ` -> ${d.target}` : ''}`);
  }
  if (changes.length === 0) out(NOTHING_TO_CHANGE);
  else {
    out(`Backups and the list of changes: ${BACKUP_DIR}/${MANIFEST} ("smallworld uninstall" restores them).`);
    if (root === '/')
      out('Reboot to finish: the GPIO overlays and the USB gadget load at boot, and the services start then.');
  }
  await printOnboarding(loaded.settings.ap, out);
  return { code: 0, changed: changes.map((c) => c.desired.path) };
}

async function backUp(root: string, manifest: Manifest, path: string, state: PathState): Promise<Entry['before']> {
  if (state.kind === 'absent') return { kind: 'absent' };
  if (state.kind === 'symlink') return { kind: 'symlink', target: state.target };
  if (state.kind === 'other') throw new InstallError(`${path} is ${state.description}`);
  const name = `${String(manifest.entries.length + 1).padStart(3, '0')}-${posix.basename(path)}`;
  const backup = posix.join(BACKUP_DIR, 'files', name);
  await writeFileAtomic(join(root, backup), state.bytes, { mode: 0o600 });
  return { kind: 'file', sha256: sha256(state.bytes), mode: state.mode, uid: state.uid, gid: state.gid, backup };
}
