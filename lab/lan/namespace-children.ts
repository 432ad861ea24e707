// The processes a lab starts inside its network namespaces, kept by pid so that it stops exactly what it
// started (never anything found by name). Shared by the virtual LAN (lab/lan) and the town (lab/town).
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

const IP = '/usr/sbin/ip';
const NSENTER = '/usr/bin/nsenter';

export class NamespaceChildren {
  private readonly children = new Set<ChildProcess>();

  /**
   * Starts `argv` inside namespace `ns`. `launcher`: a command prefix that runs before entering the namespace
   * (e.g. one that joins a cgroup). A launched process enters only the network namespace (nsenter): `ip netns
   * exec` also mounts a fresh /sys, which hides /sys/fs/cgroup, so Node.js would not see the cgroup's memory
   * limit that a board's processes see.
   */
  spawn(ns: string, argv: string[], options: SpawnOptions = {}, launcher: string[] = []): ChildProcess {
    const [command, ...args] = argv;
    if (command === undefined) throw new Error('empty argv');
    const enter = launcher.length > 0 ? [NSENTER, `--net=/run/netns/${ns}`, '--'] : [IP, 'netns', 'exec', ns];
    const [first, ...rest] = [...launcher, ...enter, command, ...args];
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
