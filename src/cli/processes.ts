// The two long-running commands: `start` (the connectivity daemon, which in development forks the peer) and
// `peer` (the unprivileged process with the web page and the SSB peer). Each loads its own code only when it
// runs (cold start), and both stop cleanly on SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { type Config, loadConfig, resolveDataDir } from '../config/config.js';
import { socketPathFor } from '../control/client.js';
import { createLogger, parseLevel } from '../log/logger.js';
import type { PeerSsbSettings } from '../peer/peer-process.js';
import { type ForkedPeer, forkPeer, wantsPeer } from '../peer/peer-supervisor.js';
import { common, EXIT, parsePort } from './arguments.js';
import { daemonAnswers } from './early-peer.js';
import { peerFlags, startFlags } from './start-flags.js';

interface PeerFlagValues {
  'web-host'?: string | undefined;
  'web-port'?: string | undefined;
  'ssb-host'?: string | undefined;
  'ssb-port'?: string | undefined;
  'no-auto-follow'?: boolean | undefined;
}

/** The web and SSB settings: the config file's, with command-line flags winning. */
function peerSettings(
  config: Config,
  values: PeerFlagValues,
): { web: { host: string; port: number }; ssb: PeerSsbSettings } {
  return {
    web: {
      host: values['web-host'] ?? config.web.host,
      port: values['web-port'] === undefined ? config.web.port : parsePort(values['web-port'], '--web-port'),
    },
    ssb: {
      host: values['ssb-host'] ?? config.ssb.host,
      port: values['ssb-port'] === undefined ? config.ssb.port : parsePort(values['ssb-port'], '--ssb-port'),
      hops: config.ssb.hops,
      autoFollow: { ...config.ssb.autoFollow, enabled: config.ssb.autoFollow.enabled && !values['no-auto-follow'] },
      reserveBytes: config.storage.reserveBytes,
    },
  };
}

/**
 * `earlyPeer`: the peer the command line forked from these flags before this code loaded (early-peer.ts),
 * adopted here, or stopped if the settings want no peer or the daemon does not start.
 */
export async function start(args: string[], earlyPeer?: ForkedPeer): Promise<number> {
  let forkedPeer = earlyPeer;
  try {
    const { values } = parseArgs({ args, options: startFlags, strict: true });
    const config = await loadConfig(values.config);
    const settings = peerSettings(config, values);
    const logger = createLogger({
      level: parseLevel(values['log-level'] ?? process.env.SMALLWORLD_LOG_LEVEL, config.logLevel),
      base: { proc: 'daemon' },
    });
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

export async function peer(args: string[]): Promise<number> {
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
  const { runPeer } = await import('../peer/peer-process.js');
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

function waitForSignal(logger: ReturnType<typeof createLogger>, stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.log('info', 'stopping', { signal });
      // A clean stop is bounded: past this, exit anyway rather than linger half-stopped.
      setTimeout(() => process.exit(0), 10_000).unref();
      void stop().finally(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
