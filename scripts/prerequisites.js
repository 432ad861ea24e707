#!/usr/bin/env node
// What `npm test` needs beyond Node.js, brought in before it builds: the Debian packages its suites drive
// (Chromium, the Wi-Fi daemons, …), the npm packages, and the reference ssb-server. Everything is checked
// first by looking at files (a few stat calls, so a prepared machine pays nothing); only what is missing is
// installed, once. Without root or without apt it installs nothing: it names what is missing and the command
// that installs it, and fails, so no suite is skipped in silence.
//
//   node scripts/prerequisites.js            # check, then install what is missing (root, Debian)
//   node scripts/prerequisites.js --check    # check only: exit 1 and say what is missing
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine } from './lib/command-line.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: node scripts/prerequisites.js [--check]

Checks what npm test's suites need (Debian packages, node_modules, the reference ssb-server) and installs
what is missing. Installing needs root and apt-get (Debian 12 or 13).

  --check   only check: list what is missing and exit 1
  --help    this text`;

/** A library found in one of the multiarch directories (its path differs per architecture). */
const library = (name) => () => {
  for (const base of ['/usr/lib', '/lib']) {
    let entries = [];
    try {
      entries = readdirSync(base);
    } catch {
      continue;
    }
    for (const dir of entries) if (dir.includes('-linux-') && existsSync(join(base, dir, name))) return true;
  }
  return false;
};
const file = (path) => () => existsSync(path);

// One line per Debian package: the file the tests use, and which tests need it.
const DEBIAN_PACKAGES = [
  { name: 'chromium', present: file('/usr/bin/chromium'), for: 'the browser tests (test/browser)' },
  { name: 'hostapd', present: file('/usr/sbin/hostapd'), for: 'the real hostapd control tests' },
  { name: 'wpasupplicant', present: file('/usr/sbin/wpa_supplicant'), for: 'the real wpa_supplicant tests' },
  { name: 'dnsmasq', present: file('/usr/sbin/dnsmasq'), for: 'the DHCP server the device runs' },
  { name: 'libjemalloc2', present: library('libjemalloc.so.2'), for: 'the SSB peer allocator, as on a device' },
  { name: 'iproute2', present: file('/usr/sbin/ip'), for: 'network namespaces (test/lan, test/integration)' },
  { name: 'systemd', present: file('/usr/bin/systemd-analyze'), for: 'verifying the installed units' },
  { name: 'python3', present: file('/usr/bin/python3'), for: 'the Wi-Fi daemons control socket bridge' },
  { name: 'avahi-daemon', present: file('/usr/sbin/avahi-daemon'), for: 'the .local name for phones (phone-links)' },
  { name: 'nftables', present: file('/usr/sbin/nft'), for: 'the port 80 rule for phones (phone-links)' },
  { name: 'e2fsprogs', present: file('/usr/sbin/mkfs.ext4'), for: 'the full SD card tests (a 40 MB ext4)' },
  { name: 'busybox-static', present: file('/bin/busybox'), for: 'the phone DHCP client, busybox udhcpc (captive-dns)' },
];

const REFERENCE = join(ROOT, 'reference', 'ssb-server');
const REFERENCE_STAMP = join(REFERENCE, 'node_modules', '.smallworld-lock-sha256');
const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const stampOf = (path) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
};

/** The npm trees: present, and (for the reference server) installed from the current lock file. */
const NPM_TREES = [
  {
    name: 'node_modules',
    present: () => existsSync(join(ROOT, 'node_modules', '.package-lock.json')),
    command: ['npm', 'ci', '--no-audit', '--no-fund'],
    cwd: ROOT,
    for: 'building and running everything',
  },
  {
    name: 'reference/ssb-server',
    present: () => stampOf(REFERENCE_STAMP) === sha256(join(REFERENCE, 'package-lock.json')),
    command: ['npm', 'ci', '--no-audit', '--no-fund', '--prefix', 'reference/ssb-server'],
    cwd: ROOT,
    for: 'the interop tests with stock ssb-server (test/lan)',
    after: () => writeFileSync(REFERENCE_STAMP, `${sha256(join(REFERENCE, 'package-lock.json'))}\n`),
  },
];

function main() {
  const { values } = commandLine(USAGE, { options: { check: { type: 'boolean', default: false } } });

  const isRoot = process.getuid?.() === 0;
  const missingPackages = DEBIAN_PACKAGES.filter((p) => !p.present());
  const missingTrees = NPM_TREES.filter((t) => !t.present());
  // test/lan builds network namespaces and veth pairs: that is root's, whatever is installed.
  if (missingPackages.length === 0 && missingTrees.length === 0 && isRoot) return 0;

  const aptGet = ['/usr/bin/apt-get', '/bin/apt-get'].find((p) => existsSync(p));
  const names = missingPackages.map((p) => p.name).join(' ');
  const problems = [];
  if (!isRoot) problems.push('npm test needs root: its network tests create network namespaces (test/lan).');
  if (missingPackages.length > 0 && !aptGet) problems.push('apt-get is not available to install Debian packages.');
  if (values.check || problems.length > 0) {
    explain(missingPackages, missingTrees, problems, Boolean(aptGet));
    return 1;
  }

  if (missingPackages.length > 0) {
    console.log(`prerequisites: installing the Debian packages npm test needs: ${names}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (...args) =>
      spawnSync(aptGet, ['-q', '-o', 'DPkg::Lock::Timeout=120', ...args], { stdio: 'inherit', env }).status;
    if (apt('update') !== 0 || apt('install', '-y', '--no-install-recommends', ...names.split(' ')) !== 0) {
      console.error(`prerequisites: apt-get failed; try: apt-get update && apt-get install -y ${names}`);
      return 1;
    }
    const still = missingPackages.filter((p) => !p.present());
    if (still.length > 0) {
      explain(still, [], ['apt-get ran but these are still missing.']);
      return 1;
    }
  }
  for (const tree of missingTrees) {
    console.log(`prerequisites: installing ${tree.name} (${tree.command.join(' ')})`);
    const status = spawnSync(tree.command[0], tree.command.slice(1), {
      cwd: tree.cwd,
      stdio: 'inherit',
      env: npmEnv(),
    }).status;
    if (status !== 0) {
      console.error(`prerequisites: "${tree.command.join(' ')}" failed`);
      return 1;
    }
    tree.after?.();
  }
  return 0;
}

