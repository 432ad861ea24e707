// The storage budget put to work for the peer: photos and posts refused with "the device's storage is full"
// before the card is, friends' photos paused at the reserve and asked for again when space is back
// (peer-storage.ts), photos evicted by the rules (blob-eviction.ts), and blocked or unfollowed feeds leaving
// the database in a quiet moment (feed-pruner.ts).
import { join } from 'node:path';
import type { LogSink } from '../log/logger.js';
import { BlobEvictor } from './blob-eviction.js';
import type { BlobWants } from './blob-wants.js';
import { FeedPruner } from './feed-pruner.js';
import type { SsbServer } from './libraries.js';
import type { MentionIndex } from './mention-index.js';
import type { SsbPeerOptions } from './peer-options.js';
import { PeerStorage } from './peer-storage.js';

/** A moment with no message arriving or published for this long is quiet enough to compact the log. */
const QUIET_FOR_COMPACTION_MS = 60_000;

export interface StorageCare {
  storage: PeerStorage;
  stop(): Promise<void>;
}

export async function startStorageCare(options: {
  ssb: SsbServer;
  dataDir: string;
  reportDir: string;
  reserveBytes: number | undefined;
  feedPruning: SsbPeerOptions['feedPruning'];
  /** Who mentioned which photo. */
  mentions: MentionIndex;
  /** The distance of a feed in our follow graph (negative: blocked), if known. */
  hopsOf(feed: string): number | undefined;
  /** When the last message was stored or published (ms). */
  lastAddedAt(): number;
  blobWants: BlobWants;
  logger: LogSink;
}): Promise<StorageCare> {
  const { ssb, dataDir, mentions, hopsOf, logger } = options;
  const evictor = new BlobEvictor({ ssb, mentions, ssbDir: dataDir, hopsOf, logger });
  const storage = new PeerStorage({
    ssbDir: dataDir,
    reportDir: options.reportDir,
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
    hopsOf,
    storageState: () => storage.state,
    logger,
    policy: options.feedPruning?.policy ?? {},
    quiet: () => Date.now() - options.lastAddedAt() >= quietMs,
    onReclaimed: () => {
      mentions.reset();
      storage.reclaimed();
    },
  });
  pruner.start(options.feedPruning?.schedule);
  storage.onPhotosResumed(() => {
    const asked = options.blobWants.retry();
    if (asked > 0) logger.log('info', 'space is back: asking friends again for the photos still missing', { asked });
  });
  return {
    storage,
    async stop() {
      storage.stop();
      await pruner.stop();
    },
  };
}
