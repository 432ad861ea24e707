// A child daemon (hostapd, wpa_supplicant, dnsmasq) that we start with an argv array — never a shell —
// restart with backoff when it dies, and stop by its pid. Its output goes to our log, line by line.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { CancelTimer, Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import { writeFileAtomic } from '../store/atomic-file.js';

export interface SupervisedOptions {
  name: string;
  command: string;
  args: string[];
  clock: Clock;
  logger: Logger;
  /** Called when the process exits unexpectedly (it will be restarted after a backoff). */
  onExit?: (reason: string) => void;
  /** Called after each (re)spawn. */
  onSpawn?: () => void;
  restart?: boolean;
  /**
   * Where to record the child's pid. A daemon of ours killed outright (SIGKILL, power loss) leaves its
   * children running; the next start finds them here and stops them before starting fresh ones.
   */
  pidFile?: string;
}

const BACKOFF_MS = [500, 1_000, 2_000, 5_000, 10_000];
const STOP_GRACE_MS = 3_000;

export class Supervised {
  private child: ChildProcess | null = null;
  private wanted = false;
  private failures = 0;
  private cancelRestart: CancelTimer | null = null;
  private spawnedAt = 0;
  private pidWrite: Promise<void> = Promise.resolve();

  constructor(private readonly options: SupervisedOptions) {}

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child (after stopping one left behind by an earlier run of ours, if any). */
  async start(): Promise<void> {
    this.wanted = true;
    if (this.child !== null) return;
    await this.stopLeftover();
    if (this.wanted && this.child === null) this.spawn();
  }

  /** Stops the child, or one left behind by an earlier run of ours. */
  async stop(): Promise<void> {
    this.wanted = false;
    this.cancelRestart?.();
    const child = this.child;
    if (child === null || child.pid === undefined) {
      await this.stopLeftover();
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const cancelKill = this.options.clock.after(STOP_GRACE_MS, () => child.kill('SIGKILL'));
    await exited;
    cancelKill();
    // The pid file of a child that was just spawned may still be being written.
    await this.pidWrite;
    if (this.options.pidFile) await rm(this.options.pidFile, { force: true });
  }

  private async stopLeftover(): Promise<void> {
    const { pidFile, command, logger, name } = this.options;
    if (!pidFile) return;
    const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
    if (!Number.isInteger(pid) || pid <= 1) return;
    // Only a process still running our command is ours: pids get reused.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0')[0] !== command) {
      await rm(pidFile, { force: true });
      return;
    }
    logger.log('warn', 'stopping a daemon left behind by an earlier run', { daemon: name, pid });
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let waited = 0; waited < STOP_GRACE_MS; waited += 100) {
      await new Promise<void>((resolve) => this.options.clock.after(100, resolve));
      if (
        !(await readFile(`/proc/${pid}/cmdline`, 'utf8').then(
          () => true,
          () => false,
        ))
      )
        return;
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private spawn(): void {
    const { name, command, args, logger } = this.options;
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      this.exited(`cannot start ${command}: ${(error as Error).message}`);
      return;
    }
    this.child = child;
    this.spawnedAt = this.options.clock.now();
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) {
        createInterface({ input: stream }).on('line', (line) =>
          logger.log('debug', 'daemon output', { daemon: name, line: line.slice(0, 500) }),
        );
      }
    }
    child.once('error', (error) => {
      if (this.child === child) {
        this.child = null;
        this.exited(`cannot start ${command}: ${error.message}`);
      }
    });
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.exited(signal ? `${name} was killed by ${signal}` : `${name} exited with code ${code}`);
    });
    logger.log('info', 'daemon started', { daemon: name, pid: child.pid, argv: [command, ...args] });
    if (this.options.pidFile && child.pid !== undefined) {
      this.pidWrite = writeFileAtomic(this.options.pidFile, `${child.pid}\n`, { mode: 0o644 }).catch((error: Error) =>
        logger.log('warn', 'cannot record the daemon pid', { daemon: name, error: error.message }),
      );
    }
    this.options.onSpawn?.();
  }

  private exited(reason: string): void {
    if (!this.wanted) return;
    // A process that ran for a while before dying starts the backoff again from the beginning.
    if (this.options.clock.now() - this.spawnedAt > 30_000) this.failures = 0;
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)] ?? 10_000;
    this.failures++;
    this.options.logger.log('error', 'daemon exited', { daemon: this.options.name, reason, restartInMs: delay });
    this.options.onExit?.(reason);
    if (this.options.restart === false) return;
    this.cancelRestart = this.options.clock.after(delay, () => {
      if (this.wanted && this.child === null) this.spawn();
    });
  }
}
