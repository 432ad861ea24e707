// The embedded Secure Scuttlebutt peer, assembled: one secret-stack 6 server with the plugin set Manyverse
// shipped (libraries.ts), patched where the libraries needed it (patches/), plus what Smallworld adds around
// it, each in its own file: LAN discovery and dialling (lan-discovery.ts, lan-dialer.ts, lan-dial-policy.ts),
// auto-follow, replication watching (replication-watch.ts), photos wanted from posts (blob-wants.ts), and
// the local API handle the rest of Smallworld uses (peer-handle.ts, peer-api.ts).
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type pull from 'pull-stream';
import type SecretStack from 'secret-stack';
import type { LogSink as PeerLogger } from '../log/logger.js';
import type { FeedPruningPolicy } from '../storage/feed-pruning.js';
import { removeStaleTempFiles } from '../store/atomic-file.js';
import {
  AutoFollower,
  type AutoFollowPolicy,
  DEFAULT_AUTO_FOLLOW_POLICY,
  isFeedId,
  loadPolicyOverride,
  withPolicyChange,
} from './auto-follow.js';
import { ensureBlobDirectories } from './blob-directories.js';
import { BlobEvictor } from './blob-eviction.js';
import { BlobGuard, guardBlobReads } from './blob-guard.js';
import { BlobWants, mentionedBlobs } from './blob-wants.js';
import { CollectAfterBurst, exposedGc } from './collect-after-burst.js';
import { logConnections } from './connection-log.js';
import { watchDuplicateConnections } from './duplicate-connections.js';
import { FeedPruner, type FeedPrunerSchedule } from './feed-pruner.js';
import { FollowGraph } from './follow-graph.js';
import { inboundGate, LogBacklog } from './inbound-gate.js';
import { loadOrCreateKeys } from './keys.js';
import { LanDialer } from './lan-dialer.js';
import { type LanDiscoveryOptions, startLanDiscovery } from './lan-discovery.js';
import { isWildcardHost } from './lan-net.js';
import {
  isServer,
  loadMainNetworkCaps,
  loadSsbLibraries,
  type SsbLibraries,
  type SsbServer,
  ssbLanBroadcastDestination,
} from './libraries.js';
import { watchLostNetworks } from './lost-networks.js';
import { boardMemoryBytes, PressureCollector, softLimitFor } from './memory-pressure.js';
import { MentionIndex } from './mention-index.js';
import { useModulePathsOnce } from './module-paths.js';
import { checkNativeCrypto, type NativeCryptoReport } from './native-crypto.js';
import { classicValidator } from './patches/classic-validate-batch.js';
import { logPatches, patchLibraries, patchServer } from './patches/index.js';
import type { SsbPeer } from './peer-api.js';
import { peerHandle } from './peer-handle.js';
import { PeerStorage } from './peer-storage.js';
import { ReplicationWatch } from './replication-watch.js';

export type { LanDiscoveryOptions } from './lan-discovery.js';
export { ssbLanBroadcastDestination } from './libraries.js';
export type { PeerInfo, PublishedMessage, Relationships, SsbPeer, StoredMessage } from './peer-api.js';

/** Blobs mentioned in friends' posts that we ask ssb-blobs for at once; more wait their turn. */
const MAX_BLOB_WANTS = 256;
const DEFAULT_BLOBS_MAX = 5 * 1024 * 1024;

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

/** A moment with no message arriving or published for this long is quiet enough to compact the log. */
const QUIET_FOR_COMPACTION_MS = 60_000;

