// When a network goes away, only the connections over it are stale. ssb-conn 6.0 resets its whole hub on any
// change of the address list (on-change-network-strict, replaced in patches/conn-network-reset.ts), so a
// device in several meetings at once lost every connection whenever one of them ended: each person in the
// town lab has up to 9 contacts at once, and every contact that ended cut the others' replication too. Here a
// network is an interface address with its prefix; a connection is over it when the peer's host is in it, or
// when our own end of it is: a peer dialled at an address outside the link (a host route over it, as to the
// town lab's home addresses) is left in the hub after the link has gone, with no FIN or RST ever to arrive
// — the town lab saw one such connection kept 492 s, during which neither side dialled the other.
import { createSocket } from 'node:dgram';
import { BlockList, isIP } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import type { LogSink } from '../log/logger.js';
import { hostOfAddress } from './lan-net.js';
import type { SsbServer } from './libraries.js';

/** One of our interface addresses, as `address/prefix` (os.networkInterfaces()'s `cidr`). */
export type Network = string;

/** Our non-internal networks now (os.networkInterfaces() shape). */
export function networksOf(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): Set<Network> {
  const networks = new Set<Network>();
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) if (!info.internal && info.cidr !== null) networks.add(info.cidr);
  }
  return networks;
}

/** The networks we had before and have no more. */
export function goneNetworks(before: ReadonlySet<Network>, now: ReadonlySet<Network>): Network[] {
  return [...before].filter((network) => !now.has(network));
}

/**
 * The connections (multiserver addresses) whose peer's host lies in one of the gone networks, or whose own
 * end (`localOf`: our address it left from, by peer host) does. A host on a network we still have (the same
 * subnet reached over another interface) is not cut.
 */
export function connectionsOver(
  addresses: readonly string[],
  gone: readonly Network[],
  still: ReadonlySet<Network> = new Set(),
  localOf: ReadonlyMap<string, string> = new Map(),
): string[] {
  const goneList = blockListOf(gone);
  const stillList = blockListOf([...still]);
  const lost = (address: string | null | undefined): boolean => {
    const host = unmapped(address ?? null);
    const family = host === null ? 0 : isIP(host);
    if (host === null || family === 0) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return goneList.check(host, type) && !stillList.check(host, type);
  };
  return addresses.filter((address) => {
    const host = unmapped(hostOfAddress(address));
    return lost(host) || (host !== null && lost(localOf.get(host)));
  });
}

/**
 * Our address that packets to `host` leave from now: the kernel's route lookup, by connecting a UDP socket
 * (which sends nothing). Null when there is no route or the host is not an IP address.
 */
export function sourceAddressFor(host: string): Promise<string | null> {
  const family = isIP(host);
  if (family === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    const done = (address: string | null) => {
      socket.close();
      resolve(address);
    };
    socket.once('error', () => done(null));
    socket.connect(9, host, () => {
      try {
        done(unmapped(socket.address().address));
      } catch {
        done(null);
      }
    });
  });
}

/** `::ffff:10.0.0.2` (an IPv4 peer reaching a dual-stack listener) as the IPv4 address it is. */
function unmapped(host: string | null): string | null {
  if (host === null) return null;
  const lower = host.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : host;
}

function blockListOf(networks: readonly Network[]): BlockList {
  const list = new BlockList();
  for (const network of networks) {
    const slash = network.lastIndexOf('/');
    const address = network.slice(0, slash);
    const prefix = Number(network.slice(slash + 1));
    const family = isIP(address);
    if (slash < 0 || family === 0 || !Number.isInteger(prefix)) continue;
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

export interface LostNetworkWatch {
  stop(): void;
}

/**
 * Every `intervalMs`, closes the connections over networks that went away (as the library's poll did). Each
 * connection's own end is looked up when it comes up (sourceAddressFor), while its route is still there.
 */
export function watchLostNetworks(options: {
  ssb: SsbServer;
  logger: LogSink;
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  intervalMs?: number;
  sourceAddress?: (host: string) => Promise<string | null>;
}): LostNetworkWatch {
  const { ssb, logger } = options;
  const interfaces = options.interfaces ?? networkInterfaces;
  const sourceAddress = options.sourceAddress ?? sourceAddressFor;
  let known = networksOf(interfaces());
  /** Per peer host, our address its latest connection left from. */
  const localOf = new Map<string, string>();
  let stopped = false;
  const onConnect = (rpc: { stream: { address?: string } }) => {
    const host = unmapped(hostOfAddress(rpc.stream.address ?? ''));
    if (host === null) return;
    void sourceAddress(host).then((local) => {
      if (stopped) return;
      if (local === null) localOf.delete(host);
      else localOf.set(host, local);
    });
  };
  ssb.on('rpc:connect', onConnect);
  const timer = setInterval(() => {
    const now = networksOf(interfaces());
    const gone = goneNetworks(known, now);
    known = now;
    if (gone.length === 0) return;
    const inHub = [...ssb.conn.hub().entries()].map(([address]) => address);
    const stale = connectionsOver(inHub, gone, now, localOf);
    if (stale.length > 0) logger.log('info', 'a network went away: closing the connections over it', { gone, stale });
    for (const address of stale) {
      ssb.conn.disconnect(address, (err) => {
        if (err) logger.log('debug', 'could not close a stale connection', { address, error: err.message });
      });
    }
  }, options.intervalMs ?? 1000);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      ssb.removeListener('rpc:connect', onConnect);
    },
  };
}
