// When to dial a peer found on the LAN: the rules, as pure functions of what is known, the time and a random
// number (the mechanism that dials, and reads the clock, is lan-dialer.ts). As ssb-conn keeps its scheduler's
// rules apart from connecting.
//
// A device gossips with whoever it meets, as ssb-server's LAN gossip did in the report: common interest needs
// a connection even between peers that do not follow each other (ssb-conn's own scheduler only dials LAN peers
// within our hops). Blocked feeds are never dialled, and each peer at most every LAN_DIAL_COOLDOWN_MS.
import type { DiscoveredPeer } from './auto-follow.js';

export const LAN_DIAL_COOLDOWN_MS = 10_000;
/** How long the peer with the larger id waits for the other to dial before it dials (see dialDelayMs). */
export const DIAL_DEFER_MS = 600;
/** Spread added to the deferral, so two peers that both defer (equal ids cannot happen) do not collide. */
export const DIAL_DEFER_JITTER_MS = 200;

export interface LanDialInput {
  self: string;
  peer: DiscoveredPeer;
  /** The peer's distance in our follow graph (negative: blocked), if known. */
  hops: number | undefined;
  /** Connected or connecting to the peer's key now. */
  connected: boolean;
  /** When we last dialled this key (ms), if ever. */
  lastDialAt: number | undefined;
  now: number;
}

export type LanDialDecision =
  | { dial: true }
  | {
      dial: false;
      reason: 'no-address' | 'self' | 'already-connection' | 'unverified' | 'blocked' | 'connected' | 'cooling-down';
    };

export function decideLanDial(input: LanDialInput): LanDialDecision {
  const { peer } = input;
  if (peer.address === undefined) return { dial: false, reason: 'no-address' };
  if (peer.key === input.self) return { dial: false, reason: 'self' };
  if (peer.source === 'connection') return { dial: false, reason: 'already-connection' };
  if ((input.hops ?? 0) < 0) return { dial: false, reason: 'blocked' };
  // An unsigned beacon from a stranger is dialled only by auto-follow's verification probe, which reports a
  // forged key. One from a feed within our hops is dialled here (the handshake proves the key or fails):
  // ssb-conn's scheduler, which dials such staged beacons otherwise, keeps at most 4 peers (a device in five
  // meetings at once would never dial the fifth) and dials from both sides at once.
  if (!peer.verified && input.hops === undefined) return { dial: false, reason: 'unverified' };
  if (input.connected) return { dial: false, reason: 'connected' };
  if (input.now - (input.lastDialAt ?? Number.NEGATIVE_INFINITY) < LAN_DIAL_COOLDOWN_MS) {
    return { dial: false, reason: 'cooling-down' };
  }
  return { dial: true };
}

/**
 * Two devices that meet hear each other's beacons at the same moment and would dial each other at once: two
 * connections, which duplicate-connections.ts closes and redials (~1 s lost, seen in the meet benchmark). The
 * side with the smaller id dials at once (0); the other waits, then dials only if no connection came up.
 * `random` is in [0, 1).
 */
export function dialDelayMs(self: string, key: string, random: number): number {
  if (self < key) return 0;
  return DIAL_DEFER_MS + Math.floor(random * DIAL_DEFER_JITTER_MS);
}

/**
 * Whether a legacy beacon's address goes into ssb-conn's staging pool (where peers() lists it and ssb-conn's
 * scheduler may dial it). The scheduler tells connected peers by address only, and a peer that dialled us is in
 * the hub under the port it dialled from, not under the listening address its beacon announces: staging that
 * address would have the scheduler dial a peer we are already connected to, every beacon re-staging it after
 * lan-discovery unstaged it, and the duplicate costs both connections (duplicate-connections.ts closes them and
 * redials). A peer already in connection (by key, any address) is not staged; one that is not is staged only
 * when it is our turn to dial (dialDelayMs), for the same reason.
 */
export function stagesLegacyBeacon(key: string, inConnection: ReadonlySet<string>): boolean {
  return !inConnection.has(key);
}

/**
 * What auto-follow is told about a discovered peer: one we are already connected to has proven its key by the
 * handshake (and dialling it to verify would only make a second connection).
 */
export function asSeenByAutoFollow(peer: DiscoveredPeer, connected: boolean): DiscoveredPeer {
  return !peer.verified && connected ? { ...peer, verified: true, source: 'connection' } : peer;
}
