// The installer's pure parts: the plan (probe + request -> desired files, units, user, notes), the diff
// against the disk, and the dry run's lines. Tables over fake probes; nothing here touches a file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CurrentState, diffInstall, dryRunLines, missingDirs } from '../../src/install/diff.js';
import type { PathState } from '../../src/install/path-state.js';
import {
  checkRequest,
  type Desired,
  EDITABLE_PATHS,
  type InstallPlan,
  type InstallRequest,
  PACKAGES,
  planInstall,
  type TargetProbe,
} from '../../src/install/plan.js';
import type { WifiSettings } from '../../src/wifi/settings.js';

const file = (text: string, mode = 0o644): PathState => ({
  kind: 'file',
  bytes: Buffer.from(text),
  mode,
  uid: 0,
  gid: 0,
});
const ABSENT: PathState = { kind: 'absent' };

const FRESH: WifiSettings = {
  version: 1,
  ap: { ssid: 'Smallworld-F00D', passphrase: 'abcd-efgh-ijkm-npqr' },
  knownNetworks: [],
};
const KEPT: WifiSettings = {
  version: 1,
  ap: { ssid: 'Smallworld-BEEF', passphrase: 'rstu-vwxy-z234-5678' },
  knownNetworks: [],
};

/** Raspberry Pi OS Bookworm: /boot/firmware, NetworkManager, the country in cmdline.txt, no Avahi or nft. */
function bookworm(files: Record<string, PathState> = {}, over: Partial<TargetProbe> = {}): TargetProbe {
  const editable = new Map<string, PathState>(EDITABLE_PATHS.map((path) => [path, ABSENT]));
  editable.set('/boot/firmware/config.txt', file('dtparam=audio=on\n[all]\n', 0o755));
  editable.set('/boot/firmware/cmdline.txt', file('console=tty1 rootwait cfg80211.ieee80211_regdom=GB\n', 0o755));
  for (const [path, state] of Object.entries(files)) editable.set(path, state);
  return {
    missingPackages: [],
    cmdline: 'console=tty1 rootwait cfg80211.ieee80211_regdom=GB\n',
    editable,
    networkManager: true,
    avahi: false,
    nft: false,
    configText: null,
    wpaSupplicantText: null,
    wifiSettings: null,
    wifiFileAbsent: true,
    jemalloc: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
    ...over,
  };
}

/** Bullseye: /boot, dhcpcd, no country anywhere. */
function bullseye(over: Partial<TargetProbe> = {}): TargetProbe {
  return bookworm(
    {
      '/boot/firmware/config.txt': ABSENT,
      '/boot/firmware/cmdline.txt': ABSENT,
      '/boot/config.txt': file('dtparam=audio=on\n'),
      '/boot/cmdline.txt': file('console=tty1 rootwait'),
      '/etc/dhcpcd.conf': file('hostname\n'),
    },
    { cmdline: 'console=tty1 rootwait', networkManager: false, ...over },
  );
}

const REQUEST: InstallRequest = {
  root: '/',
  dataDir: '/var/lib/smallworld',
  node: '/usr/bin/node',
  app: '/opt/smallworld/dist/src/cli/main.js',
  skipPackageCheck: false,
};

const ready = (plan: InstallPlan) => {
  if (plan.kind !== 'ready') assert.fail(`expected a plan, got ${plan.kind}: ${JSON.stringify(plan)}`);
  return plan;
};
const paths = (plan: InstallPlan) => ready(plan).desired.map((d) => d.path);
const text = (plan: InstallPlan, path: string) => {
  const d = ready(plan).desired.find((x) => x.path === path);
  assert.ok(d?.kind === 'file', `${path} is not planned as a file`);
  return d.bytes.toString('utf8');
};
const lines = (plan: InstallPlan, to: 'out' | 'warn') => plan.notices.filter((n) => n.to === to).map((n) => n.line);

