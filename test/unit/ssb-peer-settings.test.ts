// The peer's options checked before anything starts (src/ssb/peer-options.ts), as tables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_AUTO_FOLLOW_POLICY } from '../../src/ssb/auto-follow.js';
import { DEFAULT_BLOBS_MAX, peerSettings, type SsbPeerOptions } from '../../src/ssb/peer-options.js';

const FEED = `@${'a'.repeat(43)}=.ed25519`;
type Given = Pick<SsbPeerOptions, 'hops' | 'port' | 'host' | 'lanDiscovery' | 'blobsMaxBytes' | 'autoFollow'>;
const base: Given = { host: '127.0.0.1', port: 8008, lanDiscovery: true, autoFollow: true };

describe('peerSettings', () => {
  it('fills in the defaults', () => {
    const settings = peerSettings(base);
    assert.deepEqual(settings, {
      hops: 2,
      lan: { verified: true, legacy: true },
      blobsMaxBytes: DEFAULT_BLOBS_MAX,
      policy: { ...DEFAULT_AUTO_FOLLOW_POLICY, enabled: true },
      wildcard: false,
      listenHost: '127.0.0.1',
    });
  });

  const refused: Array<[string, Partial<Given>, RegExp]> = [
    ['hops 0 (ssb-friends would read it as 3)', { hops: 0 }, /hops must be an integer >= 1, got 0/],
    ['fractional hops', { hops: 1.5 }, /hops must be an integer >= 1/],
    ['port 0', { port: 0 }, /port must be 1\.\.65535, got 0/],
    ['port 65536', { port: 65536 }, /port must be 1\.\.65535, got 65536/],
    ['a fractional port', { port: 80.5 }, /port must be 1\.\.65535/],
    ['an allow entry that is no feed', { autoFollow: { allow: ['bob'] } }, /not a feed id: bob/],
    ['a deny entry that is no feed', { autoFollow: { deny: ['%msg'] } }, /not a feed id: %msg/],
  ];
  for (const [what, change, error] of refused) {
    it(`refuses ${what}`, () => assert.throws(() => peerSettings({ ...base, ...change }), error));
  }

  const listening: Array<[string, boolean, string | undefined]> = [
    ['0.0.0.0', true, undefined],
    ['::', true, undefined],
    ['', true, undefined],
    ['127.0.0.1', false, '127.0.0.1'],
    ['10.42.0.1', false, '10.42.0.1'],
  ];
  for (const [host, wildcard, listenHost] of listening) {
    it(`host ${JSON.stringify(host)}: wildcard ${wildcard}, listens on ${listenHost ?? 'every address'}`, () => {
      const settings = peerSettings({ ...base, host });
      assert.equal(settings.wildcard, wildcard);
      assert.equal(settings.listenHost, listenHost);
    });
  }

  const lan: Array<[Given['lanDiscovery'], { verified: boolean; legacy: boolean }]> = [
    [true, { verified: true, legacy: true }],
    [false, { verified: false, legacy: false }],
    [{}, { verified: true, legacy: true }],
    [{ legacy: false }, { verified: true, legacy: false }],
    [{ verified: false }, { verified: false, legacy: true }],
  ];
  for (const [given, expected] of lan) {
    it(`lanDiscovery ${JSON.stringify(given)} is ${JSON.stringify(expected)}`, () => {
      const settings = peerSettings({ ...base, lanDiscovery: given });
      assert.equal(settings.lan.verified, expected.verified);
      assert.equal(settings.lan.legacy, expected.legacy);
    });
  }

  it('keeps a policy given in part, over the defaults', () => {
    const { policy } = peerSettings({ ...base, autoFollow: { allow: [FEED], enabled: false } });
    assert.deepEqual(policy, { ...DEFAULT_AUTO_FOLLOW_POLICY, allow: [FEED], enabled: false });
  });
});
