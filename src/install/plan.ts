// What `smallworld install` wants on the target, decided without touching it: a pure function of what the
// probe found (probe.ts) and what was asked. The configuration merge, the generated daemon files, the units,
// the system user, the boot edits and the notes to print all come from here; diff.ts compares the result
// with the disk and apply.ts writes it.
import { isAbsolute, posix } from 'node:path';
import { type Config, configSchema, defaultConfig } from '../config/config.js';
import { DEFAULT_BUTTONS_CONFIG } from '../gpio/evdev-buttons.js';
import { DEFAULT_LEDS_CONFIG } from '../gpio/sysfs-leds.js';
import { DEFAULT_PLAN, dnsmasqConf, hostapdConf, networkPlanFor, wpaSupplicantConf } from '../wifi/config-gen.js';
import { PYTHON } from '../wifi/ctrl/transport.js';
import { DEBIAN_BINARIES, daemonFiles } from '../wifi/daemons.js';
import type { WifiSettings } from '../wifi/settings.js';
import { configTxtLines, detectCountry, dhcpcdLines, upsertBlock, withGadgetModules } from './edits.js';
import { InstallError } from './errors.js';
import type { PathState } from './path-state.js';
import {
  AVAHI_CONF_PATH,
  AVAHI_SERVICE_PATH,
  avahiService,
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

export const UNIT_DIR = '/etc/systemd/system';

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
export type Package = (typeof PACKAGES)[number];

/** The boot directories install looks in, newest Raspberry Pi OS first. */
export const BOOT_DIRS = ['/boot/firmware', '/boot'] as const;
export type BootDir = (typeof BOOT_DIRS)[number];

/** The files install may edit in place, where they exist. */
export const EDITABLE_PATHS = [
  ...BOOT_DIRS.flatMap((dir) => [posix.join(dir, 'config.txt'), posix.join(dir, 'cmdline.txt')]),
  '/etc/dhcpcd.conf',
  AVAHI_CONF_PATH,
];

/** What the target looks like, read once before planning (probe.ts). */
export interface TargetProbe {
  /** The packages whose binaries are missing (or not executable). */
  missingPackages: Package[];
  /** The text of cmdline.txt in the boot directory found, or null. */
  cmdline: string | null;
  /** Each of EDITABLE_PATHS as it is now. */
  editable: ReadonlyMap<string, PathState>;
  networkManager: boolean;
  avahi: boolean;
  nft: boolean;
  /** /etc/smallworld/config.json's text, or null when there is none. */
  configText: string | null;
  /** The OS's wpa_supplicant.conf (raspi-config puts the country there on older systems), or null. */
  wpaSupplicantText: string | null;
  /** The device's own network settings as the daemon would load them (null: none yet, or unreadable). */
  wifiSettings: WifiSettings | null;
  /** Whether DATA/wifi.json is absent (a dry run says it will be generated). */
  wifiFileAbsent: boolean;
  /** libjemalloc2 for this CPU on the target, or null. */
  jemalloc: string | null;
}

export interface InstallRequest {
  /** The target's root on this machine, only for messages ("under ROOT"). */
  root: string;
  dataDir: string;
  node: string;
  app: string;
  skipPackageCheck: boolean;
  country?: string;
}

/** A file or a link install owns, as it should be. */
export type Desired = { path: string; why: string } & (
  | { kind: 'file'; bytes: Buffer; mode: number }
  | { kind: 'symlink'; target: string }
);

/** A line to print: `out` for notes, `warn` for what the owner should act on. */
export type Notice = { to: 'out' | 'warn'; line: string };

export type InstallPlan =
  /** Refused before anything else: packages are missing (exit code 1, the notices say which and how). */
  | { kind: 'refused'; notices: Notice[] }
  /** The request or the target cannot be installed as they are: `message` says why. */
  | { kind: 'invalid'; notices: Notice[]; message: string }
  | {
      kind: 'ready';
      notices: Notice[];
      config: Config;
      /** The device's network; the apply step creates DATA/wifi.json with these when there is none. */
      settings: WifiSettings;
      wifiPath: string;
      desired: Desired[];
    };

/** Directory modes that are not the default 0755. */
export function dirModes(dataDir: string, backupDir: string): Map<string, number> {
  return new Map([
    [dataDir, 0o750],
    [posix.join(dataDir, 'generated'), 0o750],
    [backupDir, 0o700],
    [posix.join(backupDir, 'files'), 0o700],
  ]);
}

/** Checks the request alone (before the target is looked at). */
export function checkRequest(request: Pick<InstallRequest, 'dataDir' | 'node' | 'app'>): void {
  for (const [name, path] of [
    ['--data', request.dataDir],
    ['--node', request.node],
    ['--app', request.app],
  ] as const) {
    if (!isAbsolute(path)) throw new InstallError(`${name} must be an absolute path, not "${path}"`);
  }
}

/**
 * The whole desired state. `freshSettings` are the device's network settings to generate if it has none
 * (passed in: the plan draws no random numbers). Throws nothing: a refusal is a plan of its own kind.
 */
export function planInstall(probe: TargetProbe, request: InstallRequest, freshSettings: WifiSettings): InstallPlan {
  const notices: Notice[] = [];
  try {
    return planOrRefuse(probe, request, freshSettings, notices);
  } catch (error) {
    if (error instanceof InstallError) return { kind: 'invalid', notices, message: error.message };
    throw error;
  }
}

/** Where the plan's notes go: `out` for notes, `warn` for what the owner should act on. */
type Notes = { out: (line: string) => void; warn: (line: string) => void };

/** An edit of a file the target already has (EDITABLE_PATHS), keeping its mode. */
type Edit = (path: string, change: (text: string) => string, why: string) => Desired;

function planOrRefuse(
  probe: TargetProbe,
  request: InstallRequest,
  freshSettings: WifiSettings,
  notices: Notice[],
): InstallPlan {
  const host = (path: string) => posix.join(request.root, path);
  const notes: Notes = {
    out: (line) => notices.push({ to: 'out', line }),
    warn: (line) => notices.push({ to: 'warn', line }),
  };
  const missing = request.skipPackageCheck ? [] : probe.missingPackages;
  if (missing.length > 0) {
    refuseMissing(missing, request.root, notes.warn);
    return { kind: 'refused', notices };
  }
  warnAboutHomeDirectories(request, notes.warn);
  const boot = bootFilesOf(probe, notes.warn);
  const { config, text: configText } = mergedConfig(probe, request, host, notes.warn);
  const settings = probe.wifiSettings ?? freshSettings;
  const interfaces = [config.wifi.interface, config.usb.interface];
  const edit = editorOf(probe, host);
  const desired: Desired[] = [
    ...serviceFiles(probe, request, config, configText, settings, notes.out),
    ...networkManagerFiles(probe, interfaces, edit, notes.warn),
    ...phoneAccessFiles(probe, config, interfaces, edit, notes.out),
    ...bootEdits(boot, config, edit),
  ];
  return { kind: 'ready', notices, config, settings, wifiPath: posix.join(request.dataDir, 'wifi.json'), desired };
}

function refuseMissing(missing: readonly Package[], root: string, warn: Notes['warn']): void {
  warn(
    `smallworld install: missing ${missing.map((p) => p.binary).join(', ')}${root === '/' ? '' : ` under ${root}`}. Install ${missing.length === 1 ? 'it' : 'them'} with:`,
  );
  warn(`apt-get install -y ${missing.map((p) => p.name).join(' ')}`);
}

function warnAboutHomeDirectories(request: InstallRequest, warn: Notes['warn']): void {
  for (const [what, path] of [
    ['Node.js', request.node],
    ['Smallworld', request.app],
  ] as const) {
    if (/^\/(home|root|run\/user)\//.test(path))
      warn(
        `warning: ${what} is at ${path}; the services cannot read home directories (ProtectHome=yes, and the peer runs as its own user). Install it under /opt or /usr instead.`,
      );
  }
}

const isPresent = (probe: TargetProbe, path: string) => (probe.editable.get(path)?.kind ?? 'absent') !== 'absent';

type BootFiles = { dir: string; cmdline: { path: string; text: string } | null } | null;

/** The boot directory and its cmdline.txt, where the target has them (warned about where not). */
function bootFilesOf(probe: TargetProbe, warn: Notes['warn']): BootFiles {
  const dir = BOOT_DIRS.find((candidate) => isPresent(probe, posix.join(candidate, 'config.txt'))) ?? null;
  if (dir === null) {
    warn('warning: no config.txt in /boot/firmware or /boot: skipping the boot settings (USB gadget, GPIO overlays)');
    return null;
  }
  const path = posix.join(dir, 'cmdline.txt');
  if (probe.cmdline === null) warn(`warning: no ${path}: skipping the USB gadget modules`);
  return { dir, cmdline: probe.cmdline === null ? null : { path, text: probe.cmdline } };
}

function editorOf(probe: TargetProbe, host: (path: string) => string): Edit {
  return (path, change, why) => {
    const state = probe.editable.get(path) ?? { kind: 'absent' };
    if (state.kind !== 'file') throw new InstallError(`${host(path)} is not a regular file; refusing to edit it`);
    return { kind: 'file', path, bytes: Buffer.from(change(state.bytes.toString('utf8'))), mode: state.mode, why };
  };
}

/** The configuration, the Wi-Fi daemons' files, the two services, their user and data directory. */
function serviceFiles(
  probe: TargetProbe,
  request: InstallRequest,
  config: Config,
  configText: string,
  settings: WifiSettings,
  out: Notes['out'],
): Desired[] {
  const { dataDir } = request;
  const runDir = config.runDir ?? posix.join(dataDir, 'run');
  const plan = networkPlanFor(config);
  const files = daemonFiles(dataDir, runDir);
  const unit: UnitSettings = {
    node: request.node,
    app: request.app,
    dataDir,
    runDir,
    wifiInterface: config.wifi.interface,
    jemalloc: probe.jemalloc,
  };
  if (unit.jemalloc === null) {
    out('Note: libjemalloc2 is not installed; the SSB peer will keep more memory (apt-get install -y libjemalloc2).');
  }
  return [
    file(CONFIG_PATH, configText, 0o644, "the daemon's configuration"),
    file(files.hostapdConf, hostapdConf(settings.ap, plan, files), 0o600, 'hostapd configuration'),
    file(files.wpaConf, wpaSupplicantConf(settings.knownNetworks, plan, files), 0o600, 'wpa_supplicant configuration'),
    file(files.dnsmasqConf, dnsmasqConf(plan, files), 0o644, 'dnsmasq configuration'),
    file(`${UNIT_DIR}/smallworld.service`, daemonUnit(unit), 0o644, 'the connectivity daemon'),
    file(`${UNIT_DIR}/smallworld-peer.service`, peerUnit(unit), 0o644, 'the peer (web page, SSB)'),
    link(
      `${UNIT_DIR}/multi-user.target.wants/smallworld.service`,
      `${UNIT_DIR}/smallworld.service`,
      'start the daemon at boot',
    ),
    link(
      `${UNIT_DIR}/multi-user.target.wants/smallworld-peer.service`,
      `${UNIT_DIR}/smallworld-peer.service`,
      'start the peer at boot',
    ),
    file('/etc/sysusers.d/smallworld.conf', sysusersConf(dataDir), 0o644, 'the smallworld system user'),
    file('/etc/tmpfiles.d/smallworld.conf', tmpfilesConf(dataDir), 0o644, 'the data directory'),
    ...['hostapd.service', 'dnsmasq.service', `wpa_supplicant@${config.wifi.interface}.service`].map((name) =>
      link(`${UNIT_DIR}/${name}`, '/dev/null', `mask ${name}: the daemon runs its own`),
    ),
  ];
}

/** NetworkManager and dhcpcd told to leave the device's own links alone, whichever the target runs. */
function networkManagerFiles(probe: TargetProbe, interfaces: string[], edit: Edit, warn: Notes['warn']): Desired[] {
  const links = interfaces.join(' and ');
  const dhcpcd = isPresent(probe, '/etc/dhcpcd.conf');
  if (!probe.networkManager && !dhcpcd) {
    warn(`warning: neither NetworkManager nor dhcpcd found; make sure nothing else manages ${links}`);
  }
  return [
    ...(probe.networkManager
      ? [
          file(
            '/etc/NetworkManager/conf.d/smallworld.conf',
            networkManagerConf(interfaces),
            0o644,
            `NetworkManager leaves ${links} alone`,
          ),
        ]
      : []),
    ...(dhcpcd
      ? [
          edit(
            '/etc/dhcpcd.conf',
            (text) => upsertBlock(text, dhcpcdLines(interfaces), 'start'),
            `dhcpcd leaves ${links} alone`,
          ),
        ]
      : []),
  ];
}

/** A phone needs nothing installed (docs/PHONES.md): the name by Avahi, port 80 on the AP and USB links. */
function phoneAccessFiles(
  probe: TargetProbe,
  config: Config,
  interfaces: string[],
  edit: Edit,
  out: Notes['out'],
): Desired[] {
  if (config.web.port === 0) return [];
  const desired: Desired[] = [];
  if (probe.avahi) {
    desired.push(file(AVAHI_SERVICE_PATH, avahiService(config.web.port), 0o644, 'announce the web page by mDNS'));
    if (isPresent(probe, AVAHI_CONF_PATH))
      desired.push(edit(AVAHI_CONF_PATH, (text) => withAvahiHostName(text), 'the mDNS name smallworld.local'));
  } else {
    out(
      'Note: avahi-daemon is not installed, so the device has no .local name (apt-get install -y avahi-daemon, then install again).',
    );
  }
  if (probe.nft) {
    desired.push(
      file(PORTAL_NFT_PATH, portalNft(interfaces, config.web.port), 0o644, 'port 80 on the AP and USB links'),
      file(`${UNIT_DIR}/${PORTAL_UNIT}`, portalUnit(), 0o644, 'load the port 80 rules'),
      link(
        `${UNIT_DIR}/multi-user.target.wants/${PORTAL_UNIT}`,
        `${UNIT_DIR}/${PORTAL_UNIT}`,
        'load the port 80 rules at boot',
      ),
    );
  } else {
    out(
      `Note: nft is not installed, so phones reach the page on port ${config.web.port} only, not 80 (apt-get install -y nftables, then install again).`,
    );
  }
  return desired;
}

/** The USB gadget and the buttons' and LEDs' overlays, in the boot files the target has. */
function bootEdits(boot: BootFiles, config: Config, edit: Edit): Desired[] {
  if (boot === null) return [];
  const lines = configTxtLines({ keycodes: config.gpio.buttons.keycodes, ledNames: config.gpio.leds.names });
  return [
    edit(posix.join(boot.dir, 'config.txt'), (text) => upsertBlock(text, lines, 'end'), 'USB gadget and GPIO overlays'),
    ...(boot.cmdline === null ? [] : [edit(boot.cmdline.path, withGadgetModules, 'load the USB Ethernet gadget')]),
  ];
}

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `base` with every value `over` sets kept (objects merged key by key). */
export function merge(base: Json, over: Json): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    result[key] = isObject(current) && isObject(value) ? merge(current, value) : value;
  }
  return result;
}

