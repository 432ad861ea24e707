// The processes a lab starts inside its network namespaces, kept by pid so that it stops exactly what it
// started (never anything found by name). Shared by the virtual LAN (lab/lan) and the town (lab/town).
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

const IP = '/usr/sbin/ip';

export class NamespaceChildren {
  private readonly children = new Set<ChildProcess>();

  /**
   * Starts `argv` inside namespace `ns`. `launcher`: a command prefix that runs before entering the namespace
   * (e.g. one that joins a cgroup).
   */
  spawn(ns: string, argv: string[], options: SpawnOptions = {}, launcher: string[] = []): ChildProcess {
    const [command, ...args] = argv;
    if (command === undefined) throw new Error('empty argv');
    const [first, ...rest] = [...launcher, IP, 'netns', 'exec', ns, command, ...args];
    const child = spawn(first ?? IP, rest, options);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills every child still running (SIGKILL) and waits for each to exit. */
  async killAll(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
  }

  /** The synchronous last resort (process exit): SIGKILL to each, without waiting. */
  killAllSync(): void {
    for (const child of this.children) {
      if (child.pid === undefined) continue;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
