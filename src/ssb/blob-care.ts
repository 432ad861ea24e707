// The peer's photos looked after: the ones mentioned in friends' posts wanted until they arrive, remembered
// across restarts (blob-wants.ts), and damaged files never served but fetched again (blob-guard.ts), checked
// when read and all of them a little after start.
import { join } from 'node:path';
import type { LogSink } from '../log/logger.js';
import { BlobGuard, guardBlobReads } from './blob-guard.js';
import { BlobWants } from './blob-wants.js';
import type { SsbServer } from './libraries.js';

/** Blobs mentioned in friends' posts that we ask ssb-blobs for at once; more wait their turn. */
const MAX_BLOB_WANTS = 256;

export interface BlobCare {
  wants: BlobWants;
  /** Stops the check of the blob store (now or to come); the wants stay until `wants.close()`. */
  stopChecking(): Promise<void>;
}

export async function startBlobCare(options: {
  ssb: SsbServer;
  dataDir: string;
  logger: LogSink;
  /** When the blob store is checked after start. */
  checkDelayMs: number;
}): Promise<BlobCare> {
  const { ssb, dataDir, logger } = options;
  const wants = new BlobWants({
    file: join(dataDir, 'blob-wants.json'),
    want: (id, cb) => ssb.blobs.want(id, cb),
    logger,
    active: MAX_BLOB_WANTS,
  });
  const resumed = await wants.load();
  if (resumed > 0) logger.log('info', 'asking again for photos still missing', { blobs: resumed });
  const guard = new BlobGuard({ ssbDir: dataDir, logger, wantAgain: (id) => wants.add(id), scanPauseMs: 5 });
  guardBlobReads(ssb.blobs, guard);
  const check = setTimeout(() => {
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
  }, options.checkDelayMs);
  check.unref();
  return {
    wants,
    async stopChecking() {
      clearTimeout(check);
      await guard.stop();
    },
  };
}
