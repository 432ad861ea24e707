// The embedded Secure Scuttlebutt peer: one secret-stack 6 server with the plugin set Manyverse shipped
// (ssb-db2, ssb-ebt, ssb-friends, ssb-replication-scheduler, ssb-conn, ssb-lan, ssb-blobs), plus what
// Smallworld adds around it: the legacy plaintext beacon both ways, auto-follow, replication progress and a
// loud check that native crypto is in use. The handle it returns is the only thing the rest of Smallworld
// (control API, CLI, LEDs) needs to know about SSB.
//
// Why secret-stack 6.4 and not 8: from 8.0 a plugin only sees `config[name]` and `config.global`, while
// these plugins read top-level `path`, `keys`, `caps` and `friends.hops`.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import pull from 'pull-stream';
import type SecretStack from 'secret-stack';
import type ssbBlobs from 'ssb-blobs';
import type ssbConn from 'ssb-conn';
import type ssbDb2 from 'ssb-db2';
import type ssbEbt from 'ssb-ebt';
import type ssbFriends from 'ssb-friends';
import type ssbLan from 'ssb-lan';
import type { LogSink as PeerLogger } from '../log/logger.js';
import { ThrottledLog } from '../log/throttled.js';
import { removeStaleTempFiles } from '../store/atomic-file.js';
import { type AboutMessage, type Profile, profilesFromAbouts } from './about.js';
import { AppendQueue, RejectionLog } from './append-queue.js';
import {
  AutoFollower,
  type AutoFollowPolicy,
  type AutoFollowPolicyChange,
  type AutoFollowRecord,
  DEFAULT_AUTO_FOLLOW_POLICY,
  type DiscoveredPeer,
  isFeedId,
  loadPolicyOverride,
  savePolicyOverride,
  withPolicyChange,
} from './auto-follow.js';
import { isBeaconError, parseLegacyBeacon } from './beacon.js';
import { BlobWants } from './blob-wants.js';
import { skipBufferDeprecationChecks } from './buffer-deprecation.js';
import { type ClassicMsg, ClassicValidator, type ValidateBatch } from './classic-validation.js';
import { CollectAfterBurst, exposedGc } from './collect-after-burst.js';
import { DiscoveryGate } from './discovery-gate.js';
import { watchDuplicateConnections } from './duplicate-connections.js';
import { syncBlob } from './durable.js';
import { inboundGate, LogBacklog } from './inbound-gate.js';
import { loadOrCreateKeys } from './keys.js';
import { type BeaconTarget, hostOfAddress, isLanAddress, isWildcardHost, legacyBeaconTargets } from './lan-net.js';
import { type LegacyLan, type LegacyLanStats, startLegacyLan } from './legacy-lan.js';
import { fixLibraryMemory, rememberMsgId } from './library-fixes.js';
import { boardMemoryBytes, PressureCollector, softLimitFor } from './memory-pressure.js';
import { checkNativeCrypto, type NativeCryptoReport } from './native-crypto.js';
import { computeProgress, type FeedClocks, type ReplicationProgress, StallWatch } from './progress.js';
import { BLOB_ID } from './protocol.js';
import { collect, fromAsyncIterable } from './pull.js';
import { db2RunSource, decodeStoredRecord, ReadAhead, type StoredRecord } from './read-ahead.js';
import { createVerifier, InlineVerifier, loadChloride } from './verifier.js';

/** The server as assembled below: secret-stack's core plus the plugin APIs we call. */
type SsbServer = SecretStack.Server & {
  db: ssbDb2.Api;
  friends: ssbFriends.Api;
  ebt: ssbEbt.Api;
  conn: ssbConn.Api;
  blobs: ssbBlobs.Api;
  lan?: ssbLan.Api;
  /** ssb-db2's compat/ebt: how ssb-ebt reads a feed's message at a sequence to send it. */
  getAtSequenceNativeMsg?: SecretStack.Hookable<
    (key: [string, number], feedFormat: string, cb: (err: Error | null, msg?: unknown) => void) => void
  >;
};

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
}

export interface PeerInfo {
  address: string;
  key: string | null;
  state: 'connected' | 'connecting' | 'disconnecting' | 'discovered';
  /** How a discovered peer was found (`lan` for both beacon kinds), if known. */
  type?: string;
  verified?: boolean;
}

export interface PublishedMessage {
  key: string;
  sequence: number;
}

/** Our own edges in the follow graph, and who follows us (as far as the feeds we hold tell). */
export interface Relationships {
  following: string[];
  followers: string[];
  blocked: string[];
}

/** A message as held in the database (public ones only: content is an object). */
export interface StoredMessage {
  key: string;
  author: string;
  sequence: number;
  /** The author's claimed time of writing (ms). */
  timestamp: number;
  /** When it arrived here (ms). */
  received: number;
  content: { type: string; [field: string]: unknown };
}

/** A database record as a StoredMessage, or nothing when its content is not a public object with a type. */
function storedMessage(msg: ssbDb2.Msg): StoredMessage[] {
  const content = msg.value.content as { type?: unknown } | null;
  if (typeof content !== 'object' || content === null || typeof content.type !== 'string') return [];
  return [
    {
      key: msg.key,
      author: msg.value.author,
      sequence: msg.value.sequence,
      timestamp: msg.value.timestamp,
      received: msg.timestamp,
      content: content as StoredMessage['content'],
    },
  ];
}

