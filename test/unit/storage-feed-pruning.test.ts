// The feed pruning rule (storage/feed-pruning.ts): which feeds leave the database, a table and properties.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type FeedStanding,
  feedsToDelete,
  observeStandings,
  DEFAULT_FEED_PRUNING_POLICY as POLICY,
  type StandingRecord,
  standingOf,
} from '../../src/storage/feed-pruning.js';

const SELF = '@self';
const NOW = Date.UTC(2026, 11, 6);
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

describe('feed standing from hops', () => {
  const table: Array<[number | undefined, FeedStanding]> = [
    [0, 'replicated'],
    [1, 'replicated'],
    [2, 'replicated'],
    [-1, 'blocked'],
    [-2, 'outside'],
    [undefined, 'outside'],
    [Number.NaN, 'outside'],
  ];
  for (const [hops, standing] of table) {
    it(`${hops} is ${standing}`, () => assert.equal(standingOf(hops), standing));
  }
});

describe('feeds to delete', () => {
  const record: StandingRecord = {
    '@blocked-long': { standing: 'blocked', since: NOW - 2 * HOUR },
    '@blocked-just-now': { standing: 'blocked', since: NOW - 10 * 60 * 1000 },
    '@outside-week': { standing: 'outside', since: NOW - 8 * DAY },
    '@outside-day': { standing: 'outside', since: NOW - DAY },
    '@outside-minutes': { standing: 'outside', since: NOW - 30 * 60 * 1000 },
    [SELF]: { standing: 'blocked', since: 0 },
  };
  const table: Array<[string, 'ok' | 'tight' | 'full', string[]]> = [
    ['room on the card: blocks past their hour, feeds outside for a week', 'ok', ['@blocked-long', '@outside-week']],
    [
      'a tight card: feeds outside for an hour too, the longest first',
      'tight',
      ['@blocked-long', '@outside-week', '@outside-day'],
    ],
    ['a full card: the same', 'full', ['@blocked-long', '@outside-week', '@outside-day']],
  ];
  for (const [name, storage, expected] of table) {
    it(name, () => {
      const chosen = feedsToDelete(record, { self: SELF, now: NOW, storage, policy: POLICY });
      assert.deepEqual(
        chosen.map((f) => f.feed),
        expected,
      );
    });
  }

  it('takes at most maxFeedsPerRun, blocked first', () => {
    const chosen = feedsToDelete(record, {
      self: SELF,
      now: NOW,
      storage: 'full',
      policy: { ...POLICY, maxFeedsPerRun: 2 },
    });
    assert.deepEqual(
      chosen.map((f) => f.feed),
      ['@blocked-long', '@outside-week'],
    );
  });
});

describe('observing standings', () => {
  it('keeps since while the standing holds, restarts it on a change, forgets replicated and vanished feeds', () => {
    const before: StandingRecord = {
      '@a': { standing: 'blocked', since: 1 },
      '@b': { standing: 'outside', since: 2 },
      '@c': { standing: 'outside', since: 3 },
      '@gone': { standing: 'outside', since: 4 },
    };
    const after = observeStandings(
      before,
      [
        { feed: '@a', standing: 'blocked' },
        { feed: '@b', standing: 'blocked' },
        { feed: '@c', standing: 'replicated' },
        { feed: '@new', standing: 'outside' },
        { feed: SELF, standing: 'outside' },
      ],
      SELF,
      100,
    );
    assert.deepEqual(after, {
      '@a': { standing: 'blocked', since: 1 },
      '@b': { standing: 'blocked', since: 100 },
      '@new': { standing: 'outside', since: 100 },
    });
  });
});

const feedArb = fc.constantFrom('@a', '@b', '@c', '@d', '@e', SELF);
const standingArb = fc.constantFrom<FeedStanding>('replicated', 'blocked', 'outside');
/** A history of observations: at each time, every feed held with its standing. */
const historyArb = fc.array(
  fc.record({ step: fc.integer({ min: 0, max: 3 * DAY }), feeds: fc.dictionary(feedArb, standingArb) }),
  { maxLength: 20 },
);

describe('feed pruning properties', () => {
  it('never deletes the owner, a replicated feed, or one not observed outside through its whole grace', () => {
    fc.assert(
      fc.property(historyArb, fc.constantFrom('ok', 'tight', 'full' as const), (history, storage) => {
        let record: StandingRecord = {};
        let now = NOW;
        /** Per feed: since when every observation saw it where it is now. */
        const unbroken = new Map<string, { standing: FeedStanding; since: number }>();
        for (const { step, feeds } of history) {
          now += step;
          const observed = Object.entries(feeds).map(([feed, standing]) => ({ feed, standing }));
          record = observeStandings(record, observed, SELF, now);
          const next = new Map<string, { standing: FeedStanding; since: number }>();
          for (const { feed, standing } of observed) {
            const known = unbroken.get(feed);
            next.set(feed, known && known.standing === standing ? known : { standing, since: now });
          }
          unbroken.clear();
          for (const [feed, value] of next) unbroken.set(feed, value);
          for (const chosen of feedsToDelete(record, { self: SELF, now, storage, policy: POLICY })) {
            assert.notEqual(chosen.feed, SELF);
            const truth = unbroken.get(chosen.feed);
            assert.ok(truth, `${chosen.feed} is not held`);
            assert.notEqual(truth.standing, 'replicated');
            assert.equal(truth.standing, chosen.standing);
            const grace =
              truth.standing === 'blocked'
                ? POLICY.blockedGraceMs
                : storage === 'ok'
                  ? POLICY.outsideGraceMs
                  : POLICY.outsideGraceWhenShortMs;
            assert.ok(now - truth.since >= grace, `${chosen.feed} chosen ${now - truth.since} ms into its grace`);
          }
        }
      }),
    );
  });

  it('chooses every feed whose grace is over, up to the bound, blocked ones first', () => {
    const recordArb = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 4 }).map((s) => `@${s}`),
      fc.record({
        standing: fc.constantFrom('blocked' as const, 'outside' as const),
        since: fc.integer({ min: 0, max: NOW }),
      }),
    );
    fc.assert(
      fc.property(recordArb, fc.integer({ min: 0, max: 5 }), (record, max) => {
        const policy = { ...POLICY, maxFeedsPerRun: max };
        const chosen = feedsToDelete(record, { self: SELF, now: NOW, storage: 'ok', policy });
        const due = Object.entries(record).filter(
          ([, { standing, since }]) =>
            NOW - since >= (standing === 'blocked' ? POLICY.blockedGraceMs : POLICY.outsideGraceMs),
        );
        assert.equal(chosen.length, Math.min(max, due.length));
        const firstOutside = chosen.findIndex((c) => c.standing === 'outside');
        if (firstOutside >= 0) assert.ok(chosen.slice(firstOutside).every((c) => c.standing === 'outside'));
        const dueBlocked = due.filter(([, v]) => v.standing === 'blocked').length;
        assert.equal(chosen.filter((c) => c.standing === 'blocked').length, Math.min(max, dueBlocked));
      }),
    );
  });
});
