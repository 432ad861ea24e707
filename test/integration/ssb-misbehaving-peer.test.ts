// A peer that breaks the rules, over a real connection: bad signatures, forks, gaps, oversize content and
// floods of them. The device stores exactly the valid messages, logs each kind of refusal once, keeps
// replicating with honest peers, and a blob larger than its limit is never stored.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { FeedWriter, type MsgValue, msgId, pushUntil, tampered } from '../helpers/rogue-peer.js';
import { PeerSet, sequenceOf, waitFor } from '../helpers/ssb-peers.js';

const refusals = (peer: { logger: { lines: Array<{ msg: string; fields?: Record<string, unknown> }> } }) =>
  peer.logger.lines.filter((l) => l.msg === 'refused a replicated message');

describe('a misbehaving peer', { timeout: 120_000 }, () => {
  const peers = new PeerSet();
  after(() => peers.closeAll());

  it('a bad signature: the messages before it are kept, it and what chains on it are refused', async () => {
    const device = await peers.start('device-sig');
    const rogue = new FeedWriter();
    await device.follow(rogue.id);
    for (let i = 1; i <= 5; i++) rogue.append({ type: 'post', text: `message ${i}` });
    const [m1, m2, m3, m4, m5] = rogue.messages as [MsgValue, MsgValue, MsgValue, MsgValue, MsgValue];
    await pushUntil(rogue, device.address(), [m1, m2, tampered(m3), m4, m5], () =>
      refusals(device).some((l) => l.fields?.sequence === 3),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await sequenceOf(device, rogue.id), 2, 'nothing after the bad signature');
    const logged = refusals(device);
    assert.ok(
      logged.some((l) => /signature/.test(String(l.fields?.reason)) && l.fields?.sequence === 3),
      JSON.stringify(logged),
    );
    // The honest rest of the feed still arrives later.
    await pushUntil(rogue, device.address(), [m3, m4, m5], async () => (await sequenceOf(device, rogue.id)) === 5);
  });

  it('a fork, a gap and oversize content are refused; the feed the device holds stays the first one', async () => {
    const device = await peers.start('device-fork');
    const rogue = new FeedWriter();
    await device.follow(rogue.id);
    for (let i = 1; i <= 3; i++) rogue.append({ type: 'post', text: `message ${i}` });
    await pushUntil(rogue, device.address(), rogue.messages, async () => (await sequenceOf(device, rogue.id)) === 3);

    const m2 = rogue.messages[1] ?? assert.fail();
    const fork3 = rogue.sign({ type: 'post', text: 'another third message' }, m2);
    const fork4 = rogue.sign({ type: 'post', text: 'after the fork' }, fork3);
    const gap = rogue.sign({ type: 'post', text: 'sequence 5 without 4' }, { ...fork4, sequence: 4 });
    const big = rogue.sign({ type: 'post', text: 'x'.repeat(9000) });
    assert.notEqual(msgId(fork3), msgId(rogue.messages[2] ?? assert.fail()));
    const reasonsNow = () => refusals(device).map((l) => String(l.fields?.reason));
    await pushUntil(
      rogue,
      device.address(),
      [fork3, fork4, gap, big],
      () => reasonsNow().some((r) => /previous/.test(r)) && reasonsNow().some((r) => /8192|size|large/i.test(r)),
      { claim: 5 },
    );
    assert.equal(await sequenceOf(device, rogue.id), 3);
    const reasons = reasonsNow();
    assert.ok(
      reasons.some((r) => /previous/.test(r)),
      `the fork refused: ${reasons}`,
    );
    assert.ok(
      reasons.some((r) => /8192|size|large/i.test(r)),
      `oversize refused: ${reasons}`,
    );

    // The real fourth message still extends the feed: the fork attempt cost nothing.
    const m4 = rogue.append({ type: 'post', text: 'message 4' });
    await pushUntil(rogue, device.address(), [m4], async () => (await sequenceOf(device, rogue.id)) === 4);
  });

  it('a flood of 2,000 bad messages is logged once, and honest replication goes on', async () => {
    const device = await peers.start('device-flood');
    const honest = await peers.start('honest');
    const rogue = new FeedWriter();
    await device.follow(rogue.id);
    await device.follow(honest.id);
    const first = rogue.append({ type: 'post', text: 'the only good one' });
    const bad = Array.from({ length: 2000 }, (_, i) => tampered(rogue.sign({ type: 'post', text: `bad ${i}` }, first)));
    await pushUntil(
      rogue,
      device.address(),
      [first, ...bad],
      async () => (await sequenceOf(device, rogue.id)) === 1 && refusals(device).length > 0,
      { lingerMs: 4000 },
    );
    assert.equal(await sequenceOf(device, rogue.id), 1);
    const logged = refusals(device).filter((l) => l.fields?.feed === rogue.id);
    assert.equal(logged.length, 1, `one line for 2,000 refusals of one kind: ${JSON.stringify(logged.slice(0, 3))}`);

    for (let i = 0; i < 50; i++) await honest.publish({ type: 'post', text: `honest ${i}` });
    await device.connect(honest.address());
    await waitFor('the honest peer replicated', async () => (await sequenceOf(device, honest.id)) === 50, 20_000);
    const own = await device.publish({ type: 'post', text: 'still here' });
    assert.equal(own.sequence, 3, 'two follows and a post');
  });

  it('a blob larger than the limit is not fetched from a peer that has it', async () => {
    const device = await peers.start('device-blob', { blobsMaxBytes: 1_000_000 });
    const friend = await peers.start('friend-blob', { blobsMaxBytes: 5_000_000 });
    await device.follow(friend.id);
    const small = await friend.addBlob(randomBytes(500_000));
    const large = await friend.addBlob(randomBytes(3_000_000));
    await device.connect(friend.address());
    assert.equal((await device.getBlob(small, { timeoutMs: 15_000 })).length, 500_000);
    await assert.rejects(device.getBlob(large, { timeoutMs: 5_000 }), /not found within/);
    assert.equal(await device.hasBlob(large), false);
  });
});
