// epidemic-broadcast-trees 9.0 picks one source per feed and re-chooses only on a note showing a peer further
// ahead, or when the source sent nothing at all for 3 s (../feed-sources.ts says why that orphans feeds). It
// exposes no way to ask one given peer for a feed: ssb-ebt's `request(feed, false)` then `request(feed, true)`
// makes the first connected peer whose clock differs the source (often one that does not have it) and clears
// every peer's "send this to them" flag on the way. So its pure event reducer is wrapped:
// - on a disconnect, each feed the gone peer was sending is asked of the connected peer furthest ahead;
// - on its 3 s tick, a feed asked of nobody who is ahead is asked of the furthest, and a feed that has not
//   grown for STALL_MS although a peer offers more, and has none waiting to be appended, is asked again (of
//   another equally far peer if any).
// The choice is sourceChange's; this file only reads EBT's state and writes the notes it would have written.
import { type FeedSource, sourceChange } from '../feed-sources.js';
import { type FeedClocks, StallWatch } from '../progress.js';
import { isLoaded, type LibraryPatch } from './patch.js';
import { replaceModule } from './replace-module.js';

/** No growth for this long while a connected peer offers more: ask again. */
export const STALL_MS = 8000;

interface Replication {
  tx: boolean;
  rx: boolean;
  sent: number | null;
  requested: number;
}

interface PeerState {
  clock: Record<string, number> | null;
  replicating: Record<string, Replication> | null;
  notes: Record<string, number> | null;
}

export interface EbtState {
  clock: Record<string, number>;
  follows: Record<string, boolean>;
  blocks: Record<string, Record<string, boolean> | undefined>;
  peers: Record<string, PeerState>;
  /** Messages received and not yet appended (EBT appends one per update). */
  receive: Array<{ value: { author?: unknown } }>;
}

/** The reducer's events this patch uses; the others pass through unchanged. */
export interface EbtEvents {
  note(sequence: number, rx: boolean): number;
  disconnect(state: EbtState, event: { id: string }): EbtState;
  timeout(state: EbtState, event: { ts: number }): EbtState;
}

function sourcesOf(state: EbtState, feed: string): FeedSource[] {
  const sources: FeedSource[] = [];
  for (const [peer, peerState] of Object.entries(state.peers)) {
    if (!peerState.clock || !peerState.replicating || state.blocks[feed]?.[peer]) continue;
    sources.push({
      peer,
      has: peerState.clock[feed] ?? 0,
      receiving: peerState.replicating[feed]?.rx === true,
    });
  }
  return sources;
}

/** What EBT's own setNotes does: the note to send, and the replication's rx and requested. */
function setNote(events: EbtEvents, peer: PeerState, feed: string, sequence: number, rx: boolean): void {
  peer.notes ??= {};
  peer.notes[feed] = events.note(sequence, rx);
  const replication = peer.replicating?.[feed];
  if (replication) {
    replication.rx = rx;
    replication.requested = sequence;
  }
}

function rechoose(events: EbtEvents, state: EbtState, feed: string, sources: FeedSource[], stalled: boolean): void {
  const local = state.clock[feed] ?? 0;
  const change = sourceChange(local, sources, stalled);
  if (change === null) return;
  for (const id of change.release) {
    const peer = state.peers[id];
    if (peer) setNote(events, peer, feed, local, false);
  }
  const asked = state.peers[change.ask];
  if (!asked?.replicating) return;
  asked.replicating[feed] ??= { tx: false, rx: true, sent: -1, requested: local };
  setNote(events, asked, feed, local, true);
}

/** The reducer with feeds re-asked on disconnect and on its tick; `stallMs` per instance's state. */
export function withFeedSources<E extends EbtEvents>(events: E, stallMs = STALL_MS): E {
  const stallWatches = new WeakMap<EbtState, StallWatch>();
  return {
    ...events,
    disconnect(state: EbtState, event: { id: string }): EbtState {
      const gone = state.peers[event.id]?.replicating ?? {};
      const orphaned = Object.keys(gone).filter((feed) => gone[feed]?.rx === true);
      const next = events.disconnect(state, event);
      for (const feed of orphaned) {
        if (next.follows[feed]) rechoose(events, next, feed, sourcesOf(next, feed), false);
      }
      return next;
    },
    timeout(state: EbtState, event: { ts: number }): EbtState {
      const next = events.timeout(state, event);
      let watch = stallWatches.get(next);
      if (!watch) {
        watch = new StallWatch(stallMs);
        stallWatches.set(next, watch);
      }
      const sources = new Map<string, FeedSource[]>();
      const wanted = new Map<string, FeedClocks>();
      for (const [feed, follows] of Object.entries(next.follows)) {
        if (!follows) continue;
        const feedSources = sourcesOf(next, feed);
        sources.set(feed, feedSources);
        const remote = Object.fromEntries(feedSources.map((s) => [s.peer, s.has]));
        wanted.set(feed, { local: next.clock[feed] ?? 0, remote });
      }
      // A feed whose messages wait in EBT's append queue is arriving, not stalled (its clock moves on append).
      const arriving = new Set(next.receive.map((received) => received.value.author));
      const stalled = new Set(watch.check(wanted, event.ts).filter((feed) => !arriving.has(feed)));
      for (const [feed, feedSources] of sources) rechoose(events, next, feed, feedSources, stalled.has(feed));
      return next;
    },
  };
}

export const ebtFeedSources: LibraryPatch<unknown> = {
  name: 'ebt-re-asks-orphaned-feeds',
  package: ['ssb-ebt', 'epidemic-broadcast-trees'],
  versions: '>=9.0.0 <9.1.0',
  why: 'a feed whose EBT source disconnects (or stops sending it) is asked of no other connected peer',
  apply({ require, entry }) {
    if (isLoaded(require, entry)) return 'epidemic-broadcast-trees was loaded first';
    const path = require.resolve('./events.js');
    if (isLoaded(require, path)) return 'epidemic-broadcast-trees/events.js was loaded first';
    const factory = require(path) as unknown;
    if (typeof factory !== 'function') return 'events.js does not export a factory';
    const makeEvents = factory as (version: unknown) => EbtEvents;
    replaceModule(require, path, (version: unknown) => withFeedSources(makeEvents(version)));
    return undefined;
  },
};
