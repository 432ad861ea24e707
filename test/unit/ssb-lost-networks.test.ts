// Which connections a lost network takes with it (src/ssb/lost-networks.ts), and the scheduler patch that
// leaves LAN peers to our dialler (src/ssb/patches/conn-scheduler-lan.ts).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { LogSink } from '../../src/log/logger.js';
import type { SsbServer } from '../../src/ssb/libraries.js';
import {
  connectionsOver,
  goneNetworks,
  networksOf,
  sourceAddressFor,
  watchLostNetworks,
} from '../../src/ssb/lost-networks.js';
import { isLanPeer, withoutLanPeers } from '../../src/ssb/patches/conn-scheduler-lan.js';

const KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const at = (host: string, port = 8008) => `net:${host}:${port}~shs:${KEY}`;
const silent: LogSink = { log() {} };

function info(address: string, cidr: string, internal = false): NetworkInterfaceInfo {
  const family = address.includes(':') ? 'IPv6' : 'IPv4';
  return { address, cidr, internal, family, netmask: '', mac: '00:00:00:00:00:00' } as NetworkInterfaceInfo;
}

describe('connectionsOver', () => {
  const table: Array<[string, string[], string[], boolean]> = [
    // address, gone networks, networks still there, cut?
    [at('10.128.0.2'), ['10.128.0.1/30'], [], true],
    [at('10.128.0.6'), ['10.128.0.1/30'], ['10.128.0.5/30'], false],
    [at('10.128.0.6', 40_000), ['10.128.0.1/30'], [], false],
    [at('192.168.4.20', 51_000), ['192.168.4.1/24'], [], true],
    [at('192.168.4.20'), ['192.168.4.1/24'], ['192.168.4.7/24'], false],
    [at('::ffff:10.128.0.2'), ['10.128.0.1/30'], [], true],
    [at('fd00::2'), ['fd00::1/64'], [], true],
    [at('fd01::2'), ['fd00::1/64'], [], false],
    [at('localhost'), ['10.128.0.1/30'], [], false],
    ['tunnel:@x:@y~shs:z', ['10.128.0.1/30'], [], false],
    [at('10.128.0.2'), [], [], false],
  ];
  for (const [address, gone, still, cut] of table) {
    it(`${address} with ${gone.join(',') || 'nothing'} gone${still.length ? ` (${still} still)` : ''}: ${cut ? 'cut' : 'kept'}`, () => {
      assert.deepEqual(connectionsOver([address], gone, new Set(still)), cut ? [address] : []);
    });
  }

  it('cuts a connection to an address outside the gone network when our end of it was on that network', () => {
    // A peer's home address reached over a host route through the link: the link's /30 goes, the home stays.
    const home = at('10.128.0.82');
    const local = new Map([['10.128.0.82', '10.128.1.34']]);
    assert.deepEqual(connectionsOver([home], ['10.128.1.33/30'], new Set(), local), [home]);
    assert.deepEqual(connectionsOver([home], ['10.128.2.1/30'], new Set(), local), []);
    assert.deepEqual(connectionsOver([home], ['10.128.1.33/30'], new Set(['10.128.1.34/30']), local), []);
    assert.deepEqual(connectionsOver([home], ['10.128.1.33/30']), [], 'our end unknown: kept');
  });

  it('cuts exactly the connections whose host is in a gone /30 (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 20 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 15 })),
        (hosts, goneLinks) => {
          const addresses = hosts.map((h, i) => at(`10.128.0.${h}`, 1000 + i));
          const gone = goneLinks.map((n) => `10.128.0.${n * 4 + 1}/30`);
          const cut = new Set(connectionsOver(addresses, gone));
          addresses.forEach((address, i) => {
            const link = Math.floor((hosts[i] as number) / 4);
            assert.equal(cut.has(address), goneLinks.includes(link), address);
          });
        },
      ),
    );
  });
});

describe('networksOf and goneNetworks', () => {
  it('lists non-internal networks and tells which went away', () => {
    const before = networksOf({
      lo: [info('127.0.0.1', '127.0.0.1/8', true)],
      a: [info('10.128.0.1', '10.128.0.1/30')],
      b: [info('10.128.0.5', '10.128.0.5/30')],
    });
    assert.deepEqual([...before].sort(), ['10.128.0.1/30', '10.128.0.5/30']);
    const now = networksOf({ b: [info('10.128.0.5', '10.128.0.5/30')], c: [info('10.128.0.9', '10.128.0.9/30')] });
    assert.deepEqual(goneNetworks(before, now), ['10.128.0.1/30']);
    assert.deepEqual(goneNetworks(now, now), []);
  });
});

