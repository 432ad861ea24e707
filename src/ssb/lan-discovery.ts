// Peers found on the LAN — ssb-lan's signed beacons, our legacy plaintext beacons (legacy-lan.ts) and
// completed handshakes from LAN addresses — go through the gate for unproven keys (discovery-gate.ts), then to
// the dialer and to auto-follow.
import pull from 'pull-stream';
import type { LogSink } from '../log/logger.js';
import { ThrottledLog } from '../log/throttled.js';
import type { AutoFollower, DiscoveredPeer } from './auto-follow.js';
import { isBeaconError, parseLegacyBeacon } from './beacon.js';
import { DiscoveryGate } from './discovery-gate.js';
import { asSeenByAutoFollow, stagesLegacyBeacon } from './lan-dial-policy.js';
import type { LanDialer } from './lan-dialer.js';
import { type BeaconTarget, hostOfAddress, isLanAddress } from './lan-net.js';
import { type LegacyLan, startLegacyLan } from './legacy-lan.js';
import type { SsbServer } from './libraries.js';

/** New LAN keys acted on per minute (a real meeting brings a handful), and keys remembered. */
const NEW_LAN_KEYS_PER_MINUTE = 30;
const TRACKED_LAN_KEYS = 256;

export interface LanDiscoveryOptions {
  /** ssb-lan's signed beacons on UDP 26830. */
  verified?: boolean;
  /** Plaintext `net:IP:PORT~shs:KEY` beacons on UDP 8008 (ssb-server 16, go-ssb). */
  legacy?: boolean;
  /** Tests only: another UDP port for legacy beacons, and where to send them. */
  legacyUdpPort?: number;
  legacyTargets?: () => BeaconTarget[];
  intervalMs?: number;
}

export interface LanDiscovery {
  legacyLan: LegacyLan | null;
  close(): Promise<void>;
}

export async function startLanDiscovery(options: {
  ssb: SsbServer;
  lan: LanDiscoveryOptions;
  tcpPort: number;
  listenHost: string | null;
  dialer: LanDialer;
  follower: AutoFollower;
  logger: LogSink;
  now?: () => number;
}): Promise<LanDiscovery> {
  const { ssb, lan, dialer, follower, logger } = options;
  const now = options.now ?? Date.now;
  const drains: Array<pull.Drain<unknown>> = [];
  const drain = <T>(source: pull.Source<T>, op: (data: T) => void) => {
    const sink = pull.drain<T>((data) => {
      op(data);
    });
    drains.push(sink as pull.Drain<unknown>);
    pull(source, sink);
  };

  const consider = (peer: DiscoveredPeer) => {
    dialer.dialDiscovered(peer);
    void follower.consider(asSeenByAutoFollow(peer, dialer.connectedKeys().has(peer.key)));
  };

  // Beacons from keys nobody has proven go through the gate (see discovery-gate.ts).
  const gate = new DiscoveryGate({ newKeysPerMinute: NEW_LAN_KEYS_PER_MINUTE, tracked: TRACKED_LAN_KEYS }, now());
  const gateLog = new ThrottledLog(logger);
  const forget = (keys: string[]) => {
    if (keys.length === 0) return;
    const gone = new Set(keys);
    for (const [address, data] of ssb.conn.query().peersConnectable('staging')) {
      if (data.key !== undefined && gone.has(data.key)) ssb.conn.unstage(address);
    }
  };
  const admitBeacon = (key: string): boolean => {
    const { admitted, evicted } = gate.admit(key, now());
    forget(evicted);
    if (!admitted) {
      gateLog.log('warn', 'gate', 'LAN discovery: ignoring beacons from too many new keys', {
        perMinute: NEW_LAN_KEYS_PER_MINUTE,
      });
    }
    return admitted;
  };

  drain(ssb.conn.hub().listen(), (event) => {
    if (event.type !== 'connected' || event.key === undefined) return;
    // ssb-conn matches staged peers by address, and an inbound connection arrives from another port:
    // unstage the peer's listening address, or the scheduler dials it again and makes a duplicate.
    for (const [address, data] of ssb.conn.query().peersConnectable('staging')) {
      if (data.key === event.key && address !== event.address) ssb.conn.unstage(address);
    }
    // A completed secret handshake from a LAN address is the strongest proof of a key there is.
    const host = hostOfAddress(event.address);
    if (host === null || !isLanAddress(host)) return;
    forget(gate.trust(event.key, now()));
    consider({ key: event.key, verified: true, source: 'connection', address: event.address });
  });

  if (ssb.lan) {
    drain(ssb.lan.discoveredPeers(), ({ address, verified }) => {
      const parsed = parseLegacyBeacon(address);
      if (isBeaconError(parsed) || !admitBeacon(parsed.key)) return;
      consider({ key: parsed.key, verified, source: 'lan', address: parsed.address });
    });
  }

  let legacyLan: LegacyLan | null = null;
  if (lan.legacy) {
    legacyLan = await startLegacyLan({
      self: ssb.id,
      tcpPort: options.tcpPort,
      listenHost: options.listenHost,
      ...(lan.legacyUdpPort !== undefined ? { udpPort: lan.legacyUdpPort } : {}),
      ...(lan.legacyTargets !== undefined ? { targets: lan.legacyTargets } : {}),
      ...(lan.intervalMs !== undefined ? { intervalMs: lan.intervalMs } : {}),
      logger,
      onBeacon: (beacon) => {
        if (!admitBeacon(beacon.key)) return;
        // Staged like ssb-lan's finds, so ssb-conn dials it once it is within our hops (and peers() shows it);
        // not while we are connected to its key (see stagesLegacyBeacon).
        dialer.onOurTurn(beacon.key, () => {
          if (!stagesLegacyBeacon(beacon.key, dialer.connectedKeys())) return;
          try {
            ssb.conn.stage(beacon.address, { type: 'lan', key: beacon.key, verified: false });
          } catch (error) {
            logger.log('debug', 'could not stage legacy peer', { address: beacon.address, error: String(error) });
          }
        });
        consider({ key: beacon.key, verified: false, source: 'legacy-lan', address: beacon.address });
      },
    });
  }

  return {
    legacyLan,
    async close() {
      await legacyLan?.close();
      for (const sink of drains) sink.abort();
    },
  };
}
