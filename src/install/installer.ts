// `smallworld install` and `uninstall`: put a device's services, boot settings and configuration in place
// (on a Pi, or into a directory for tests), backing up everything first so uninstall restores the tree
// byte for byte. Each run computes the whole desired state, compares it with what is on disk and writes
// only the differences: a second install changes nothing. Nothing is executed; no shell is involved.
import { chmod, lstat, mkdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { z } from 'zod';
import { configSchema, defaultConfig } from '../config/config.js';
import { DEFAULT_BUTTONS_CONFIG } from '../gpio/evdev-buttons.js';
import { DEFAULT_LEDS_CONFIG } from '../gpio/sysfs-leds.js';
import { jemallocPath } from '../peer/allocator.js';
import { writeFileAtomic, writeSymlinkAtomic } from '../store/atomic-file.js';
import { isMissing, readTextIfPresent } from '../store/missing.js';
import { DEFAULT_PLAN, dnsmasqConf, hostapdConf, type NetworkPlan, wpaSupplicantConf } from '../wifi/config-gen.js';
import { PYTHON } from '../wifi/ctrl/transport.js';
import { DEBIAN_BINARIES, daemonFiles } from '../wifi/daemons.js';
import { freshSettings, type WifiSettings, WifiSettingsStore, wifiSettingsSchema } from '../wifi/settings.js';
import { configTxtLines, detectCountry, dhcpcdLines, upsertBlock, withGadgetModules } from './edits.js';
import { printOnboarding } from './onboarding.js';
import { inspect, type PathState, sha256 } from './path-state.js';
import {
  AVAHI_CONF_PATH,
  AVAHI_SERVICE_PATH,
  avahiService,
  NFT,
  PORTAL_NFT_PATH,
  PORTAL_UNIT,
  portalNft,
  portalUnit,
  withAvahiHostName,
} from './portal.js';
import {
  CONFIG_PATH,
  daemonUnit,
  networkManagerConf,
  peerUnit,
  RUN_DIR,
  sysusersConf,
  tmpfilesConf,
  type UnitSettings,
} from './templates.js';

export const DEFAULT_INSTALL_DATA_DIR = '/var/lib/smallworld';
/** Fixed, so uninstall finds it whatever --data was. */
export const BACKUP_DIR = '/var/lib/smallworld/install-backup';
const MANIFEST = 'manifest.json';
const UNIT_DIR = '/etc/systemd/system';

/**
 * The Debian packages that provide the binaries the daemon runs: the three Wi-Fi daemons, and python3 for
 * the bridge that opens their control sockets (src/wifi/ctrl/dgram_bridge.py).
 */
export const PACKAGES = [
  { name: 'hostapd', binary: DEBIAN_BINARIES.hostapd },
  { name: 'dnsmasq', binary: DEBIAN_BINARIES.dnsmasq },
  { name: 'wpasupplicant', binary: DEBIAN_BINARIES.wpaSupplicant },
  { name: 'iw', binary: DEBIAN_BINARIES.iw },
  { name: 'python3', binary: PYTHON },
] as const;

/** The configuration the installer writes: the daemon's schema plus the GPIO keys. */
/** The daemon's own schema, which includes the GPIO keys the installer fills in. */
export const installedConfigSchema = configSchema;
export type InstalledConfig = z.infer<typeof installedConfigSchema>;

export class InstallError extends Error {
  override name = 'InstallError';
}

// --- the manifest: what each touched path held before, and what we put there -------------------------

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
type Manifest = z.infer<typeof manifestSchema>;
type Entry = Manifest['entries'][number];

async function loadManifest(root: string): Promise<Manifest | null> {
  const path = join(root, BACKUP_DIR, MANIFEST);
  const text = await readTextIfPresent(path);
  if (text === null) return null;
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new InstallError(`${path} is damaged: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

const manifestBytes = (manifest: Manifest) => Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);

// --- desired state ------------------------------------------------------------------------------------

type Desired = { path: string; why: string } & (
  | { kind: 'file'; bytes: Buffer; mode: number }
  | { kind: 'symlink'; target: string }
);

const file = (path: string, text: string, fileMode: number, why: string): Desired => ({
  kind: 'file',
  path,
  bytes: Buffer.from(text),
  mode: fileMode,
  why,
});

function sameAs(state: PathState, desired: Desired): boolean {
  if (desired.kind === 'symlink') return state.kind === 'symlink' && state.target === desired.target;
  return state.kind === 'file' && state.mode === desired.mode && state.bytes.equals(desired.bytes);
}

/** Directory modes that are not the default 0755. */
function dirModes(dataDir: string): Map<string, number> {
  return new Map([
    [dataDir, 0o750],
    [posix.join(dataDir, 'generated'), 0o750],
    [BACKUP_DIR, 0o700],
    [posix.join(BACKUP_DIR, 'files'), 0o700],
  ]);
}

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `base` with every value `over` sets kept (objects merged key by key). */
function merge(base: Json, over: Json): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    result[key] = isObject(current) && isObject(value) ? merge(current, value) : value;
  }
  return result;
}

// --- install -------------------------------------------------------------------------------------------

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

export interface InstallResult {
  code: number;
  changed: string[];
}

export async function install(options: InstallOptions): Promise<InstallResult> {
  const root = resolve(options.root);
  const host = (path: string) => join(root, path);
  const { dataDir, out, warn } = options;
  for (const [name, path] of [
    ['--data', dataDir],
    ['--node', options.node],
    ['--app', options.app],
  ] as const) {
    if (!isAbsolute(path)) throw new InstallError(`${name} must be an absolute path, not "${path}"`);
  }
  const rootInfo = await stat(root).catch(() => null);
  if (!rootInfo?.isDirectory()) throw new InstallError(`the root ${root} is not a directory`);

  if (!options.skipPackageCheck) {
    const missing = [];
    for (const pkg of PACKAGES) {
      const info = await stat(host(pkg.binary)).catch(() => null);
      if (!info?.isFile() || (info.mode & 0o111) === 0) missing.push(pkg);
    }
    if (missing.length > 0) {
      warn(
        `smallworld install: missing ${missing.map((p) => p.binary).join(', ')}${root === '/' ? '' : ` under ${root}`}. Install ${missing.length === 1 ? 'it' : 'them'} with:`,
      );
      warn(`apt-get install -y ${missing.map((p) => p.name).join(' ')}`);
      return { code: 1, changed: [] };
    }
  }
  for (const [what, path] of [
    ['Node.js', options.node],
    ['Smallworld', options.app],
  ] as const) {
    if (/^\/(home|root|run\/user)\//.test(path))
      warn(
        `warning: ${what} is at ${path}; the services cannot read home directories (ProtectHome=yes, and the peer runs as its own user). Install it under /opt or /usr instead.`,
      );
  }

  const manifest: Manifest = (await loadManifest(root)) ?? { version: 1, createdDirs: [], entries: [] };
  const originalManifest = manifestBytes(manifest);
  const modes = dirModes(dataDir);

  /** Creates the missing directories up to `dir` (target path), recording them for uninstall. */
  const missingDirs = async (dir: string): Promise<string[]> => {
    const missing: string[] = [];
    for (let d = dir; d !== '/' && d !== '.'; d = posix.dirname(d)) {
      const info = await lstat(host(d)).catch(() => null);
      if (info === null) missing.unshift(d);
      else if (!info.isDirectory()) throw new InstallError(`${host(d)} is in the way: it should be a directory`);
      else break;
    }
    return missing;
  };
  const createDirs = async (dirs: string[]) => {
    for (const dir of dirs) {
      if (!manifest.createdDirs.includes(dir)) manifest.createdDirs.push(dir);
      await mkdir(host(dir));
      await chmod(host(dir), modes.get(dir) ?? 0o755);
    }
  };

  // What the target looks like.
  const bootDir = (await exists(host('/boot/firmware/config.txt')))
    ? '/boot/firmware'
    : (await exists(host('/boot/config.txt')))
      ? '/boot'
      : null;
  if (bootDir === null)
    warn('warning: no config.txt in /boot/firmware or /boot: skipping the boot settings (USB gadget, GPIO overlays)');
  const cmdlinePath = bootDir === null ? null : posix.join(bootDir, 'cmdline.txt');
  const cmdline = cmdlinePath === null ? null : await readTextIfPresent(host(cmdlinePath));
  if (bootDir !== null && cmdline === null) warn(`warning: no ${cmdlinePath}: skipping the USB gadget modules`);
  const networkManager = (await isDir(host('/etc/NetworkManager'))) || (await exists(host('/usr/sbin/NetworkManager')));
  const dhcpcd = await exists(host('/etc/dhcpcd.conf'));

  // The configuration: an existing file's values win over ours, --country over both.
  const existingText = await readTextIfPresent(host(CONFIG_PATH));
  let existing: Json = {};
  if (existingText !== null) {
    try {
      const parsed: unknown = JSON.parse(existingText);
      if (!isObject(parsed)) throw new Error('not a JSON object');
      existing = parsed;
    } catch (error) {
      throw new InstallError(`${host(CONFIG_PATH)} is not valid JSON (${(error as Error).message}); fix or remove it`);
    }
  }
  const detected = detectCountry(cmdline, await readTextIfPresent(host('/etc/wpa_supplicant/wpa_supplicant.conf')));
  const existingCountry = isObject(existing.wifi) ? existing.wifi.country : undefined;
  if (options.country === undefined && existingCountry === undefined && detected === null) {
    warn(
      `warning: no Wi-Fi country found (raspi-config sets one); using ${DEFAULT_PLAN.country}. Set yours with --country XX.`,
    );
  }
  // Every key written out with its default, so the file shows what can be set.
  const defaults = defaultConfig() as unknown as Json;
  const template: Json = {
    ...defaults,
    // Every address: phones on the AP and laptops on USB reach the page; the peer itself refuses requests
    // that arrive on any other local address (a network the device merely joined), see web/security.ts.
    web: { ...(defaults.web as Json), host: '0.0.0.0' },
    wifi: { ...(defaults.wifi as Json), country: detected ?? DEFAULT_PLAN.country },
    runDir: RUN_DIR,
    gpio: { enabled: true, buttons: DEFAULT_BUTTONS_CONFIG, leds: DEFAULT_LEDS_CONFIG },
  };
  const merged = merge(template, existing);
  if (options.country !== undefined) merged.wifi = { ...(merged.wifi as Json), country: options.country };
  const checked = installedConfigSchema.safeParse(merged);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new InstallError(`the configuration is invalid at ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  const config = checked.data;
  const runDir = config.runDir ?? posix.join(dataDir, 'run');
  const plan: NetworkPlan = {
    ...DEFAULT_PLAN,
    wifiInterface: config.wifi.interface,
    usbInterface: config.usb.interface,
    country: config.wifi.country,
    channel: config.wifi.channel,
  };
  const files = daemonFiles(dataDir, runDir);

  // The device's own network: the daemon will load the very same settings.
  const wifiPath = posix.join(dataDir, 'wifi.json');
  let settings: WifiSettings;
  if (options.dryRun) {
    settings = (await readWifiSettings(host(wifiPath))) ?? freshSettings();
  } else {
    const before = await inspect(host(wifiPath));
    await createDirs(await missingDirs(dataDir));
    const loaded = await new WifiSettingsStore(host(dataDir)).loadOrCreate();
    if (loaded.warning) warn(`warning: ${loaded.warning}`);
    settings = loaded.settings;
    const after = await inspect(host(wifiPath));
    if (before.kind === 'absent' && after.kind === 'file' && !manifest.entries.some((e) => e.path === wifiPath)) {
      manifest.entries.push({
        path: wifiPath,
        why: "this device's network name and passphrase",
        before: { kind: 'absent' },
        installed: { kind: 'file', sha256: sha256(after.bytes), mode: after.mode },
      });
    }
  }

  const unit: UnitSettings = {
    node: options.node,
    app: options.app,
    dataDir,
    runDir,
    wifiInterface: config.wifi.interface,
    jemalloc: jemallocPath(process.arch, root),
  };
  if (unit.jemalloc === null) {
    options.out(
      'Note: libjemalloc2 is not installed; the SSB peer will keep more memory (apt-get install -y libjemalloc2).',
    );
  }
  const interfaces = [config.wifi.interface, config.usb.interface];
  const desired: Desired[] = [
    file(CONFIG_PATH, `${JSON.stringify(merged, null, 2)}\n`, 0o644, "the daemon's configuration"),
    file(files.hostapdConf, hostapdConf(settings.ap, plan, files), 0o600, 'hostapd configuration'),
    file(files.wpaConf, wpaSupplicantConf(settings.knownNetworks, plan, files), 0o600, 'wpa_supplicant configuration'),
    file(files.dnsmasqConf, dnsmasqConf(plan, files), 0o644, 'dnsmasq configuration'),
    file(`${UNIT_DIR}/smallworld.service`, daemonUnit(unit), 0o644, 'the connectivity daemon'),
    file(`${UNIT_DIR}/smallworld-peer.service`, peerUnit(unit), 0o644, 'the peer (web page, SSB)'),
    {
      kind: 'symlink',
      path: `${UNIT_DIR}/multi-user.target.wants/smallworld.service`,
      target: `${UNIT_DIR}/smallworld.service`,
      why: 'start the daemon at boot',
    },
    {
      kind: 'symlink',
      path: `${UNIT_DIR}/multi-user.target.wants/smallworld-peer.service`,
      target: `${UNIT_DIR}/smallworld-peer.service`,
      why: 'start the peer at boot',
    },
    file('/etc/sysusers.d/smallworld.conf', sysusersConf(dataDir), 0o644, 'the smallworld system user'),
    file('/etc/tmpfiles.d/smallworld.conf', tmpfilesConf(dataDir), 0o644, 'the data directory'),
    ...['hostapd.service', 'dnsmasq.service', `wpa_supplicant@${config.wifi.interface}.service`].map(
      (name): Desired => ({
        kind: 'symlink',
        path: `${UNIT_DIR}/${name}`,
        target: '/dev/null',
        why: `mask ${name}: the daemon runs its own`,
      }),
    ),
  ];
  if (networkManager) {
    desired.push(
      file(
        '/etc/NetworkManager/conf.d/smallworld.conf',
        networkManagerConf(interfaces),
        0o644,
        `NetworkManager leaves ${interfaces.join(' and ')} alone`,
      ),
    );
  }
  const edit = async (path: string, change: (text: string) => string, why: string) => {
    const state = await inspect(host(path));
    if (state.kind !== 'file') throw new InstallError(`${host(path)} is not a regular file; refusing to edit it`);
    desired.push({
      kind: 'file',
      path,
      bytes: Buffer.from(change(state.bytes.toString('utf8'))),
      mode: state.mode,
      why,
    });
  };
  // A phone needs nothing installed (docs/PHONES.md): the name by Avahi, port 80 on the AP and USB links.
  if (config.web.port !== 0) {
    if (await isDir(host('/etc/avahi'))) {
      desired.push(file(AVAHI_SERVICE_PATH, avahiService(config.web.port), 0o644, 'announce the web page by mDNS'));
      if (await exists(host(AVAHI_CONF_PATH)))
        await edit(AVAHI_CONF_PATH, (text) => withAvahiHostName(text), 'the mDNS name smallworld.local');
    } else
      out(
        'Note: avahi-daemon is not installed, so the device has no .local name (apt-get install -y avahi-daemon, then install again).',
      );
    if (await exists(host(NFT))) {
      desired.push(
        file(PORTAL_NFT_PATH, portalNft(interfaces, config.web.port), 0o644, 'port 80 on the AP and USB links'),
        file(`${UNIT_DIR}/${PORTAL_UNIT}`, portalUnit(), 0o644, 'load the port 80 rules'),
        {
          kind: 'symlink',
          path: `${UNIT_DIR}/multi-user.target.wants/${PORTAL_UNIT}`,
          target: `${UNIT_DIR}/${PORTAL_UNIT}`,
          why: 'load the port 80 rules at boot',
        },
      );
    } else
      out(
        `Note: nft is not installed, so phones reach the page on port ${config.web.port} only, not 80 (apt-get install -y nftables, then install again).`,
      );
  }
  if (dhcpcd) {
    await edit(
      '/etc/dhcpcd.conf',
      (text) => upsertBlock(text, dhcpcdLines(interfaces), 'start'),
      `dhcpcd leaves ${interfaces.join(' and ')} alone`,
    );
  }
  if (!networkManager && !dhcpcd)
    warn(
      `warning: neither NetworkManager nor dhcpcd found; make sure nothing else manages ${interfaces.join(' and ')}`,
    );
  if (bootDir !== null) {
    const lines = configTxtLines({ keycodes: config.gpio.buttons.keycodes, ledNames: config.gpio.leds.names });
    await edit(
      posix.join(bootDir, 'config.txt'),
      (text) => upsertBlock(text, lines, 'end'),
      'USB gadget and GPIO overlays',
    );
    if (cmdline !== null && cmdlinePath !== null) {
      await edit(cmdlinePath, withGadgetModules, 'load the USB Ethernet gadget');
    }
  }

  // What differs.
  const changes: Array<{ desired: Desired; state: PathState }> = [];
  for (const d of desired) {
    const state = await inspect(host(d.path));
    if (state.kind === 'other')
      throw new InstallError(`${host(d.path)} is ${state.description}; refusing to replace it`);
    if (!sameAs(state, d)) changes.push({ desired: d, state });
  }
  const dirsToCreate: string[] = [];
  for (const { desired: d } of changes) {
    for (const dir of await missingDirs(posix.dirname(d.path))) if (!dirsToCreate.includes(dir)) dirsToCreate.push(dir);
  }

  if (options.dryRun) {
    if (changes.length === 0 && dirsToCreate.length === 0) {
      out('Nothing to change: Smallworld is installed as configured.');
      return { code: 0, changed: [] };
    }
    out(`Would change${root === '/' ? '' : ` (under ${root})`}:`);
    for (const dir of dirsToCreate) out(`  mkdir   ${dir}`);
    if ((await inspect(host(wifiPath))).kind === 'absent')
      out(`  create  ${wifiPath}  (this device's network name and passphrase, generated)`);
    for (const { desired: d, state } of changes) {
      const verb = d.kind === 'symlink' ? 'link   ' : state.kind === 'absent' ? 'create ' : 'update ';
      out(`  ${verb} ${d.path}${d.kind === 'symlink' ? ` -> ${d.target}` : ''}  (${d.why})`);
      if (d.kind === 'file' && state.kind === 'file') for (const line of lineDiff(state.bytes, d.bytes)) out(line);
    }
    out('Nothing was changed (--dry-run).');
    return { code: 0, changed: changes.map((c) => c.desired.path) };
  }

  // Back up what will change, record it, then change it.
  if (changes.length > 0) {
    await createDirs(await missingDirs(posix.join(BACKUP_DIR, 'files')));
    for (const { desired: d, state } of changes) {
      const installed: Entry['installed'] =
        d.kind === 'file'
          ? { kind: 'file', sha256: sha256(d.bytes), mode: d.mode }
          : { kind: 'symlink', target: d.target };
      const entry = manifest.entries.find((e) => e.path === d.path);
      if (entry === undefined) {
        const before = await backUp(root, manifest, d.path, state);
        manifest.entries.push({ path: d.path, why: d.why, before, installed });
      } else entry.installed = installed;
    }
    for (const dir of dirsToCreate) if (!manifest.createdDirs.includes(dir)) manifest.createdDirs.push(dir);
  }
  const newManifest = manifestBytes(manifest);
  if (!newManifest.equals(originalManifest)) {
    await createDirs(await missingDirs(BACKUP_DIR));
    await writeFileAtomic(host(posix.join(BACKUP_DIR, MANIFEST)), newManifest, { mode: 0o600 });
  }
  for (const { desired: d } of changes) {
    await createDirs(await missingDirs(posix.dirname(d.path)));
    if (d.kind === 'file') await writeFileAtomic(host(d.path), d.bytes, { mode: d.mode });
    else await writeSymlinkAtomic(host(d.path), d.target);
    out(`${d.kind === 'symlink' ? 'linked ' : 'wrote  '} ${d.path}${d.kind === 'symlink' ? ` -> ${d.target}` : ''}`);
  }
  if (changes.length === 0) out('Nothing to change: Smallworld is installed as configured.');
  else {
    out(`Backups and the list of changes: ${BACKUP_DIR}/${MANIFEST} ("smallworld uninstall" restores them).`);
    if (root === '/')
      out('Reboot to finish: the GPIO overlays and the USB gadget load at boot, and the services start then.');
  }
  await printOnboarding(settings.ap, out);
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

/** Lines removed and added, for --dry-run (good enough for config files; not a real diff). */
function lineDiff(before: Buffer, after: Buffer): string[] {
  const a = before.toString('utf8').split('\n');
  const b = after.toString('utf8').split('\n');
  const inA = new Set(a);
  const inB = new Set(b);
  return [
    ...a.filter((line) => !inB.has(line)).map((line) => `      - ${line}`),
    ...b.filter((line) => !inA.has(line)).map((line) => `      + ${line}`),
  ];
}

// --- uninstall -------------------------------------------------------------------------------------------

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

function matches(state: PathState, recorded: Entry['before'] | Entry['installed']): boolean {
  switch (recorded.kind) {
    case 'absent':
      return state.kind === 'absent';
    case 'symlink':
      return state.kind === 'symlink' && state.target === recorded.target;
    case 'file':
      return state.kind === 'file' && state.mode === recorded.mode && sha256(state.bytes) === recorded.sha256;
  }
}

// --- small helpers ---------------------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null)) !== null;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

/** The existing Wi-Fi settings without touching anything (for --dry-run). */
async function readWifiSettings(path: string): Promise<WifiSettings | null> {
  const text = await readTextIfPresent(path);
  if (text === null) return null;
  try {
    const parsed = wifiSettingsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
