// The eviction rule (storage/eviction.ts): a table of cases and properties over random blob stores.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  chooseEvictions,
  type EvictionCandidate,
  evictionOrder,
  isProtected,
  UNREFERENCED_GRACE_MS,
} from '../../src/storage/eviction.js';

const NOW = Date.UTC(2026, 11, 6);
const DAY = 24 * 60 * 60 * 1000;
const photo = (blob: string, hops: number | null, daysOld: number, size = 1000): EvictionCandidate => ({
  blob,
  size,
  hops,
  at: NOW - daysOld * DAY,
  author: hops === null ? null : `@feed${hops}`,
});

describe('eviction rule', () => {
  const store = [
    photo('own-old', 0, 300),
    photo('friend-new', 1, 1),
    photo('friend-old', 1, 30),
    photo('fof-new', 2, 2),
    photo('fof-old', 2, 40),
    photo('stranger', Number.POSITIVE_INFINITY, 1),
    photo('blocked', -1, 0),
    photo('unreferenced-old', null, 5),
    { ...photo('unreferenced-fresh', null, 0), at: NOW - UNREFERENCED_GRACE_MS / 2 },
  ];
  const table: Array<[string, number, string[]]> = [
    ['nothing needed', 0, []],
    ['one byte: the furthest, oldest first', 1, ['blocked']],
    [
      'blocked, then unreferenced and strangers (older first), before the graph',
      3500,
      ['blocked', 'unreferenced-old', 'stranger', 'fof-old'],
    ],
    [
      'follows of follows, older first, before friends',
      5000,
      ['blocked', 'unreferenced-old', 'stranger', 'fof-old', 'fof-new'],
    ],
    [
      'all that may go when even that is not enough; never the owner, never a fresh unreferenced one',
      1e9,
      ['blocked', 'unreferenced-old', 'stranger', 'fof-old', 'fof-new', 'friend-old', 'friend-new'],
    ],
  ];
  for (const [name, bytes, expected] of table) {
    it(name, () => {
      assert.deepEqual(
        chooseEvictions(store, bytes, NOW).map((c) => c.blob),
        expected,
      );
    });
  }

  const candidate = fc.record({
    blob: fc.integer({ min: 0, max: 1e6 }).map((n) => `b${n}`),
    size: fc.integer({ min: 1, max: 5_000_000 }),
    hops: fc.option(fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constant(Number.POSITIVE_INFINITY)), {
      nil: null,
    }),
    at: fc.integer({ min: NOW - 400 * DAY, max: NOW }),
    author: fc.constant(null),
  });
  const stores = fc.uniqueArray(candidate, { selector: (c) => c.blob, maxLength: 40 });

  it('never evicts the owner’s own or a fresh unreferenced photo', () => {
    fc.assert(
      fc.property(stores, fc.integer({ min: 0, max: 1e9 }), (all, bytes) => {
        for (const c of chooseEvictions(all, bytes, NOW)) assert.equal(isProtected(c, NOW), false);
      }),
    );
  });

  it('frees what is asked when it can, and no photo more than needed', () => {
    fc.assert(
      fc.property(stores, fc.integer({ min: 0, max: 2e8 }), (all, bytes) => {
        const chosen = chooseEvictions(all, bytes, NOW);
        const freed = chosen.reduce((s, c) => s + c.size, 0);
        const evictable = all.filter((c) => !isProtected(c, NOW));
        if (freed < bytes) assert.equal(chosen.length, evictable.length, 'stopped short with more to evict');
        if (chosen.length > 0) assert.ok(freed - (chosen.at(-1)?.size ?? 0) < bytes, 'one photo more than needed');
      }),
    );
  });

  it('takes a prefix of the order: nothing kept goes before anything evicted', () => {
    fc.assert(
      fc.property(stores, fc.integer({ min: 0, max: 2e8 }), (all, bytes) => {
        const chosen = chooseEvictions(all, bytes, NOW);
        const ids = new Set(chosen.map((c) => c.blob));
        const kept = all.filter((c) => !ids.has(c.blob) && !isProtected(c, NOW));
        for (const e of chosen) for (const k of kept) assert.ok(evictionOrder(e, k) <= 0, `${e.blob} before ${k.blob}`);
      }),
    );
  });
});
