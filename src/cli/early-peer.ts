// Cold start (issue 17): `smallworld start` forks its peer process before it loads anything else — the config
// schema, the logger, the daemon — so that the two load side by side on two cores from the first
// milliseconds, as systemd starts them on a device. The peer reads the same config file and flags itself
// (`smallworld peer`), so it is given the command line's own flags, not the settings they make. The daemon
// adopts it once loaded (start-command.ts, peer-supervisor.ts), or stops it if its settings want no peer after all.
import { parseArgs } from 'node:util';
import { resolveDataDir } from '../config/data-dir.js';
import { ControlClient, socketPathFor } from '../control/client.js';
import { type ForkedPeer, forkPeerWithArguments } from '../peer/peer-supervisor.js';
import { parsePort } from './arguments.js';
import { startFlags } from './start-flags.js';

/** Whether a daemon already answers on this socket (then it has its peer, and this one stops at the socket). */
export async function daemonAnswers(socketPath: string): Promise<boolean> {
  try {
    (await ControlClient.connect(socketPath, 500)).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * The `peer` command line for `start`'s flags, or null when they say no peer (both ports 0, as the installed
 * service's daemon is started) or are not valid (then `start` says why, and no peer was started).
 */
export function earlyPeerArguments(args: readonly string[]): { dataDir: string; argv: string[] } | null {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof startFlags; strict: true }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...args], options: startFlags, strict: true }));
    for (const flag of ['web-port', 'ssb-port'] as const) {
      const text = values[flag];
      if (text !== undefined) parsePort(text, `--${flag}`);
    }
  } catch {
    return null;
  }
  if (values['web-port'] !== undefined && values['ssb-port'] !== undefined) {
    if (Number(values['web-port']) === 0 && Number(values['ssb-port']) === 0) return null;
  }
  const dataDir = resolveDataDir(values.data);
  const argv = ['peer', '--data', dataDir];
  for (const flag of ['config', 'log-level', 'web-host', 'web-port', 'ssb-host', 'ssb-port'] as const) {
    const value = values[flag];
    if (value !== undefined) argv.push(`--${flag}`, value);
  }
  if (values['no-auto-follow']) argv.push('--no-auto-follow');
  return { dataDir, argv };
}

/** Forks the peer for `start`'s flags, unless they want none or a daemon already answers for this data. */
export async function forkPeerEarly(args: readonly string[]): Promise<ForkedPeer | undefined> {
  const early = earlyPeerArguments(args);
  if (early === null || (await daemonAnswers(socketPathFor(early.dataDir)))) return undefined;
  return forkPeerWithArguments(early.argv);
}
