// The catch-all DNS and DHCP of the device's own links, with the real dnsmasq and the configuration the
// daemon writes (src/wifi/config-gen.ts), in network namespaces made for the test: a "phone" on the AP link
// and a "laptop" on the USB link get a lease with no default route and the device as DNS server; every
// name (the OS probes, typed names) resolves to the device; hostile queries (labels over 63 bytes, cut
// packets, a burst of a thousand) get answers or refusals and leave dnsmasq answering.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { DEFAULT_PLAN, dnsmasqConf } from '../../src/wifi/config-gen.js';

const run = promisify(execFile);
const tag = `c${process.pid % 100000}`;
const NS = { device: `${tag}dev`, phone: `${tag}ph`, laptop: `${tag}lp` };
const IF = { ap: `${tag}ap`, usb: `${tag}us`, phone: `${tag}pw`, laptop: `${tag}lu` };
const plan = { ...DEFAULT_PLAN, wifiInterface: IF.ap, usbInterface: IF.usb };
let dir = '';
let dnsmasq: ChildProcess | undefined;

const ip = (...args: string[]) => run('ip', args, { timeout: 10_000 });
const inNs = (ns: string, argv: string[], timeout = 15_000) =>
  run('ip', ['netns', 'exec', ns, ...argv], { timeout, encoding: 'utf8' });

