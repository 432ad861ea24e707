// What the installer sets up for phones, run with the system's own services in network namespaces made for
// the test: the real avahi-daemon loads the service file and host name `smallworld install` writes, and a
// host in another namespace resolves `smallworld.local` and finds the web page's `_http._tcp` service by
// mDNS; the real nft loads the port 80 rules, and a client on the AP link reaches the unprivileged web port
// through port 80, seen by the server on the AP address (so the page's local-address check still holds).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { avahiService, NFT, NFT_TABLE, portalNft, withAvahiHostName } from '../../src/install/portal.js';
import { avahiHostName } from '../../src/net/mdns-name.js';

const run = promisify(execFile);
const tag = `p${process.pid % 100000}`;
const NS = { device: `${tag}dev`, phone: `${tag}ph` };
const IF = { ap: `${tag}ap`, phone: `${tag}pw` };
const AP = '192.168.4.1';
const PHONE = '192.168.4.9';
const AVAHI = '/usr/sbin/avahi-daemon';
let dir = '';
let avahi: ChildProcess | undefined;

const ip = (...args: string[]) => run('ip', args, { timeout: 10_000 });
const inNs = (ns: string, argv: string[], timeout = 15_000) =>
  run('ip', ['netns', 'exec', ns, ...argv], { timeout, encoding: 'utf8' });

