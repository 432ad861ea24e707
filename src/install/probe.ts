// Reading the target for `smallworld install`, and nothing else: what is installed, which boot files and
// network managers are there, the existing configuration and Wi-Fi settings (read as the daemon would, with
// nothing set aside), and later the paths the plan wants. Writes nothing.
import { lstat, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { jemallocPath } from '../peer/allocator.js';
import { readTextIfPresent } from '../store/missing.js';
import { WifiSettingsStore } from '../wifi/settings.js';
import type { CurrentState } from './diff.js';
import { inspect, type PathState } from './path-state.js';
import { BOOT_DIRS, type Desired, EDITABLE_PATHS, PACKAGES, type TargetProbe } from './plan.js';
import { NFT } from './portal.js';
import { CONFIG_PATH } from './templates.js';

export async function probeTarget(root: string, dataDir: string): Promise<TargetProbe> {
  const host = (path: string) => join(root, path);
  const missingPackages: TargetProbe['missingPackages'] = [];
  for (const pkg of PACKAGES) {
    const info = await stat(host(pkg.binary)).catch(() => null);
    if (!info?.isFile() || (info.mode & 0o111) === 0) missingPackages.push(pkg);
  }
  const editable = new Map<string, PathState>();
  for (const path of EDITABLE_PATHS) editable.set(path, await inspect(host(path)));
  const bootDir = BOOT_DIRS.find((dir) => editable.get(posix.join(dir, 'config.txt'))?.kind !== 'absent');
  const wifiPath = posix.join(dataDir, 'wifi.json');
  return {
    missingPackages,
    cmdline: bootDir === undefined ? null : await readTextIfPresent(host(posix.join(bootDir, 'cmdline.txt'))),
    editable,
    networkManager: (await isDir(host('/etc/NetworkManager'))) || (await exists(host('/usr/sbin/NetworkManager'))),
    avahi: await isDir(host('/etc/avahi')),
    nft: await exists(host(NFT)),
    configText: await readTextIfPresent(host(CONFIG_PATH)),
    wpaSupplicantText: await readTextIfPresent(host('/etc/wpa_supplicant/wpa_supplicant.conf')),
    wifiSettings: await new WifiSettingsStore(host(dataDir)).peek(),
    wifiFileAbsent: (await inspect(host(wifiPath))).kind === 'absent',
    jemalloc: jemallocPath(process.arch, root),
  };
}

/** Each desired path as it is, and its ancestors up to the first that exists (for diff.ts). */
export async function readCurrentState(root: string, desired: readonly Desired[]): Promise<CurrentState> {
  const paths = new Map<string, PathState>();
  const dirs = new Map<string, 'directory' | 'absent' | 'other'>();
  for (const d of desired) {
    paths.set(d.path, await inspect(join(root, d.path)));
    for (let dir = posix.dirname(d.path); dir !== '/' && dir !== '.' && !dirs.has(dir); dir = posix.dirname(dir)) {
      const kind = await dirKind(join(root, dir));
      dirs.set(dir, kind);
      if (kind !== 'absent') break;
    }
  }
  return { paths, dirs };
}

export async function dirKind(path: string): Promise<'directory' | 'absent' | 'other'> {
  const info = await lstat(path).catch(() => null);
  return info === null ? 'absent' : info.isDirectory() ? 'directory' : 'other';
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null)) !== null;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}
