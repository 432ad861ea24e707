// The legacy plaintext LAN beacon on UDP 8008, both ways, done here rather than by ssb-lan's legacy mode:
// - ssb-lan announces `ssb.getAddress('private')` to one broadcast address only, which on a device with
//   several networks (its own access point plus a joined Wi-Fi) reaches one of them, and whose choice of
//   interface can land on an IPv6 address (then it sends to 0.0.0.0, i.e. to itself). We announce on every
//   RFC 1918 interface, each time with our address on that network, always `net:` first and ≤ 128 bytes.
// - ssb-lan drops legacy beacons coming from its own host (dgram-broadcast's `loopback` flag) and accepts
//   the rest unparsed; we parse strictly (src/beacon.ts) and require the announced host to be the host the
//   datagram came from, so a beacon cannot point us at a third party.
// - When two people meet, what counts is how soon each hears the other (measured by `npm run bench`, "meet to
//   synced"). Besides the steady beacon every second (as ssb-server 16), we announce at once when a network
//   appears (an interface gains an RFC 1918 address or its link comes up: Node lists an interface only while
//   it has carrier) and when a peer we have not heard lately announces itself, so the newcomer learns of us
//   without waiting for our next beacon. Both are rate-limited.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { LogSink as PeerLogger } from '../log/logger.js';
import { formatLegacyBeacon, isBeaconError, type LegacyBeacon, parseLegacyBeacon } from './beacon.js';
import { type BeaconTarget, legacyBeaconTargets } from './lan-net.js';

export const LEGACY_BEACON_PORT = 8008;
/** The steady beacon interval (ssb-server 16 beacons every second too). */
export const LEGACY_BEACON_INTERVAL_MS = 1000;
/** How often the interfaces are checked for a network that appeared. */
const NETWORK_WATCH_MS = 250;
/** A peer unheard for this long that announces itself gets our beacon at once. */
const NEWCOMER_AFTER_MS = 10_000;
/** At most one extra (unscheduled) announcement per this interval. */
const EXTRA_ANNOUNCE_MIN_MS = 250;
/** Peers remembered for the newcomer check. */
const HEARD_MAX = 256;

export interface LegacyLanOptions {
  /** Our feed id; our own beacons echoing back are ignored. */
  self: string;
  /** The TCP port our SSB server listens on (announced in the beacon). */
  tcpPort: number;
  /** The address the server listens on, or null for every interface. */
  listenHost: string | null;
  /** UDP port for beacons, 8008 unless testing. */
  udpPort?: number;
  /** Where to announce; defaults to one target per RFC 1918 interface, recomputed every interval. */
  targets?: () => BeaconTarget[];
  intervalMs?: number;
  /** How often to look for a network that appeared (0: only at each beacon). */
  watchMs?: number;
  logger: PeerLogger;
  onBeacon(beacon: LegacyBeacon & { from: string }): void;
}

export interface LegacyLanStats {
  sent: number;
  received: number;
  accepted: number;
  rejected: Record<string, number>;
}

export interface LegacyLan {
  stats(): LegacyLanStats;
  close(): Promise<void>;
}

/** IPv4-mapped IPv6 sources (`::ffff:10.0.0.2`) compare equal to the IPv4 they carry. */
function sameHost(a: string, b: string): boolean {
  const strip = (h: string) => h.toLowerCase().replace(/^::ffff:/, '');
  return strip(a) === strip(b);
}