const ALWAYS = [
  '/etc/smallworld/config.json',
  '/var/lib/smallworld/generated/hostapd.conf',
  '/var/lib/smallworld/generated/wpa_supplicant.conf',
  '/var/lib/smallworld/generated/dnsmasq.conf',
  '/etc/systemd/system/smallworld.service',
  '/etc/systemd/system/smallworld-peer.service',
  '/etc/systemd/system/multi-user.target.wants/smallworld.service',
  '/etc/systemd/system/multi-user.target.wants/smallworld-peer.service',
  '/etc/sysusers.d/smallworld.conf',
  '/etc/tmpfiles.d/smallworld.conf',
  '/etc/systemd/system/hostapd.service',
  '/etc/systemd/system/dnsmasq.service',
  '/etc/systemd/system/wpa_supplicant@wlan0.service',
];

describe('planInstall: what each target gets', () => {
  const cases: Array<{
    name: string;
    probe: TargetProbe;
    request?: Partial<InstallRequest>;
    has: string[];
    lacks: string[];
    warns: RegExp[];
    notes: RegExp[];
    country: string;
  }> = [
    {
      name: 'Bookworm: NetworkManager drop-in, /boot/firmware edits, country from cmdline.txt',
      probe: bookworm(),
      has: [
        ...ALWAYS,
        '/etc/NetworkManager/conf.d/smallworld.conf',
        '/boot/firmware/config.txt',
        '/boot/firmware/cmdline.txt',
      ],
      lacks: ['/etc/dhcpcd.conf', '/etc/avahi/services/smallworld.service', '/etc/smallworld/portal.nft'],
      warns: [],
      notes: [
        /avahi-daemon is not installed/,
        /nft is not installed, so phones reach the page on port \d+ only, not 80/,
      ],
      country: 'GB',
    },
    {
      name: 'Bullseye: the dhcpcd block, /boot edits, --country wins',
      probe: bullseye(),
      request: { country: 'DE' },
      has: [...ALWAYS, '/etc/dhcpcd.conf', '/boot/config.txt', '/boot/cmdline.txt'],
      lacks: ['/etc/NetworkManager/conf.d/smallworld.conf', '/boot/firmware/config.txt'],
      warns: [],
      notes: [/avahi/, /nft/],
      country: 'DE',
    },
    {
      name: 'no country anywhere: CH, and the owner is told how to set one',
      probe: bullseye(),
      has: ALWAYS,
      lacks: [],
      warns: [/no Wi-Fi country found .* using CH\. Set yours with --country XX\./],
      notes: [/avahi/, /nft/],
      country: 'CH',
    },
    {
      name: "the existing configuration's country wins over the detected one",
      probe: bookworm({}, { configText: '{"wifi":{"country":"FR"}}' }),
      has: ALWAYS,
      lacks: [],
      warns: [],
      notes: [/avahi/, /nft/],
      country: 'FR',
    },
    {
      name: 'no boot files: no boot edits, a warning',
      probe: bookworm({ '/boot/firmware/config.txt': ABSENT, '/boot/firmware/cmdline.txt': ABSENT }, { cmdline: null }),
      has: ALWAYS,
      lacks: ['/boot/firmware/config.txt', '/boot/firmware/cmdline.txt', '/boot/config.txt'],
      warns: [/no config\.txt in \/boot\/firmware or \/boot/, /no Wi-Fi country/],
      notes: [/avahi/, /nft/],
      country: 'CH',
    },
    {
      name: 'config.txt but no cmdline.txt: overlays, no gadget modules',
      probe: bookworm({ '/boot/firmware/cmdline.txt': ABSENT }, { cmdline: null }),
      has: ['/boot/firmware/config.txt'],
      lacks: ['/boot/firmware/cmdline.txt'],
      warns: [/no \/boot\/firmware\/cmdline\.txt: skipping the USB gadget modules/, /no Wi-Fi country/],
      notes: [/avahi/, /nft/],
      country: 'CH',
    },
    {
      name: 'Avahi and nft: the mDNS service, the host name and the port 80 rules',
      probe: bookworm({ '/etc/avahi/avahi-daemon.conf': file('[server]\nuse-ipv4=yes\n') }, { avahi: true, nft: true }),
      has: [
        '/etc/avahi/services/smallworld.service',
        '/etc/avahi/avahi-daemon.conf',
        '/etc/smallworld/portal.nft',
        '/etc/systemd/system/smallworld-portal.service',
        '/etc/systemd/system/multi-user.target.wants/smallworld-portal.service',
      ],
      lacks: [],
      warns: [],
      notes: [],
      country: 'GB',
    },
    {
      name: 'web port 0: no mDNS and no port 80, and nothing said about them',
      probe: bookworm({}, { avahi: true, nft: true, configText: '{"web":{"port":0}}' }),
      has: ALWAYS,
      lacks: ['/etc/avahi/services/smallworld.service', '/etc/smallworld/portal.nft'],
      warns: [],
      notes: [],
      country: 'GB',
    },
    {
      name: 'neither NetworkManager nor dhcpcd: a warning naming the interfaces',
      probe: bookworm({}, { networkManager: false }),
      has: ALWAYS,
      lacks: ['/etc/NetworkManager/conf.d/smallworld.conf'],
      warns: [/neither NetworkManager nor dhcpcd found; make sure nothing else manages wlan0 and usb0/],
      notes: [/avahi/, /nft/],
      country: 'GB',
    },
    {
      name: 'Node.js in a home directory, no jemalloc: both said',
      probe: bookworm({}, { jemalloc: null }),
      request: { node: '/home/pi/.nvm/node' },
      has: ALWAYS,
      lacks: [],
      warns: [/Node\.js is at \/home\/pi\/\.nvm\/node; the services cannot read home directories/],
      notes: [/libjemalloc2 is not installed/, /avahi/, /nft/],
      country: 'GB',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const plan = ready(planInstall(c.probe, { ...REQUEST, ...c.request }, FRESH));
      for (const path of c.has) assert.ok(paths(plan).includes(path), `${path} planned`);
      for (const path of c.lacks) assert.ok(!paths(plan).includes(path), `${path} not planned`);
      assert.equal(new Set(paths(plan)).size, plan.desired.length, 'each path once');
      const warned = lines(plan, 'warn');
      assert.equal(warned.length, c.warns.length, warned.join('\n'));
      for (const [i, pattern] of c.warns.entries()) assert.match(warned[i] ?? '', pattern);
      const noted = lines(plan, 'out');
      assert.equal(noted.length, c.notes.length, noted.join('\n'));
      for (const [i, pattern] of c.notes.entries()) assert.match(noted[i] ?? '', pattern);
      assert.equal(plan.config.wifi.country, c.country);
      assert.match(text(plan, '/var/lib/smallworld/generated/hostapd.conf'), new RegExp(`country_code=${c.country}`));
    });
  }
});

