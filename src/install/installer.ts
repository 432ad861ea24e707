// `smallworld install`: put a device's services, boot settings and configuration in place (on a Pi, or into
// a directory for tests), backing up everything first so uninstall restores the tree byte for byte. In four
// steps: probe the target (probe.ts, reads only), plan the whole desired state (plan.ts, pure), compare it with
// the disk (diff.ts, pure: a second install changes nothing, a dry run prints it), apply (apply.ts, the only
// writes). Nothing is executed; no shell is involved.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configSchema } from '../config/config.js';
import { freshSettings } from '../wifi/settings.js';
import { applyInstall, type InstallResult } from './apply.js';
import { diffInstall, dryRunLines } from './diff.js';
import { InstallError } from './errors.js';
import { loadManifest } from './manifest.js';
import { checkRequest, planInstall } from './plan.js';
import { probeTarget, readCurrentState } from './probe.js';

export type { InstallResult } from './apply.js';
export { InstallError } from './errors.js';
export { BACKUP_DIR } from './manifest.js';
export { PACKAGES } from './plan.js';
export { type UninstallOptions, uninstall } from './uninstall.js';

export const DEFAULT_INSTALL_DATA_DIR = '/var/lib/smallworld';

/** The daemon's own schema, which includes the GPIO keys the installer fills in. */
export const installedConfigSchema = configSchema;

export interface InstallOptions {
  /** Where the target system's / is (default /). */
  root: string;
  /** The daemon's data directory on the target. */
  dataDir: string;
  dryRun: boolean;
  skipPackageCheck: boolean;
  /** Wi-Fi country; default: the existing config, then what the OS was set up with. */
  country?: string;
  /** Node.js and the CLI script on the target, for the units' ExecStart. */
  node: string;
  app: string;
  out: (line: string) => void;
  warn: (line: string) => void;
}

export async function install(options: InstallOptions): Promise<InstallResult> {
  const root = resolve(options.root);
  const { dataDir, out, warn } = options;
  checkRequest(options);
  const rootInfo = await stat(root).catch(() => null);
  if (!rootInfo?.isDirectory()) throw new InstallError(`the root ${root} is not a directory`);

  const probe = await probeTarget(root, dataDir);
  const request = {
    root,
    dataDir,
    node: options.node,
    app: options.app,
    skipPackageCheck: options.skipPackageCheck,
    ...(options.country === undefined ? {} : { country: options.country }),
  };
  const plan = planInstall(probe, request, freshSettings());
  for (const notice of plan.notices) (notice.to === 'out' ? out : warn)(notice.line);
  if (plan.kind === 'refused') return { code: 1, changed: [] };
  if (plan.kind === 'invalid') throw new InstallError(plan.message);

  const manifest = await loadManifest(root);
  const diff = diffInstall(root, plan.desired, await readCurrentState(root, plan.desired));
  if (options.dryRun) {
    for (const line of dryRunLines(root, diff, { path: plan.wifiPath, willBeGenerated: probe.wifiFileAbsent }))
      out(line);
    return { code: 0, changed: diff.changes.map((c) => c.desired.path) };
  }
  return applyInstall({ root, dataDir, manifest, out, warn }, plan, diff);
}
