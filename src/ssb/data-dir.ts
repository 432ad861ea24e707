// The peer's data directory made ready before the database opens: created (owner only), what interrupted
// writes left behind removed, and every blob directory made while there is space.
import { mkdir } from 'node:fs/promises';
import type { LogSink } from '../log/logger.js';
import { removeStaleTempFiles } from '../store/atomic-file.js';
import { ensureBlobDirectories } from './blob-directories.js';

export async function prepareDataDir(dataDir: string, logger: LogSink): Promise<void> {
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
}
