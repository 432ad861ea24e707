// Which peer a feed is asked of (src/ssb/feed-sources.ts), and the EBT patch that applies it
// (src/ssb/patches/ebt-feed-sources.ts), run on the real epidemic-broadcast-trees reducer: a feed whose source
// disconnects mid-feed stalls with the stock reducer and is asked of the peer that has it with the patch.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type FeedSource, sourceChange } from '../../src/ssb/feed-sources.js';
import { type EbtEvents, type EbtState, STALL_MS, withFeedSources } from '../../src/ssb/patches/ebt-feed-sources.js';
import { locate } from '../../src/ssb/patches/patch.js';

const src = (peer: string, has: number, receiving = false): FeedSource => ({ peer, has, receiving });

describe('sourceChange', () => {
  const table: Array<[string, number, FeedSource[], boolean, ReturnType<typeof sourceChange>]> = [
    ['nobody connected', 5, [], false, null],
    ['nobody ahead', 5, [src('a', 5), src('b', 3, true)], false, null],
    ['orphaned: ask the furthest', 5, [src('a', 7), src('b', 9), src('c', 9)], false, { ask: 'b', release: [] }],
    ['the source is ahead: keep it', 5, [src('a', 6, true), src('b', 9)], false, null],
    ['the source is behind us: move', 5, [src('a', 4, true), src('b', 9)], false, { ask: 'b', release: ['a'] }],
    ['stalled: ask the source again', 5, [src('a', 9, true), src('b', 7)], true, { ask: 'a', release: [] }],
    ['stalled: an equally far peer', 5, [src('a', 9, true), src('b', 9)], true, { ask: 'b', release: ['a'] }],
    ['not replicated there (-1)', 5, [src('a', -1), src('b', 0)], false, null],
  ];
  for (const [name, local, peers, stalled, expected] of table) {
    it(name, () => assert.deepEqual(sourceChange(local, peers, stalled), expected));
  }

  it('asks one peer that is furthest ahead and releases every other source (property)', () => {
    const peers = fc.uniqueArray(
      fc.record({
        peer: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
        has: fc.integer({ min: -1, max: 12 }),
        receiving: fc.boolean(),
      }),
      { selector: (p) => p.peer, maxLength: 5 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), peers, fc.boolean(), (local, sources, stalled) => {
        const change = sourceChange(local, sources, stalled);
        const furthest = Math.max(0, ...sources.map((s) => s.has));
        const sourceAhead = sources.some((s) => s.receiving && s.has > local);
        if (furthest <= local || (sourceAhead && !stalled)) return assert.equal(change, null);
        assert.ok(change);
        assert.equal(sources.find((s) => s.peer === change.ask)?.has, furthest);
        assert.ok(!change.release.includes(change.ask));
        const others = sources.filter((s) => s.receiving && s.peer !== change.ask).map((s) => s.peer);
        assert.deepEqual(change.release, others);
      }),
    );
  });
});

// The real reducer, as ssb-ebt loads it (v3 notes: sequence << 1, low bit set = "don't send").
const { entry } = locate(['ssb-ebt', 'epidemic-broadcast-trees']);
const ebtRequire = createRequire(entry);
type Reducer = EbtEvents & {
  initialize(id: string): EbtState;
  connect(state: EbtState, event: { id: string; client: boolean }): EbtState;
  peerClock(state: EbtState, event: { id: string; value: Record<string, number> }): EbtState;
  notes(state: EbtState, event: { id: string; value: Record<string, number>; ts: number }): EbtState;
};
const stock = (ebtRequire('./events.js') as (v: unknown) => Reducer)(ebtRequire('./v3.js'));

const FEED = '@feed.ed25519';
const sent = (state: EbtState, peer: string) => state.peers[peer]?.notes?.[FEED];

/** We hold FEED at 5; A and B both have it at 9 and their notes reached us; A is the source, B idle. */
function connectedToTwo(events: Reducer): EbtState {
  let state = events.initialize('@us.ed25519');
  state.clock = { [FEED]: 5, A: 3, B: 3 };
  state.follows = { [FEED]: true, A: true, B: true };
  const theirNotes = { [FEED]: events.note(9, false), A: events.note(3, false), B: events.note(3, false) };
  for (const peer of ['A', 'B']) {
    state = events.connect(state, { id: peer, client: false });
    state = events.peerClock(state, { id: peer, value: {} });
    (state.peers[peer] as { notes: unknown }).notes = null; // sent
    state = events.notes(state, { id: peer, value: theirNotes, ts: 1 });
    (state.peers[peer] as { notes: unknown }).notes = null;
  }
  assert.equal(state.peers.A?.replicating?.[FEED]?.rx, true, 'A is the source');
  assert.equal(state.peers.B?.replicating?.[FEED]?.rx, false, 'B is told not to send');
  return state;
}

describe('EBT feed sources (the patched reducer)', () => {
  it('stock: when the source leaves mid-feed, nobody is asked for it again (the stall this patch fixes)', () => {
    let state = stock.disconnect(connectedToTwo(stock), { id: 'A' });
    for (const ts of [10_000, 20_000, 60_000]) state = stock.timeout(state, { ts });
    assert.equal(state.peers.B?.replicating?.[FEED]?.rx, false);
    assert.equal(sent(state, 'B'), undefined);
  });

  it('patched: the peer that has it is asked at once when the source leaves', () => {
    const events = withFeedSources(stock);
    const state = events.disconnect(connectedToTwo(events), { id: 'A' });
    assert.equal(state.peers.B?.replicating?.[FEED]?.rx, true);
    assert.equal(sent(state, 'B'), stock.note(5, true));
  });

  it('patched: an orphaned feed is asked on the next tick, a stalled one again after STALL_MS', () => {
    const events = withFeedSources(stock);
    let state = connectedToTwo(events);
    const a = state.peers.A?.replicating?.[FEED];
    if (a) a.rx = false; // as if EBT had turned its source off
    state = events.timeout(state, { ts: 1_000 });
    assert.equal(sent(state, 'A'), stock.note(5, true), 'asked of the first furthest');
    (state.peers.A as { notes: unknown }).notes = null;
    state = events.timeout(state, { ts: 1_000 + STALL_MS / 2 });
    assert.equal(sent(state, 'A'), undefined, 'not yet stalled');
    state = events.timeout(state, { ts: 1_000 + STALL_MS });
    assert.equal(sent(state, 'A'), stock.note(5, false), 'the silent source let go');
    assert.equal(sent(state, 'B'), stock.note(5, true), 'an equally far peer asked');
  });

  it('patched: a feed whose messages wait to be appended is not asked again', () => {
    const events = withFeedSources(stock);
    let state = connectedToTwo(events);
    state = events.timeout(state, { ts: 1_000 });
    state.receive.push({ value: { author: FEED } });
    state = events.timeout(state, { ts: 1_000 + STALL_MS });
    assert.equal(sent(state, 'A'), undefined);
    assert.equal(sent(state, 'B'), undefined);
  });
});
