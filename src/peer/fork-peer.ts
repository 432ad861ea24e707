// How `smallworld start` (development; on a device systemd runs the peer as its own unit) forks the peer
// process: `smallworld peer` with the same data, config and web/SSB settings, on jemalloc when it is installed
// (allocator.ts), with the heap limit of the board (heap-limit.ts) and --expose-gc.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { peerEnvironment } from './allocator.js';
import { peerHeapOptions } from './heap-limit.js';
import type { PeerSsbSettings } from './peer-process.js';

export interface ForkPeerOptions {
  dataDir: string;
  web: { host: string; port: number };
  ssb: PeerSsbSettings;
  configPath?: string | undefined;
  logLevel?: string | undefined;
}

export interface ForkedPeer {
  child: ChildProcess;
  allocator: 'jemalloc' | 'system';
}

/** The peer's command line (after the CLI script). */
export function peerArgs(options: ForkPeerOptions): string[] {
  const { web, ssb, configPath, logLevel } = options;
  const args = ['peer', '--data', options.dataDir];
  if (configPath) args.push('--config', configPath);
  if (logLevel) args.push('--log-level', logLevel);
  args.push('--web-host', web.host, '--web-port', String(web.port));
  args.push('--ssb-host', ssb.host, '--ssb-port', String(ssb.port));
  if (!ssb.autoFollow.enabled) args.push('--no-auto-follow');
  return args;
}

export function forkPeer(options: ForkPeerOptions): ForkedPeer {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const { env, allocator } = peerEnvironment(process.env);
  // --expose-gc: the peer collects garbage once after a burst of replication (ssb/collect-after-burst.ts).
  // The heap limit follows the board's memory (peer/heap-limit.ts).
  const execArgv = [...process.execArgv, '--expose-gc', ...peerHeapOptions(process.execArgv)];
  const child = fork(cli, peerArgs(options), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env, execArgv });
  return { child, allocator };
}
