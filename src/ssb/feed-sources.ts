// Which connected peer a feed should come from. Pure; the EBT patch (patches/ebt-feed-sources.ts) applies it.
//
// EBT keeps one source per feed (a spanning tree): every other peer is told "don't send" (rx off) and only
// says what it has. Stock epidemic-broadcast-trees re-chooses a source only when a peer's note shows it
// further ahead than the current source, or when the source has sent nothing at all for 3 s while another is
// ahead. So a feed is orphaned — wanted, held ahead of us by a connected peer, asked of nobody — when its
// source disconnects (every other peer already told us what it has and will not say it again), and a source
// that is busy sending other feeds is never replaced for one it does not send. In a town that stall lasts as
// long as the connections do.

/** A connected peer, as seen for one feed. */
export interface FeedSource {
  peer: string;
  /** The latest sequence of the feed it has told us of (0: none; negative: it does not replicate it). */
  has: number;
  /** Whether we asked it to send this feed (EBT's rx). */
  receiving: boolean;
}

/** Ask `ask` to send the feed from our latest; tell `release` to stop (one source at a time). */
export interface SourceChange {
  ask: string;
  release: string[];
}

/**
 * @param local our latest sequence of the feed.
 * @param peers the connected peers that share the feed with us, in a stable order (ties go to the first).
 * @param stalled our copy has not grown for a while although a peer offers more: ask again, and move to an
 *   equally far peer if there is one, since the current source may be the one not sending.
 * @returns null to leave things as they are.
 */
export function sourceChange(local: number, peers: readonly FeedSource[], stalled: boolean): SourceChange | null {
  const ahead = peers.filter((p) => p.has > local);
  if (ahead.length === 0) return null;
  const current = ahead.find((p) => p.receiving);
  if (current && !stalled) return null;
  const furthest = Math.max(...ahead.map((p) => p.has));
  const best = ahead.filter((p) => p.has === furthest);
  const chosen = (stalled && best.length > 1 ? best.find((p) => p !== current) : undefined) ?? best[0];
  if (chosen === undefined) return null;
  const release = peers.filter((p) => p.receiving && p !== chosen).map((p) => p.peer);
  return { ask: chosen.peer, release };
}
