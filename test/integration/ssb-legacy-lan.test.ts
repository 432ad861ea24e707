// The legacy LAN beacon's quick announcements (src/ssb/legacy-lan.ts), on loopback: a network that appears
// and a newcomer are answered at once, not at the next steady beacon.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import ssbKeys from 'ssb-keys';
import { silentLogger } from '../../src/log/logger.js';
import type { BeaconTarget } from '../../src/ssb/lan-net.js';
import { type LegacyLan, startLegacyLan } from '../../src/ssb/legacy-lan.js';

const LOOPBACK: BeaconTarget = { interface: 'lo', address: '127.0.0.1', broadcast: '127.255.255.255' };
const randomUdpPort = () => 40_000 + Math.floor(Math.random() * 10_000);

describe('legacy beacon timing', { timeout: 30_000 }, () => {
  const open: LegacyLan[] = [];
  after(async () => {
    for (const lan of open) await lan.close();
  });

  const start = async (udpPort: number, targets: () => BeaconTarget[], heard: (key: string) => void) => {
    const self = ssbKeys.generate().id;
    const lan = await startLegacyLan({
      self,
      tcpPort: 8008,
      listenHost: null,
      udpPort,
      targets,
      // The steady beacon is far away: whatever arrives sooner was announced early.
      intervalMs: 60_000,
      watchMs: 50,
      logger: silentLogger,
      onBeacon: (beacon) => heard(beacon.key),
    });
    open.push(lan);
    return { self, lan };
  };

  it('announces as soon as a network appears', async () => {
    const udpPort = randomUdpPort();
    const heardByA: string[] = [];
    await start(
      udpPort,
      () => [LOOPBACK],
      (key) => heardByA.push(key),
    );
    let linked = false;
    const b = await start(
      udpPort,
      () => (linked ? [LOOPBACK] : []),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(heardByA.length, 0, 'nothing to announce on before the link is up');
    const linkUp = Date.now();
    linked = true;
    while (!heardByA.includes(b.self) && Date.now() - linkUp < 3000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(heardByA.includes(b.self), 'the link coming up was announced');
    assert.ok(Date.now() - linkUp < 1000, `announced within a second (${Date.now() - linkUp} ms)`);
  });

  it('answers a newcomer with its own beacon at once', async () => {
    const udpPort = randomUdpPort();
    const heardByOld: string[] = [];
    const heardByNew: string[] = [];
    // The old-timer announced when it started, before anyone listened; its next beacon is a minute away.
    const old = await start(
      udpPort,
      () => [LOOPBACK],
      (key) => heardByOld.push(key),
    );
    await new Promise((r) => setTimeout(r, 300));
    const arrived = Date.now();
    const newcomer = await start(
      udpPort,
      () => [LOOPBACK],
      (key) => heardByNew.push(key),
    );
    while (!heardByNew.includes(old.self) && Date.now() - arrived < 3000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(heardByOld.includes(newcomer.self), "the newcomer's own beacon was heard");
    assert.ok(heardByNew.includes(old.self), 'the old-timer answered');
    assert.ok(Date.now() - arrived < 1000, `answered within a second (${Date.now() - arrived} ms)`);
    // A peer heard again soon after is not answered again (one extra beacon per newcomer).
    const sent = old.lan.stats().sent;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(old.lan.stats().sent, sent);
  });
});
