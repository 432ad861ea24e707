// The embedded Secure Scuttlebutt peer, assembled from its parts, each in a file of its own: the options
// checked (peer-options.ts), the libraries loaded and patched (library-loading.ts, patches/), the data
// directory made ready (data-dir.ts), the secret-stack server (secret-stack-server.ts), meeting others on the
// LAN and auto-following them (meetings.ts), photos wanted and guarded (blob-care.ts), replication watched
// (replication-watch.ts), memory (memory-care.ts) and storage (storage-care.ts) kept within the board's, and
// the local API handle the rest of Smallworld uses (peer-handle.ts, peer-api.ts).
import { join } from 'node:path';
import type pull from 'pull-stream';
import { startBlobCare } from './blob-care.js';
import { mentionedBlobs } from './blob-wants.js';
import { prepareDataDir } from './data-dir.js';
import { loadOrCreateKeys } from './keys.js';
import { loadMainNetworkCaps } from './libraries.js';
import { loadPatchedLibraries } from './library-loading.js';
import { startMeetings } from './meetings.js';
import { startMemoryCare } from './memory-care.js';
import { MentionIndex } from './mention-index.js';
import type { SsbPeer } from './peer-api.js';
import { peerHandle } from './peer-handle.js';
import { peerSettings, type SsbPeerOptions } from './peer-options.js';
import { ReplicationWatch } from './replication-watch.js';
import { closeSecretStackServer, startSecretStackServer } from './secret-stack-server.js';
import { startStorageCare } from './storage-care.js';

export type { LanDiscoveryOptions } from './lan-discovery.js';
export { ssbLanBroadcastDestination } from './libraries.js';
export type { PeerInfo, PublishedMessage, Relationships, SsbPeer, StoredMessage } from './peer-api.js';
export type { SsbPeerOptions } from './peer-options.js';

export async function startSsbPeer(options: SsbPeerOptions): Promise<SsbPeer> {
  const { logger, dataDir, port } = options;
  const { hops, lan, blobsMaxBytes, policy, listenHost } = peerSettings(options);
  // The data directory and the identity (file work, with an fsync for a new one) beside the libraries loading.
  const preparing = prepareDataDir(dataDir, logger).then(() => loadOrCreateKeys(join(dataDir, 'secret'), logger));
  preparing.catch(() => undefined);
  const { libs, patched, nativeCrypto } = await loadPatchedLibraries(logger, dataDir);
  const keys = await preparing;
  const caps = options.caps ?? loadMainNetworkCaps();
  const ssb = await startSecretStackServer(
    libs,
    { dataDir, keys, caps, hops, port, listenHost, lanVerified: lan.verified, blobsMaxBytes },
    patched,
    logger,
  );

  const meetings = await startMeetings({ ssb, dataDir, lan, tcpPort: port, listenHost, policy, logger });
  const hopsOf = (feed: string) => meetings.graph.hops.get(feed);
  const blobs = await startBlobCare({ ssb, dataDir, logger, checkDelayMs: options.blobCheckDelayMs ?? 3000 });
  const replication = new ReplicationWatch(ssb, meetings.graph.hops, hops, logger);
  const memory = startMemoryCare(ssb);
  // Who mentioned which photo, for eviction (mention-index.ts).
  const { where, type, batch, toPullStream } = libs.operators;
  const mentions = new MentionIndex(
    () => ssb.db.query(where(type('post')), batch(256), toPullStream()) as pull.Source<unknown>,
  );
  let lastAddedAt = Date.now();
  const unsubscribeAdded = ssb.db.onMsgAdded(({ kvt }) => {
    lastAddedAt = Date.now();
    mentions.added(kvt.value);
    memory.stored();
    if (kvt.value.author === ssb.id) return;
    replication.foreignAppended();
    for (const id of mentionedBlobs(kvt.value.content, blobsMaxBytes)) blobs.wants.add(id);
  });
  const { storage, stop: stopStorageCare } = await startStorageCare({
    ssb,
    dataDir,
    reportDir: options.storageReportDir ?? dataDir,
    reserveBytes: options.reserveBytes,
    feedPruning: options.feedPruning,
    mentions,
    hopsOf,
    lastAddedAt: () => lastAddedAt,
    blobWants: blobs.wants,
    logger,
  });

  // Each part stops before what it uses; the server last, once nothing can reach it.
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await stopStorageCare();
      await blobs.stopChecking();
      replication.stop();
      unsubscribeAdded();
      memory.stop();
      await blobs.wants.close();
      await meetings.close();
      await closeSecretStackServer(ssb, logger);
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
    follower: meetings.follower,
    policyPath: meetings.policyPath,
    replication,
    legacyLan: meetings.discovery.legacyLan,
    storage,
    close,
  });
}
