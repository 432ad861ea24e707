// Runs the real `smallworld` CLI and daemon as child processes, the way a user or a script would.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command synchronously with an argv array (never a shell string). */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function cliJson<T = Record<string, unknown>>(args: string[]): T {
  const result = cli([...args, '--json']);
  if (result.code !== 0) throw new Error(`smallworld ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export async function tempDir(prefix = 'sw-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export class DaemonProcess {
  readonly logs: string[] = [];
  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.logs.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.logs.push(chunk));
  }

  /** By default without the web page and the SSB peer: most tests are about the connectivity daemon. */
  static async start(
    dataDir: string,
    extra: string[] = ['--web-port', '0', '--ssb-port', '0'],
    timeoutMs = 15_000,
  ): Promise<DaemonProcess> {
    const child = spawn(process.execPath, [CLI, 'start', '--sim', '--data', dataDir, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemon = new DaemonProcess(child, dataDir);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`daemon exited early (${child.exitCode}):\n${daemon.output()}`);
      if (existsSync(join(dataDir, 'control.sock')) && cli(['status', '--data', dataDir]).code === 0) return daemon;
      await new Promise((r) => setTimeout(r, 100));
    }
    daemon.kill('SIGKILL');
    throw new Error(`daemon did not come up within ${timeoutMs} ms:\n${daemon.output()}`);
  }

  output(): string {
    return this.logs.join('');
  }

  /**
   * The output once it matches `pattern` (or as it is after `timeoutMs`): lines the daemon wrote while this
   * process was blocked in a synchronous CLI call are only read when its event loop turns again.
   */
  async outputMatching(pattern: RegExp, timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.output();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.pid !== undefined) process.kill(this.child.pid, signal);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.kill(signal);
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function until<T>(fn: () => T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value instanceof Promise) throw new Error('until() takes a synchronous check');
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP port that was free on loopback a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('could not get a free port');
  return address.port;
}
