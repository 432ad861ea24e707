// ssb-conn 6.0's scheduler treats LAN peers like Internet pubs: it keeps 4 connections, disconnects the oldest
// beyond 8 (after 2 min / excess: ~24 s with 9), and dials every staged LAN peer within our hops — from both
// sides at once, since both hear each other's beacons, which makes the duplicate connections that
// duplicate-connections.ts must close and redial. A person in a crowd meets more than 8 others at once (up to 9
// in the Cambridge trace), and each of them is someone to gossip with. LAN peers are dialled by our own
// dialler (lan-dialer.ts: one side first, every peer met, no cap), so the scheduler's quota is left to the
// others (pubs, rooms, remembered Internet peers): its `maintainConnections` no longer counts, dials or
// disconnects LAN peers.
import { isLoaded, type LibraryPatch } from './patch.js';

type PeerEntry = [address: string, data: Record<string, unknown>];
type MaintainConnections = (
  this: unknown,
  quota: number,
  isDesiredPeer: (peer: PeerEntry) => boolean,
  ...rest: unknown[]
) => unknown;

/** Whether ssb-conn classifies the peer as a LAN peer (its own detectType, for the LAN case). */
export function isLanPeer([, data]: PeerEntry): boolean {
  if (data.type !== undefined) return data.type === 'lan';
  return data.source === 'local' || data.inferredType === 'lan';
}

/** The scheduler's maintainConnections with LAN peers taken out of what it counts, dials and disconnects. */
export function withoutLanPeers(original: MaintainConnections): MaintainConnections {
  return function maintainConnections(this: unknown, quota, isDesiredPeer, ...rest) {
    return original.call(this, quota, (peer: PeerEntry) => isDesiredPeer(peer) && !isLanPeer(peer), ...rest);
  };
}

export const connSchedulerLan: LibraryPatch<unknown> = {
  name: 'scheduler-leaves-lan-peers-to-our-dialler',
  package: ['ssb-conn'],
  versions: '>=6.0.0 <6.1.0',
  why: "ssb-conn's scheduler caps LAN peers at 4-8 connections and dials them from both sides at once",
  apply({ require }) {
    const path = require.resolve('./conn-scheduler.js');
    if (isLoaded(require, path)) return 'ssb-conn/lib/conn-scheduler.js was loaded first';
    const scheduler = require(path) as { ConnScheduler?: { prototype: Record<string, unknown> } };
    const prototype = scheduler.ConnScheduler?.prototype;
    const original = prototype?.maintainConnections;
    if (prototype === undefined || typeof original !== 'function') return 'ConnScheduler has no maintainConnections';
    prototype.maintainConnections = withoutLanPeers(original as MaintainConnections);
    return undefined;
  },
};
