import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { silentLogger as silentPeerLogger } from '../../src/log/logger.js';
import {
  AutoFollower,
  type AutoFollowInput,
  type AutoFollowPolicy,
  DEFAULT_AUTO_FOLLOW_POLICY,
  type DiscoveredPeer,
  decideAutoFollow,
} from '../../src/ssb/auto-follow.js';

const id = (n: number) => `@${Buffer.alloc(32, n).toString('base64')}.ed25519`;
const SELF = id(0);
const ALICE = id(1);
const BOB = id(2);
const NOW = 1_800_000_000_000;

function input(
  overrides: Partial<Omit<AutoFollowInput, 'peer'>> & { peer?: Partial<DiscoveredPeer> } = {},
): AutoFollowInput {
  const { peer, ...rest } = overrides;
  return {
    policy: DEFAULT_AUTO_FOLLOW_POLICY,
    self: SELF,
    followed: new Set(),
    unfollowed: new Set(),
    blocked: new Set(),
    recentFollows: [],
    now: NOW,
    ...rest,
    peer: { key: ALICE, verified: true, source: 'lan', ...peer },
  };
}

const policy = (p: Partial<AutoFollowPolicy>) => ({ ...DEFAULT_AUTO_FOLLOW_POLICY, ...p });

describe('decideAutoFollow', () => {
  it('follows a verified peer it does not know', () => {
    assert.deepEqual(decideAutoFollow(input()), { follow: true, reason: 'follow' });
  });

  it('says why it does not follow, in order of precedence', () => {
    const reason = (i: AutoFollowInput) => decideAutoFollow(i).reason;
    assert.equal(reason(input({ peer: { key: 'not-a-key' } })), 'invalid-key');
    assert.equal(reason(input({ policy: policy({ enabled: false }) })), 'disabled');
    assert.equal(reason(input({ peer: { key: SELF } })), 'self');
    assert.equal(reason(input({ blocked: new Set([ALICE]), followed: new Set([ALICE]) })), 'blocked');
    assert.equal(reason(input({ policy: policy({ deny: [ALICE], allow: [ALICE] }) })), 'denied');
    assert.equal(reason(input({ followed: new Set([ALICE]) })), 'already-followed');
    assert.equal(reason(input({ unfollowed: new Set([ALICE]) })), 'unfollowed-before');
    assert.equal(reason(input({ policy: policy({ allow: [BOB] }) })), 'not-allowed');
    assert.equal(reason(input({ recentFollows: Array(10).fill(NOW - 1000) })), 'rate-limited');
  });

  it('treats unverified beacons per policy: verify by connecting (default), ignore, or follow', () => {
    const peer = { verified: false, source: 'legacy-lan' as const };
    assert.deepEqual(decideAutoFollow(input({ peer })), { follow: false, reason: 'unverified', verify: true });
    assert.deepEqual(decideAutoFollow(input({ peer, policy: policy({ unverified: 'ignore' }) })), {
      follow: false,
      reason: 'unverified',
    });
    assert.equal(decideAutoFollow(input({ peer, policy: policy({ unverified: 'follow' }) })).follow, true);
  });

  it('counts only the last minute against the rate, and future timestamps too', () => {
    const p = policy({ maxPerMinute: 2 });
    assert.equal(decideAutoFollow(input({ policy: p, recentFollows: [NOW - 61_000, NOW - 60_000] })).follow, true);
    assert.equal(decideAutoFollow(input({ policy: p, recentFollows: [NOW - 59_000, NOW + 5_000] })).follow, false);
    assert.equal(decideAutoFollow(input({ policy: policy({ maxPerMinute: 0 }) })).reason, 'rate-limited');
  });

  it('never follows itself, a blocked or a denied feed, whatever else holds (generated)', () => {
    const keys = [SELF, ALICE, BOB, id(3), id(4)];
    const key = fc.constantFrom(...keys);
    fc.assert(
      fc.property(
        key,
        fc.boolean(),
        fc.constantFrom('lan', 'legacy-lan', 'connection'),
        fc.subarray(keys),
        fc.subarray(keys),
        fc.subarray(keys),
        fc.subarray(keys),
        fc.record({
          enabled: fc.boolean(),
          maxPerMinute: fc.integer({ min: -1, max: 5 }),
          unverified: fc.constantFrom('ignore', 'verify', 'follow'),
        }),
        fc.array(fc.integer({ min: NOW - 120_000, max: NOW + 1000 }), { maxLength: 8 }),
        (peerKey, verified, source, blocked, deny, allow, followed, p, recent) => {
          const decision = decideAutoFollow({
            policy: { ...p, allow, deny },
            self: SELF,
            followed: new Set(followed),
            unfollowed: new Set(),
            blocked: new Set(blocked),
            recentFollows: recent,
            peer: { key: peerKey, verified, source },
            now: NOW,
          });
          if (decision.follow) {
            assert.notEqual(peerKey, SELF);
            assert.ok(!blocked.includes(peerKey) && !deny.includes(peerKey) && !followed.includes(peerKey));
            assert.ok(p.enabled && (verified || p.unverified === 'follow'));
            assert.ok(allow.length === 0 || allow.includes(peerKey));
            assert.ok(recent.filter((t) => t > NOW - 60_000).length < p.maxPerMinute);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('AutoFollower (shell)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function setup(overrides: Partial<AutoFollowPolicy> = {}, now = () => NOW) {
    const dir = await mkdtemp(join(tmpdir(), 'auto-follow-'));
    dirs.push(dir);
    const published: string[] = [];
    const probed: string[] = [];
    const statePath = join(dir, 'auto-follow.json');
    const open = () =>
      AutoFollower.open({
        self: SELF,
        policy: policy(overrides),
        statePath,
        publishFollow: async (key) => {
          published.push(key);
        },
        probe: (peer) => probed.push(peer.address),
        logger: silentPeerLogger,
        now,
        ringSize: 5,
      });
    return { dir, statePath, published, probed, open, follower: await open() };
  }

  it('follows once, remembers it on disk, and does not follow again after a restart', async () => {
    const { statePath, published, follower, open } = await setup();
    await follower.consider({ key: ALICE, verified: true, source: 'lan' });
    await follower.consider({ key: ALICE, verified: true, source: 'lan' });
    assert.deepEqual(published, [ALICE]);
    const saved = JSON.parse(await readFile(statePath, 'utf8'));
    assert.deepEqual(
      saved.followed.map((f: { id: string }) => f.id),
      [ALICE],
    );
    const again = await open();
    await again.consider({ key: ALICE, verified: true, source: 'lan' });
    assert.deepEqual(published, [ALICE]);
    assert.equal(again.decisions().at(-1)?.reason, 'already-followed');
  });

  it('does not undo a person’s unfollow or block', async () => {
    const { published, follower } = await setup();
    follower.setOwnEdges(
      new Map([
        [ALICE, -2],
        [BOB, -1],
      ]),
    );
    await follower.consider({ key: ALICE, verified: true, source: 'lan' });
    await follower.consider({ key: BOB, verified: true, source: 'lan' });
    assert.deepEqual(published, []);
    assert.deepEqual(
      follower.decisions().map((d) => d.reason),
      ['unfollowed-before', 'blocked'],
    );
  });

  it('probes an unverified peer instead of following it, at most once a minute', async () => {
    const { published, probed, follower } = await setup();
    const peer = { key: ALICE, verified: false, source: 'legacy-lan' as const, address: 'net:10.0.0.9:8008~shs:x' };
    await follower.consider(peer);
    await follower.consider(peer);
    assert.deepEqual(published, []);
    assert.deepEqual(probed, ['net:10.0.0.9:8008~shs:x']);
  });

  it('folds repeated identical decisions into one record and keeps a bounded ring', async () => {
    const { follower } = await setup({ enabled: false });
    for (let i = 0; i < 3; i++) await follower.consider({ key: ALICE, verified: true, source: 'lan' });
    assert.equal(follower.decisions().length, 1);
    assert.equal(follower.decisions()[0]?.repeats, 2);
    for (let n = 10; n < 20; n++) await follower.consider({ key: id(n), verified: true, source: 'lan' });
    assert.equal(follower.decisions().length, 5);
  });

  it('stops at the rate limit and resumes when the minute has passed', async () => {
    let now = NOW;
    const { published, follower } = await setup({ maxPerMinute: 2 }, () => now);
    for (let n = 10; n < 15; n++) await follower.consider({ key: id(n), verified: true, source: 'lan' });
    assert.equal(published.length, 2);
    now += 61_000;
    await follower.consider({ key: id(14), verified: true, source: 'lan' });
    assert.equal(published.length, 3);
  });

  it('sets an unreadable state file aside and carries on', async () => {
    const { dir, statePath } = await setup();
    await writeFile(statePath, '{"version": 1, "followed": [');
    const { published } = { published: [] as string[] };
    const follower = await AutoFollower.open({
      self: SELF,
      policy: DEFAULT_AUTO_FOLLOW_POLICY,
      statePath,
      publishFollow: async (key) => {
        published.push(key);
      },
      probe: () => {},
      logger: silentPeerLogger,
    });
    assert.deepEqual(follower.followedIds(), []);
    assert.ok((await readdir(dir)).some((name) => name.startsWith('auto-follow.json.corrupt-')));
  });

  it('records a failed publish as an error and does not remember it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auto-follow-'));
    dirs.push(dir);
    const follower = await AutoFollower.open({
      self: SELF,
      policy: DEFAULT_AUTO_FOLLOW_POLICY,
      statePath: join(dir, 'auto-follow.json'),
      publishFollow: async () => {
        throw new Error('disk full');
      },
      probe: () => {},
      logger: silentPeerLogger,
    });
    await follower.consider({ key: ALICE, verified: true, source: 'lan' });
    const [record] = follower.decisions();
    assert.equal(record?.follow, false);
    assert.equal(record?.error, 'disk full');
    assert.deepEqual(follower.followedIds(), []);
  });
});
