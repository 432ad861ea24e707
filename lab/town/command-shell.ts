// A long-lived command interpreter fed on stdin (`ip -batch -`, `nft -i`): one process for all of a namespace's
// link changes instead of a few processes per change. Spawning them per change fell minutes behind on a loaded
// machine (33 devices, a median 260 s late); a line written to a running interpreter costs no fork or exec.
//
// Groups of commands are pipelined: each is followed by a marker command whose output the dialect recognises.
// Everything the interpreter prints (stdout and stderr merged, in order) before a marker's output belongs to the
// oldest group still waiting; an error line there fails that group. Commands are written as arguments to the
// interpreter's own parser, never to a shell.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ShellDialect {
  /** The interpreter, reading commands from stdin, one a line. */
  argv: readonly [string, ...string[]];
  /** A command whose output ends with a line `isMarker` recognises; sent after every group. */
  marker: string;
  isMarker(line: string): boolean;
  /** Whether an output line (other than the marker's) reports a failure. */
  isError(line: string): boolean;
}

const IP = '/usr/sbin/ip';
const NFT = '/usr/sbin/nft';

/** `ip -batch` in a namespace (or the lab's own with ns null): `-force` carries on after a failed command. */
export function ipDialect(ns: string | null): ShellDialect {
  return {
    argv: [IP, '-o', ...(ns === null ? [] : ['-n', ns]), '-force', '-batch', '-'],
    // The loopback interface is number 1 in every namespace; -o prints it on one line.
    marker: 'link show dev lo',
    isMarker: (line) => line.startsWith('1: lo:'),
    isError: () => true,
  };
}

/** `nft -i` in a namespace, where the first group creates the table `town` (the marker lists the tables). */
export function nftDialect(ns: string): ShellDialect {
  return {
    argv: [IP, 'netns', 'exec', ns, NFT, '-i'],
    marker: 'list tables',
    isMarker: (line) => line === 'table ip town',
    // nft prints "Error: ..." and then the command with carets under the culprit (the group names it).
    isError: (line) => line.startsWith('Error:'),
  };
}

interface Pending {
  what: string;
  errors: string[];
  timer: NodeJS.Timeout;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class CommandShell {
  private child: ChildProcess | null = null;
  private readonly pending: Pending[] = [];

  constructor(
    private readonly dialect: ShellDialect,
    private readonly name: string,
    /** How long a group may take before the interpreter is presumed stuck (it is then restarted). */
    private readonly timeoutMs = 60_000,
  ) {}

  /** Runs the commands in order; rejects with the interpreter's messages if any of them failed. */
  run(lines: readonly string[]): Promise<void> {
    for (const line of lines) {
      if (/[\n\r]/.test(line)) return Promise.reject(new Error(`${this.name}: a command spans lines: ${line}`));
    }
    const child = this.child ?? this.start();
    return new Promise((resolve, reject) => {
      const what = lines.join('; ');
      const timer = setTimeout(
        () => this.fail(new Error(`${this.name}: no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.pending.push({ what, errors: [], timer, resolve, reject });
      child.stdin?.write(`${[...lines, this.dialect.marker].join('\n')}\n`);
    });
  }

  /** The interpreter's pid while it runs (for a synchronous last-resort kill). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Ends the interpreter: stdin closed, then killed if it has not exited within a second. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
    this.failAll(new Error(`${this.name}: closed`));
  }

  private start(): ChildProcess {
    // stderr joins stdout so that an error and the marker after it arrive in the order they were printed.
    const child = spawn('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', ...this.dialect.argv], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    this.child = child;
    // A write after the interpreter died fails here; its exit rejects what was waiting.
    child.stdin?.on('error', () => undefined);
    child.once('error', (error) => this.fail(error));
    child.once('exit', (code, signal) => {
      // An interpreter already replaced (stuck, or closed) has failed its groups; what waits now is the next's.
      if (this.child !== child) return;
      this.child = null;
      this.failAll(new Error(`${this.name}: the interpreter exited (${code ?? signal})`));
    });
    if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    return child;
  }

  private onLine(line: string): void {
    const head = this.pending[0];
    if (!head) return;
    if (this.dialect.isMarker(line)) {
      this.pending.shift();
      clearTimeout(head.timer);
      if (head.errors.length === 0) head.resolve();
      else head.reject(new Error(`${this.name}: ${head.errors.join(' / ')} (in: ${head.what})`));
      return;
    }
    if (this.dialect.isError(line)) head.errors.push(line.trim());
  }

  /** A stuck or broken interpreter: everything waiting fails, and the next group starts a new one. */
  private fail(error: Error): void {
    const child = this.child;
    this.child = null;
    child?.kill('SIGKILL');
    this.failAll(error);
  }

  private failAll(error: Error): void {
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }
}
