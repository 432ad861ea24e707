// A hostile neighbour floods a device with 100,000 legacy LAN beacons (malformed, oversized, spoofed with
// made-up keys, replays of a real peer's beacon) and garbage on ssb-lan's port. The device keeps running,
// follows nobody it cannot prove, logs each kind of rejection once instead of a flood, stays within its
// memory, and still replicates with the real friend next to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { recordFigures } from '../helpers/figures.js';
import { eventually, LanWorld } from '../helpers/lan-devices.js';
import { smallworldProcesses } from '../helpers/proc.js';

const FLOOD = fileURLToPath(new URL('../fixtures/beacon-flood.js', import.meta.url));

interface SsbStatus {
  legacyBeacons: { received: number; accepted: number; rejected: Record<string, number> } | null;
  autoFollow: Array<{ key?: string; id?: string; decision?: { follow: boolean }; follow?: boolean }>;
}

test('100,000 hostile beacons: no crash, no unproven follow, no log flood', { timeout: 600_000 }, async () => {
  const world = await LanWorld.create();
  try {
    const device = await world.add('rpi', { autoFollow: true });
    const friend = await world.add('friend', { autoFollow: false });
    const evil = await world.lan.addDevice('evil');
    // The friend's real beacon, as the neighbour overheard it (replayed from the wrong address).
    const friendKey = friend.id.slice(1, -'.ed25519'.length);
    const replay = `net:${world.lan.device('friend').address}:8008~shs:${friendKey}`;
    await eventually('the device to follow its real neighbour', 60_000, () =>
      JSON.stringify(device.ssb<SsbStatus>(['status']).autoFollow).includes(friend.id),
    );
    const logLinesBefore = device.logs.join('').split('\n').length;
    const ownBefore = device.sequenceOf(device.id);

    const corpus = {
      target: world.lan.device('rpi').address,
      self: evil.address,
      malformed: 40_000,
      oversized: 10_000,
      spoofed: 40_000,
      replayed: 10_000,
      replay,
      ssbLanGarbage: 10_000,
    };
    const started = Date.now();
    const flood = await world.lan.exec('evil', [process.execPath, FLOOD, JSON.stringify(corpus)]);
    const floodMs = Date.now() - started;
    const sent = JSON.parse(flood.stdout) as { sent: number; counts: Record<string, number> };
    assert.equal(sent.sent, 110_000);
    // Let queued decisions and probes run out.
    await new Promise((resolve) => setTimeout(resolve, 15_000));

    const status = device.ssb<SsbStatus>(['status']);
    const beacons = status.legacyBeacons;
    assert.ok(beacons, 'legacy beacon stats');
    assert.ok(beacons.received >= 50_000, `the device heard the flood: ${beacons.received}`);
    // Nothing unproven followed: the device's own feed grew by nothing (it already followed the friend).
    assert.equal(device.sequenceOf(device.id), ownBefore, 'no follow published during the flood');
    const held = device.feeds().map((f) => f.id);
    assert.deepEqual(
      held.filter((id) => id !== device.id && id !== friend.id),
      [],
      'only real feeds held',
    );

    const lines = device.logs.join('').split('\n');
    const floodLines = lines.length - logLinesBefore;
    const byMessage: Record<string, number> = {};
    for (const line of lines.slice(logLinesBefore)) {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 60);
      byMessage[msg] = (byMessage[msg] ?? 0) + 1;
    }
    const procs = smallworldProcesses(device.child.pid ?? 0);
    const peerRss = procs.find((p) => p.role === 'peer')?.rssMiB ?? 0;

    // Still a working device: the friend's new post arrives.
    friend.publish('after the storm');
    const friendSeq = friend.sequenceOf(friend.id);
    await eventually('replication after the flood', 60_000, () => device.sequenceOf(friend.id) === friendSeq);

    recordFigures('hostile-beacons', {
      beaconsSent: sent.sent,
      byKind: sent.counts,
      heardByDevice: beacons.received,
      acceptedAsWellFormed: beacons.accepted,
      rejected: beacons.rejected,
      floodSeconds: Math.round(floodMs / 100) / 10,
      logLinesDuringFlood: floodLines,
      logLinesByMessage: byMessage,
      peerRssMiBAfter: peerRss,
      followsPublishedDuringFlood: device.sequenceOf(device.id) - ownBefore,
    });
    assert.ok(floodLines < 200, `${floodLines} log lines for ${sent.sent} hostile beacons`);
    assert.ok(peerRss < 300, `peer RSS ${peerRss} MiB after the flood`);
  } finally {
    await world.destroy();
  }
});
