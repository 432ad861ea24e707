// The catch-all DNS and DHCP of the device's own links, with the real dnsmasq and the configuration the
// daemon writes (src/wifi/config-gen.ts), in network namespaces made for the test: a "phone" on the AP link
// and a "laptop" on the USB link get a lease with no default route and the device as DNS server; every
// name (the OS probes, typed names) resolves to the device, and the phone's own resolver puts the address it
// can reach first; hostile queries (labels over 63 bytes, over-long names, pointer loops, markup and binary
// bytes, cut packets, a burst of a thousand) get answers or refusals and leave dnsmasq answering.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

/**
 * DNS queries for `name` (type A), built by hand so that hostile forms can be sent too: `label63` (the
 * longest legal label), `label64` (a length byte no label may have), `name300` and `name2000` (names over
 * the 255-byte limit), `pointer-loop` (a compression pointer to itself), `bytes` (labels of markup, NUL, newline, dot
 * and non-UTF-8 bytes), `cut` (a packet cut short).
 */
const QUERY_SCRIPT = `
const dgram = require('node:dgram');
const [server, mode, name, count] = process.argv.slice(1);
const HEADER = (id) => Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
const TAIL = Buffer.from([0, 1, 0, 1]);
const labelled = (labels) => Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]), Buffer.from([0])]);
const question = (id) => {
  switch (mode) {
    case 'label63': return labelled(['a'.repeat(63), 'example']);
    case 'label64': return Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 97), labelled(['example'])]);
    case 'name300': return labelled(Array.from({ length: 5 }, (_, i) => String(i).repeat(60)));
    case 'name2000': return labelled(Array.from({ length: 32 }, (_, i) => String(i % 10).repeat(63)));
    case 'pointer-loop': return Buffer.from([0xc0, 12]);
    case 'bytes': return labelled([Buffer.from('<script>alert(1)</script>'), Buffer.from([0, 10, 46, 255, 254]), Buffer.from('example')]);
    default: return labelled(name.split('.'));
  }
};
const packet = (id) => Buffer.concat([HEADER(id), question(id), TAIL]);
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
  let p = packet(i);
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
  await rm(join('/etc/netns', NS.phone), { recursive: true, force: true });
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
    assert.deepEqual([...answer.ips].sort(), [plan.apAddress, plan.usbAddress].sort(), name);
    assert.equal(answer.ips[0], plan.apAddress, `${name}: the access point's address leads the answer`);
  }
  // From the phone, only the AP address has a route; RFC 6724 rule 1 puts it first.
  const reachable = (await inNs(NS.phone, ['ip', 'route', 'get', plan.usbAddress]).catch((e: Error) => e)) as unknown;
  assert.ok(reachable instanceof Error, 'the USB address is unreachable from the AP link');
  const [laptop] = await query(NS.laptop, plan.usbAddress, 'captive.apple.com');
  assert.ok(laptop?.ips.includes(plan.usbAddress));
});

test("the phone's own resolver puts the address it can reach first (RFC 6724), whatever dnsmasq's order", {
  timeout: 60_000,
}, async () => {
  // As a phone resolves: getaddrinfo with the server the lease named (`ip netns exec` puts this file in place).
  await mkdir(join('/etc/netns', NS.phone), { recursive: true });
  await writeFile(join('/etc/netns', NS.phone, 'resolv.conf'), `nameserver ${plan.apAddress}\n`);
  const lookup = `require('node:dns').promises.lookup(process.argv[1], { all: true, family: 4 }).then((a) => console.log(JSON.stringify(a.map((x) => x.address))))`;
  for (const name of ['connectivitycheck.gstatic.com', 'captive.apple.com', 'anything.example']) {
    const sorted = JSON.parse((await inNs(NS.phone, [process.execPath, '-e', lookup, name])).stdout) as string[];
    assert.equal(sorted[0], plan.apAddress, `${name}: ${sorted.join(' ')}`);
  }
});

test('hostile queries get refusals, bounded, and dnsmasq keeps answering', { timeout: 60_000 }, async () => {
  // The longest legal label is a name like any other: the catch-all answers it.
  const [longest] = await query(NS.phone, plan.apAddress, 'x', 'label63');
  assert.equal(longest?.rcode, 0, 'a 63-byte label is a legal name');
  assert.ok(longest?.ips.includes(plan.apAddress));
  // What no name can be (a label over 63 bytes, a name of 2,000, a pointer loop, a cut packet): refused
  // (an error code; dnsmasq 2.90 answers REFUSED to the loop) or dropped, never answered with an address.
  for (const mode of ['label64', 'name2000', 'pointer-loop', 'cut']) {
    const answers = await query(NS.phone, plan.apAddress, 'x', mode, 5);
    for (const answer of answers) {
      assert.notEqual(answer.rcode, 0, `${mode}: answered as a name`);
      assert.deepEqual(answer.ips, [], mode);
    }
  }
  // A name of 300 bytes is over RFC 1035's 255, but within dnsmasq's own limit (1,025 characters): answered
  // like any name, with the device's own addresses and nothing else.
  for (const answer of await query(NS.phone, plan.apAddress, 'x', 'name300', 3))
    assert.ok(answer.rcode !== 0 || answer.ips.every((a) => a === plan.apAddress || a === plan.usbAddress));
  // Bytes that are markup or not text are still a legal DNS name: answered like any other, and nothing of
  // Smallworld's ever shows a queried name (the web page redirects names it does not know, src/web/guest).
  const hostile = await query(NS.phone, plan.apAddress, 'x', 'bytes', 3);
  for (const answer of hostile) assert.ok(answer.rcode !== 0 || answer.ips.includes(plan.apAddress));
  const burst = await query(NS.phone, plan.apAddress, 'connectivitycheck.gstatic.com', 'plain', 1000);
  // A flood is dropped in part by the sockets' buffers (about half here); what matters is what comes after.
  assert.ok(burst.length > 0 && burst.every((a) => a.rcode === 0), `${burst.length} of 1000 burst queries answered`);
  const [after] = await query(NS.phone, plan.apAddress, 'captive.apple.com');
  assert.equal(after?.rcode, 0);
  assert.deepEqual(after?.ips.sort(), [plan.apAddress, plan.usbAddress].sort());
  assert.equal(dnsmasq?.exitCode, null, 'dnsmasq is still running');
});
