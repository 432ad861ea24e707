// The phone-portal scenario (lab/radio/scenarios/phone-portal.sh), inside the lab VM: a device namespace
// with the AP radio, hostapd and dnsmasq running the configuration src/wifi/config-gen.ts generates, the
// installer's port 80 rules (src/install/portal.ts) and a Smallworld device (`start --sim`, web on
// 0.0.0.0:8300, the AP address being the device's own); a phone namespace with the other radio. Prints one
// PASS/FAIL line per step and writes figures to $LAB_OUT/figures-phone-portal.json.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portalNft } from '../../src/install/portal.js';
import { PeerClient } from '../../src/ssb/peer-client.js';
import { DEFAULT_PLAN, dnsmasqConf, hostapdConf } from '../../src/wifi/config-gen.js';
import { dhcpClient } from './lab-devices.js';

const run = promisify(execFile);
const OUT = process.env.LAB_OUT ?? '/tmp/lab-out';
const REPO = process.env.LAB_REPO ?? process.cwd();
const CLI = join(REPO, 'dist/src/cli/main.js');
const WORK = '/var/lib/swlab-phone';
const AP = { ssid: 'Smallworld-Lab', passphrase: 'lab-passphrase-1234' };
const plan = { ...DEFAULT_PLAN, wifiInterface: 'wlan0', usbInterface: 'usb0' };
const t0 = Date.now();
const figures: Record<string, number> = {};
const children: ChildProcess[] = [];
const log = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

async function sh(argv: string[], timeoutMs = 30_000): Promise<string> {
  const [cmd, ...args] = argv as [string, ...string[]];
  const { stdout } = await run(cmd, args, { timeout: timeoutMs, encoding: 'utf8' });
  return stdout;
}
const inNs = (ns: string, argv: string[], timeoutMs?: number) => sh(['ip', 'netns', 'exec', ns, ...argv], timeoutMs);
function background(ns: string, argv: string[], logFile: string): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  child.on('exit', () => writeFileSync(join(OUT, logFile), out.join('')));
  children.push(child);
  return child;
}
async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what} ${last}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    const value = await body();
    figures[name] = (Date.now() - start) / 1000;
    console.log(`PASS ${name} (${figures[name]}s)`);
    return value;
  } catch (error) {
    console.log(`FAIL ${name} (${(Date.now() - start) / 1000}s): ${(error as Error).message}`);
    throw error;
  }
}