/** A DNS query for `name` (type A), built by hand so that hostile forms can be sent too. */
const QUERY_SCRIPT = `
const dgram = require('node:dgram');
const [server, mode, name, count] = process.argv.slice(1);
const packet = (id, labels) => {
  const parts = [Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const label of labels) parts.push(Buffer.from([label.length & 255]), Buffer.from(label));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
};
const s = dgram.createSocket('udp4');
const answers = [];
s.on('message', (m) => {
  const rcode = m[3] & 15, count = m.readUInt16BE(6);
  const ips = [];
  for (let i = 0; i < count; i++) { const at = m.length - 16 * (count - i) + 12; ips.push([...m.subarray(at, at + 4)].join('.')); }
  answers.push({ id: m.readUInt16BE(0), rcode, ips });
});
const n = Number(count);
for (let i = 0; i < n; i++) {
  let p = packet(i, name.split('.'));
  if (mode === 'long-label') p = packet(i, ['a'.repeat(200), 'example']);
  if (mode === 'cut') p = p.subarray(0, 15);
  s.send(p, 53, server);
}
setTimeout(() => { console.log(JSON.stringify(answers)); s.close(); }, 1500);
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sw-dns-'));
  for (const ns of Object.values(NS)) await ip('netns', 'add', ns);
  await ip('link', 'add', IF.ap, 'netns', NS.device, 'type', 'veth', 'peer', 'name', IF.phone, 'netns', NS.phone);
  await ip('link', 'add', IF.usb, 'netns', NS.device, 'type', 'veth', 'peer', 'name', IF.laptop, 'netns', NS.laptop);
  await ip('-n', NS.device, 'addr', 'add', `${plan.apAddress}/24`, 'dev', IF.ap);
  await ip('-n', NS.device, 'addr', 'add', `${plan.usbAddress}/24`, 'dev', IF.usb);
  for (const [ns, link] of [
    [NS.device, IF.ap],
    [NS.device, IF.usb],
    [NS.device, 'lo'],
    [NS.phone, IF.phone],
    [NS.phone, 'lo'],
    [NS.laptop, IF.laptop],
    [NS.laptop, 'lo'],
  ] as const)
    await ip('-n', ns, 'link', 'set', link, 'up');
  const conf = join(dir, 'dnsmasq.conf');
  await writeFile(
    conf,
    dnsmasqConf(plan, {
      hostapdCtrlDir: dir,
      wpaCtrlDir: dir,
      pskFile: join(dir, 'psk'),
      leaseFile: join(dir, 'leases'),
    }),
  );
  dnsmasq = spawn(
    'ip',
    [
      'netns',
      'exec',
      NS.device,
      '/usr/sbin/dnsmasq',
      '--keep-in-foreground',
      '--no-ping',
      `--conf-file=${conf}`,
      `--pid-file=${join(dir, 'pid')}`,
      '--log-facility=-',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await sleep(800);
});

after(async () => {
  if (dnsmasq?.pid !== undefined && dnsmasq.exitCode === null) {
    dnsmasq.kill('SIGTERM');
    await new Promise((resolve) => dnsmasq?.once('exit', resolve));
  }
  for (const ns of Object.values(NS)) await ip('netns', 'del', ns).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function lease(ns: string, link: string): Promise<Record<string, string>> {
  const script = join(dir, `lease-${ns}.sh`);
  const out = join(dir, `lease-${ns}.env`);
  await writeFile(
    script,
    `#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/\${mask:-24}" dev "$interface"; printf 'ip=%s\\nrouter=%s\\ndns=%s\\n' "$ip" "\${router:-}" "\${dns:-}" > ${out};; esac\nexit 0\n`,
  );
  await chmod(script, 0o755);
  await inNs(ns, ['busybox', 'udhcpc', '-i', link, '-n', '-q', '-f', '-t', '5', '-T', '1', '-s', script], 20_000);
  const env = Object.fromEntries(
    (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  return env;
}

async function query(ns: string, server: string, name: string, mode = 'plain', count = 1) {
  const { stdout } = await inNs(ns, [process.execPath, '-e', QUERY_SCRIPT, server, mode, name, String(count)]);
  return JSON.parse(stdout) as Array<{ id: number; rcode: number; ips: string[] }>;
}

test('a phone on the AP and a laptop on USB get a lease with no default route and the device as DNS', {
  timeout: 60_000,
}, async () => {
  const phone = await lease(NS.phone, IF.phone);
  assert.match(phone.ip ?? '', /^192\.168\.4\.([2-9]|1\d|20)$/);
  assert.equal(phone.router, '', 'no default route: the phone keeps its mobile data for the Internet');
  assert.equal(phone.dns, plan.apAddress);
  const laptop = await lease(NS.laptop, IF.laptop);
  assert.match(laptop.ip ?? '', /^192\.168\.6\./);
  assert.equal(laptop.router, '');
  assert.equal(laptop.dns, plan.usbAddress);
  const routes = (await inNs(NS.phone, ['ip', '-4', 'route'])).stdout;
  assert.doesNotMatch(routes, /default/);
});

test('every name resolves to the device: the OS probes, typed names, .local', { timeout: 60_000 }, async () => {
  for (const name of [
    'connectivitycheck.gstatic.com',
    'clients3.google.com',
    'captive.apple.com',
    'www.msftconnecttest.com',
    'detectportal.firefox.com',
    'smallworld.local',
    'anything.example',
  ]) {
    const [answer] = await query(NS.phone, plan.apAddress, name);
    assert.ok(answer, `${name}: no answer`);
    assert.equal(answer.rcode, 0, name);
    assert.deepEqual(answer.ips.sort(), [plan.apAddress, plan.usbAddress].sort(), name);
  }
  // From the phone, only the AP address has a route; RFC 6724 rule 1 puts it first.
  const reachable = (await inNs(NS.phone, ['ip', 'route', 'get', plan.usbAddress]).catch((e: Error) => e)) as unknown;
  assert.ok(reachable instanceof Error, 'the USB address is unreachable from the AP link');
  const [laptop] = await query(NS.laptop, plan.usbAddress, 'captive.apple.com');
  assert.ok(laptop?.ips.includes(plan.usbAddress));
});

test('hostile queries get refusals, bounded, and dnsmasq keeps answering', { timeout: 60_000 }, async () => {
  const long = await query(NS.phone, plan.apAddress, 'x', 'long-label', 5);
  for (const answer of long) assert.notEqual(answer.rcode, 0, 'a 200-byte label is not a name');
  await query(NS.phone, plan.apAddress, 'captive.apple.com', 'cut', 20);
  const burst = await query(NS.phone, plan.apAddress, 'connectivitycheck.gstatic.com', 'plain', 1000);
  // A flood is dropped in part by the sockets' buffers (about half here); what matters is what comes after.
  assert.ok(burst.length > 0 && burst.every((a) => a.rcode === 0), `${burst.length} of 1000 burst queries answered`);
  const [after] = await query(NS.phone, plan.apAddress, 'captive.apple.com');
  assert.equal(after?.rcode, 0);
  assert.equal(dnsmasq?.exitCode, null, 'dnsmasq is still running');
});
