// `smallworld start`: the connectivity daemon, which in development forks the peer (peer-command.ts). The build
// bundles this file with everything it loads (bundled-commands.ts); it stops cleanly on SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { loadConfig, resolveDataDir } from '../config/config.js';
import { socketPathFor } from '../control/client.js';
import { createLogger, parseLevel } from '../log/logger.js';
import { type ForkedPeer, forkPeer, wantsPeer } from '../peer/peer-supervisor.js';
import { EXIT } from './arguments.js';
import { daemonAnswers } from './early-peer.js';
import { peerSettings } from './peer-settings.js';
import { waitForSignal } from './signals.js';
import { startFlags } from './start-flags.js';

/**
 * `earlyPeer`: the peer the command line forked from these flags before this code loaded (early-peer.ts),
 * adopted here, or stopped if the settings want no peer or the daemon does not start.
 */
export async function start(args: string[], earlyPeer?: ForkedPeer, loadedFrom = 'its modules'): Promise<number> {
  let forkedPeer = earlyPeer;
  try {
    const { values } = parseArgs({ args, options: startFlags, strict: true });
    const config = await loadConfig(values.config);
    const settings = peerSettings(config, values);
    const logger = createLogger({
      level: parseLevel(values['log-level'] ?? process.env.SMALLWORLD_LOG_LEVEL, config.logLevel),
      base: { proc: 'daemon' },
    });
    logger.log('info', 'daemon code loaded', { from: loadedFrom });
    const dataDir = resolveDataDir(values.data);
    const peerOptions = { dataDir, ...settings, configPath: values.config, logLevel: values['log-level'] };
    if (forkedPeer && !wantsPeer(settings)) {
      forkedPeer.child.kill('SIGTERM');
      forkedPeer = undefined;
    }
    // Not forked early (e.g. called on its own): the peer starts loading its libraries on the other core
    // while the daemon's own code loads; not beside a daemon that already answers for this data: that one has
    // its peer, and this one stops at the socket.
    if (!earlyPeer && wantsPeer(settings) && !(await daemonAnswers(socketPathFor(dataDir)))) {
      forkedPeer = forkPeer(peerOptions);
    }
    const { Daemon } = await import('../device/daemon.js');
    const daemon = new Daemon({ ...peerOptions, sim: values.sim, config, logger, forkedPeer });
    await daemon.start();
    await waitForSignal(logger, () => daemon.stop());
    return EXIT.ok;
  } catch (error) {
    forkedPeer?.child.kill('SIGTERM');
    throw error;
  }
}
