// The LAN dialling rules (src/ssb/lan-dial-policy.ts) as tables: input, decision.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DiscoveredPeer } from '../../src/ssb/auto-follow.js';
import {
  asSeenByAutoFollow,
  DIAL_DEFER_JITTER_MS,
  DIAL_DEFER_MS,
  decideLanDial,
  dialDelayMs,
  LAN_DIAL_COOLDOWN_MS,
  type LanDialDecision,
  type LanDialInput,
  stagesLegacyBeacon,
} from '../../src/ssb/lan-dial-policy.js';

const SELF = '@B'.padEnd(45, 'b');
const OTHER = '@A'.padEnd(45, 'a');
const NOW = 1_000_000;
const verified: DiscoveredPeer = { key: OTHER, verified: true, source: 'lan', address: 'net:10.0.0.2:8008~shs:x' };
const base: LanDialInput = {
  self: SELF,
  peer: verified,
  hops: undefined,
  connected: false,
  lastDialAt: undefined,
  now: NOW,
};

describe('decideLanDial', () => {
  const table: Array<[string, Partial<LanDialInput>, LanDialDecision]> = [
    ['a verified stranger', {}, { dial: true }],
    ['a followed peer', { hops: 1 }, { dial: true }],
    [
      'a peer with no address',
      { peer: { key: OTHER, verified: true, source: 'lan' } },
      { dial: false, reason: 'no-address' },
    ],
    ['ourselves', { peer: { ...verified, key: SELF } }, { dial: false, reason: 'self' }],
    [
      'a peer that connected to us',
      { peer: { ...verified, source: 'connection' } },
      { dial: false, reason: 'already-connection' },
    ],
    [
      'an unsigned beacon from a stranger',
      { peer: { ...verified, verified: false, source: 'legacy-lan' } },
      { dial: false, reason: 'unverified' },
    ],
    [
      'an unsigned beacon from a followed feed (the handshake proves the key)',
      { peer: { ...verified, verified: false, source: 'legacy-lan' }, hops: 1 },
      { dial: true },
    ],
    [
      'an unsigned beacon from a feed two hops away',
      { peer: { ...verified, verified: false, source: 'legacy-lan' }, hops: 2 },
      { dial: true },
    ],
    [
      'an unsigned beacon from a blocked feed',
      { peer: { ...verified, verified: false, source: 'legacy-lan' }, hops: -1 },
      { dial: false, reason: 'blocked' },
    ],
    ['a blocked peer', { hops: -1 }, { dial: false, reason: 'blocked' }],
    ['a peer already connected', { connected: true }, { dial: false, reason: 'connected' }],
    ['a peer dialled 1 s ago', { lastDialAt: NOW - 1000 }, { dial: false, reason: 'cooling-down' }],
    [
      'a peer dialled just under the cooldown ago',
      { lastDialAt: NOW - LAN_DIAL_COOLDOWN_MS + 1 },
      { dial: false, reason: 'cooling-down' },
    ],
    ['a peer dialled a cooldown ago', { lastDialAt: NOW - LAN_DIAL_COOLDOWN_MS }, { dial: true }],
    [
      'a peer dialled at time 0 on a clock that starts at 0',
      { lastDialAt: 0, now: 5 },
      { dial: false, reason: 'cooling-down' },
    ],
  ];
  for (const [name, change, expected] of table) {
    it(name, () => assert.deepEqual(decideLanDial({ ...base, ...change }), expected));
  }

  it("never dials a stranger's unsigned beacon, a blocked or a connected peer (property)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.option(fc.integer({ min: -1, max: 3 }), { nil: undefined }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: NOW }), { nil: undefined }),
        (isVerified, hops, connected, lastDialAt) => {
          const decision = decideLanDial({
            ...base,
            peer: { ...verified, verified: isVerified },
            hops,
            connected,
            lastDialAt,
          });
          if (decision.dial) {
            assert.ok((isVerified || hops !== undefined) && (hops ?? 0) >= 0 && !connected);
            assert.ok(lastDialAt === undefined || NOW - lastDialAt >= LAN_DIAL_COOLDOWN_MS);
          }
        },
      ),
    );
  });
});

describe('dialDelayMs', () => {
  const table: Array<[string, string, string, number, number]> = [
    ['the smaller id dials at once', OTHER, SELF, 0.99, 0],
    ['the larger id waits the deferral', SELF, OTHER, 0, DIAL_DEFER_MS],
    ['plus up to the jitter', SELF, OTHER, 0.5, DIAL_DEFER_MS + DIAL_DEFER_JITTER_MS / 2],
    ['never the whole jitter', SELF, OTHER, 0.999999, DIAL_DEFER_MS + DIAL_DEFER_JITTER_MS - 1],
  ];
  for (const [name, self, key, random, expected] of table) {
    it(name, () => assert.equal(dialDelayMs(self, key, random), expected));
  }

  it('exactly one of two peers dials at once (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.double({ min: 0, max: 1, maxExcluded: true }), (a, b, random) => {
        fc.pre(a !== b);
        const immediate = [dialDelayMs(a, b, random), dialDelayMs(b, a, random)].filter((d) => d === 0);
        assert.equal(immediate.length, 1);
      }),
    );
  });
});

describe('asSeenByAutoFollow', () => {
  it('an unsigned beacon from a connected key counts as proven by the handshake', () => {
    const unsigned: DiscoveredPeer = { ...verified, verified: false, source: 'legacy-lan' };
    assert.deepEqual(asSeenByAutoFollow(unsigned, true), { ...unsigned, verified: true, source: 'connection' });
    assert.deepEqual(asSeenByAutoFollow(unsigned, false), unsigned);
    assert.deepEqual(asSeenByAutoFollow(verified, true), verified);
  });
});

describe('stagesLegacyBeacon', () => {
  it('stages a beacon from a key we are not connected to', () => {
    assert.equal(stagesLegacyBeacon(OTHER, new Set()), true);
  });
  it('never stages one from a key already in connection (any address)', () => {
    assert.equal(stagesLegacyBeacon(OTHER, new Set([OTHER])), false);
  });
});
