// After a full card (issue 19): a friend's photo refused while the card was full is fetched again by itself
// once space is freed. Real peers on loopback; B's data directory on a 40 MB loop-mounted ext4.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { POST_FLOOR_BYTES } from '../../src/storage/budget.js';
import { freeBytes, mountSmallFs, type SmallFs } from '../helpers/small-fs.js';
import { PeerSet, sequenceOf, waitFor } from '../helpers/ssb-peers.js';

const RESERVE = 4 * 1024 * 1024;

describe('space freed after a full card', { timeout: 120_000 }, () => {
  const peers = new PeerSet();
  let fs: SmallFs | null = null;
  after(async () => {
    await peers.closeAll();
    await fs?.unmount();
  });

  it("a friend's photo refused while full arrives once space is freed; posts flowed meanwhile", async () => {
    fs = await mountSmallFs(40);
    const bDir = join(fs.dir, 'ssb');
    const a = await peers.start('has-photo-A');
    const b = await peers.start('full-B', { dataDir: bDir, reserveBytes: RESERVE });
    await b.follow(a.id);
    await b.connect(a.address());
    // Fill B's card to between the posts' floor and the reserve: posts flow, friends' photos pause.
    const filler = join(fs.dir, 'filler');
    await writeFile(filler, Buffer.alloc(Math.max(0, freeBytes(fs.dir) - RESERVE / 2)));
    const free = freeBytes(fs.dir);
    assert.ok(free > POST_FLOOR_BYTES * 2 && free < RESERVE, `${free} bytes free after filling`);
    await waitFor(
      'B to pause photos',
      () => b.logger.lines.some((l) => l.msg === 'storage full: photos from friends paused'),
      5000,
    );

    const photo = randomBytes(1_000_000);
    const blob = await a.addBlob(photo);
    await a.publish({ type: 'post', text: 'a photo while B is full', mentions: [{ link: blob, size: photo.length }] });
    await waitFor('the post to reach B', async () => (await sequenceOf(b, a.id)) === 1, 20_000);
    // B asked and A offered; the write was refused. Give it time to (wrongly) arrive.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(await b.hasBlob(blob), false, 'a photo was stored into the reserve');
    assert.deepEqual(await readdir(join(bDir, 'blobs', 'tmp')), [], 'a refused photo left a temporary file');

    await rm(filler);
    await waitFor('the photo to arrive once space is back', () => b.hasBlob(blob), 20_000);
    assert.ok((await b.getBlob(blob)).equals(photo));
    assert.ok(b.logger.lines.some((l) => l.msg === 'storage: photos from friends resumed'));
  });
});
