// `smallworld ssb ...` against real devices (daemon + peer processes) on loopback.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jemallocPath } from '../../src/peer/allocator.js';
import { cli, DaemonProcess, freePort, removeDir, tempDir, until } from '../helpers/daemon.js';

async function startDevice(dir: string, extra: string[] = []): Promise<DaemonProcess> {
  const port = await freePort();
  const device = await DaemonProcess.start(
    dir,
    ['--web-port', '0', '--ssb-host', '127.0.0.1', '--ssb-port', String(port), ...extra],
    30_000,
  );
  await until(() => cli(['ssb', 'whoami', '--data', dir]).code === 0, 30_000, 'the SSB peer');
  return device;
}

function ssb<T = unknown>(dir: string, args: string[]): T {
  const result = cli(['ssb', ...args, '--json', '--data', dir]);
  if (result.code !== 0) throw new Error(`smallworld ssb ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

describe('the SSB peer through the CLI', { timeout: 180_000 }, () => {
  let alice: string;
  let bob: string;
  let aliceDevice: DaemonProcess;
  let bobDevice: DaemonProcess;
  before(async () => {
    alice = await tempDir('sw-ssb-a-');
    bob = await tempDir('sw-ssb-b-');
    aliceDevice = await startDevice(alice);
    bobDevice = await startDevice(bob, ['--no-auto-follow']);
  });
  after(async () => {
    await aliceDevice.stop();
    await bobDevice.stop();
    await removeDir(alice);
    await removeDir(bob);
  });

  test('the peer process runs on jemalloc where libjemalloc2 is installed, on glibc malloc otherwise', async () => {
    const line = aliceDevice
      .output()
      .split('\n')
      .find((l) => l.includes('"peer process started"'));
    assert.ok(line, 'the daemon did not log the peer start');
    const { pid, allocator } = JSON.parse(line) as { pid: number; allocator: string };
    const expected = jemallocPath() === null ? 'system' : 'jemalloc';
    assert.equal(allocator, expected);
    const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
    assert.equal(maps.includes('/libjemalloc.so'), expected === 'jemalloc', `peer ${pid} maps`);
  });

  test('whoami, publish and feeds speak JSON for scripts', () => {
    const me = ssb<{ id: string }>(alice, ['whoami']);
    assert.match(me.id, /^@[A-Za-z0-9+/]{43}=\.ed25519$/);
    assert.deepEqual(Object.keys(me), ['id']);
    const published = ssb<{ key: string; sequence: number }>(alice, [
      'publish',
      '--type',
      'post',
      '--text',
      'hello from the lab',
    ]);
    assert.match(published.key, /^%.+\.sha256$/);
    const feeds = ssb<Array<{ id: string; sequence: number }>>(alice, ['feeds']);
    assert.ok(feeds.some((f) => f.id === me.id && f.sequence >= 1));
    assert.ok(Array.isArray(ssb(alice, ['peers'])));
  });

  test('a photo is one command: a blob and a post linking it; blobs round-trip byte for byte', async () => {
    const photo = join(alice, 'dot.png');
    await writeFile(photo, PNG);
    const posted = ssb<{ key: string; blob: string }>(alice, [
      'publish',
      '--type',
      'post',
      '--text',
      'a dot',
      '--photo',
      photo,
    ]);
    assert.match(posted.blob, /^&.+\.sha256$/);
    const out = join(alice, 'back.png');
    ssb(alice, ['blob', 'get', posted.blob, '--out', out]);
    assert.deepEqual(await readFile(out), PNG);
    const added = ssb<{ id: string }>(alice, ['blob', 'add', photo]);
    assert.equal(added.id, posted.blob);
  });

  test('bad ids and missing arguments get clear errors', () => {
    const bad = cli(['ssb', 'follow', '@nope', '--data', alice]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /expected a feed id/);
    const noType = cli(['ssb', 'publish', '--text', 'x', '--data', alice]);
    assert.equal(noType.code, 2);
    assert.match(noType.stderr, /--type/);
    // A "photo" whose bytes are not an image (markup here) is refused before anything is stored or posted.
    const fake = join(alice, 'fake.png');
    writeFileSync(fake, '<svg onload="alert(1)"><script>alert(2)</script></svg>');
    const sequence = ssb<Array<{ id: string; sequence: number }>>(alice, ['feeds']);
    const notPhoto = cli(['ssb', 'publish', '--type', 'post', '--text', 'x', '--photo', fake, '--data', alice]);
    assert.equal(notPhoto.code, 1);
    assert.match(
      notPhoto.stderr,
      /fake\.png is not a photo \(JPEG, PNG, GIF or WebP by its bytes\): nothing was published/,
    );
    assert.deepEqual(ssb(alice, ['feeds']), sequence, 'nothing published');
    const noPeer = cli(['ssb', 'whoami', '--data', join(alice, 'nowhere')]);
    assert.equal(noPeer.code, 3);
    assert.match(noPeer.stderr, /SSB peer is not running/);
  });

  test('follow, replicate from a connected peer, and the replication LED of the device', async () => {
    const bobId = ssb<{ id: string }>(bob, ['whoami']).id;
    for (let i = 0; i < 20; i++) ssb(bob, ['publish', '--type', 'post', '--text', `bob ${i}`]);
    ssb(alice, ['follow', bobId]);
    const bobStatus = ssb<{ address: string }>(bob, ['status']);
    ssb(alice, ['connect', bobStatus.address]);
    await until(
      () =>
        ssb<Array<{ id: string; sequence: number }>>(alice, ['feeds']).find((f) => f.id === bobId && f.sequence === 20),
      60_000,
      "Bob's 20 messages at Alice",
    );
    await until(
      () => /"ReplicationChanged","replicating":true/.test(aliceDevice.output()),
      10_000,
      'the replication LED event',
    );
    const block = ssb<{ blocked: string }>(alice, ['block', bobId]);
    assert.equal(block.blocked, bobId);
  });
});