/** The configuration to write: an existing file's values win over ours, --country over both. */
function mergedConfig(
  probe: TargetProbe,
  request: InstallRequest,
  host: (path: string) => string,
  warn: (line: string) => void,
): { config: Config; text: string } {
  let existing: Json = {};
  if (probe.configText !== null) {
    try {
      const parsed: unknown = JSON.parse(probe.configText);
      if (!isObject(parsed)) throw new Error('not a JSON object');
      existing = parsed;
    } catch (error) {
      throw new InstallError(`${host(CONFIG_PATH)} is not valid JSON (${(error as Error).message}); fix or remove it`);
    }
  }
  const detected = detectCountry(probe.cmdline, probe.wpaSupplicantText);
  const existingCountry = isObject(existing.wifi) ? existing.wifi.country : undefined;
  if (request.country === undefined && existingCountry === undefined && detected === null) {
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
  if (request.country !== undefined) merged.wifi = { ...(merged.wifi as Json), country: request.country };
  const checked = configSchema.safeParse(merged);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new InstallError(`the configuration is invalid at ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  return { config: checked.data, text: `${JSON.stringify(merged, null, 2)}\n` };
}

const file = (path: string, text: string, fileMode: number, why: string): Desired => ({
  kind: 'file',
  path,
  bytes: Buffer.from(text),
  mode: fileMode,
  why,
});

const link = (path: string, target: string, why: string): Desired => ({ kind: 'symlink', path, target, why });