/** npm, run from inside `npm test`: without the outer run's prefix, which would win over --prefix. */
function npmEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^npm_config_(local_)?prefix$/i.test(key)) delete env[key];
  return env;
}

function explain(missingPackages, missingTrees, problems, canApt = true) {
  const lines = ['npm test cannot run yet:'];
  for (const p of problems) lines.push(`  - ${p}`);
  for (const p of missingPackages) lines.push(`  - Debian package ${p.name} is not installed: ${p.for}`);
  for (const t of missingTrees) lines.push(`  - ${t.name} is not installed: ${t.for}`);
  const packages = missingPackages.map((p) => p.name).join(' ');
  if (!canApt && packages) {
    // Without apt-get, running as root installs nothing either: only the manual way is worth showing.
    lines.push('', "Install these with your system's package manager (Debian's names), then run the tests as root:");
    lines.push(`  ${packages}`);
  } else {
    lines.push('', 'Run the tests as root, which installs what is missing (Debian 12 or 13):', '  sudo npm test');
    if (packages || missingTrees.length > 0) lines.push('or install it yourself:');
    if (packages) lines.push(`  sudo apt-get install -y ${packages}`);
  }
  for (const t of missingTrees) lines.push(`  ${t.command.join(' ')}`);
  console.error(lines.join('\n'));
}

process.exitCode = main();
