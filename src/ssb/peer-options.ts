// What startSsbPeer is given, and the same options checked and with their defaults filled in, before anything
// starts: a bad option is a clear error, not a peer that half starts.
import type { LogSink as PeerLogger } from '../log/logger.js';
import type { FeedPruningPolicy } from '../storage/feed-pruning.js';
import { type AutoFollowPolicy, DEFAULT_AUTO_FOLLOW_POLICY, isFeedId } from './auto-follow.js';
import type { FeedPrunerSchedule } from './feed-pruner.js';
import type { LanDiscoveryOptions } from './lan-discovery.js';
import { isWildcardHost } from './lan-net.js';

export interface SsbPeerOptions {
  /** Holds the secret, the database, blobs and auto-follow's memory. */
  dataDir: string;
  /** `0.0.0.0` or `::` listens everywhere and announces the LAN address of each network. */
  host: string;
  port: number;
  autoFollow: boolean | Partial<AutoFollowPolicy>;
  lanDiscovery: boolean | LanDiscoveryOptions;
  /** Replicate feeds this many follows away; 2 is "follow of a follow". */
  hops?: number;
  logger: PeerLogger;
  /** Largest blob (bytes) we store or fetch; 5 MiB by default, as ssb-blobs. */
  blobsMaxBytes?: number;
  /** Network identity; the main SSB network unless testing. */
  caps?: { shs: string; sign?: string };
  /** Bytes of the card kept free (storage/budget.ts); a default from the file system's size. */
  reserveBytes?: number | undefined;
  /** The directory whose size the storage report shows (the device's data directory). */
  storageReportDir?: string;
  /** When the blob store is checked after start (blob-guard.ts); later than the first connections by default. */
  blobCheckDelayMs?: number;
  /** Blocked and unfollowed feeds leaving the database (feed-pruner.ts); defaults for a device. */
  feedPruning?: {
    policy?: Partial<FeedPruningPolicy>;
    schedule?: Partial<FeedPrunerSchedule>;
    /** No message arrived or was published for this long: a quiet moment to compact. */
    quietMs?: number;
  };
}

export const DEFAULT_BLOBS_MAX = 5 * 1024 * 1024;

export type LanSettings = Required<Pick<LanDiscoveryOptions, 'verified' | 'legacy'>> & LanDiscoveryOptions;

export interface PeerSettings {
  hops: number;
  lan: LanSettings;
  blobsMaxBytes: number;
  policy: AutoFollowPolicy;
  /** Listening everywhere (`0.0.0.0`, `::`): each network's address is announced. */
  wildcard: boolean;
  /** The address to listen on; undefined for everywhere. */
  listenHost: string | undefined;
}

function lanSettings(option: boolean | LanDiscoveryOptions): LanSettings {
  if (typeof option === 'boolean') return { verified: option, legacy: option };
  return { ...option, verified: option.verified ?? true, legacy: option.legacy ?? true };
}

function autoFollowPolicy(option: boolean | Partial<AutoFollowPolicy>): AutoFollowPolicy {
  if (typeof option === 'boolean') return { ...DEFAULT_AUTO_FOLLOW_POLICY, enabled: option };
  const policy = { ...DEFAULT_AUTO_FOLLOW_POLICY, ...option };
  for (const id of [...policy.allow, ...policy.deny]) {
    if (!isFeedId(id)) throw new Error(`auto-follow allow/deny entry is not a feed id: ${id}`);
  }
  return policy;
}

/** The options checked, defaults filled in; throws a clear error on a bad one. */
export function peerSettings(
  options: Pick<SsbPeerOptions, 'hops' | 'port' | 'host' | 'lanDiscovery' | 'blobsMaxBytes' | 'autoFollow'>,
): PeerSettings {
  const hops = options.hops ?? 2;
  // ssb-friends reads `hops || 3`, so 0 would silently mean 3.
  if (!Number.isInteger(hops) || hops < 1) throw new Error(`hops must be an integer >= 1, got ${hops}`);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new Error(`port must be 1..65535, got ${options.port}`);
  }
  const lan = lanSettings(options.lanDiscovery);
  const blobsMaxBytes = options.blobsMaxBytes ?? DEFAULT_BLOBS_MAX;
  const policy = autoFollowPolicy(options.autoFollow);
  const wildcard = isWildcardHost(options.host);
  return { hops, lan, blobsMaxBytes, policy, wildcard, listenHost: wildcard ? undefined : options.host };
}
