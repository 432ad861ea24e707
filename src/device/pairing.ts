// Pairing with one press (auto role): the pure decisions. A searching device and a registrar that keeps
// watching both look at scan results and decide from them alone; the randomness of the search window
// comes in as a number. Everything in a scan came over the air, so it is checked before it counts.
import {
  type PeerAp,
  RIVAL_MISSES_TO_FORGET,
  type Rival,
  SEARCH_WINDOW_MAX_MS,
  SEARCH_WINDOW_MIN_MS,
  WATCH_PATIENCE_MS,
} from './model.js';

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** A BSSID as the reducer compares them: lowercase colon hex, or null for anything else. */
export function bssidOf(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const lower = text.toLowerCase();
  return MAC.test(lower) ? lower : null;
}

/**
 * The peers in push-button mode, each BSSID once, our own excluded. Malformed entries (not a MAC, not
 * a boolean flag) are dropped: a hostile beacon can make itself seen, not make us misread another.
 */
export function pbcPeers(own: string | null, peers: readonly PeerAp[]): string[] {
  const found = new Set<string>();
  for (const peer of Array.isArray(peers) ? peers.slice(0, 512) : []) {
    if (peer === null || typeof peer !== 'object' || peer.pbc !== true) continue;
    const bssid = bssidOf(peer.bssid);
    if (bssid !== null && bssid !== own) found.add(bssid);
  }
  return [...found].sort();
}

/** The search window for a draw in [0, 1); a draw outside it (or not a number) counts as the middle. */
export function searchWindowMs(draw: number): number {
  const value = Number.isFinite(draw) && draw >= 0 && draw < 1 ? draw : 0.5;
  return Math.round(SEARCH_WINDOW_MIN_MS + value * (SEARCH_WINDOW_MAX_MS - SEARCH_WINDOW_MIN_MS));
}

export type SearchDecision =
  | { kind: 'keep-searching' }
  | { kind: 'enroll'; bssid: string }
  /** More than one registrar in push-button mode: WPS cannot tell which one the user meant. */
  | { kind: 'overlap'; count: number };

/** A searching device: one registrar found means enroll with it; none, look again; several, overlap. */
export function decideSearch(own: string | null, peers: readonly PeerAp[]): SearchDecision {
  const found = pbcPeers(own, peers);
  if (found.length === 0) return { kind: 'keep-searching' };
  if (found.length === 1) return { kind: 'enroll', bssid: found[0] as string };
  return { kind: 'overlap', count: found.length };
}

export type WatchDecision =
  /** `rival`: the one other registrar being seen (its patience clock), to keep for the next scan. */
  | { kind: 'keep-hosting'; rival: Rival | null }
  /**
   * Stop hosting and enroll with the other registrar: it wins the tie-break, or it kept hosting for
   * longer than our patience (a registrar that does not step down, e.g. one whose owner pressed AP).
   */
  | { kind: 'step-down'; bssid: string; why: 'tie-break' | 'patience' }
  | { kind: 'overlap'; count: number };

/**
 * An auto-role registrar's watch scan at time `at`. Two registrars that see each other: the one with
 * the lower BSSID steps down at once and enrolls with the other; both compare the same two addresses,
 * so exactly one of them does, whatever the order in which they noticed. The winner keeps a patience
 * clock on the one other registrar it sees (`rival`, from the last scans): still seen after
 * WATCH_PATIENCE_MS, the other is not stepping down (an explicit registrar never does), so the winner
 * steps down instead rather than leaving two access points up until the walk time ends. Without our own
 * address there is nothing to compare, and only patience decides.
 */
export function decideWatch(
  own: string | null,
  peers: readonly PeerAp[],
  rival: Rival | null,
  at: number,
): WatchDecision {
  const found = pbcPeers(own, peers);
  if (found.length > 1) return { kind: 'overlap', count: found.length };
  if (found.length === 0) {
    // One missed scan does not restart the clock; a registrar missed by several working scans has gone.
    const missed = (rival?.missed ?? 0) + 1;
    return {
      kind: 'keep-hosting',
      rival: rival !== null && missed < RIVAL_MISSES_TO_FORGET ? { ...rival, missed } : null,
    };
  }
  const other = found[0] as string;
  if (own !== null && steppingDownTo(own, other)) return { kind: 'step-down', bssid: other, why: 'tie-break' };
  const since = rival !== null && rival.bssid === other ? rival.since : at;
  if (at - since >= WATCH_PATIENCE_MS) return { kind: 'step-down', bssid: other, why: 'patience' };
  return { kind: 'keep-hosting', rival: { bssid: other, since, missed: 0 } };
}

/** The tie-break between two registrars: true when `own` is the one that steps down. */
export function steppingDownTo(own: string, other: string): boolean {
  return own < other;
}
