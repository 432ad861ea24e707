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
    photo.set([0xff, 0xd8, 0xff]); // a JPEG by its first bytes, as `ssb publish --photo` requires
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
    // Neither follows the other: with auto-follow off, meeting made them publish nothing (no contact message).
    assert.equal(alice.sequenceOf(alice.id), aliceSeq);
    assert.equal(bob.sequenceOf(bob.id), bobSeq);
  } finally {
    await world.destroy();
  }
});

test("5.6: common interest carries Bob's data to Alice through two devices that do not follow each other", {
  timeout: 400_000,
}, async () => {
  const world = await LanWorld.create();
  try {
    // The devices do not auto-follow: they follow only their owners, as in Figure 5.3.
    const rpiA = await world.add('rpia', { autoFollow: false, linked: false });
    const rpiB = await world.add('rpib', { autoFollow: false, linked: false });
    const alice = await world.add('alice', { autoFollow: false, linked: false });
    const bob = await world.add('bob', { autoFollow: false, linked: false });
    alice.follow(rpiA);
    rpiA.follow(alice);
    alice.follow(bob);
    bob.follow(rpiB);
    rpiB.follow(bob);
    for (let i = 0; i < 5; i++) bob.publish(`bob ${i}`);
    for (let i = 0; i < 5; i++) alice.publish(`alice ${i}`);
    const bobSeq = bob.sequenceOf(bob.id);
    const aliceSeq = alice.sequenceOf(alice.id);

    await world.meet('rpib', 'bob');
    await eventually(
      "Bob's device to hold his messages",
      SYNC_MS,
      () => rpiB.sequenceOf(bob.id) === bobSeq,
      () => rpiB.feeds(),
    );
    await world.leave('rpib', 'bob');
    await world.meet('rpia', 'alice');
    await eventually("Alice's device to hold her messages", SYNC_MS, () => rpiA.sequenceOf(alice.id) === aliceSeq);
    await world.leave('alice');
    // The two devices meet: Bob's feed is 2 hops from Alice's device (through Alice), so it flows.
    await world.meet('rpib');
    await eventually(
      "Bob's messages at Alice's device",
      SYNC_MS,
      () => rpiA.sequenceOf(bob.id) === bobSeq,
      () => rpiA.feeds(),
    );
    await world.leave('rpib');
    await world.meet('alice');
    await eventually(
      "Bob's messages at Alice",
      SYNC_MS,
      () => alice.sequenceOf(bob.id) === bobSeq,
      () => alice.feeds(),
    );
    // ... and Alice's data never reaches Bob's device: nobody it follows follows her.
    await world.meet('rpib');
    await new Promise((r) => setTimeout(r, 10_000));
    assert.equal(rpiB.sequenceOf(alice.id), 0, "Alice's messages must not reach Bob's device");
  } finally {
    await world.destroy();
  }
});

test("5.7: devices auto-follow each other; follow-of-a-follow brings all of Bob's devices; a block holds", {
  timeout: 500_000,
}, async () => {
  const world = await LanWorld.create();
  try {
    const rpiA = await world.add('rpia', { autoFollow: true, linked: false });
    const rpiB = await world.add('rpib', { autoFollow: true, linked: false });
    const alice = await world.add('alice', { autoFollow: false, linked: false });
    const phone = await world.add('bphone', { autoFollow: false, linked: false });
    const laptop = await world.add('blap', { autoFollow: false, linked: false });
    const stranger = await world.add('mallet', { autoFollow: false, linked: false });
    alice.follow(rpiA);
    phone.follow(rpiB);
    laptop.follow(rpiB);
    phone.publish('from the phone');
    laptop.publish('from the laptop');
    stranger.publish('spam');
    // Bob's device meets his phone and laptop (auto-follows them), and a stranger it will block.
    await world.meet('rpib', 'bphone', 'blap', 'mallet');
    await eventually(
      "Bob's device to hold both of Bob's devices",
      SYNC_MS,
      () => rpiB.sequenceOf(phone.id) > 0 && rpiB.sequenceOf(laptop.id) > 0,
      () => rpiB.feeds(),
    );
    await world.leave('bphone', 'blap', 'mallet');
    // Alice's device blocks the stranger before the devices meet.
    rpiA.ssb(['block', stranger.id]);
    // The devices meet and follow each other: Alice's device gets Bob's devices (2 hops).
    await world.meet('rpia');
    await eventually(
      "Bob's devices at Alice's device",
      SYNC_MS,
      () => rpiA.sequenceOf(phone.id) > 0 && rpiA.sequenceOf(laptop.id) > 0,
      () => rpiA.feeds(),
    );
    await world.leave('rpib');
    // Alice meets her device: Bob's device is 2 hops away, his phone and laptop 3 — not yet hers.
    await world.meet('alice');
    await eventually(
      "Bob's device's feed at Alice",
      SYNC_MS,
      () => alice.sequenceOf(rpiB.id) > 0,
      () => alice.feeds(),
    );
    assert.equal(alice.sequenceOf(phone.id), 0, "the phone is 3 hops from Alice until she follows Bob's device");
    // After Alice follows Bob's device, his devices are 2 hops from her.
    alice.follow(rpiB);
    await eventually(
      "Bob's devices at Alice",
      SYNC_MS,
      () => alice.sequenceOf(phone.id) > 0 && alice.sequenceOf(laptop.id) > 0,
      () => alice.feeds(),
    );
    // The stranger that Bob's device auto-followed was blocked by Alice's device: never replicated there.
    assert.equal(rpiA.sequenceOf(stranger.id), 0, 'a blocked feed never arrives');
  } finally {
    await world.destroy();
  }
});
