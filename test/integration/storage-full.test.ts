// A full SD card (issue 19): a simulated device whose data directory is on a 40 MB ext4 file system.
// Photos and posts published past full are either stored intact or refused with "the device's storage is
// full"; never a message id for a photo that is not stored; a power cut (SIGKILL) while full loses nothing
// acknowledged; every blob file the device holds matches its hash.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { STORAGE_FULL } from '../../src/storage/errors.js';
import { CLI, type CliResult, cli, DaemonProcess, freePort, removeDir, tempDir, until } from '../helpers/daemon.js';
import { mountSmallFs, type SmallFs } from '../helpers/small-fs.js';

/** Random bytes that start as a JPEG does: a photo by its bytes, as `ssb publish --photo` requires. */
const jpegBytes = (size: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(size - 3)]);

/**
 * The CLI, without blocking the test (several at once). Bounded at `boundMs`; a request still unanswered then
 * is reported with how long it ran (exit code null), which the test counts as dropped.
 */
function cliAsync(args: string[], boundMs = 180_000): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), boundMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function startDevice(data: string, config?: object): Promise<DaemonProcess> {
  // No auto-follow: the feed holds exactly what the test published.
  const extra = [
    '--web-port',
    '0',
    '--ssb-host',
    '127.0.0.1',
    '--ssb-port',
    String(await freePort()),
    '--no-auto-follow',
  ];
  if (config) {
    const path = join(data, '..', `config-${Date.now()}.json`);
    await writeFile(path, JSON.stringify(config));
    extra.push('--config', path);
  }
  const device = await DaemonProcess.start(data, extra, 30_000);
  await until(() => cli(['ssb', 'whoami', '--data', data]).code === 0, 30_000, 'the SSB peer');
  return device;
}

function blobIdOf(bytes: Buffer): string {
  return `&${createHash('sha256').update(bytes).digest('base64')}.sha256`;
}

/** Every blob file under its id hashes to that id; returns how many there are. */
async function assertBlobStoreIntact(data: string): Promise<number> {
  const root = join(data, 'peer', 'ssb', 'blobs', 'sha256');
  let count = 0;
  for (const prefix of await readdir(root).catch(() => [] as string[])) {
    for (const rest of await readdir(join(root, prefix))) {
      const bytes = await readFile(join(root, prefix, rest));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), prefix + rest, `blob file ${prefix}${rest}`);
      count++;
    }
  }
  assert.deepEqual(await readdir(join(data, 'peer', 'ssb', 'blobs', 'tmp')), [], 'temporary blob files were left');
  return count;
}

function feedSequence(data: string): number {
  const feeds = JSON.parse(cli(['ssb', 'feeds', '--json', '--data', data]).stdout) as Array<{ sequence: number }>;
  return feeds[0]?.sequence ?? 0;
}

/** The device's warnings and errors (its peer's included), to say why a request failed as it did. */
function troubles(device: DaemonProcess | undefined): string {
  if (!device) return '';
  const lines = device.output().split('\n');
  const notable = lines.filter((line) => /"level":"(warn|error|fatal)"|Error|exited|restart/i.test(line));
  return `\n--- the device's warnings and errors (last 40) ---\n${notable.slice(-40).join('\n')}`;
}

function assertRefusedClearly(result: CliResult, what: string, device?: DaemonProcess): void {
  assert.equal(result.code, 1, `${what}: exit code ${result.code}, ${result.stderr}${troubles(device)}`);
  assert.ok(result.stderr.includes(STORAGE_FULL), `${what}: unclear refusal: ${result.stderr}${troubles(device)}`);
  assert.equal(result.stdout, '', `${what}: refused but printed ${result.stdout}`);
}