describe('planInstall: refusals are plans too (nothing thrown, the notes so far kept)', () => {
  const cases: Array<{
    name: string;
    probe: TargetProbe;
    kind: 'refused' | 'invalid';
    message?: RegExp;
    warns: RegExp[];
  }> = [
    {
      name: 'missing packages: which binaries and the apt-get line',
      probe: bookworm({}, { missingPackages: PACKAGES.filter((p) => p.name === 'hostapd' || p.name === 'iw') }),
      kind: 'refused',
      warns: [
        /^smallworld install: missing \/usr\/sbin\/hostapd, \/usr\/sbin\/iw\. Install them with:$/,
        /^apt-get install -y hostapd iw$/,
      ],
    },
    {
      name: 'a configuration that is not JSON',
      probe: bookworm({}, { configText: '{"wifi":' }),
      kind: 'invalid',
      message: /^\/etc\/smallworld\/config\.json is not valid JSON \(.*\); fix or remove it$/,
      warns: [],
    },
    {
      name: 'a configuration that is JSON but not an object',
      probe: bookworm({}, { configText: '[1]' }),
      kind: 'invalid',
      message: /is not valid JSON \(not a JSON object\)/,
      warns: [],
    },
    {
      name: 'a configuration with a value out of range',
      probe: bullseye({ configText: '{"wifi":{"channel":99}}' }),
      kind: 'invalid',
      message: /^the configuration is invalid at wifi\.channel: /,
      warns: [/no Wi-Fi country/],
    },
    {
      name: 'a boot file that is a link: not edited through it',
      probe: bookworm({ '/boot/firmware/config.txt': { kind: 'symlink', target: '/elsewhere' } }),
      kind: 'invalid',
      message: /^\/boot\/firmware\/config\.txt is not a regular file; refusing to edit it$/,
      warns: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const plan = planInstall(c.probe, REQUEST, FRESH);
      assert.equal(plan.kind, c.kind);
      if (plan.kind === 'invalid') assert.match(plan.message, c.message ?? /./);
      const warned = lines(plan, 'warn');
      assert.equal(warned.length, c.warns.length, warned.join('\n'));
      for (const [i, pattern] of c.warns.entries()) assert.match(warned[i] ?? '', pattern);
    });
  }

  test('--skip-package-check plans despite missing packages', () => {
    const probe = bookworm({}, { missingPackages: [...PACKAGES] });
    assert.equal(planInstall(probe, { ...REQUEST, skipPackageCheck: true }, FRESH).kind, 'ready');
  });

  test('relative paths are refused before the target is looked at', () => {
    assert.throws(
      () => checkRequest({ ...REQUEST, dataDir: 'rel/dir' }),
      /--data must be an absolute path, not "rel\/dir"/,
    );
    assert.throws(() => checkRequest({ ...REQUEST, app: 'main.js' }), /--app must be an absolute path/);
    assert.doesNotThrow(() => checkRequest(REQUEST));
  });
});

