// A damaged blob (issue 19): a file under a blob's id whose bytes do not hash to it — a failed write, an old
// version, a bad card — is found when read and by the scan at start, moved aside (kept), never served to a
// friend, and fetched again from a friend that has the real one. Real peers on loopback.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { blobPath } from '../../src/ssb/durable.js';
import { PeerSet, waitFor } from '../helpers/ssb-peers.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');
const idOf = (bytes: Buffer) => `&${sha256(bytes)}.sha256`;

async function quarantined(dir: string): Promise<Buffer[]> {
  const root = join(dir, 'blobs-quarantine');
  const names = (await readdir(root).catch(() => [] as string[])).sort();
  return Promise.all(names.map((name) => readFile(join(root, name))));
}

describe('damaged blobs', { timeout: 150_000 }, () => {
  const peers = new PeerSet();
  const dirs: string[] = [];
  after(async () => {
    await peers.closeAll();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  it('are set aside when read and at start, fetched again from a friend, and never served to a friend', async () => {
    const a = await peers.start('intact-A');
    const bDir = await mkdtemp(join(tmpdir(), 'ssb-test-damaged-B-'));
    dirs.push(bDir);
    let b = await peers.start('damaged-B', { dataDir: bDir, blobCheckDelayMs: 0 });
    await b.follow(a.id);
    const photo = randomBytes(300_001);
    const blob = await a.addBlob(photo);
    assert.equal(blob, idOf(photo));
    await a.publish({ type: 'post', text: 'a photo', mentions: [{ link: blob, size: photo.length }] });
    await b.connect(a.address());
    await waitFor('B to fetch the photo its friend posted', () => b.hasBlob(blob), 30_000);
    const file = blobPath(bDir, blob);
    const intactOnDisk = async () => idOf(await readFile(file).catch(() => Buffer.alloc(0))) === blob;
    assert.ok(await intactOnDisk());

    // Damaged while running (same size, other bytes): the owner's read gets the real photo, from A.
    const damaged = randomBytes(photo.length);
    await writeFile(file, damaged);
    const got = await b.getBlob(blob, { timeoutMs: 20_000 });
    assert.ok(got.equals(photo), 'the damaged bytes were served');
    assert.ok(await intactOnDisk(), 'the real photo is on the card again');
    assert.deepEqual(await quarantined(bDir), [damaged], 'the damaged file is kept aside');
    assert.ok(b.logger.lines.some((l) => l.level === 'warn' && /damaged blob was set aside/.test(l.msg)));

    // A 0-byte file left by a failed write before a restart: the scan at start finds it; A supplies it.
    await b.close();
    await writeFile(file, Buffer.alloc(0));
    b = await peers.start('damaged-B-restarted', { dataDir: bDir, blobCheckDelayMs: 0 });
    await b.connect(a.address());
    await waitFor('the 0-byte photo to be set aside and fetched again', intactOnDisk, 30_000);
    assert.equal((await quarantined(bDir)).length, 2);
    await waitFor(
      'the scan to report it',
      () => b.logger.lines.some((l) => l.msg === 'blob store checked' && l.fields?.damaged === 1),
      10_000,
    );

    // No intact copy anywhere but a damaged one at B: a friend asking B gets nothing, and B sets it aside.
    await a.close();
    const damagedAgain = randomBytes(photo.length);
    await writeFile(file, damagedAgain);
    const c = await peers.start('asks-C');
    await c.connect(b.address());
    await assert.rejects(c.getBlob(blob, { timeoutMs: 8000 }), /not found within/);
    assert.equal(await c.hasBlob(blob), false, 'C stored damaged bytes');
    await waitFor('B to set its damaged copy aside', async () => (await quarantined(bDir)).length === 3, 10_000);
    assert.ok((await quarantined(bDir)).some((bytes) => bytes.equals(damagedAgain)));
    assert.equal(await b.hasBlob(blob), false, 'B still claims the damaged blob');
  });
});
