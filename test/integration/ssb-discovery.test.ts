// LAN discovery and auto-follow between real peers, on loopback only: legacy beacons go to 127.255.255.255
// on a test UDP port; ssb-lan's signed beacons are used only where ssb-lan would send them to this host.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import ssbKeys from 'ssb-keys';
import { formatLegacyBeacon } from '../../src/ssb/beacon.js';
import { type LanDiscoveryOptions, ssbLanBroadcastDestination } from '../../src/ssb/peer.js';
import { PeerSet, sequenceOf, waitFor } from '../helpers/ssb-peers.js';

function loopbackLegacy(udpPort: number): LanDiscoveryOptions {
  return {
    verified: false,
    legacy: true,
    legacyUdpPort: udpPort,
    intervalMs: 500,
    legacyTargets: () => [{ interface: 'lo', address: '127.0.0.1', broadcast: '127.255.255.255' }],
  };
}

const randomUdpPort = () => 40_000 + Math.floor(Math.random() * 10_000);

async function sendDatagram(port: number, payload: Buffer): Promise<void> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.setBroadcast(true);
  await new Promise<void>((resolve, reject) =>
    socket.send(payload, port, '127.255.255.255', (err) => (err ? reject(err) : resolve())),
  );
  socket.close();
}

describe('LAN discovery and auto-follow on loopback', { timeout: 90_000 }, () => {
  const peers = new PeerSet();
  after(() => peers.closeAll());

  it('legacy beacons: each verifies the other by connecting, follows, and they replicate', async () => {
    const udpPort = randomUdpPort();
    const a = await peers.start('A', { autoFollow: true, lanDiscovery: loopbackLegacy(udpPort) });
    const b = await peers.start('B', { autoFollow: true, lanDiscovery: loopbackLegacy(udpPort) });
    await a.publish({ type: 'post', text: 'from A' });
    await b.publish({ type: 'post', text: 'from B' });

    // Each has its post and one contact message; each holds the other's two.
    await waitFor(
      'both feeds at both peers',
      async () =>
        (await sequenceOf(a, b.id)) === 2 &&
        (await sequenceOf(b, a.id)) === 2 &&
        (await sequenceOf(a, a.id)) === 2 &&
        (await sequenceOf(b, b.id)) === 2,
      20_000,
    );
    const decisions = a.autoFollowDecisions();
    assert.ok(decisions.some((d) => d.key === b.id && d.follow && d.verified));
    assert.ok(!decisions.some((d) => d.follow && !d.verified), 'never follows on an unsigned beacon alone');
    const dataDir = String(a.logger.lines.find((l) => l.msg === 'created a new SSB identity')?.fields?.path);
    const saved = JSON.parse(await readFile(join(dataDir, '..', 'auto-follow.json'), 'utf8'));
    assert.deepEqual(
      saved.followed.map((f: { id: string }) => f.id),
      [b.id],
    );
    // Beacons keep coming; no second follow is published.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await sequenceOf(a, a.id), 2);
    assert.ok(a.peers().some((p) => p.key === b.id && p.state === 'connected'));
  });

  it('rejects malformed, spoofed and unprovable beacons and keeps running', async () => {
    const udpPort = randomUdpPort();
    const a = await peers.start('target', { autoFollow: true, lanDiscovery: loopbackLegacy(udpPort) });
    // A real SSB peer, but one that is not the key the forged beacon names.
    const other = await peers.start('other');
    const forgedKey = ssbKeys.generate().id;
    const otherPort = Number(other.address().split(':')[2]?.split('~')[0]);

    await sendDatagram(udpPort, Buffer.from('hello'));
    await sendDatagram(udpPort, Buffer.alloc(2000, 'x'));
    await sendDatagram(udpPort, Buffer.from([0xc3, 0x28]));
    // Announces a host other than the one it comes from.
    await sendDatagram(udpPort, formatLegacyBeacon({ host: '127.0.0.2', port: otherPort, key: forgedKey }));
    // Points at a real peer under a key it does not hold: the handshake must fail, so no follow.
    await sendDatagram(udpPort, formatLegacyBeacon({ host: '127.0.0.1', port: otherPort, key: forgedKey }));

    await waitFor(
      'the rejections to be counted',
      () => {
        const rejected = a.legacyBeaconStats()?.rejected ?? {};
        return ['no-net-address', 'oversized', 'not-utf8', 'source-mismatch'].every((r) => (rejected[r] ?? 0) >= 1);
      },
      5000,
    );
    await waitFor(
      'the failed verification',
      () => a.logger.lines.some((l) => l.msg === 'auto-follow: could not verify peer' && l.fields?.key === forgedKey),
      10_000,
    );
    assert.ok(!a.autoFollowDecisions().some((d) => d.follow));
    assert.equal((await a.publish({ type: 'post', text: 'still here' })).sequence, 1);
  });

  it('with auto-follow off, hears peers but follows nobody', async () => {
    const udpPort = randomUdpPort();
    const a = await peers.start('off', { autoFollow: false, lanDiscovery: loopbackLegacy(udpPort) });
    const b = await peers.start('on-air', { autoFollow: false, lanDiscovery: loopbackLegacy(udpPort) });
    await waitFor('a discovered peer', () => a.peers().some((p) => p.key === b.id), 5000);
    await waitFor('a decision', () => a.autoFollowDecisions().some((d) => d.key === b.id), 5000);
    assert.ok(a.autoFollowDecisions().every((d) => !d.follow && d.reason === 'disabled'));
    assert.deepEqual(await a.feeds(), []);
  });

  const destination = ssbLanBroadcastDestination();
  const ssbLanStaysLocal = destination === '0.0.0.0' || destination.startsWith('127.');
  it('ssb-lan signed beacons lead to a verified follow', {
    skip: ssbLanStaysLocal ? false : `ssb-lan would broadcast to ${destination}, off this host`,
  }, async () => {
    const lanDiscovery = { verified: true, legacy: false };
    const a = await peers.start('lanA', { autoFollow: true, lanDiscovery });
    const b = await peers.start('lanB', { autoFollow: true, lanDiscovery });
    await a.publish({ type: 'post', text: 'signed' });
    // Sent to 0.0.0.0 (this host), a datagram reaches only the most recently bound socket, so only B
    // hears A's beacon; A then meets B through B's connection.
    await waitFor("A's post at B", async () => (await sequenceOf(b, a.id)) >= 1, 20_000);
    assert.ok(b.autoFollowDecisions().some((d) => d.key === a.id && d.source === 'lan' && d.verified && d.follow));
  });
});
