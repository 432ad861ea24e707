// The development daemon's peer process (`smallworld start` forks it; on a device systemd runs it as its own
// unit): started with the daemon's options, restarted after a failure as systemd would (restart-policy.ts),
// and stopped with the daemon. The first one is forked by the command line before the daemon's own code
// loads (`forkPeer`, cold start: the two start side by side, each on a core, as under systemd) and adopted.
import { type ChildProcess, fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { LogSink } from '../log/logger.js';
import { peerEnvironment } from './allocator.js';
import { peerHeapOptions } from './heap-limit.js';
import type { PeerSsbSettings } from './peer-process.js';
import { decideRestart, isFailure } from './restart-policy.js';

export interface PeerSupervisorOptions {
  dataDir: string;
  web: { host: string; port: number };
  ssb: PeerSsbSettings;
  configPath?: string | undefined;
  logLevel?: string | undefined;
  logger: LogSink;
  /** The peer process ended (whatever comes next). */
  exited?: () => void;
}

/** How long a peer has to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

/** The `peer` command line the daemon's options make. */
export function peerArguments(options: Omit<PeerSupervisorOptions, 'logger' | 'exited'>): string[] {
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
  return args;
}

/** Whether a daemon with these settings runs a peer at all (no web page and no SSB peer: none). */
export function wantsPeer(options: Pick<PeerSupervisorOptions, 'web' | 'ssb'>): boolean {
  return options.web.port !== 0 || options.ssb.port !== 0;
}

export interface ForkedPeer {
  child: ChildProcess;
  allocator: 'jemalloc' | 'system';
}

/** `smallworld peer` with the daemon's settings, as a child with an IPC channel (it exits when we go). */
export function forkPeer(options: Omit<PeerSupervisorOptions, 'logger' | 'exited'>): ForkedPeer {
  return forkPeerWithArguments(peerArguments(options));
}

/**
 * The Node options of a forked peer: the daemon's own, --expose-gc (the peer collects garbage once after a
 * burst of replication, ssb/collect-after-burst.ts) and a heap limit that follows the board's memory
 * (heap-limit.ts). The build makes its code caches for them (peer-starts.ts).
 */
export function forkedPeerExecArgv(
  parentExecArgv: readonly string[],
  boardBytes?: number,
  nodeOptions?: string,
): string[] {
  return [...parentExecArgv, '--expose-gc', ...peerHeapOptions(parentExecArgv, boardBytes, nodeOptions)];
}

/** `smallworld ARGS` (a `peer` command line) as the peer process. */
export function forkPeerWithArguments(args: readonly string[]): ForkedPeer {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const { env, allocator } = peerEnvironment(process.env);
  const execArgv = forkedPeerExecArgv(process.execArgv);
  const child = fork(cli, [...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env,
    execArgv,
  });
  return { child, allocator };
}

export class PeerSupervisor {
  private peer: ChildProcess | null = null;
  private stopping = false;
  /** When the peer was started lately, and a pending restart (restart-policy.ts). */
  private starts: number[] = [];
  private restart: NodeJS.Timeout | null = null;

  constructor(private readonly options: PeerSupervisorOptions) {}

  /** Starts the peer, or adopts one already forked (by the command line, before the daemon loaded). */
  start(forked: ForkedPeer = forkPeer(this.options)): void {
    const { child, allocator } = forked;
    const { logger } = this.options;
    logger.log('info', 'peer process started', { pid: child.pid, allocator });
    this.peer = child;
    if (this.starts.length === 0) this.starts = [Date.now()];
    // Under memory pressure the kernel should take the peer, not the daemon (as the installed units say).
    if (child.pid !== undefined) void writeFile(`/proc/${child.pid}/oom_score_adj`, '500').catch(() => undefined);
    const exited = (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.peer === child) this.peer = null;
      this.options.exited?.();
      if (this.stopping) return;
      logger.log('error', 'peer process exited', { code, signal });
      const decision = decideRestart(this.starts, { code, signal }, Date.now());
      this.starts = decision.starts;
      if (!decision.restart) {
        if (isFailure({ code, signal }))
          logger.log('error', 'the peer failed too often: not restarted', { code, signal });
        return;
      }
      logger.log('info', 'restarting the peer', { inMs: decision.delayMs });
      this.restart = setTimeout(() => {
        this.restart = null;
        if (!this.stopping) this.start();
      }, decision.delayMs);
    };
    // A peer forked before the daemon loaded may already have gone.
    if (child.exitCode !== null || child.signalCode !== null)
      queueMicrotask(() => exited(child.exitCode, child.signalCode));
    else child.on('exit', exited);
  }

  /** Stops the peer (SIGTERM, then SIGKILL after a grace period) and any restart to come. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restart) clearTimeout(this.restart);
    const peer = this.peer;
    if (peer && peer.exitCode === null && peer.signalCode === null) {
      const exited = new Promise((resolve) => peer.once('exit', resolve));
      peer.kill('SIGTERM');
      const timer = setTimeout(() => peer.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
  }
}