export interface SsbPeer {
  id: string;
  nativeCrypto: NativeCryptoReport;
  whoami(): { id: string };
  /** Our dialable address, `net:HOST:PORT~shs:KEY`. */
  address(): string;
  publish(content: { type: string; [field: string]: unknown }): Promise<PublishedMessage>;
  follow(id: string): Promise<void>;
  unfollow(id: string): Promise<void>;
  block(id: string): Promise<void>;
  unblock(id: string): Promise<void>;
  /** Every feed held, with its latest sequence. */
  feeds(): Promise<Array<{ id: string; sequence: number }>>;
  peers(): PeerInfo[];
  /** Dials a multiserver address through ssb-conn; resolves with the peer's id once SHS completed. */
  connect(address: string): Promise<string>;
  addBlob(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<string>;
  /** The blob's bytes, asking connected peers for it if we lack it (rejects after timeoutMs). */
  getBlob(id: string, options?: { timeoutMs?: number }): Promise<Buffer>;
  hasBlob(id: string): Promise<boolean>;
  replicationProgress(): ReplicationProgress;
  /** Called with true when replication starts and false when it has been idle for a moment. */
  onReplicationChange(listener: (replicating: boolean) => void): () => void;
  autoFollowDecisions(): AutoFollowRecord[];
  autoFollowPolicy(): AutoFollowPolicy;
  /** Changes the switch and the allow/deny lists at run time, and remembers them across restarts. */
  setAutoFollowPolicy(change: AutoFollowPolicyChange): Promise<AutoFollowPolicy>;
  /** The largest blob (bytes) this peer stores. */
  blobsMaxBytes: number;
  relationships(): Promise<Relationships>;
  /** The newest public messages held, newest first. */
  recentMessages(limit: number): Promise<StoredMessage[]>;
  /**
   * Up to `limit` public posts whose jitdb timestamp index (the smaller of arrival and claimed time) lies in
   * [atOrAfter, atOrBefore] (null: open), newest first; posts of the same millisecond come in no particular
   * order (src/web/guest/paging.ts gives them one).
   */
  postsBetween(range: { atOrBefore: number | null; atOrAfter: number | null; limit: number }): Promise<StoredMessage[]>;
  /** Each author's own name and picture, from their `about` messages. */
  profiles(): Promise<Map<string, Profile>>;
  legacyBeaconStats(): LegacyLanStats | null;
  close(): Promise<void>;
}

/** Blobs mentioned in friends' posts that we ask ssb-blobs for at once; more wait their turn. */
const MAX_BLOB_WANTS = 256;
/** New LAN keys acted on per minute (a real meeting brings a handful), and keys remembered. */
const NEW_LAN_KEYS_PER_MINUTE = 30;
const TRACKED_LAN_KEYS = 256;
const DEFAULT_BLOBS_MAX = 5 * 1024 * 1024;
/** After the last message from someone else, stay "replicating" this long (a steadier LED). */
const REPLICATION_IDLE_MS = 1000;
const PROGRESS_POLL_MS = 500;
/** No growth for this long while a connected peer offers more: ask again (see StallWatch). */
const STALL_MS = 8000;
const LAN_DIAL_COOLDOWN_MS = 10_000;
/** How long the peer with the larger id waits for the other to dial before it dials (see dialOnce). */
const DIAL_DEFER_MS = 600;

function loadMainNetworkCaps(): { shs: string } {
  // ssb-caps' entry point is a JSON file, which ESM can only import with an attribute; require it.
  // Its `sign` is null on the main network (messages are signed without an HMAC key), so leave it out.
  const caps: unknown = createRequire(import.meta.url)('ssb-caps');
  const { shs } = caps as { shs?: unknown };
  if (typeof shs !== 'string' || Buffer.from(shs, 'base64').length !== 32) throw new Error('ssb-caps has no shs cap');
  return { shs };
}

/**
 * Where ssb-lan 1.2 will send its signed beacons, computed with ssb-lan's own dependencies and logic: the
 * subnet broadcast of the first interface whose address `ip.isPrivate` accepts, or 255.255.255.255 if none.
 * IPv6 ULA and link-local addresses count as private there, and the IPv4 subnet of an IPv6 address comes
 * out as 0.0.0.0 — which Linux delivers to this host only. Logged at start because it decides whether
 * anyone else can hear us.
 */
export function ssbLanBroadcastDestination(): string {
  try {
    const req = createRequire(createRequire(import.meta.url).resolve('ssb-lan'));
    const ip = req('ip') as {
      isPrivate(a: string): boolean;
      subnet(a: string, m: string): { broadcastAddress: string };
    };
    const nonPrivateIp = req('non-private-ip') as (
      i: null,
      filter: (a: string) => boolean,
      details: true,
    ) => { address: string; netmask: string } | undefined;
    const details = nonPrivateIp(null, ip.isPrivate, true);
    return details ? ip.subnet(details.address, details.netmask).broadcastAddress : '255.255.255.255';
  } catch (error) {
    return `unknown (${String(error)})`;
  }
}

/**
 * The SSB libraries are imported only after the native crypto check: without a loadable sodium-native,
 * importing ssb-db2 throws (through sodium-universal) before any of our code could say why.
 */
async function loadSsbLibraries() {
  const [secretStack, db2, operators, compatDb, compatEbt, friends, ebt, scheduler, conn, lan, blobs] =
    await Promise.all([
      import('secret-stack'),
      import('ssb-db2'),
      import('ssb-db2/operators/index.js'),
      import('ssb-db2/compat/db.js'), // top-level publish/whoami/keys, which ssb-friends and ssb-lan call
      import('ssb-db2/compat/ebt.js'), // getVectorClock and friends, which ssb-ebt calls
      import('ssb-friends'),
      import('ssb-ebt'),
      import('ssb-replication-scheduler'),
      import('ssb-conn'),
      import('ssb-lan'),
      import('ssb-blobs'),
    ]);
  return {
    SecretStack: secretStack.default,
    operators: operators.default,
    plugins: {
      db2: db2.default,
      compatDb: compatDb.default,
      compatEbt: compatEbt.default,
      friends: friends.default,
      ebt: ebt.default,
      scheduler: scheduler.default,
      conn: conn.default,
      lan: lan.default,
      blobs: blobs.default,
    },
  };
}

function isServer(value: unknown): value is SsbServer {
  const s = value as Partial<Record<keyof SsbServer, unknown>> | null;
  const hasObject = (v: unknown, ...methods: string[]) =>
    typeof v === 'object' &&
    v !== null &&
    methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function');
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.id === 'string' &&
    typeof s.getAddress === 'function' &&
    typeof s.close === 'function' &&
    hasObject(s.db, 'publish', 'add', 'addBatch', 'onMsgAdded', 'getAllLatest', 'onDrain') &&
    hasObject(s.friends, 'follow', 'block', 'hopStream', 'graphStream') &&
    hasObject(s.ebt, 'peerStatus', 'request') &&
    hasObject(s.conn, 'connect', 'stage', 'query', 'hub') &&
    hasObject(s.blobs, 'add', 'get', 'has', 'want')
  );
}

