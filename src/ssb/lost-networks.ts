// When a network goes away, only the connections over it are stale. ssb-conn 6.0 resets its whole hub on any
// change of the address list (on-change-network-strict, replaced in patches/conn-network-reset.ts), so a
// device in several meetings at once lost every connection whenever one of them ended: each person in the
// town lab has up to 9 contacts at once, and every contact that ended cut the others' replication too. Here a
// network is an interface address with its prefix; a connection is over it when the peer's host is in it.
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
 * The connections (multiserver addresses) whose peer's host lies in one of the gone networks. A host on a
 * network we still have (the same subnet reached over another interface) is not cut.
 */
export function connectionsOver(
  addresses: readonly string[],
  gone: readonly Network[],
  still: ReadonlySet<Network> = new Set(),
): string[] {
  const goneList = blockListOf(gone);
  const stillList = blockListOf([...still]);
  return addresses.filter((address) => {
    const host = unmapped(hostOfAddress(address));
    const family = host === null ? 0 : isIP(host);
    if (host === null || family === 0) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return goneList.check(host, type) && !stillList.check(host, type);
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

/** Every `intervalMs`, closes the connections over networks that went away (as the library's poll did). */
export function watchLostNetworks(options: {
  ssb: SsbServer;
  logger: LogSink;
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  intervalMs?: number;
}): LostNetworkWatch {
  const { ssb, logger } = options;
  const interfaces = options.interfaces ?? networkInterfaces;
  let known = networksOf(interfaces());
  const timer = setInterval(() => {
    const now = networksOf(interfaces());
    const gone = goneNetworks(known, now);
    known = now;
    if (gone.length === 0) return;
    const inHub = [...ssb.conn.hub().entries()].map(([address]) => address);
    const stale = connectionsOver(inHub, gone, now);
    if (stale.length > 0) logger.log('info', 'a network went away: closing the connections over it', { gone, stale });
    for (const address of stale) {
      ssb.conn.disconnect(address, (err) => {
        if (err) logger.log('debug', 'could not close a stale connection', { address, error: err.message });
      });
    }
  }, options.intervalMs ?? 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
