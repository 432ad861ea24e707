// `smallworld peer`: the unprivileged process with the web page and the SSB peer. `npm run build` also bundles
// this file with everything it loads into one CommonJS file run with V8's code cache (bundled-commands.ts).
import { parseArgs } from 'node:util';
import { loadConfig, resolveDataDir } from '../config/config.js';
import { createLogger, parseLevel } from '../log/logger.js';
import { runPeer } from '../peer/peer-process.js';
import { common, EXIT } from './arguments.js';
import { peerSettings } from './peer-settings.js';
import { waitForSignal } from './signals.js';
import { peerFlags } from './start-flags.js';

/** `loadedFrom`: how bundled-commands.ts loaded this code, for the log. */
export async function peer(args: string[], loadedFrom = 'its modules'): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...common, ...peerFlags, 'log-level': { type: 'string' } },
    strict: true,
  });
  const config = await loadConfig(values.config);
  const logger = createLogger({
    level: parseLevel(values['log-level'] ?? process.env.SMALLWORLD_LOG_LEVEL, config.logLevel),
    base: { proc: 'peer' },
  });
  logger.log('info', 'peer code loaded', { from: loadedFrom });
  const stop = await runPeer({ dataDir: resolveDataDir(values.data), ...peerSettings(config, values), logger });
  // Started by `smallworld start`: go when the parent goes, even if it was killed outright — and go even if
  // closing the SSB database hangs, so that no orphan keeps ports and pipes open.
  process.on('disconnect', () => {
    setTimeout(() => process.exit(0), 5_000).unref();
    void stop().finally(() => process.exit(0));
  });
  await waitForSignal(logger, stop);
  // Stopped: the IPC channel to `smallworld start` must not keep the process alive (it did, for the 5 s
  // until the daemon's SIGKILL).
  process.channel?.unref();
  return EXIT.ok;
}