describe('watchLostNetworks', () => {
  it('closes only the connections over the network that went away, and nothing when one appears', async () => {
    const hub = new Map<string, { key: string; state: string }>([
      [at('10.128.0.2'), { key: '@a', state: 'connected' }],
      [at('10.128.0.6', 41_000), { key: '@b', state: 'connected' }],
    ]);
    const closed: string[] = [];
    const ssb = Object.assign(new EventEmitter(), {
      conn: {
        hub: () => ({ entries: () => hub.entries() }),
        disconnect: (address: string, cb: (err: Error | null) => void) => {
          closed.push(address);
          cb(null);
        },
      },
    }) as unknown as SsbServer;
    let current: NodeJS.Dict<NetworkInterfaceInfo[]> = {
      a: [info('10.128.0.1', '10.128.0.1/30')],
      b: [info('10.128.0.5', '10.128.0.5/30')],
    };
    const watch = watchLostNetworks({ ssb, logger: silent, interfaces: () => current, intervalMs: 5 });
    try {
      current = { ...current, c: [info('10.128.0.9', '10.128.0.9/30')] };
      await sleep(40);
      assert.deepEqual(closed, [], 'a network appearing cuts nothing');
      current = { b: current.b, c: current.c };
      await sleep(40);
      assert.deepEqual(closed, [at('10.128.0.2')]);
    } finally {
      watch.stop();
    }
  });

  it('closes a connection whose own end was on the network that went away (looked up when it came up)', async () => {
    const home = at('10.128.0.82');
    const hub = new Map([[home, { key: '@c', state: 'connected' }]]);
    const closed: string[] = [];
    const emitter = new EventEmitter();
    const ssb = Object.assign(emitter, {
      conn: {
        hub: () => ({ entries: () => hub.entries() }),
        disconnect: (address: string, cb: (err: Error | null) => void) => {
          closed.push(address);
          cb(null);
        },
      },
    }) as unknown as SsbServer;
    let current: NodeJS.Dict<NetworkInterfaceInfo[]> = {
      a: [info('10.128.1.34', '10.128.1.34/30')],
      b: [info('10.128.2.6', '10.128.2.6/30')],
    };
    const sourceAddress = async (host: string) => (host === '10.128.0.82' ? '10.128.1.34' : null);
    const watch = watchLostNetworks({ ssb, logger: silent, interfaces: () => current, intervalMs: 5, sourceAddress });
    try {
      emitter.emit('rpc:connect', { id: '@c', stream: { address: home } }, true);
      await sleep(20);
      current = { a: current.a };
      await sleep(40);
      assert.deepEqual(closed, [], 'another link went');
      current = {};
      await sleep(40);
      assert.deepEqual(closed, [home]);
    } finally {
      watch.stop();
    }
    assert.equal(emitter.listenerCount('rpc:connect'), 0);
  });
});

describe('sourceAddressFor', () => {
  it("gives the kernel's source address for a host, and null for what is not an IP address", async () => {
    assert.equal(await sourceAddressFor('127.0.0.1'), '127.0.0.1');
    assert.equal(await sourceAddressFor('localhost'), null);
  });
});

describe('conn-scheduler-lan', () => {
  const table: Array<[Record<string, unknown>, boolean]> = [
    [{ type: 'lan' }, true],
    [{ type: 'pub' }, false],
    [{ type: 'room' }, false],
    [{ inferredType: 'lan' }, true],
    [{ inferredType: 'internet' }, false],
    [{ source: 'local' }, true],
    [{ type: 'internet', inferredType: 'lan' }, false],
    [{}, false],
  ];
  for (const [data, lan] of table) {
    it(`${JSON.stringify(data)} is ${lan ? '' : 'not '}a LAN peer`, () => {
      assert.equal(isLanPeer(['net:x:1~shs:y', data]), lan);
    });
  }

  it("the scheduler's maintainConnections sees every peer but the LAN ones, with its other arguments unchanged", () => {
    const seen: unknown[][] = [];
    const original = function (
      this: unknown,
      quota: number,
      desired: (p: [string, Record<string, unknown>]) => boolean,
      ...rest: unknown[]
    ) {
      const peers: Array<[string, Record<string, unknown>]> = [
        ['net:10.0.0.2:8008~shs:a', { type: 'lan' }],
        ['net:pub.example:8008~shs:b', { type: 'pub' }],
        ['net:10.0.0.3:40000~shs:c', { inferredType: 'lan' }],
        ['net:room.example:8008~shs:d', { type: 'room' }],
      ];
      seen.push([this, quota, peers.filter(desired).map(([a]) => a), ...rest]);
    };
    const self = { name: 'scheduler' };
    withoutLanPeers(original).call(self, 4, (p) => p[1].type !== 'room', 'dbAndStaging', null, 7200_000);
    assert.deepEqual(seen, [[self, 4, ['net:pub.example:8008~shs:b'], 'dbAndStaging', null, 7200_000]]);
  });
});
