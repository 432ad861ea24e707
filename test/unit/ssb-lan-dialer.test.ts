// The LAN dialler's mechanism: a dial waiting for its turn never reaches a peer that is closing.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { DiscoveredPeer } from '../../src/ssb/auto-follow.js';
import { LanDialer } from '../../src/ssb/lan-dialer.js';
import type { SsbServer } from '../../src/ssb/libraries.js';

const SELF = '@B'.padEnd(45, 'b');
const OTHER = '@A'.padEnd(45, 'a');
const peer: DiscoveredPeer = { key: OTHER, verified: true, source: 'lan', address: 'net:10.0.0.2:8008~shs:x' };

function fakeServer() {
  const dialled: string[] = [];
  const ssb = {
    id: SELF,
    conn: {
      hub: () => ({ entries: () => [] }),
      connect(address: string) {
        dialled.push(address);
      },
    },
  } as unknown as SsbServer;
  return { ssb, dialled };
}

const silent = { log() {} };

describe('the LAN dialler', () => {
  it('dials a peer with the smaller id after its deferral, and never once stopped', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { ssb, dialled } = fakeServer();
      const dialer = new LanDialer({ ssb, hopsOf: () => 1, logger: silent, random: () => 0 });
      dialer.dialDiscovered(peer);
      assert.deepEqual(dialled, [], 'the larger id waits its deferral');
      mock.timers.tick(60_000);
      assert.deepEqual(dialled, [peer.address]);

      const second = fakeServer();
      const stopping = new LanDialer({ ssb: second.ssb, hopsOf: () => 1, logger: silent, random: () => 0 });
      stopping.dialDiscovered(peer);
      stopping.stop();
      mock.timers.tick(60_000);
      stopping.probe(peer);
      mock.timers.tick(60_000);
      assert.deepEqual(second.dialled, [], 'a stopped dialler dials nothing, queued or new');
    } finally {
      mock.timers.reset();
    }
  });
});