/** One mDNS question from an ordinary port (so the answer comes back by unicast, RFC 6762 §6.7). */
const MDNS_QUERY = `
const dgram = require('node:dgram');
const [name, qtype] = process.argv.slice(1);
const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
const q = Buffer.concat([Buffer.from([0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, Number(qtype), 0, 1])]);
const s = dgram.createSocket('udp4');
const done = (out) => { console.log(JSON.stringify(out)); s.close(); process.exit(0); };
s.on('message', (m) => done({ bytes: m.toString('latin1'), a: [...m.subarray(m.length - 4)].join('.') }));
s.bind(() => { s.send(q, 5353, '224.0.0.251'); setTimeout(() => s.send(q, 5353, '224.0.0.251'), 1000); });
setTimeout(() => done(null), 6000);
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sw-phone-'));
  for (const ns of Object.values(NS)) await ip('netns', 'add', ns);
  await ip('link', 'add', IF.ap, 'netns', NS.device, 'type', 'veth', 'peer', 'name', IF.phone, 'netns', NS.phone);
  await ip('-n', NS.device, 'addr', 'add', `${AP}/24`, 'dev', IF.ap);
  await ip('-n', NS.phone, 'addr', 'add', `${PHONE}/24`, 'dev', IF.phone);
  for (const [ns, link] of [
    [NS.device, IF.ap],
    [NS.device, 'lo'],
    [NS.phone, IF.phone],
    [NS.phone, 'lo'],
  ] as const)
    await ip('-n', ns, 'link', 'set', link, 'up');
  await ip('-n', NS.phone, 'route', 'add', '224.0.0.0/4', 'dev', IF.phone);
  await ip('-n', NS.device, 'route', 'add', '224.0.0.0/4', 'dev', IF.ap);
});

after(async () => {
  if (avahi?.pid !== undefined && avahi.exitCode === null) {
    avahi.kill('SIGTERM');
    await Promise.race([new Promise((resolve) => avahi?.once('exit', resolve)), sleep(5000)]);
    if (avahi.exitCode === null) avahi.kill('SIGKILL');
  }
  for (const ns of Object.values(NS)) await ip('netns', 'del', ns).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('avahi-daemon accepts the installed service file; smallworld.local resolves from another namespace', {
  timeout: 60_000,
}, async () => {
  assert.ok(existsSync(AVAHI), `avahi-daemon is not installed (apt-get install -y avahi-daemon)`);
  const services = join(dir, 'services');
  const runDir = join(dir, 'run');
  await mkdir(services);
  await mkdir(runDir);
  await writeFile(join(services, 'smallworld.service'), avahiService(8300));
  // The installer's edit of Debian's stock file, plus what this test needs: no D-Bus here, one interface.
  const stock = await readFile('/etc/avahi/avahi-daemon.conf', 'utf8');
  const conf = withAvahiHostName(stock).replace(
    /^\[server\]\n/m,
    `[server]\nenable-dbus=no\nallow-interfaces=${IF.ap}\nuse-ipv6=no\n`,
  );
  assert.match(conf, /host-name=smallworld/);
  await writeFile(join(dir, 'avahi-daemon.conf'), conf);
  // Its own mount namespace: the test's service directory and run directory at the paths avahi-daemon
  // reads (fixed when it was built), nothing of the host's touched.
  avahi = spawn(
    'ip',
    [
      'netns',
      'exec',
      NS.device,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$1" /etc/avahi/services && mount --bind "$2" /run/avahi-daemon 2>/dev/null || { mkdir -p /run/avahi-daemon && mount --bind "$2" /run/avahi-daemon; }; exec "$3" --no-drop-root --no-chroot --no-rlimits -f "$4"',
      'sh',
      services,
      runDir,
      AVAHI,
      join(dir, 'avahi-daemon.conf'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  avahi.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  avahi.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const deadline = Date.now() + 30_000;
  while (!/Server startup complete/.test(log) && avahi.exitCode === null && Date.now() < deadline) await sleep(100);
  assert.match(log, /Server startup complete/, log);
  while (
    !/Service "Smallworld on smallworld" \(.*smallworld\.service\) successfully established/.test(log) &&
    Date.now() < deadline
  )
    await sleep(100);
  assert.match(log, /Loading service file .*smallworld\.service/, log);
  assert.match(log, /successfully established/, 'the service file is accepted');
  assert.doesNotMatch(log, /Failed to (parse|load)/);

  const a = JSON.parse(
    (await inNs(NS.phone, [process.execPath, '-e', MDNS_QUERY, 'smallworld.local', '1'])).stdout,
  ) as {
    a: string;
  } | null;
  assert.equal(a?.a, AP, 'smallworld.local resolves to the device by mDNS');
  const ptr = JSON.parse(
    (await inNs(NS.phone, [process.execPath, '-e', MDNS_QUERY, '_http._tcp.local', '12'])).stdout,
  ) as {
    bytes: string;
  } | null;
  assert.ok(ptr?.bytes.includes('Smallworld on smallworld'), 'the web page is announced as an _http._tcp service');
  // What the Device page shows: the name Avahi announces, asked over its socket as nss-mdns does.
  assert.equal(await avahiHostName(AP, join(runDir, 'socket')), 'smallworld.local');
  assert.equal(await avahiHostName(AP, join(dir, 'no-such-socket')), null);
});

test('nft loads the port 80 rules; port 80 on the AP link reaches the web port, on the AP address', {
  timeout: 60_000,
}, async () => {
  assert.ok(existsSync(NFT), 'nft is not installed (apt-get install -y nftables)');
  const rules = join(dir, 'portal.nft');
  await writeFile(rules, portalNft([IF.ap, 'usb0'], 8300));
  await inNs(NS.device, [NFT, '-f', rules]);
  await inNs(NS.device, [NFT, '-f', rules]); // loading twice is safe
  assert.match((await inNs(NS.device, [NFT, 'list', 'table', 'inet', NFT_TABLE])).stdout, /redirect to :8300/);
  const server = spawn(
    'ip',
    [
      'netns',
      'exec',
      NS.device,
      process.execPath,
      '-e',
      "require('node:http').createServer((q, r) => r.end(q.socket.localAddress + ':' + q.socket.localPort + ' ' + q.headers.host)).listen(8300, '0.0.0.0', () => console.log('up'))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise((resolve) => server.stdout?.once('data', resolve));
    const { stdout } = await inNs(NS.phone, [
      process.execPath,
      '-e',
      `require('node:http').get('http://${AP}/generate_204', { headers: { Host: 'connectivitycheck.gstatic.com' } }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => console.log(b)); })`,
    ]);
    assert.equal(stdout.trim(), `${AP}:8300 connectivitycheck.gstatic.com`);
  } finally {
    server.kill('SIGTERM');
  }
});
