import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostOfAddress, isLanAddress, isRfc1918, legacyBeaconTargets, subnetBroadcast } from '../../src/ssb/lan-net.js';
import { computeProgress, type FeedClocks, StallWatch } from '../../src/ssb/progress.js';

describe('computeProgress', () => {
  it('is in sync with nothing offered', () => {
    const p = computeProgress(new Map(), ['@peer']);
    assert.deepEqual(p.overall, { have: 0, want: 0, fraction: 1, needed: 0 });
    assert.deepEqual(p.peers['@peer'], { have: 0, want: 0, fraction: 1, needed: 0 });
    assert.equal(p.replicating, false);
  });

  it('counts per peer what it offers, and overall the best offer per feed', () => {
    const wanted = new Map<string, FeedClocks>([
      ['@b', { local: 40, remote: { '@B': 100, '@C': 60 } }],
      ['@c', { local: 10, remote: { '@C': 10 } }],
      ['@d', { local: 5, remote: { '@B': -1 } }], // B does not replicate d with us
    ]);
    const p = computeProgress(wanted);
    assert.deepEqual(p.peers['@B'], { have: 40, want: 100, fraction: 0.4, needed: 60 });
    assert.deepEqual(p.peers['@C'], { have: 50, want: 70, fraction: 50 / 70, needed: 20 });
    assert.deepEqual(p.overall, { have: 50, want: 110, fraction: 50 / 110, needed: 60 });
    assert.equal(p.replicating, true);
  });

  it('does not count it as progress when we are ahead of a peer', () => {
    const p = computeProgress(new Map([['@a', { local: 500, remote: { '@B': 20 } }]]));
    assert.deepEqual(p.overall, { have: 20, want: 20, fraction: 1, needed: 0 });
  });
});

describe('lan-net', () => {
  it('knows RFC 1918 from everything else', () => {
    for (const ip of ['10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.4.1']) assert.ok(isRfc1918(ip), ip);
    for (const ip of ['172.32.0.1', '192.0.2.2', '100.64.0.1', '169.254.1.1', '127.0.0.1', '8.8.8.8', 'fd00::1']) {
      assert.ok(!isRfc1918(ip), ip);
    }
    assert.ok(isLanAddress('::ffff:10.1.2.3') && isLanAddress('fe80::1') && isLanAddress('127.0.0.1'));
    assert.ok(!isLanAddress('192.0.2.2') && !isLanAddress('2001:db8::1'));
  });

  it('computes directed broadcast addresses', () => {
    assert.equal(subnetBroadcast('192.168.4.5', '255.255.255.0'), '192.168.4.255');
    assert.equal(subnetBroadcast('10.42.0.1', '255.255.0.0'), '10.42.255.255');
  });

  it('announces on every RFC 1918 interface, and on none of the others', () => {
    const iface = (address: string, netmask: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false) => ({
      address,
      netmask,
      family,
      internal,
      mac: '00:00:00:00:00:00',
      cidr: null,
      ...(family === 'IPv6' ? { scopeid: 0 } : {}),
    });
    const interfaces = {
      lo: [iface('127.0.0.1', '255.0.0.0', 'IPv4', true)],
      uap0: [iface('10.42.0.1', '255.255.255.0'), iface('fe80::1', 'ffff:ffff:ffff:ffff::', 'IPv6')],
      wlan0: [iface('192.168.1.23', '255.255.255.0')],
      eth0: [iface('192.0.2.2', '255.255.255.0'), iface('fd00::2', 'ffff:ffff:ffff:ffff::', 'IPv6')],
    } as unknown as Parameters<typeof legacyBeaconTargets>[0];
    assert.deepEqual(legacyBeaconTargets(interfaces, null), [
      { interface: 'uap0', address: '10.42.0.1', broadcast: '10.42.0.255' },
      { interface: 'wlan0', address: '192.168.1.23', broadcast: '192.168.1.255' },
    ]);
    assert.deepEqual(
      legacyBeaconTargets(interfaces, '192.168.1.23').map((t) => t.interface),
      ['wlan0'],
    );
  });

  it('extracts hosts from multiserver addresses', () => {
    assert.equal(hostOfAddress('net:10.0.0.1:8008~shs:abc'), '10.0.0.1');
    assert.equal(hostOfAddress('net:fd00::2:8008~shs:abc'), 'fd00::2');
    assert.equal(hostOfAddress('ws:10.0.0.1:8989~shs:abc'), null);
  });
});

describe('StallWatch', () => {
  const clocks = (local: number, remote: number): Map<string, FeedClocks> =>
    new Map([['@feed', { local, remote: { '@peer': remote } }]]);

  it('asks again once a feed offered by a peer has not grown for the stall time, then waits again', () => {
    const watch = new StallWatch(1000);
    assert.deepEqual(watch.check(clocks(5, 6), 0), []);
    assert.deepEqual(watch.check(clocks(5, 6), 999), []);
    assert.deepEqual(watch.check(clocks(5, 6), 1000), ['@feed']);
    assert.deepEqual(watch.check(clocks(5, 6), 1500), [], 'not again before another stall time');
    assert.deepEqual(watch.check(clocks(5, 6), 2000), ['@feed']);
  });

  it('restarts the wait whenever our copy grows, and forgets feeds that caught up', () => {
    const watch = new StallWatch(1000);
    watch.check(clocks(1, 10), 0);
    assert.deepEqual(watch.check(clocks(2, 10), 900), []);
    assert.deepEqual(watch.check(clocks(3, 10), 1800), [], 'growing: not stalled');
    assert.deepEqual(watch.check(clocks(3, 10), 2800), ['@feed']);
    assert.deepEqual(watch.check(clocks(10, 10), 2900), []);
    assert.deepEqual(watch.check(clocks(10, 11), 3000), []);
    assert.deepEqual(watch.check(clocks(10, 11), 3999), []);
    assert.deepEqual(watch.check(clocks(10, 11), 4000), ['@feed']);
  });

  it('ignores peers that do not offer the feed', () => {
    const watch = new StallWatch(1000);
    const offered = new Map([['@feed', { local: 3, remote: { '@a': -1, '@b': 3 } }]]);
    assert.deepEqual(watch.check(offered, 0), []);
    assert.deepEqual(watch.check(offered, 5000), []);
  });
});