/** What the phone does over HTTP, in one Node process in its namespace (each Node start costs seconds). */
const PHONE_HTTP = `
const http = require('node:http');
const get = (host, path, port, hostHeader) => new Promise((resolve, reject) => {
  const req = http.get({ host, port, path, headers: { Host: hostHeader } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location ?? null,
      type: res.headers['content-type'] ?? null, body: Buffer.concat(chunks) }));
  });
  req.setTimeout(20000, () => req.destroy(new Error('timeout ' + path)));
  req.on('error', reject);
});
(async () => {
  const [ap, dnsServer] = process.argv.slice(1);
  const dns = require('node:dns').promises;
  // What the DNS server the lease named answers (every name: all the device's addresses, in dnsmasq's order) ...
  const resolver = new dns.Resolver({ timeout: 5000, tries: 2 });
  resolver.setServers([dnsServer]);
  const probes = [['connectivitycheck.gstatic.com', '/generate_204'], ['clients3.google.com', '/generate_204'],
    ['captive.apple.com', '/hotspot-detect.html'], ['www.msftconnecttest.com', '/connecttest.txt'],
    ['www.msftncsi.com', '/ncsi.txt'], ['detectportal.firefox.com', '/success.txt'], ['example.org', '/typed']];
  const out = { probes: [] };
  for (const [name, path] of probes) {
    const answered = await resolver.resolve4(name);
    // ... and, as a phone does, the system's resolver (getaddrinfo, with that server in resolv.conf) sorting
    // them by RFC 6724, unreachable addresses last; the connection goes to the first.
    const [first] = await dns.lookup(name, { all: true, family: 4 });
    const r = await get(first.address, path, 80, name);
    out.probes.push({ name, path, answered, address: first.address, status: r.status, location: r.location,
      bodyBytes: r.body.length });
  }
  const page = await get(ap, '/shared', 8300, ap + ':8300');
  out.page = { status: page.status, type: page.type, hasPosts: page.body.toString().includes('id="posts"') };
  const api = await get(ap, '/api/shared', 8300, ap + ':8300');
  out.api = { status: api.status, json: JSON.parse(api.body.toString()) };
  const photo = out.api.json.posts.find((p) => p.photos.length > 0)?.photos[0];
  if (photo) {
    const img = await get(ap, '/blob?id=' + encodeURIComponent(photo), 8300, ap + ':8300');
    out.photo = { status: img.status, type: img.type, bytes: img.body.length, png: img.body.subarray(1, 4).toString() };
  }
  const admin = await get(ap, '/api/wifi', 8300, ap + ':8300');
  out.admin = admin.status;
  console.log(JSON.stringify(out));
})().catch((e) => { console.log(JSON.stringify({ error: e.message })); });
`;

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  mkdirSync(OUT, { recursive: true });
  for (const [iface, ns] of [
    ['wlan0', 'dev'],
    ['wlan1', 'phone'],
  ] as const) {
    const phy = readFileSync(`/sys/class/net/${iface}/phy80211/name`, 'utf8').trim();
    await sh(['ip', 'netns', 'add', ns]);
    await sh(['iw', 'phy', phy, 'set', 'netns', 'name', ns]);
    await inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  }
  const paths = {
    hostapdCtrlDir: join(WORK, 'hostapd'),
    wpaCtrlDir: join(WORK, 'wpa'),
    pskFile: join(WORK, 'hostapd.psk'),
    leaseFile: join(WORK, 'dnsmasq.leases'),
  };
  writeFileSync(paths.pskFile, '');
  writeFileSync(join(WORK, 'hostapd.conf'), hostapdConf(AP, plan, paths));
  writeFileSync(join(WORK, 'dnsmasq.conf'), dnsmasqConf(plan, paths));
  writeFileSync(join(WORK, 'portal.nft'), portalNft(['wlan0', 'usb0'], 8300));

  await step('device: hostapd, dnsmasq and the port 80 rules from the generated configuration', async () => {
    await inNs('dev', ['ip', 'addr', 'add', `${plan.apAddress}/24`, 'dev', 'wlan0']);
    background('dev', ['hostapd', join(WORK, 'hostapd.conf')], 'hostapd.log');
    await waitFor('hostapd ENABLED', 30_000, async () =>
      (await inNs('dev', ['hostapd_cli', '-p', paths.hostapdCtrlDir, '-i', 'wlan0', 'status'])).includes(
        'state=ENABLED',
      ),
    );
    background(
      'dev',
      [
        'dnsmasq',
        '--keep-in-foreground',
        '--no-ping',
        '--log-facility=-',
        '--log-queries',
        `--conf-file=${join(WORK, 'dnsmasq.conf')}`,
        `--pid-file=${join(WORK, 'dnsmasq.pid')}`,
      ],
      'dnsmasq.log',
    );
    await inNs('dev', ['nft', '-f', join(WORK, 'portal.nft')]);
  });

  const data = join(WORK, 'device');
  await step('device: Smallworld (web page on the AP address) and a photo posted on it', async () => {
    background(
      'dev',
      [
        process.execPath,
        CLI,
        'start',
        '--sim',
        '--data',
        data,
        '--web-host',
        '0.0.0.0',
        '--web-port',
        '8300',
        '--ssb-host',
        '127.0.0.1',
        '--ssb-port',
        '8008',
      ],
      'smallworld.log',
    );
    await waitFor('the SSB peer', 240_000, async () => {
      const client = await PeerClient.connect(join(data, 'peer', 'peer.sock'));
      try {
        return await client.request('ssb.whoami', {}, 10_000);
      } finally {
        client.close();
      }
    });
    const png = readFileSync(join(REPO, 'docs/images/guest-photo-phone.png')).toString('base64');
    const client = await PeerClient.connect(join(data, 'peer', 'peer.sock'));
    try {
      await client.request(
        'ssb.photo',
        { data: png, name: 'lake.png', mime: 'image/png', text: 'Posted on the device' },
        60_000,
      );
    } finally {
      client.close();
    }
  });

  await step('phone: joins the AP by passphrase', async () => {
    mkdirSync(join(WORK, 'phone'), { recursive: true });
    writeFileSync(
      join(WORK, 'phone', 'wpa.conf'),
      `ctrl_interface=${join(WORK, 'phone', 'ctrl')}\nnetwork={\n\tssid="${AP.ssid}"\n\tpsk="${AP.passphrase}"\n\tkey_mgmt=WPA-PSK\n}\n`,
    );
    background(
      'phone',
      ['wpa_supplicant', '-i', 'wlan1', '-D', 'nl80211', '-c', join(WORK, 'phone', 'wpa.conf')],
      'phone-wpa.log',
    );
    await waitFor('wpa_state=COMPLETED', 60_000, async () =>
      (await inNs('phone', ['wpa_cli', '-p', join(WORK, 'phone', 'ctrl'), '-i', 'wlan1', 'status'])).includes(
        'wpa_state=COMPLETED',
      ),
    );
  });

  const dnsServer = await step('phone: DHCP lease, no default route, the device as DNS server', async () => {
    const leaseFile = join(WORK, 'phone', 'lease');
    await inNs('phone', dhcpClient('wlan1', leaseFile), 60_000);
    const lease = readFileSync(leaseFile, 'utf8');
    log(`lease: ${lease.trim()}`);
    check(/ip=192\.168\.4\.\d+/.test(lease), `no lease in the AP range: ${lease}`);
    const dns = /dns=(\S*)/.exec(lease)?.[1] ?? '';
    check(dns === plan.apAddress, `the lease names DNS server ${JSON.stringify(dns)}, not the device`);
    check(
      /router= /.test(lease) || /router=$/.test(lease.trim()) || /router=\s/.test(lease),
      `a default route was handed out: ${lease}`,
    );
    check(!(await inNs('phone', ['ip', 'route'])).includes('default'), 'the phone has a default route');
    // The phone's resolver uses the server its lease named (`ip netns exec` puts this file in place).
    mkdirSync('/etc/netns/phone', { recursive: true });
    writeFileSync('/etc/netns/phone/resolv.conf', `nameserver ${dns}\n`);
    return dns;
  });

  await step('phone: DNS for the probe names is answered with the AP address', async () => {
    for (const name of ['connectivitycheck.gstatic.com', 'captive.apple.com']) {
      const answer = await inNs('phone', ['busybox', 'nslookup', '-type=A', name, dnsServer]);
      check(answer.includes(`Address: ${plan.apAddress}`), `${name}: ${answer}`);
    }
  });

  const http = await step(
    'phone: each probe on port 80 is redirected; the Shared page and its photo over the AP',
    async () => {
      const raw = await inNs('phone', [process.execPath, '-e', PHONE_HTTP, plan.apAddress, dnsServer], 120_000);
      const result = JSON.parse(raw.trim().split('\n').pop() ?? '{}') as {
        error?: string;
        probes: Array<{
          name: string;
          path: string;
          answered: string[];
          address: string;
          status: number;
          location: string;
          bodyBytes: number;
        }>;
        page: { status: number; hasPosts: boolean };
        api: { status: number; json: { posts: Array<{ text: string; photos: string[] }> } };
        photo?: { status: number; type: string; bytes: number; png: string };
        admin: number;
      };
      writeFileSync(join(OUT, 'phone-http.json'), JSON.stringify(result, null, 2));
      check(!result.error, result.error ?? '');
      for (const probe of result.probes) {
        check(probe.answered.includes(plan.apAddress), `${probe.name}: DNS answered ${probe.answered}`);
        check(probe.address === plan.apAddress, `${probe.name}: the phone connects to ${probe.address} first`);
        check(probe.status === 302, `${probe.name}: HTTP ${probe.status}`);
        check(probe.location === `http://${plan.apAddress}:8300/shared`, `${probe.name}: Location ${probe.location}`);
        check(probe.bodyBytes === 0, `${probe.name}: a body of ${probe.bodyBytes} bytes`);
      }
      check(result.page.status === 200 && result.page.hasPosts, `the Shared page: ${JSON.stringify(result.page)}`);
      check(
        result.api.json.posts.some((p) => p.text === 'Posted on the device' && p.photos.length === 1),
        'the post is listed',
      );
      check(
        result.photo?.status === 200 && result.photo.type === 'image/png' && result.photo.png === 'PNG',
        `the photo: ${JSON.stringify(result.photo)}`,
      );
      check(result.admin === 401, `an admin API without a session: HTTP ${result.admin}`);
      return result;
    },
  );
  for (const p of http.probes)
    log(
      `probe http://${p.name}${p.path}: DNS ${p.answered.join(' ')}, sorted first ${p.address}, HTTP ${p.status} -> ${p.location}`,
    );
  log(`Shared page ${http.page.status}; photo ${http.photo?.status} ${http.photo?.type} ${http.photo?.bytes} bytes`);
}

main()
  .then(
    () => 0,
    () => 1,
  )
  .then(async (code) => {
    writeFileSync(join(OUT, 'figures-phone-portal.json'), JSON.stringify(figures, null, 2));
    for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));
    console.log(code === 0 ? 'phone-portal: all steps passed' : 'phone-portal: FAILED');
    process.exit(code);
  });
