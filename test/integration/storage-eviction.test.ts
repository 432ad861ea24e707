// The storage budget's eviction (issue 19) with real peers: B's data directory is on a 40 MB loop-mounted
// ext4; when the card fills past B's reserve, B evicts its friends' photos by the rule — a follow of a
// follow's before a friend's, older before newer — never its own, until the reserve is free again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freeBytes, mountSmallFs, type SmallFs } from '../helpers/small-fs.js';
import { PeerSet, sequenceOf, waitFor } from '../helpers/ssb-peers.js';

const RESERVE = 4 * 1024 * 1024;

describe('eviction when the card fills', { timeout: 150_000 }, () => {
  const peers = new PeerSet();
  let fs: SmallFs | null = null;
  after(async () => {
    await peers.closeAll();
    await fs?.unmount();
  });

  it("evicts a follow of a follow's photos, then a friend's oldest, never the owner's", async () => {
    fs = await mountSmallFs(40);
    const a = await peers.start('friend-A');
    const c = await peers.start('fof-C');
    const b = await peers.start('card-B', { dataDir: join(fs.dir, 'ssb'), reserveBytes: RESERVE });
    await b.follow(a.id);
    await a.follow(c.id);
    const post = async (peer: typeof a, text: string) => {
      const bytes = randomBytes(1_000_000);
      const blob = await peer.addBlob(bytes);
      await peer.publish({ type: 'post', text, mentions: [{ link: blob, size: bytes.length }] });
      await new Promise((resolve) => setTimeout(resolve, 20)); // distinct timestamps
      return blob;
    };
    const own = await post(b, 'my own photo, the oldest of all');
    const fof = [await post(c, 'C 1'), await post(c, 'C 2')];
    const friend = [await post(a, 'A 1'), await post(a, 'A 2'), await post(a, 'A 3'), await post(a, 'A 4')];
    await b.connect(a.address());
    await b.connect(c.address());
    await waitFor('B to replicate A and C', async () => (await sequenceOf(b, c.id)) === 2, 30_000);
    const all = [own, ...fof, ...friend];
    await waitFor(
      'B to hold every photo',
      async () => (await Promise.all(all.map((x) => b.hasBlob(x)))).every(Boolean),
      30_000,
    );

    // The card fills (other files, the OS): half a MiB into the reserve.
    await writeFile(join(fs.dir, 'filler'), Buffer.alloc(Math.max(0, freeBytes(fs.dir) - RESERVE + 512 * 1024)));
    await waitFor(
      'B to evict',
      () => b.logger.lines.some((l) => l.msg === 'photos evicted to keep the reserve free'),
      15_000,
    );
    const held = await Promise.all([...fof, ...friend].map((x) => b.hasBlob(x)));
    const evicted = held.findIndex(Boolean);
    assert.ok(evicted >= 3, `evicted ${held.map((h) => (h ? 'kept' : 'gone')).join(', ')}: C's and A's oldest first`);
    assert.ok(
      held.slice(evicted).every(Boolean),
      `not a prefix of the order: ${held.map((h) => (h ? 'kept' : 'gone')).join(', ')}`,
    );
    assert.equal(held.at(-1), true, "A's newest photo was evicted");
    assert.equal(await b.hasBlob(own), true, "the owner's own photo was evicted");
    await waitFor('the reserve to be free again', () => freeBytes(fs?.dir ?? '/') > RESERVE, 5000);
  });
});