describe('planInstall: a pure function', () => {
  test('the same inputs give the same plan, and the probe is not changed', () => {
    const probe = bookworm({ '/etc/avahi/avahi-daemon.conf': file('[server]\n') }, { avahi: true, nft: true });
    const snapshot = (p: TargetProbe) =>
      JSON.stringify({ ...p, editable: [...p.editable].map(([path, state]) => [path, state]) });
    const frozen = snapshot(probe);
    const once = planInstall(probe, REQUEST, FRESH);
    const twice = planInstall(probe, REQUEST, FRESH);
    assert.deepEqual(once, twice);
    assert.equal(snapshot(probe), frozen);
  });

  test("the device's existing network is kept; only a device without one gets the fresh settings", () => {
    const fresh = ready(planInstall(bookworm(), REQUEST, FRESH));
    assert.deepEqual(fresh.settings, FRESH);
    assert.ok(
      text(fresh, '/var/lib/smallworld/generated/hostapd.conf').includes(Buffer.from(FRESH.ap.ssid).toString('hex')),
    );
    const kept = ready(planInstall(bookworm({}, { wifiSettings: KEPT, wifiFileAbsent: false }), REQUEST, FRESH));
    assert.deepEqual(kept.settings, KEPT);
    assert.notEqual(
      text(kept, '/var/lib/smallworld/generated/hostapd.conf'),
      text(fresh, '/var/lib/smallworld/generated/hostapd.conf'),
    );
    assert.equal(kept.wifiPath, '/var/lib/smallworld/wifi.json');
  });

  test('the configuration file keeps unknown and existing values, with every default written out', () => {
    const plan = ready(
      planInstall(bookworm({}, { configText: '{"web":{"port":8080},"wifi":{"channel":11}}' }), REQUEST, FRESH),
    );
    const written = JSON.parse(text(plan, '/etc/smallworld/config.json'));
    assert.equal(written.web.port, 8080);
    assert.equal(written.web.host, '0.0.0.0');
    assert.equal(written.wifi.channel, 11);
    assert.equal(written.wifi.country, 'GB');
    assert.equal(written.gpio.enabled, true);
    assert.equal(written.runDir, '/run/smallworld');
  });

  test('boot edits keep the file mode and add to the text', () => {
    const plan = ready(planInstall(bookworm(), REQUEST, FRESH));
    const configTxt = plan.desired.find((d) => d.path === '/boot/firmware/config.txt');
    assert.ok(configTxt?.kind === 'file');
    assert.equal(configTxt.mode, 0o755);
    assert.match(configTxt.bytes.toString(), /^dtparam=audio=on\n\[all\]\n[\s\S]*dtoverlay=dwc2/);
    assert.match(text(plan, '/boot/firmware/cmdline.txt'), /modules-load=dwc2,g_ether/);
  });
});

// --- the diff and the dry run ---------------------------------------------------------------------------

const desiredFile = (path: string, content: string, mode = 0o644): Desired => ({
  kind: 'file',
  path,
  bytes: Buffer.from(content),
  mode,
  why: 'test',
});