let classicValidator: ClassicValidator | null = null;

/**
 * Puts classic-validation.ts in place of ssb-classic's validateBatch (what ssb-db2 calls for replicated
 * messages), once per process: the module is shared by every peer in it, and so is the (unref'd) worker.
 * Left as it is, with a warning, if ssb-classic is not the version this was written against.
 */
function validateClassicInBatches(logger: PeerLogger): ClassicValidator | null {
  if (classicValidator) return classicValidator;
  const fromDb2 = createRequire(createRequire(import.meta.url).resolve('ssb-db2'));
  const formatPath = fromDb2.resolve('ssb-classic/format.js');
  const fromClassic = createRequire(formatPath);
  const format = fromDb2(formatPath) as { validateBatch?: unknown };
  const version = (fromDb2('ssb-classic/package.json') as { version?: string }).version;
  if (version !== '1.1.0' || typeof format.validateBatch !== 'function') {
    logger.log('warn', 'replicated messages are validated by ssb-classic itself', { version });
    return null;
  }
  const ref = fromClassic('ssb-ref') as { isFeedId(value: unknown): boolean };
  const canonical = fromClassic('is-canonical-base64') as (prefix: string, suffix: string) => RegExp;
  const signatureRx = canonical('', '\\.sig.\\w+');
  const getMsgId = fromClassic('./get-msg-id.js') as (msg: ClassicMsg) => string;
  const chloridePath = createRequire(fromClassic.resolve('ssb-keys')).resolve('chloride');
  const verifier = createVerifier(chloridePath, logger);
  const validator = new ClassicValidator({
    isFeedId: (value) => ref.isFeedId(value),
    isSignature: (value) => signatureRx.test(value),
    getMsgId,
    rememberMsgId,
    verifier,
    inlineVerifier: new InlineVerifier(loadChloride(chloridePath)),
    fallback: format.validateBatch as ValidateBatch,
  });
  format.validateBatch = validator.validateBatch;
  classicValidator = validator;
  return validator;
}

/** Hooks ssb-ebt's reads of messages to send so they come in runs; null if ssb-db2 is not the one we know. */
function serveFeedsInRuns(ssb: SsbServer, logger: PeerLogger): ReadAhead<StoredRecord, unknown> | null {
  const getAt = ssb.getAtSequenceNativeMsg;
  const bipf = createRequire(createRequire(import.meta.url).resolve('ssb-db2'))('bipf');
  const source = typeof getAt?.hook === 'function' ? db2RunSource(ssb.db, bipf) : null;
  if (!getAt || !source) {
    logger.log('warn', 'messages are sent one lookup at a time: ssb-db2 internals not as expected');
    return null;
  }
  const readAhead = new ReadAhead(source, decodeStoredRecord(bipf));
  getAt.hook((original, args) => {
    const [key, feedFormat, cb] = args;
    const [feed, sequence] = Array.isArray(key) ? key : [];
    if (feedFormat !== 'classic' || typeof feed !== 'string' || !Number.isSafeInteger(sequence)) {
      return original(...args);
    }
    readAhead.get(feed, sequence as number, cb, () => original(...args));
  });
  return readAhead;
}

