// Reading a process tree's resource use from /proc, by pid: memory and open file descriptors.
import { readdirSync, readFileSync } from 'node:fs';

/** The process and all its descendants. */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const p = pids[i] as number;
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface ProcessSample {
  rssMiB: number;
  fds: number;
  argv: string[];
}

export function sampleProcess(pid: number): ProcessSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return { rssMiB: Math.round(rss), fds: readdirSync(`/proc/${pid}/fd`).length, argv };
  } catch {
    return null;
  }
}

/** Smallworld's own processes under a root pid, by role: the daemon (`start`) and the peer (`peer`). */
export function smallworldProcesses(root: number): Array<ProcessSample & { role: 'daemon' | 'peer'; pid: number }> {
  const found: Array<ProcessSample & { role: 'daemon' | 'peer'; pid: number }> = [];
  for (const pid of processTree(root)) {
    const s = sampleProcess(pid);
    // Node options (the peer runs with --expose-gc) come before the script; the subcommand follows it.
    const script = s?.argv.findIndex((a, i) => i > 0 && a.endsWith('main.js')) ?? -1;
    if (!s || script < 0) continue;
    found.push({ ...s, pid, role: s.argv[script + 1] === 'peer' ? 'peer' : 'daemon' });
  }
  return found;
}