function current(
  states: Record<string, PathState>,
  dirs: Record<string, 'directory' | 'absent' | 'other'>,
): CurrentState {
  return { paths: new Map(Object.entries(states)), dirs: new Map(Object.entries(dirs)) };
}

describe('diffInstall', () => {
  test('absent is created, equal is left, a different mode or text is updated, a link is compared by target', () => {
    const desired = [
      desiredFile('/etc/a', 'a\n'),
      desiredFile('/etc/b', 'b\n'),
      desiredFile('/etc/c', 'c\n', 0o600),
      desiredFile('/etc/d', 'new\n'),
      { kind: 'symlink', path: '/etc/e', target: '/dev/null', why: 'mask' } as Desired,
      { kind: 'symlink', path: '/etc/f', target: '/dev/null', why: 'mask' } as Desired,
    ];
    const diff = diffInstall(
      '/',
      desired,
      current(
        {
          '/etc/a': ABSENT,
          '/etc/b': file('b\n'),
          '/etc/c': file('c\n', 0o644),
          '/etc/d': file('old\n'),
          '/etc/e': { kind: 'symlink', target: '/dev/null' },
          '/etc/f': { kind: 'symlink', target: '/lib/systemd/system/x' },
        },
        { '/etc': 'directory' },
      ),
    );
    assert.deepEqual(
      diff.changes.map((c) => c.desired.path),
      ['/etc/a', '/etc/c', '/etc/d', '/etc/f'],
    );
    assert.deepEqual(diff.dirsToCreate, []);
  });

  test('missing directories, parents first, each once', () => {
    const desired = [desiredFile('/var/lib/sw/generated/x', 'x'), desiredFile('/var/lib/sw/y', 'y')];
    const diff = diffInstall(
      '/',
      desired,
      current(
        { '/var/lib/sw/generated/x': ABSENT, '/var/lib/sw/y': ABSENT },
        { '/var/lib/sw/generated': 'absent', '/var/lib/sw': 'absent', '/var/lib': 'directory' },
      ),
    );
    assert.deepEqual(diff.dirsToCreate, ['/var/lib/sw', '/var/lib/sw/generated']);
  });

  test('a directory where a file should be, or a file where a directory should be, is refused', () => {
    assert.throws(
      () =>
        diffInstall(
          '/tmp/root',
          [desiredFile('/etc/a', 'a')],
          current({ '/etc/a': { kind: 'other', description: 'a directory' } }, { '/etc': 'directory' }),
        ),
      /^InstallError: \/tmp\/root\/etc\/a is a directory; refusing to replace it$/,
    );
    assert.throws(
      () => missingDirs('/tmp/root', '/etc/sysusers.d', new Map([['/etc/sysusers.d', 'other']])),
      /\/tmp\/root\/etc\/sysusers\.d is in the way: it should be a directory/,
    );
  });
});

describe('dryRunLines', () => {
  test('nothing to change', () => {
    assert.deepEqual(
      dryRunLines('/', { changes: [], dirsToCreate: [] }, { path: '/d/wifi.json', willBeGenerated: false }),
      ['Nothing to change: Smallworld is installed as configured.'],
    );
  });

  test('directories, the generated network, creations, updates with their lines, links', () => {
    const lines = dryRunLines(
      '/tmp/root',
      {
        dirsToCreate: ['/var/lib/sw'],
        changes: [
          { desired: desiredFile('/etc/a', 'a\n'), state: ABSENT },
          { desired: desiredFile('/etc/b', 'same\nnew\n'), state: file('same\nold\n') },
          { desired: { kind: 'symlink', path: '/etc/c', target: '/dev/null', why: 'mask c' }, state: ABSENT },
        ],
      },
      { path: '/var/lib/sw/wifi.json', willBeGenerated: true },
    );
    assert.deepEqual(lines, [
      'Would change (under /tmp/root):',
      '  mkdir   /var/lib/sw',
      "  create  /var/lib/sw/wifi.json  (this device's network name and passphrase, generated)",
      '  create  /etc/a  (test)',
      '  update  /etc/b  (test)',
      '      - old',
      '      + new',
      '  link    /etc/c -> /dev/null  (mask c)',
      'Nothing was changed (--dry-run).',
    ]);
  });
});