/** secret-stack reports "listening" even when the port was taken, so find out before starting. */
function assertPortFree(host: string | undefined, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(new Error(`cannot listen on ${host ?? '*'}:${port}: ${error.message}`)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function normalizeLan(
  option: boolean | LanDiscoveryOptions,
): Required<Pick<LanDiscoveryOptions, 'verified' | 'legacy'>> & LanDiscoveryOptions {
  if (typeof option === 'boolean') return { verified: option, legacy: option };
  return { ...option, verified: option.verified ?? true, legacy: option.legacy ?? true };
}

function normalizePolicy(option: boolean | Partial<AutoFollowPolicy>): AutoFollowPolicy {
  if (typeof option === 'boolean') return { ...DEFAULT_AUTO_FOLLOW_POLICY, enabled: option };
  const policy = { ...DEFAULT_AUTO_FOLLOW_POLICY, ...option };
  for (const id of [...policy.allow, ...policy.deny]) {
    if (!isFeedId(id)) throw new Error(`auto-follow allow/deny entry is not a feed id: ${id}`);
  }
  return policy;
}

function logNativeCrypto(logger: PeerLogger, report: NativeCryptoReport): void {
  if (report.native) {
    logger.log('info', 'native crypto loaded', {
      sodiumNative: report.sodiumNative,
      verifiesPerSecond: report.verifiesPerSecond,
    });
    return;
  }
  logger.log('error', 'NATIVE CRYPTO NOT LOADED: SSB is using pure-JS crypto and will be very slow', {
    chloride: report.chloride,
    sodiumNative: report.sodiumNative,
    verifiesPerSecond: report.verifiesPerSecond,
    hint: 'sodium-native has no prebuild for this platform (e.g. 32-bit ARM); build it or use another Node/arch',
  });
}

/** Patches the libraries (once per process), then loads them; says why when they do not load. */
async function patchAndLoad(logger: PeerLogger, nativeCrypto: NativeCryptoReport) {
  try {
    const patched = patchLibraries(logger);
    return { patched, libs: await loadSsbLibraries() };
  } catch (error) {
    logger.log('error', 'cannot load the SSB libraries', {
      error: String(error).split('\n')[0],
      sodiumNative: nativeCrypto.sodiumNative,
    });
    throw new Error(
      nativeCrypto.sodiumNative.loaded
        ? `cannot load the SSB libraries: ${String(error)}`
        : `cannot load the SSB libraries: sodium-native does not load (${nativeCrypto.sodiumNative.error})`,
    );
  }
}

function assemble(
  libs: SsbLibraries,
  config: {
    dataDir: string;
    keys: Awaited<ReturnType<typeof loadOrCreateKeys>>;
    caps: { shs: string; sign?: string };
    hops: number;
    port: number;
  },
  options: { lanVerified: boolean; listenHost: string | undefined; blobsMaxBytes: number },
): SsbServer {
  const { SecretStack, plugins } = libs;
  const scope = ['device', 'local', 'private'];
  let app = SecretStack({ caps: { shs: config.caps.shs } })
    .use(plugins.db2)
    .use(plugins.compatDb)
    .use(plugins.compatEbt)
    .use(plugins.friends)
    .use(plugins.ebt)
    .use(plugins.scheduler)
    .use(plugins.conn);
  // ssb-conn's scheduler starts ssb-lan when the plugin is present.
  if (options.lanVerified) app = app.use(plugins.lan);
  app = app.use(plugins.blobs);
  const { listenHost } = options;
  const created = app({
    path: config.dataDir,
    keys: config.keys,
    caps: config.caps,
    friends: { hops: config.hops, hookAuth: true },
    // publish and addBlob answer only once the data is fsynced (durable.ts); the log's default 250 ms
    // write delay would make every acknowledged post wait that long.
    db2: { writeTimeout: 50 },
    // Our own legacy beacon replaces ssb-lan's (see legacy-lan.ts).
    lan: { legacy: false },
    conn: { autostart: true, populatePubs: false },
    // It batches its requests to ssb-ebt after 150 ms of calm by default: that wait is part of "meet to
    // synced" (a follow's first messages), and 20 ms still batches a whole follow graph loaded at start.
    replicationScheduler: { autostart: true, partialReplication: null, debouncePeriod: 20 },
    // ssb-blobs refuses sizes >= max; our option is the largest size accepted.
    blobs: { max: options.blobsMaxBytes + 1 },
    // With no `timers` secret-stack drops connections idle for 5 s; a Pi also needs time for SHS.
    timers: { handshake: 15_000, inactivity: 600_000 },
    connections: {
      incoming: {
        net: [{ scope, port: config.port, transform: 'shs', ...(listenHost ? { host: listenHost } : {}) }],
      },
      outgoing: { net: [{ transform: 'shs' }] },
    },
  });
  if (!isServer(created)) throw new Error('secret-stack did not assemble the expected SSB server');
  return created;
}

export async function startSsbPeer(options: SsbPeerOptions): Promise<SsbPeer> {
  const { logger, dataDir } = options;
  const hops = options.hops ?? 2;
  // ssb-friends reads `hops || 3`, so 0 would silently mean 3.
  if (!Number.isInteger(hops) || hops < 1) throw new Error(`hops must be an integer >= 1, got ${hops}`);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new Error(`port must be 1..65535, got ${options.port}`);
  }
  const lan = normalizeLan(options.lanDiscovery);
  const blobsMaxBytes = options.blobsMaxBytes ?? DEFAULT_BLOBS_MAX;
  const policy = normalizePolicy(options.autoFollow);

  // Where each library module is, from the build (module-paths.ts): before anything below requires one.
  const modulePaths = useModulePathsOnce();
  const nativeCrypto = checkNativeCrypto();
  logNativeCrypto(logger, nativeCrypto);
  const { patched, libs } = await patchAndLoad(logger, nativeCrypto);
  logger.log(
    'info',
    'library modules loaded',
    modulePaths.use
      ? { pathsFromBuild: modulePaths.entries, answered: modulePaths.use.hits, askedNode: modulePaths.use.misses }
      : { pathsFromBuild: 0, why: modulePaths.why },
  );

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Our own small JSON files (follow state, policy, photo wants) are written atomically; a power cut mid-write
  // leaves only a temporary file, which goes now.
  const stale = await removeStaleTempFiles(dataDir);
  if (stale.length > 0) logger.log('info', 'removed temporary files of interrupted writes', { files: stale });
  // Every blob directory made now, while there is space, not when a photo arrives on a full card.
  void ensureBlobDirectories(dataDir).then(({ failed, error }) => {
    if (failed > 0)
      logger.log('warn', 'cannot create the blob directories; trying again at next start', { failed, error });
  });
  const keys = await loadOrCreateKeys(join(dataDir, 'secret'), logger);
  const caps = options.caps ?? loadMainNetworkCaps();
  const wildcard = isWildcardHost(options.host);
  const listenHost = wildcard ? undefined : options.host;
  await assertPortFree(listenHost, options.port);

  const ssb = assemble(
    libs,
    { dataDir, keys, caps, hops, port: options.port },
    { lanVerified: lan.verified, listenHost, blobsMaxBytes },
  );
  logPatches(logger, [...patched, ...patchServer({ ssb, logger, port: options.port, wildcard })]);
  // The signature worker loads in ~0.1 s on an idle board but took 0.7 s once a transfer had the cores busy,
  // and until it is ready the event loop checks signatures itself (3,400 of 20,000 in the benchmark): start
  // loading it while the connection sets up. Not for our own clients (same key): they replicate nothing.
  ssb.on('rpc:connect', (rpc) => {
    if (rpc.id !== ssb.id) classicValidator()?.warm();
  });

  await new Promise<void>((resolve) => {
    ssb.once('multiserver:listening', resolve);
  });
  logger.log('info', 'ssb peer listening', { id: ssb.id, address: ssb.getAddress('device'), hops });
  if (lan.verified) {
    logger.log('info', 'ssb-lan signed beacons', {
      udpPort: 26830,
      broadcastTo: ssbLanBroadcastDestination(),
      announces: ssb.getAddress('private') ?? ssb.getAddress('local'),
    });
  }

  const graph = new FollowGraph(ssb);
  const dialer = new LanDialer({ ssb, hopsOf: (feed) => graph.hops.get(feed), logger });
  const policyPath = join(dataDir, 'auto-follow-policy.json');
  const storedPolicy = await loadPolicyOverride(policyPath, logger);
  const follower = await AutoFollower.open({
    self: ssb.id,
    policy: storedPolicy === null ? policy : withPolicyChange(policy, storedPolicy),
    statePath: join(dataDir, 'auto-follow.json'),
    publishFollow: (id) =>
      new Promise<void>((resolve, reject) => ssb.friends.follow(id, {}, (err) => (err ? reject(err) : resolve()))),
    probe: (peer) => dialer.probe(peer),
    logger,
  });
  graph.onOwnEdges((edges) => follower.setOwnEdges(edges));
  const duplicates = watchDuplicateConnections({
    self: ssb.id,
    onRpcConnect(listener) {
      ssb.on('rpc:connect', listener);
      return () => ssb.removeListener('rpc:connect', listener);
    },
    dial(address) {
      ssb.conn.connect(address, {}, (err) => {
        if (err) logger.log('info', 'redial after duplicate connection failed', { address, error: err.message });
      });
    },
    peerWillRedial: (key) => dialer.holdOff(key),
    logger,
  });
  const onRpcConnect = (listener: (rpc: SecretStack.Rpc, isClient: boolean) => void) => {
    ssb.on('rpc:connect', listener);
    return () => ssb.removeListener('rpc:connect', listener);
  };
  const unlogConnections = logConnections({ self: ssb.id, onRpcConnect, logger });
  const lostNetworks = watchLostNetworks({ ssb, logger });
  const discovery = await startLanDiscovery({
    ssb,
    lan,
    tcpPort: options.port,
    listenHost: listenHost ?? null,
    dialer,
    follower,
    logger,
  });

  // Pending photo wants are remembered across restarts (blob-wants.ts).
  const blobWants = new BlobWants({
    file: join(dataDir, 'blob-wants.json'),
    want: (id, cb) => ssb.blobs.want(id, cb),
    logger,
    active: MAX_BLOB_WANTS,
  });
  const resumed = await blobWants.load();
  if (resumed > 0) logger.log('info', 'asking again for photos still missing', { blobs: resumed });
  // Damaged blob files are never served and are fetched again: checked when read, and all of them after start.
  const guard = new BlobGuard({ ssbDir: dataDir, logger, wantAgain: (id) => blobWants.add(id), scanPauseMs: 5 });
  guardBlobReads(ssb.blobs, guard);
  const blobCheck = setTimeout(() => {
    const started = Date.now();
    void guard.scan().then(
      ({ checked, trusted, damaged }) =>
        logger.log(damaged.length > 0 ? 'warn' : 'info', 'blob store checked', {
          checked,
          trusted,
          damaged: damaged.length,
          ms: Date.now() - started,
        }),
      (error: Error) => logger.log('warn', 'cannot check the blob store', { error: error.message }),
    );
  }, options.blobCheckDelayMs ?? 3000);
  blobCheck.unref();
  const replication = new ReplicationWatch(ssb, graph.hops, hops, logger);
  const collector = new CollectAfterBurst(exposedGc());
  // Garbage of a long transfer collected before it outgrows the board (memory-pressure.ts).
  const pressure = new PressureCollector(exposedGc(), { softLimitBytes: softLimitFor(boardMemoryBytes()) });
  pressure.start();
  // Peers are read from only while the log keeps up with writing what they sent (inbound-gate.ts).
  const log = ssb.db.getLog();
  const backlog = new LogBacklog(inboundGate, (cb) => log.onDrain(cb));
  // Who mentioned which photo, for eviction (mention-index.ts).
  const { where, type, batch, toPullStream } = libs.operators;
  const mentions = new MentionIndex(
    () => ssb.db.query(where(type('post')), batch(256), toPullStream()) as pull.Source<unknown>,
  );
  let lastAddedAt = Date.now();
  const unsubscribeAdded = ssb.db.onMsgAdded(({ kvt }) => {
    lastAddedAt = Date.now();
    mentions.added(kvt.value);
    collector.added();
    backlog.stored1();
    if (kvt.value.author === ssb.id) return;
    replication.foreignAppended();
    for (const id of mentionedBlobs(kvt.value.content, blobsMaxBytes)) blobWants.add(id);
  });

  // The storage budget (peer-storage.ts): photos and posts refused with "the device's storage is full"
  // before the card is, photos from friends paused at the reserve.
  const evictor = new BlobEvictor({
    ssb,
    mentions,
    ssbDir: dataDir,
    hopsOf: (feed) => graph.hops.get(feed),
    logger,
  });
  const storage = new PeerStorage({
    ssbDir: dataDir,
    reportDir: options.storageReportDir ?? dataDir,
    blobsDir: join(dataDir, 'blobs'),
    reserveBytes: options.reserveBytes,
    logger,
    evict: (bytes) => evictor.evict(bytes),
  });
  await storage.start();
  const quietMs = options.feedPruning?.quietMs ?? QUIET_FOR_COMPACTION_MS;
  const pruner = new FeedPruner({
    ssb,
    dataDir,
    hopsOf: (feed) => graph.hops.get(feed),
    storageState: () => storage.state,
    logger,
    policy: options.feedPruning?.policy ?? {},
    quiet: () => Date.now() - lastAddedAt >= quietMs,
    onReclaimed: () => {
      mentions.reset();
      storage.reclaimed();
    },
  });
  pruner.start(options.feedPruning?.schedule);
  storage.onPhotosResumed(() => {
    const asked = blobWants.retry();
    if (asked > 0) logger.log('info', 'space is back: asking friends again for the photos still missing', { asked });
  });

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      storage.stop();
      await pruner.stop();
      clearTimeout(blobCheck);
      await guard.stop();
      replication.stop();
      unsubscribeAdded();
      collector.stop();
      pressure.stop();
      backlog.stop();
      dialer.stop();
      await blobWants.close();
      duplicates.stop();
      lostNetworks.stop();
      unlogConnections();
      await follower.close();
      await discovery.close();
      graph.close();
      await new Promise<void>((resolve) => {
        ssb.close(true, (err) => {
          if (err) logger.log('warn', 'ssb close reported an error', { error: err.message });
          resolve();
        });
      });
      logger.log('info', 'ssb peer closed', { id: ssb.id });
    })();
    return closing;
  };

  return peerHandle({
    ssb,
    logger,
    operators: libs.operators,
    dataDir,
    blobsMaxBytes,
    nativeCrypto,
    follower,
    policyPath,
    replication,
    legacyLan: discovery.legacyLan,
    storage,
    close,
  });
}
