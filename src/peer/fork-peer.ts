// Starting the peer process as a child (development and the benchmark; on a device systemd starts it as its
// own unit, beside the daemon). The command line forks it before it loads the daemon's own code, so the
// peer's start-up runs on the other core while the daemon starts (cold start, issue 17); the daemon forks it
// again when it has to restart it.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { peerEnvironment } from './allocator.js';
import { peerHeapOptions } from './heap-limit.js';
import type { PeerSsbSettings } from './peer-process.js';

export interface PeerForkOptions {
  dataDir: string;
  web: { host: string; port: number };
  ssb: PeerSsbSettings;
  /** Handed to the peer process, which reads the same file. */
  configPath?: string | undefined;
  logLevel?: string | undefined;
}

export interface ForkedPeer {
  child: ChildProcess;
  allocator: 'jemalloc' | 'system';
}

/** Whether a daemon with these settings runs a peer at all (no web page and no SSB peer: none). */
export function wantsPeer(options: Pick<PeerForkOptions, 'web' | 'ssb'>): boolean {
  return options.web.port !== 0 || options.ssb.port !== 0;
}

/** `smallworld peer` with the daemon's settings, as a child with an IPC channel (it exits when we go). */
export function forkPeer(options: PeerForkOptions): ForkedPeer {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const { web, ssb, configPath, logLevel } = options;
  const args = ['peer', '--data', options.dataDir];
  if (configPath) args.push('--config', configPath);
  if (logLevel) args.push('--log-level', logLevel);
  args.push(
    '--web-host',
    web.host,
    '--web-port',
    String(web.port),
    '--ssb-host',
    ssb.host,
    '--ssb-port',
    String(ssb.port),
  );
  if (!ssb.autoFollow.enabled) args.push('--no-auto-follow');
  const { env, allocator } = peerEnvironment(process.env);
  // --expose-gc: the peer collects garbage once after a burst of replication (ssb/collect-after-burst.ts).
  // The heap limit follows the board's memory (peer/heap-limit.ts).
  const execArgv = [...process.execArgv, '--expose-gc', ...peerHeapOptions(process.execArgv)];
  const child = fork(cli, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env, execArgv });
  return { child, allocator };
}