function callback<T = void>(run: (cb: (err: Error | null, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
}

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

  skipBufferDeprecationChecks();
  const nativeCrypto = checkNativeCrypto();
  if (nativeCrypto.native) {
    logger.log('info', 'native crypto loaded', {
      sodiumNative: nativeCrypto.sodiumNative,
      verifiesPerSecond: nativeCrypto.verifiesPerSecond,
    });
  } else {
    logger.log('error', 'NATIVE CRYPTO NOT LOADED: SSB is using pure-JS crypto and will be very slow', {
      chloride: nativeCrypto.chloride,
      sodiumNative: nativeCrypto.sodiumNative,
      verifiesPerSecond: nativeCrypto.verifiesPerSecond,
      hint: 'sodium-native has no prebuild for this platform (e.g. 32-bit ARM); build it or use another Node/arch',
    });
  }
  let libs: Awaited<ReturnType<typeof loadSsbLibraries>>;
  try {
    // Before the libraries load: memory they would keep as the database grows, and ssb-conn dropping every
    // connection when a network appears (library-fixes.ts).
    const fixes = fixLibraryMemory();
    if (Object.values(fixes).some((applied) => !applied))
      logger.log('warn', 'SSB library fixes not applied', { ...fixes });
    libs = await loadSsbLibraries();
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
  const { SecretStack, plugins, operators } = libs;

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Our own small JSON files (follow state, policy, photo wants) are written atomically; a power cut mid-write
  // leaves only a temporary file, which goes now.
  const stale = await removeStaleTempFiles(dataDir);
  if (stale.length > 0) logger.log('info', 'removed temporary files of interrupted writes', { files: stale });
  const keys = await loadOrCreateKeys(join(dataDir, 'secret'), logger);
  const caps = options.caps ?? loadMainNetworkCaps();
  const wildcard = isWildcardHost(options.host);
  const listenHost = wildcard ? undefined : options.host;
  await assertPortFree(listenHost, options.port);

  const scope = ['device', 'local', 'private'];
  let app = SecretStack({ caps: { shs: caps.shs } })
    .use(plugins.db2)
    .use(plugins.compatDb)
    .use(plugins.compatEbt)
    .use(plugins.friends)
    .use(plugins.ebt)
    .use(plugins.scheduler)
    .use(plugins.conn);
  // ssb-conn's scheduler starts ssb-lan when the plugin is present.
  if (lan.verified) app = app.use(plugins.lan);
  app = app.use(plugins.blobs);

  const created = app({
    path: dataDir,
    keys,
    caps,
    friends: { hops, hookAuth: true },
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
    blobs: { max: blobsMaxBytes + 1 },
    // With no `timers` secret-stack drops connections idle for 5 s; a Pi also needs time for SHS.
    timers: { handshake: 15_000, inactivity: 600_000 },
    connections: {
      incoming: {
        net: [{ scope, port: options.port, transform: 'shs', ...(listenHost ? { host: listenHost } : {}) }],
      },
      outgoing: { net: [{ transform: 'shs' }] },
    },
  });
  if (!isServer(created)) throw new Error('secret-stack did not assemble the expected SSB server');
  const ssb = created;

  // Listening everywhere, multiserver would announce whatever non-private-ip picks for "private" — on
  // hosts whose interfaces are not named eth*/en*/wl* that is often an IPv6 link-local address, useless
  // to others. Announce the first RFC 1918 address instead (ssb-lan's signed beacon uses this too).
  if (wildcard) {
    ssb.getAddress.hook((original, args) => {
      const [scopeArg] = args;
      if (scopeArg === 'private' || scopeArg === 'local') {
        const target = legacyBeaconTargets(networkInterfaces(), null)[0];
        if (target) return `net:${target.address}:${options.port}~shs:${ssb.id.slice(1, -'.ed25519'.length)}`;
      }
      return original(...args);
    });
  }

  // multiblob reads blobs in 64 KiB chunks through pull-file, which ends a file whose size is a multiple
  // of 64 KiB with an empty Buffer. Sent over muxrpc, that empty chunk becomes an empty box-stream frame,
  // i.e. the "goodbye" that closes the whole connection: the blob never arrives and replication with that
  // peer drops. Serve blobs without empty chunks (muxrpc calls the hooked function for remote requests).
  const withoutEmptyChunks = (source: pull.Source<Buffer>) =>
    pull(
      source,
      pull.filter((chunk: Buffer) => !Buffer.isBuffer(chunk) || chunk.length > 0),
    );
  ssb.blobs.get.hook((original, args) => withoutEmptyChunks(original(...args)));

  // What we receive: validated with one serialisation per message, signatures checked off the event loop.
  const validator = validateClassicInBatches(logger);
  // The signature worker loads in ~0.1 s on an idle board but took 0.7 s once a transfer had the cores busy,
  // and until it is ready the event loop checks signatures itself (3,400 of 20,000 in the benchmark): start
  // loading it while the connection sets up. Not for our own clients (same key): they replicate nothing.
  ssb.on('rpc:connect', (rpc) => {
    if (rpc.id !== ssb.id) validator?.warm();
  });

  // What we send: a feed's messages read in runs from the log (read-ahead.ts), not one index lookup each.
  serveFeedsInRuns(ssb, logger);

  // Replicated messages go through our queue (see append-queue.ts): valid prefixes of refused batches are
  // kept, nothing waits for ssb-db2's 250 ms throttle, and every refusal is logged without flooding.
  const rejections = new RejectionLog(logger);
  const appendQueue = new AppendQueue<ssbDb2.MsgValue, ssbDb2.Msg>(
    (msgs, opts, cb) => ssb.db.addBatch(msgs, opts, cb),
    (rejection) => rejections.record(rejection),
  );
  const addOne = ssb.db.add.bind(ssb.db);
  ssb.db.add = (msgVal: ssbDb2.MsgValue, ...args: unknown[]) => {
    const cb = args.at(-1);
    const classic =
      typeof msgVal === 'object' &&
      msgVal !== null &&
      typeof msgVal.author === 'string' &&
      Number.isInteger(msgVal.sequence);
    if (typeof cb !== 'function' || !classic) return addOne(msgVal, ...args);
    validator?.admit(msgVal);
    appendQueue.add(msgVal, cb as (err: Error | null, msg?: ssbDb2.Msg) => void);
  };

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

  const drains: Array<pull.Drain<unknown>> = [];
  const drain = <T>(source: pull.Source<T>, op: (data: T) => void) => {
    const sink = pull.drain<T>((data) => {
      op(data);
    });
    drains.push(sink as pull.Drain<unknown>);
    pull(source, sink);
  };

  // Follow graph, live: our own edges for auto-follow, and the hop distances for "feeds we want".
  const ownEdges = new Map<string, number>();
  const hopMap = new Map<string, number>();
  let autoFollower: AutoFollower | null = null;
  drain(ssb.friends.graphStream({ old: true, live: true }), (graph) => {
    const mine = graph[ssb.id];
    if (!mine) return;
    for (const [dest, value] of Object.entries(mine)) {
      if (typeof value === 'number') ownEdges.set(dest, value);
      else ownEdges.delete(dest);
    }
    autoFollower?.setOwnEdges(new Map(ownEdges));
  });
  drain(ssb.friends.hopStream({ old: true, live: true }), (update) => {
    for (const [feed, distance] of Object.entries(update)) hopMap.set(feed, distance);
  });

  const policyPath = join(dataDir, 'auto-follow-policy.json');
  const storedPolicy = await loadPolicyOverride(policyPath, logger);
  // Two devices that meet hear each other's beacons at the same moment and would dial each other at once: two
  // connections, which duplicate-connections.ts closes and redials (~1 s lost, seen in the meet benchmark).
  // The side with the smaller id dials at once; the other only if no connection has come up meanwhile.
  const dialOnce = (key: string, dial: () => void) => {
    if (ssb.id < key) {
      dial();
      return;
    }
    const timer = setTimeout(
      () => {
        if (!(ssb as { closed?: boolean }).closed && !connectedKeys().has(key)) dial();
      },
      DIAL_DEFER_MS + Math.floor(Math.random() * 200),
    );
    timer.unref();
  };
  autoFollower = await AutoFollower.open({
    self: ssb.id,
    policy: storedPolicy === null ? policy : withPolicyChange(policy, storedPolicy),
    statePath: join(dataDir, 'auto-follow.json'),
    publishFollow: async (id) => {
      await callback((cb) => ssb.friends.follow(id, {}, cb));
    },
    probe: (peer) => {
      if (connectedKeys().has(peer.key)) return;
      logger.log('info', 'auto-follow: verifying an unsigned beacon by connecting', {
        key: peer.key,
        address: peer.address,
      });
      dialOnce(peer.key, () =>
        ssb.conn.connect(peer.address, { type: 'lan', key: peer.key, verified: false }, (err) => {
          if (err) logger.log('info', 'auto-follow: could not verify peer', { key: peer.key, error: err.message });
        }),
      );
    },
    logger,
  });
  autoFollower.setOwnEdges(new Map(ownEdges));
  const follower = autoFollower;
  const connectedKeys = () => {
    const keys = new Set<string>();
    for (const [, data] of ssb.conn.hub().entries()) {
      if (data.key !== undefined && (data.state === 'connected' || data.state === 'connecting')) keys.add(data.key);
    }
    return keys;
  };
  // A device gossips with whoever it meets, as ssb-server's LAN gossip did in the report: common interest
  // needs a connection even between peers that do not follow each other (ssb-conn's own scheduler only
  // dials LAN peers within our hops). Blocked feeds are never dialled; each peer at most every 10 s.
  const lastDial = new Map<string, number>();
  const dialLanPeer = (peer: DiscoveredPeer) => {
    // Unsigned beacons are dialled only by auto-follow's verification probe, which reports a forged key.
    if (peer.address === undefined || peer.key === ssb.id || peer.source === 'connection' || !peer.verified) return;
    if ((hopMap.get(peer.key) ?? 0) < 0 || connectedKeys().has(peer.key)) return;
    const now = Date.now();
    if (now - (lastDial.get(peer.key) ?? 0) < LAN_DIAL_COOLDOWN_MS) return;
    lastDial.set(peer.key, now);
    const { address } = peer;
    dialOnce(peer.key, () =>
      ssb.conn.connect(address, { type: 'lan', key: peer.key, verified: peer.verified }, (err) => {
        if (err) logger.log('debug', 'could not dial LAN peer', { key: peer.key, error: err.message });
      }),
    );
  };
  const consider = (peer: DiscoveredPeer) => {
    dialLanPeer(peer);
    // A peer we are already connected to has proven its key by the handshake; and dialing it again to
    // verify it would only make a second connection.
    if (!peer.verified && connectedKeys().has(peer.key)) {
      void follower.consider({ ...peer, verified: true, source: 'connection' });
    } else {
      void follower.consider(peer);
    }
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
    forget(gate.trust(event.key, Date.now()));
    consider({ key: event.key, verified: true, source: 'connection', address: event.address });
  });

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
    logger,
  });

  // Beacons from keys nobody has proven go through the gate (see discovery-gate.ts).
  const gate = new DiscoveryGate({ newKeysPerMinute: NEW_LAN_KEYS_PER_MINUTE, tracked: TRACKED_LAN_KEYS }, Date.now());
  const gateLog = new ThrottledLog(logger);
  const forget = (keys: string[]) => {
    if (keys.length === 0) return;
    const gone = new Set(keys);
    for (const [address, data] of ssb.conn.query().peersConnectable('staging')) {
      if (data.key !== undefined && gone.has(data.key)) ssb.conn.unstage(address);
    }
  };
  const admitBeacon = (key: string): boolean => {
    const now = Date.now();
    const { admitted, evicted } = gate.admit(key, now);
    forget(evicted);
    if (!admitted) {
      gateLog.log('warn', 'gate', 'LAN discovery: ignoring beacons from too many new keys', {
        perMinute: NEW_LAN_KEYS_PER_MINUTE,
      });
    }
    return admitted;
  };

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
      tcpPort: options.port,
      listenHost: listenHost ?? null,
      ...(lan.legacyUdpPort !== undefined ? { udpPort: lan.legacyUdpPort } : {}),
      ...(lan.legacyTargets !== undefined ? { targets: lan.legacyTargets } : {}),
      ...(lan.intervalMs !== undefined ? { intervalMs: lan.intervalMs } : {}),
      logger,
      onBeacon: (beacon) => {
        if (!admitBeacon(beacon.key)) return;
        // Staged like ssb-lan's finds, so ssb-conn dials it once it is within our hops (and peers() shows it).
        try {
          ssb.conn.stage(beacon.address, { type: 'lan', key: beacon.key, verified: false });
        } catch (error) {
          logger.log('debug', 'could not stage legacy peer', { address: beacon.address, error: String(error) });
        }
        consider({ key: beacon.key, verified: false, source: 'legacy-lan', address: beacon.address });
      },
    });
  }

  // Replication progress: polled from ssb-ebt's peerStatus, plus a short hangover after the last message
  // from someone else so the LED does not flicker between batches.
  let lastForeignAppend = 0;
  // Photos travel with the posts that mention them: a device that stores a friend's post also fetches its
  // blobs, so it can hand them on to the next friend it meets (ssb-blobs alone only fetches on request).
  // Pending ones are remembered across restarts (blob-wants.ts).
  const blobWants = new BlobWants({
    file: join(dataDir, 'blob-wants.json'),
    want: (id, cb) => ssb.blobs.want(id, cb),
    logger,
    active: MAX_BLOB_WANTS,
  });
  const resumed = await blobWants.load();
  if (resumed > 0) logger.log('info', 'asking again for photos still missing', { blobs: resumed });
  const wantMentionedBlobs = (content: unknown) => {
    const mentions = (content as { mentions?: unknown } | null)?.mentions;
    if (!Array.isArray(mentions)) return;
    for (const mention of mentions as Array<{ link?: unknown; size?: unknown } | null>) {
      const link = mention?.link;
      // blobWants.add refuses what is not a blob id.
      if (typeof link !== 'string') continue;
      if (typeof mention?.size === 'number' && mention.size > blobsMaxBytes) continue;
      blobWants.add(link);
    }
  };
  const collector = new CollectAfterBurst(exposedGc());
  // Garbage of a long transfer collected before it outgrows the board (memory-pressure.ts).
  const pressure = new PressureCollector(exposedGc(), { softLimitBytes: softLimitFor(boardMemoryBytes()) });
  pressure.start();
  // Peers are read from only while the log keeps up with writing what they sent (inbound-gate.ts).
  const log = ssb.db.getLog();
  const backlog = new LogBacklog(inboundGate, (cb) => log.onDrain(cb));
  const unsubscribeAdded = ssb.db.onMsgAdded(({ kvt }) => {
    collector.added();
    backlog.stored1();
    if (kvt.value.author === ssb.id) return;
    lastForeignAppend = Date.now();
    wantMentionedBlobs(kvt.value.content);
  });
  // ssb-ebt 9's peerStatus throws while a just-connected peer's clock is still null; keep the last
  // good reading of each feed for those moments.
  const lastClocks = new Map<string, FeedClocks>();
  const wantedClocks = (): Map<string, FeedClocks> => {
    const wanted = new Map<string, FeedClocks>();
    for (const [feed, distance] of hopMap) {
      if (distance < 0 || distance > hops) continue;
      let clocks: FeedClocks;
      try {
        const status = ssb.ebt.peerStatus(feed);
        const remote: Record<string, number | undefined> = {};
        for (const [peer, info] of Object.entries(status.peers)) remote[peer] = info.seq;
        clocks = { local: status.seq ?? 0, remote };
        lastClocks.set(feed, clocks);
      } catch {
        clocks = lastClocks.get(feed) ?? { local: 0, remote: {} };
      }
      wanted.set(feed, clocks);
    }
    return wanted;
  };
  const progressOf = (wanted: ReadonlyMap<string, FeedClocks>): ReplicationProgress => {
    const connected = ssb.conn
      .query()
      .peersConnected()
      .map(([, data]) => data.key)
      .filter((key): key is string => typeof key === 'string');
    const computed = computeProgress(wanted, connected);
    return { ...computed, replicating: computed.replicating || Date.now() - lastForeignAppend < REPLICATION_IDLE_MS };
  };
  const progressNow = (): ReplicationProgress => progressOf(wantedClocks());
  const stalls = new StallWatch(STALL_MS);
  const nudge = (wanted: ReadonlyMap<string, FeedClocks>) => {
    for (const feed of stalls.check(wanted, Date.now())) {
      const clocks = wanted.get(feed);
      logger.log('warn', 'replication stalled; asking again', { feed, local: clocks?.local, remote: clocks?.remote });
      // A fresh note with our sequence makes the remote's EBT resend from there.
      ssb.ebt.request(feed, false);
      ssb.ebt.request(feed, true);
    }
  };
  const listeners = new Set<(replicating: boolean) => void>();
  let replicating = false;
  const poll = setInterval(() => {
    let now: boolean;
    try {
      const wanted = wantedClocks();
      nudge(wanted);
      now = progressOf(wanted).replicating;
    } catch (error) {
      logger.log('warn', 'replication progress failed', { error: String(error) });
      return;
    }
    if (now === replicating) return;
    replicating = now;
    logger.log('debug', replicating ? 'replication started' : 'replication idle');
    for (const listener of listeners) {
      try {
        listener(replicating);
      } catch (error) {
        logger.log('warn', 'replication listener failed', { error: String(error) });
      }
    }
  }, PROGRESS_POLL_MS);
  poll.unref();

  /** Resolves once everything appended so far is written and fsynced (see durable.ts). */
  const logSynced = () => new Promise<void>((resolve) => ssb.db.getLog().onDrain(resolve));

  const checkFeed = (id: string) => {
    if (!isFeedId(id)) throw new TypeError(`not a feed id: ${id}`);
  };
  const checkBlob = (id: string) => {
    if (!BLOB_ID.test(id)) throw new TypeError(`not a blob id: ${id}`);
  };
  const hasBlob = async (id: string) => {
    checkBlob(id);
    return (await callback<boolean>((cb) => ssb.blobs.has(id, cb))) === true;
  };

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      clearInterval(poll);
      unsubscribeAdded();
      collector.stop();
      pressure.stop();
      backlog.stop();
      await blobWants.close();
      duplicates.stop();
      await follower.close();
      await legacyLan?.close();
      for (const sink of drains) sink.abort();
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

  return {
    id: ssb.id,
    nativeCrypto,
    whoami: () => ({ id: ssb.id }),
    address: () => ssb.getAddress('device') ?? '',
    async publish(content) {
      if (typeof content !== 'object' || content === null || typeof content.type !== 'string' || content.type === '') {
        throw new TypeError('content needs a non-empty string `type`');
      }
      const msg = await callback<ssbDb2.Msg>((cb) => ssb.db.publish(content, cb));
      if (!msg) throw new Error('publish returned no message');
      await logSynced();
      return { key: msg.key, sequence: msg.value.sequence };
    },
    async follow(id) {
      checkFeed(id);
      await callback((cb) => ssb.friends.follow(id, {}, cb));
    },
    async unfollow(id) {
      checkFeed(id);
      await callback((cb) => ssb.friends.follow(id, { state: false }, cb));
    },
    async block(id) {
      checkFeed(id);
      await callback((cb) => ssb.friends.block(id, {}, cb));
    },
    async unblock(id) {
      checkFeed(id);
      await callback((cb) => ssb.friends.block(id, { state: false }, cb));
    },
    async feeds() {
      await new Promise<void>((resolve) => ssb.db.onDrain('base', resolve));
      const latest = await collect(ssb.db.getAllLatest());
      return latest
        .map(({ key, value }) => ({ id: key, sequence: value.sequence }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    peers() {
      const result: PeerInfo[] = [];
      const seen = new Set<string>();
      for (const [address, data] of ssb.conn.hub().entries()) {
        seen.add(address);
        result.push({ address, key: data.key ?? null, state: data.state ?? 'connecting' });
      }
      for (const [address, data] of ssb.conn.query().peersConnectable('staging')) {
        if (seen.has(address)) continue;
        result.push({
          address,
          key: data.key ?? null,
          state: 'discovered',
          ...(typeof data.type === 'string' ? { type: data.type } : {}),
          ...(typeof data.verified === 'boolean' ? { verified: data.verified } : {}),
        });
      }
      return result;
    },
    async connect(address) {
      const rpc = await callback<SecretStack.Rpc>((cb) => ssb.conn.connect(address, {}, cb));
      if (!rpc) throw new Error(`no connection to ${address}`);
      return rpc.id;
    },
    async addBlob(data) {
      const tooLarge = () => new RangeError(`blob is larger than the limit of ${blobsMaxBytes} bytes`);
      if (data instanceof Uint8Array && data.byteLength > blobsMaxBytes) throw tooLarge();
      const source = data instanceof Uint8Array ? pull.values([Buffer.from(data)]) : fromAsyncIterable(data);
      // Count ourselves so a stream that is too long fails with a clear error (ssb-blobs' own is wrapped
      // as "could not write to tmpfile") and the temporary file is dropped by ssb-blobs.
      let size = 0;
      let overflow: RangeError | null = null;
      const counted = pull(
        source,
        pull.filter((chunk: Buffer) => {
          size += chunk.length;
          if (size > blobsMaxBytes) overflow ??= tooLarge();
          return true;
        }),
      );
      const id = await new Promise<string>((resolve, reject) => {
        pull(
          counted,
          ssb.blobs.add((err, blobId) => {
            if (overflow) reject(overflow);
            else if (err) reject(err);
            else if (blobId) resolve(blobId);
            else reject(new Error('ssb-blobs returned no blob id'));
          }),
        );
      });
      await syncBlob(dataDir, id);
      return id;
    },
    async getBlob(id, getOptions = {}) {
      if (!(await hasBlob(id))) {
        const timeoutMs = getOptions.timeoutMs ?? 30_000;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            callback<boolean>((cb) => ssb.blobs.want(id, cb)),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`blob ${id} not found within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
        } finally {
          clearTimeout(timer);
        }
      }
      return Buffer.concat(await collect(ssb.blobs.get(id)));
    },
    hasBlob,
    replicationProgress: progressNow,
    onReplicationChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    autoFollowDecisions: () => follower.decisions(),
    autoFollowPolicy: () => follower.policy,
    async setAutoFollowPolicy(change) {
      const next = withPolicyChange(follower.policy, change);
      await savePolicyOverride(policyPath, next);
      follower.setPolicy(next);
      logger.log('info', 'auto-follow policy changed', {
        enabled: next.enabled,
        allow: next.allow.length,
        deny: next.deny.length,
      });
      return next;
    },
    blobsMaxBytes,
    async relationships() {
      const graph = (await callback<ssbFriends.Graph>((cb) => ssb.friends.graph(cb))) ?? {};
      const following: string[] = [];
      const blocked: string[] = [];
      for (const [dest, value] of Object.entries(graph[ssb.id] ?? {})) {
        if (value === 1) following.push(dest);
        else if (value === -1) blocked.push(dest);
      }
      const followers = Object.entries(graph)
        .filter(([source, edges]) => source !== ssb.id && edges[ssb.id] === 1)
        .map(([source]) => source);
      return { following: following.sort(), followers: followers.sort(), blocked: blocked.sort() };
    },
    async recentMessages(limit) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new RangeError('limit must be 1..500');
      const { where, isPublic, descending, paginate, toCallback } = operators;
      const answer = await callback<unknown>((cb) =>
        ssb.db.query(where(isPublic()), descending(), paginate(limit), toCallback(cb)),
      );
      const results = (answer as { results?: ssbDb2.Msg[] } | undefined)?.results ?? [];
      // Messages written in the same millisecond keep their feed order (newest first).
      const newestFirst = [...results].sort(
        (a, b) =>
          b.value.timestamp - a.value.timestamp ||
          (a.value.author === b.value.author ? b.value.sequence - a.value.sequence : 0),
      );
      return newestFirst.flatMap(storedMessage);
    },
    async postsBetween({ atOrBefore, atOrAfter, limit }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError('limit must be 1..10000');
      const { where, and, type, isPublic, lte, gte, descending, paginate, toCallback } = operators;
      const filters = [type('post'), isPublic()];
      if (atOrBefore !== null) filters.push(lte(atOrBefore, 'timestamp'));
      if (atOrAfter !== null) filters.push(gte(atOrAfter, 'timestamp'));
      const answer = await callback<unknown>((cb) =>
        ssb.db.query(where(and(...filters)), descending(), paginate(limit), toCallback(cb)),
      );
      const results = (answer as { results?: ssbDb2.Msg[] } | undefined)?.results ?? [];
      return results.flatMap(storedMessage);
    },
    async profiles() {
      const { where, type, toCallback } = operators;
      const answer = await callback<unknown>((cb) => ssb.db.query(where(type('about')), toCallback(cb)));
      const messages = Array.isArray(answer) ? (answer as ssbDb2.Msg[]) : [];
      return profilesFromAbouts(
        messages.map(
          (msg): AboutMessage => ({
            author: msg.value.author,
            sequence: msg.value.sequence,
            content: msg.value.content,
          }),
        ),
      );
    },
    legacyBeaconStats: () => legacyLan?.stats() ?? null,
    close,
  };
}
