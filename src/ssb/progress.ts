// Replication progress, Syncthing-style: of what the connected peers have *and we want*, how much do we
// hold? Pure, over the numbers ssb-ebt exposes (ebt.peerStatus per feed: our latest sequence and the
// latest each connected peer told us it has). Counts are messages, since a feed is a sequence of them.
//
// A peer's clock only lists what it is willing to send us: EBT answers -1 for feeds outside its own
// request set, so a remote that holds a feed but does not replicate it does not count as "having" it.

export interface FeedClocks {
  /** Our latest sequence of the feed (0 or absent: none). */
  local: number;
  /** Per connected peer id: the latest sequence it has told us of (negative or absent: not offering it). */
  remote: Readonly<Record<string, number | undefined>>;
}

export interface Progress {
  /** Messages held, counting per feed at most what the peer(s) offer. */
  have: number;
  /** Messages offered that we want. */
  want: number;
  /** have / want, or 1 when nothing is offered: "in sync". */
  fraction: number;
  /** want - have: messages still to come. */
  needed: number;
}

export interface ReplicationProgress {
  overall: Progress;
  peers: Record<string, Progress>;
  replicating: boolean;
}

function progress(have: number, want: number): Progress {
  return { have, want, fraction: want === 0 ? 1 : have / want, needed: want - have };
}

function seq(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * @param wanted the feeds we replicate (within our hops, not blocked), each with its clocks.
 * Per peer: Σ min(local, remote) / Σ remote over feeds it offers. Overall: the same against the best
 * offer for each feed, so two peers offering the same messages are not counted twice.
 */
export function computeProgress(
  wanted: ReadonlyMap<string, FeedClocks>,
  connectedPeers: Iterable<string> = [],
): ReplicationProgress {
  // Connected peers that offer nothing we want still show up, as "in sync".
  const perPeer = new Map<string, { have: number; want: number }>();
  for (const peer of connectedPeers) perPeer.set(peer, { have: 0, want: 0 });
  let overallHave = 0;
  let overallWant = 0;
  for (const clocks of wanted.values()) {
    const local = seq(clocks.local);
    let best = 0;
    for (const [peer, remoteSeq] of Object.entries(clocks.remote)) {
      const remote = seq(remoteSeq);
      if (remote === 0) continue;
      best = Math.max(best, remote);
      const sums = perPeer.get(peer) ?? { have: 0, want: 0 };
      sums.want += remote;
      sums.have += Math.min(local, remote);
      perPeer.set(peer, sums);
    }
    overallWant += best;
    overallHave += Math.min(local, best);
  }
  const peers: Record<string, Progress> = {};
  for (const [peer, sums] of perPeer) peers[peer] = progress(sums.have, sums.want);
  const overall = progress(overallHave, overallWant);
  return { overall, peers, replicating: overall.needed > 0 };
}

/**
 * Stalled replication: a connected peer told us it has more of a feed we want, yet our copy has not grown
 * for `stallMs`. EBT only re-sends after a fresh note from us, and one message that failed to append (or
 * was never pushed) leaves both sides waiting on each other until the connection drops — which on a device
 * that stays linked can be forever. The watchdog finds such feeds so the peer can ask again.
 */
export class StallWatch {
  private readonly seen = new Map<string, { local: number; since: number; nudged: number }>();
  constructor(private readonly stallMs: number) {}

  /** Feeds to ask for again, at most once per `stallMs` each. */
  check(wanted: ReadonlyMap<string, FeedClocks>, now: number): string[] {
    const stalled: string[] = [];
    for (const [feed, clocks] of wanted) {
      const local = seq(clocks.local);
      const best = Math.max(0, ...Object.values(clocks.remote).map(seq));
      const entry = this.seen.get(feed);
      if (best <= local) {
        this.seen.delete(feed);
        continue;
      }
      if (!entry || entry.local !== local) {
        this.seen.set(feed, { local, since: now, nudged: entry?.nudged ?? 0 });
        continue;
      }
      if (now - entry.since >= this.stallMs && now - entry.nudged >= this.stallMs) {
        entry.nudged = now;
        stalled.push(feed);
      }
    }
    for (const feed of this.seen.keys()) if (!wanted.has(feed)) this.seen.delete(feed);
    return stalled;
  }
}