export async function startLegacyLan(options: LegacyLanOptions): Promise<LegacyLan> {
  const udpPort = options.udpPort ?? LEGACY_BEACON_PORT;
  const targets = options.targets ?? (() => legacyBeaconTargets(networkInterfaces(), options.listenHost));
  const stats: LegacyLanStats = { sent: 0, received: 0, accepted: 0, rejected: {} };
  const { logger } = options;

  const reject = (reason: string, from: RemoteInfo) => {
    const count = (stats.rejected[reason] ?? 0) + 1;
    stats.rejected[reason] = count;
    // The first of each kind is worth a line; a flood is visible in the counters.
    if (count === 1) logger.log('warn', 'legacy beacon rejected', { reason, from: from.address, port: from.port });
  };

  // reuseAddr: ssb-server, go-ssb and ssb-lan on the same host all bind UDP 8008 too, and broadcasts
  // reach every socket bound to the port.
  // Keys heard lately, and when: someone new (or back after a while) gets our beacon at once.
  const heard = new Map<string, number>();
  let lastExtra = 0;
  let closed = false;
  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (msg, from) => {
    stats.received++;
    const parsed = parseLegacyBeacon(msg);
    if (isBeaconError(parsed)) return reject(parsed.error, from);
    if (parsed.key === options.self) return; // our own beacon
    if (!sameHost(parsed.host, from.address)) return reject('source-mismatch', from);
    stats.accepted++;
    const now = Date.now();
    const last = heard.get(parsed.key);
    heard.delete(parsed.key);
    heard.set(parsed.key, now);
    if (heard.size > HEARD_MAX) heard.delete(heard.keys().next().value as string);
    if (last === undefined || now - last > NEWCOMER_AFTER_MS) announceExtra();
    options.onBeacon({ ...parsed, from: from.address });
  });
  socket.on('error', (error) => logger.log('warn', 'legacy beacon socket error', { error: error.message }));

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(udpPort, () => {
      socket.off('error', reject);
      socket.setBroadcast(true);
      resolve();
    });
  });

  let announced = '';
  const summaryOf = (list: BeaconTarget[]) => list.map((t) => `${t.address}->${t.broadcast}`).join(',');
  const announce = (list: BeaconTarget[] = targets()) => {
    if (closed) return;
    const summary = summaryOf(list);
    if (summary !== announced) {
      announced = summary;
      if (list.length === 0) logger.log('info', 'legacy beacon: no RFC 1918 network to announce on');
      else logger.log('info', 'legacy beacon targets', { targets: list, udpPort });
    }
    for (const target of list) {
      let beacon: Buffer;
      try {
        beacon = formatLegacyBeacon({ host: target.address, port: options.tcpPort, key: options.self });
      } catch (error) {
        logger.log('error', 'legacy beacon not sendable', { target, error: String(error) });
        continue;
      }
      socket.send(beacon, udpPort, target.broadcast, (error) => {
        // A network going away between two beacons is normal on a Wi-Fi device.
        if (error) logger.log('debug', 'legacy beacon send failed', { target, error: error.message });
        else stats.sent++;
      });
    }
  };
  /** An announcement outside the steady rhythm, at most one per EXTRA_ANNOUNCE_MIN_MS. */
  function announceExtra(list?: BeaconTarget[]): void {
    const now = Date.now();
    if (now - lastExtra < EXTRA_ANNOUNCE_MIN_MS) return;
    lastExtra = now;
    announce(list);
  }
  announce();
  const timer = setInterval(() => announce(), options.intervalMs ?? LEGACY_BEACON_INTERVAL_MS);
  timer.unref();
  // A network that appeared (new address, or a link with carrier again): announce now, not at the next beat.
  const watchMs = options.watchMs ?? NETWORK_WATCH_MS;
  let known = new Set(targets().map((t) => `${t.address}->${t.broadcast}`));
  const watch =
    watchMs > 0
      ? setInterval(() => {
          const list = targets();
          const now = new Set(list.map((t) => `${t.address}->${t.broadcast}`));
          const appeared = [...now].some((t) => !known.has(t));
          known = now;
          if (appeared) announceExtra(list);
        }, watchMs)
      : null;
  watch?.unref();

  return {
    stats: () => ({ ...stats, rejected: { ...stats.rejected } }),
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        clearInterval(timer);
        if (watch) clearInterval(watch);
        socket.close(() => resolve());
      }),
  };
}
