// Which local networks count as "the LAN", and where to announce ourselves on each. Pure functions over
// the shape of os.networkInterfaces(), so the choice can be tested without touching the network.
import { isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

export interface BeaconTarget {
  interface: string;
  /** Our own address on that network: what the beacon announces. */
  address: string;
  /** The directed broadcast address of that network: where the beacon goes. */
  broadcast: string;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
}

/** RFC 1918 only: a Wi-Fi access point or home network. Not CGNAT, not link-local, not public space. */
export function isRfc1918(ip: string): boolean {
  if (isIP(ip) !== 4) return false;
  const n = ipv4ToInt(ip);
  return (
    (n & 0xff000000) >>> 0 === 0x0a000000 || // 10/8
    (n & 0xfff00000) >>> 0 === 0xac100000 || // 172.16/12
    (n & 0xffff0000) >>> 0 === 0xc0a80000 // 192.168/16
  );
}

/** Addresses a LAN peer may legitimately connect from or announce: RFC 1918, IPv6 ULA/link-local, loopback. */
export function isLanAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return isRfc1918(ip) || ip.startsWith('127.');
  if (family === 6) {
    const lower = ip.toLowerCase();
    if (lower.startsWith('::ffff:')) return isLanAddress(lower.slice('::ffff:'.length));
    return lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
  }
  return false;
}

export function subnetBroadcast(address: string, netmask: string): string {
  const addr = ipv4ToInt(address);
  const mask = ipv4ToInt(netmask);
  return intToIpv4((addr | ~mask) >>> 0);
}

/**
 * One target per RFC 1918 IPv4 interface. A device serving its own access point while joined to another
 * network announces itself on both, each time with the address the listeners on that network can reach.
 * Hosts with no RFC 1918 interface get none: we never broadcast onto networks that are not a LAN.
 */
export function legacyBeaconTargets(interfaces: Interfaces, listenHost: string | null): BeaconTarget[] {
  const targets: BeaconTarget[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal || info.family !== 'IPv4' || !isRfc1918(info.address)) continue;
      // Listening on one address only: announce it where it lives and nowhere else.
      if (listenHost !== null && listenHost !== info.address) continue;
      targets.push({ interface: name, address: info.address, broadcast: subnetBroadcast(info.address, info.netmask) });
    }
  }
  return targets;
}

/** `0.0.0.0`, `::` or no host at all mean "every interface". */
export function isWildcardHost(host: string | undefined): boolean {
  return host === undefined || host === '' || host === '0.0.0.0' || host === '::';
}

/** Extracts the host from a `net:<host>:<port>~...` multiserver address (IPv6 hosts contain colons). */
export function hostOfAddress(address: string): string | null {
  const net = address.split(';')[0]?.split('~')[0] ?? '';
  if (!net.startsWith('net:')) return null;
  const hostPort = net.slice('net:'.length);
  const lastColon = hostPort.lastIndexOf(':');
  return lastColon > 0 ? hostPort.slice(0, lastColon) : null;
}
