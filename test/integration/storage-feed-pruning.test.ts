// Blocked and unfollowed feeds leave the database (issue 19, feed-pruner.ts), with real peers: B's data
// directory is on a 40 MB loop-mounted ext4; B replicates a friend A, a feed X it then blocks and a feed Y it
// then unfollows. After the grace, B deletes X's and Y's messages with ssb-db2's deleteFeed and compacts the
// log: the card gets the space back (the log file shrinks, the storage report's free space grows), and
// nothing of A's or B's own is lost — a fresh peer D that reaches only B gets both feeds whole from it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freeBytes, mountSmallFs, type SmallFs } from '../helpers/small-fs.js';
import { PeerSet, sequenceOf, waitFor } from '../helpers/ssb-peers.js';

type Peer = Awaited<ReturnType<PeerSet['start']>>;

/** `count` posts of ~7 KB each (the largest a classic message holds is 8 KB), published in batches. */
async function publishMany(peer: Peer, count: number, label: string): Promise<void> {
  for (let done = 0; done < count; done += 25) {
    const batch = Array.from({ length: Math.min(25, count - done) }, (_, i) =>
      peer.publish({ type: 'post', text: `${label} ${done + i} ${randomBytes(2600).toString('base64')}` }),
    );
    await Promise.all(batch);
  }
}

describe('blocked and unfollowed feeds leave the database', { timeout: 240_000 }, () => {
  const peers = new PeerSet();
  let fs: SmallFs | null = null;
  after(async () => {
    await peers.closeAll();
    await fs?.unmount();
  });

  it('deletes them after their grace, compacts the log, and keeps every message of followed feeds and the owner', async (t) => {
    fs = await mountSmallFs(40);
    const a = await peers.start('friend-A');
    const x = await peers.start('blocked-X');
    const y = await peers.start('unfollowed-Y');
    const b = await peers.start('card-B', {
      dataDir: join(fs.dir, 'ssb'),
      reserveBytes: 2 * 1024 * 1024,
      feedPruning: {
        policy: { blockedGraceMs: 1500, outsideGraceMs: 1500 },
        schedule: { firstRunAfterMs: 500, everyMs: 1000, quietPollMs: 200 },
        quietMs: 500,
      },
    });
    await publishMany(a, 60, 'A');
    await publishMany(x, 200, 'X');
    await publishMany(y, 200, 'Y');
    await publishMany(b, 40, 'B');
    for (const peer of [a, x, y]) await b.follow(peer.id);
    for (const peer of [a, x, y]) await b.connect(peer.address());
    await waitFor(
      'B to replicate A, X and Y',
      async () =>
        (await sequenceOf(b, a.id)) === 60 &&
        (await sequenceOf(b, x.id)) === 200 &&
        (await sequenceOf(b, y.id)) === 200,
      60_000,
    );
    // Three runs while all are followed: nothing goes.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.ok(!b.logger.lines.some((l) => l.msg === 'deleted the messages of a feed no longer replicated'));
    const before = (await b.storageView()).report;
    const freeBefore = freeBytes(fs.dir);

    await b.block(x.id);
    await b.unfollow(y.id);
    await waitFor(
      'B to delete X and Y and compact its log',
      () => b.logger.lines.some((l) => l.msg === 'database log compacted; its indexes are being rebuilt'),
      90_000,
    );
    const deleted = b.logger.lines
      .filter((l) => l.msg === 'deleted the messages of a feed no longer replicated')
      .map((l) => [l.fields?.feed, l.fields?.standing]);
    assert.deepEqual(
      deleted.sort(),
      [
        [x.id, 'blocked'],
        [y.id, 'outside'],
      ].sort(),
    );
    const compacted = b.logger.lines.find((l) => l.msg === 'database log compacted; its indexes are being rebuilt');
    const reclaimed = Number(compacted?.fields?.reclaimedBytes);
    // 400 posts of ~3.6 KB (base64 of 2,600 bytes and the envelope) left the log.
    assert.ok(reclaimed > 1_000_000, `the log gave back ${reclaimed} bytes`);
    await waitFor(
      'the indexes to be rebuilt',
      () => b.logger.lines.some((l) => l.msg.startsWith('database indexes rebuilt')),
      60_000,
    );

    const held = new Map((await b.feeds()).map((f) => [f.id, f.sequence]));
    assert.equal(held.get(x.id), undefined, 'the blocked feed is still held');
    assert.equal(held.get(y.id), undefined, 'the unfollowed feed is still held');
    assert.equal(held.get(a.id), 60);
    assert.equal(held.get(b.id), 40 + 3 + 2, 'B: 40 posts, 3 follows, a block and an unfollow');
    // The storage budget sees the space: free space up, the data directory smaller.
    assert.ok(freeBytes(fs.dir) - freeBefore > 1_000_000, `free ${freeBefore} -> ${freeBytes(fs.dir)}`);
    const afterReport = (await b.storageView()).report;
    t.diagnostic(
      `log compacted: ${JSON.stringify(compacted?.fields)}; report before ${JSON.stringify(before)}, after ${JSON.stringify(afterReport)}`,
    );
    assert.ok(
      afterReport.freeBytes - before.freeBytes > 1_000_000,
      `report free ${before.freeBytes} -> ${afterReport.freeBytes}`,
    );
    assert.ok(afterReport.usedBytes < before.usedBytes, `report used ${before.usedBytes} -> ${afterReport.usedBytes}`);

    // Nothing of A's or B's own was lost: a fresh peer that reaches only B gets both whole (it checks every
    // signature and the chain of previous links as it appends).
    await a.close();
    await x.close();
    await y.close();
    const d = await peers.start('fresh-D');
    await d.follow(a.id);
    await d.follow(b.id);
    await d.connect(b.address());
    await waitFor(
      'D to get A and B whole from B',
      async () => (await sequenceOf(d, a.id)) === 60 && (await sequenceOf(d, b.id)) === held.get(b.id),
      60_000,
    );
    // B still writes after the compaction, and D gets it.
    await b.publish({ type: 'post', text: 'after the compaction' });
    await waitFor(
      'D to get B’s new post',
      async () => (await sequenceOf(d, b.id)) === (held.get(b.id) ?? 0) + 1,
      30_000,
    );
  });
});