describe('a full SD card', { timeout: 600_000 }, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  const daemons: DaemonProcess[] = [];
  after(async () => {
    // What each device printed, for a failure's cause (test-artifacts/logs/).
    await mkdir(join('test-artifacts', 'logs'), { recursive: true });
    for (const [i, daemon] of daemons.entries()) {
      await writeFile(join('test-artifacts', 'logs', `storage-full-${i}.log`), daemon.output());
    }
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function device(megabytes: number, config?: object) {
    const fs: SmallFs = await mountSmallFs(megabytes);
    cleanups.push(() => fs.unmount());
    const data = join(fs.dir, 'data');
    const photos = await tempDir('sw-photos-');
    cleanups.push(() => removeDir(photos));
    let daemon = await startDevice(data, config);
    daemons.push(daemon);
    cleanups.push(() => daemon.stop());
    return {
      fs,
      data,
      photos,
      daemon: () => daemon,
      async restart(signal: NodeJS.Signals) {
        await daemon.stop(signal);
        // The peer follows its parent within 5 s; wait for its socket to stop answering.
        await until(() => cli(['ssb', 'whoami', '--data', data]).code !== 0, 10_000, 'the old peer to stop');
        daemon = await startDevice(data, config);
        daemons.push(daemon);
      },
    };
  }

  test('40 MB: each 3 MB photo is stored intact or refused with "storage is full"; status --json shows storage', async () => {
    const { data, photos } = await device(40);
    const stored: string[] = [];
    let refused = 0;
    for (let i = 0; i < 16 && refused < 3; i++) {
      const bytes = jpegBytes(3_000_000);
      const file = join(photos, `photo-${i}.jpg`);
      await writeFile(file, bytes);
      const result = cli(['ssb', 'publish', '--type', 'post', '--photo', file, '--json', '--data', data]);
      if (result.code === 0) {
        const { blob, key } = JSON.parse(result.stdout) as { blob: string; key: string };
        assert.match(key, /^%/);
        assert.equal(blob, blobIdOf(bytes));
        const out = join(photos, `got-${i}.jpg`);
        const got = cli(['ssb', 'blob', 'get', blob, '--out', out, '--data', data]);
        assert.equal(got.code, 0, got.stderr);
        assert.ok((await readFile(out)).equals(bytes), `photo ${i} came back different`);
        stored.push(blob);
      } else {
        assertRefusedClearly(result, `photo ${i}`);
        refused++;
      }
    }
    assert.ok(stored.length >= 8, `only ${stored.length} photos fit on 40 MB`);
    assert.equal(refused, 3, 'the card never filled');
    assert.equal(feedSequence(data), stored.length, 'a post for each stored photo, and no other');
    // Every blob held is intact. One more than the posts can be there: a photo stored whose post was then
    // refused (posts need 512 KiB free) answered the refusal and printed no id, so nothing was acknowledged.
    const held = await assertBlobStoreIntact(data);
    assert.ok(held >= stored.length && held <= stored.length + 1, `${held} blobs held for ${stored.length} photos`);
    // The data directory's size is walked again every few seconds.
    const status = await until(
      () => {
        const s = JSON.parse(cli(['status', '--json', '--data', data]).stdout) as { storage: Record<string, unknown> };
        return (s.storage.usedBytes as number) > stored.length * 3_000_000 && s;
      },
      20_000,
      'status to count the photos',
    );
    assert.deepEqual(Object.keys(status.storage).sort(), ['budgetBytes', 'freeBytes', 'state', 'usedBytes']);
    assert.ok(['tight', 'full'].includes(status.storage.state as string), `state ${String(status.storage.state)}`);
    assert.ok((status.storage.usedBytes as number) > stored.length * 3_000_000);
    assert.ok((status.storage.freeBytes as number) < 6_000_000);
  });

  // Four 3 MB photos at a time through the control socket while the card fills: on a machine shared by
  // several test runs (load 40 on 2 cores) a batch took over a minute, which is what the earlier 60 s bound
  // on each request reported as a dropped request. The bound is now 180 s and a timed-out request is
  // reported with its duration.
  test('no reserve, photos at once and posts past full, then a power cut: nothing acknowledged lost', async () => {
    // With no reserve the admission check cannot see concurrent writes coming: the file system's own
    // ENOSPC is what refuses some of them (the write path that used to keep truncated photos).
    const card = await device(40, { storage: { reserveBytes: 0 } });
    const { data, photos } = card;
    const files = await Promise.all(
      Array.from({ length: 14 }, async (_, i) => {
        const bytes = jpegBytes(3_000_000);
        const file = join(photos, `photo-${i}.jpg`);
        await writeFile(file, bytes);
        return { file, bytes };
      }),
    );
    // Four at a time: all fourteen at once can leave every one of them short of space.
    const results: Array<CliResult & { ms: number }> = [];
    for (let i = 0; i < files.length; i += 4) {
      const batch = files.slice(i, i + 4);
      results.push(
        ...(await Promise.all(
          batch.map(({ file }) =>
            cliAsync(['ssb', 'publish', '--type', 'post', '--photo', file, '--json', '--data', data]),
          ),
        )),
      );
    }
    const acknowledged: string[] = [];
    for (const [i, result] of results.entries()) {
      if (result.code !== 0) {
        assertRefusedClearly(result, `photo ${i} (answered after ${result.ms} ms)`, card.daemon());
        continue;
      }
      const { blob, key } = JSON.parse(result.stdout) as { blob: string; key: string };
      assert.equal(blob, blobIdOf(files[i]?.bytes ?? Buffer.alloc(0)));
      acknowledged.push(key);
    }
    assert.ok(
      acknowledged.length >= 1 && acknowledged.length < files.length,
      `${acknowledged.length} stored: ${results.map((r) => r.stderr.trim()).join(' | ')}`,
    );
    // Something else takes the rest of the card but 800 kB; posts until refused (the last floor is 512 KiB),
    // each acknowledged one counts.
    const stats = statfsSync(card.fs.dir);
    await writeFile(join(card.fs.dir, 'filler'), Buffer.alloc(Math.max(0, stats.bavail * stats.bsize - 800_000)));
    let posts = 0;
    for (let i = 0; i < 200; i++) {
      const result = cli([
        'ssb',
        'publish',
        '--type',
        'post',
        '--text',
        `post ${i} ${'x'.repeat(6000)}`,
        '--json',
        '--data',
        data,
      ]);
      if (result.code !== 0) {
        assertRefusedClearly(result, `post ${i}`, card.daemon());
        break;
      }
      posts++;
    }
    const before = feedSequence(data);
    assert.ok(before >= acknowledged.length + posts, `feed at ${before}, acknowledged ${acknowledged.length + posts}`);
    await card.restart('SIGKILL');
    assert.ok(feedSequence(data) >= acknowledged.length + posts, 'an acknowledged post was lost in the power cut');
    const held = await assertBlobStoreIntact(data);
    assert.ok(held >= acknowledged.length, `${held} blobs held, ${acknowledged.length} photos acknowledged`);
    // Still working while full: the device answers, and a new photo is refused clearly.
    assert.equal(cli(['status', '--data', data]).code, 0);
    const file = join(photos, 'late.jpg');
    await writeFile(file, jpegBytes(3_000_000));
    assertRefusedClearly(
      cli(['ssb', 'publish', '--type', 'post', '--photo', file, '--data', data]),
      'late photo',
      card.daemon(),
    );
  });
});
