// Pairing with one press (auto role): the pure decisions. A searching device and a registrar that keeps
// watching both look at scan results and decide from them alone; the randomness of the search window
// comes in as a number. Everything in a scan came over the air, so it is checked before it counts.
import {
  AP_BRINGUP_ASSUMED_MS,
  AP_BRINGUP_MAX_MS,
  AP_BRINGUP_MIN_MS,
  HOST_GONE_MS,
  type PeerAp,
  RIVAL_MISSES_TO_FORGET,
  type Rival,
  SEARCH_GRACE_MS,
  SEARCH_SLOT_FACTOR,
  SEARCH_SLOT_JITTER_MS,
  SEARCH_SLOT_MARGIN_MS,
  SEARCH_SLOTS,
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

/**
 * The search window for a draw in [0, 1) and this device's access point bring-up estimate (null: none
 * measured yet). The draw picks one of SEARCH_SLOTS slots and a little jitter within it; slots are a
 * bring-up and a quarter (and a scan's margin) apart. Two devices pressed together that draw different
 * slots decide far enough apart that the later one's scan sees the earlier one's beacons and enrolls
 * (the fast path: one bring-up, no station restart); the same slot (1 in SEARCH_SLOTS) means both host
 * and the tie-break sends one back. A draw outside [0, 1) (or not a number) counts as the middle.
 */
export function searchWindowMs(draw: number, bringupEstimateMs: number | null): number {
  const value = Number.isFinite(draw) && draw >= 0 && draw < 1 ? draw : 0.5;
  const slot = Math.min(SEARCH_SLOTS - 1, Math.floor(value * SEARCH_SLOTS));
  const within = value * SEARCH_SLOTS - slot;
  return Math.round(SEARCH_WINDOW_MIN_MS + slot * slotSpacingMs(bringupEstimateMs) + within * SEARCH_SLOT_JITTER_MS);
}

/** The distance between two search slots for a bring-up estimate (clamped; null: the assumed one). */
export function slotSpacingMs(bringupEstimateMs: number | null): number {
  const bringup = clampBringup(bringupEstimateMs ?? AP_BRINGUP_ASSUMED_MS);
  return Math.ceil(bringup * SEARCH_SLOT_FACTOR) + SEARCH_SLOT_MARGIN_MS;
}

function clampBringup(ms: number): number {
  if (!Number.isFinite(ms)) return AP_BRINGUP_ASSUMED_MS;
  return Math.min(AP_BRINGUP_MAX_MS, Math.max(AP_BRINGUP_MIN_MS, Math.round(ms)));
}

/**
 * The bring-up estimate after one more measurement (before the first, the assumed figure): a quarter of the
 * way up towards a slower figure, half the way down towards a faster one. What the slots must outlast is
 * the *earlier* device's bring-up, alone; a device that hosted at the same moment as another measures a
 * slower one (two bring-ups at once, on a shared CPU in the lab) that says little about the next press. So
 * one slow figure moves the estimate a little, a sustained load moves it in a few bring-ups, and a load
 * that goes is followed quickly.
 */
export function nextBringupEstimate(previousMs: number | null, measuredMs: number): number {
  const previous = clampBringup(previousMs ?? AP_BRINGUP_ASSUMED_MS);
  const measured = clampBringup(measuredMs);
  const step = measured > previous ? 1 / 4 : 1 / 2;
  return Math.round(previous + (measured - previous) * step);
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

export type HostDecision =
  /** `seenAt`: when the host was last seen in push-button mode, to keep for the next check. */
  | { kind: 'still-there'; seenAt: number }
  /** Not seen in push-button mode for HOST_GONE_MS: it stopped hosting or went away. */
  | { kind: 'gone'; unseenMs: number };

/**
 * An auto-role enrollee's check on its host at time `at`: the station last saw it `seenMsAgo` ago (null:
 * not at all, e.g. a fresh station before its first scan), and we last knew it there at `seenAt`. A
 * sighting only ever moves `seenAt` forward; the host is gone once nothing has seen it for HOST_GONE_MS.
 */
export function decideHost(seenAt: number, seenMsAgo: number | null, at: number): HostDecision {
  const sighted =
    seenMsAgo !== null && Number.isFinite(seenMsAgo) && seenMsAgo >= 0 ? Math.max(seenAt, at - seenMsAgo) : seenAt;
  const unseenMs = at - sighted;
  return unseenMs >= HOST_GONE_MS ? { kind: 'gone', unseenMs } : { kind: 'still-there', seenAt: sighted };
}

/** The access points a scan saw, each BSSID once, our own excluded (any mode). */
export function seenBssids(own: string | null, peers: readonly PeerAp[]): string[] {
  const found = new Set<string>();
  for (const peer of Array.isArray(peers) ? peers.slice(0, 512) : []) {
    const bssid = peer !== null && typeof peer === 'object' ? bssidOf(peer.bssid) : null;
    if (bssid !== null && bssid !== own) found.add(bssid);
  }
  return [...found].sort();
}

/** Whether a scan saw an access point that the search's first scan did not (a device coming up). */
export function sawNewcomer(atStart: readonly string[], own: string | null, peers: readonly PeerAp[]): boolean {
  return seenBssids(own, peers).some((bssid) => !atStart.includes(bssid));
}

/**
 * The search window ended at `at`: host now, or wait SEARCH_GRACE_MS once more because an access point
 * appeared during the search (seen within the grace, not yet in push-button mode): most likely the other
 * device, a moment before it enables push-button. Once only, so a neighbourhood where access points come
 * and go cannot keep a device searching.
 */
export function decideWindowEnd(newcomerAt: number | null, extended: boolean, at: number): 'host' | 'wait' {
  return !extended && newcomerAt !== null && at - newcomerAt < SEARCH_GRACE_MS ? 'wait' : 'host';
}
