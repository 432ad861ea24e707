// What the benchmark reads about its processes from /proc: resident memory, CPU time, children.
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Linux reports CPU time in clock ticks, 100 per second on x86_64 and arm64. */
const TICKS_PER_SECOND = 100;

export interface Memory {
  /** Resident set size now, MB (10^6 bytes, the unit of the targets). */
  rssMB: number;
  /** The peak resident set size since the process started, MB. */
  peakMB: number;
}

export async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  // /proc says "kB" and means KiB.
  const mb = (field: string) =>
    (Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024) / 1e6;
  return { rssMB: mb('VmRSS'), peakMB: mb('VmHWM') };
}

/** User + system CPU seconds used so far. */
export async function cpuSecondsOf(pid: number, statPath = `/proc/${pid}/stat`): Promise<number> {
  const stat = await readFile(statPath, 'utf8');
  // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU time of the process's main thread alone: for a Node.js process, its event loop (and V8's work on it). */
export async function loopCpuSecondsOf(pid: number): Promise<number> {
  return cpuSecondsOf(pid, `/proc/${pid}/task/${pid}/stat`);
}

export async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the processes together use less than `maxCpu` (fraction of one core) over `windowMs`, e.g.
 * a peer that finished indexing. Returns how long that took; throws after `timeoutMs`.
 */
export async function waitIdle(
  pids: number[],
  options: { windowMs?: number; maxCpu?: number; timeoutMs?: number } = {},
): Promise<number> {
  const windowMs = options.windowMs ?? 1500;
  const maxCpu = options.maxCpu ?? 0.05;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = Date.now();
  const total = async () => {
    let sum = 0;
    for (const pid of pids) sum += await cpuSecondsOf(pid);
    return sum;
  };
  let before = await total();
  let since = Date.now();
  for (;;) {
    await sleep(windowMs);
    const now = await total();
    const elapsed = (Date.now() - since) / 1000;
    if ((now - before) / elapsed <= maxCpu) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`processes ${pids.join(',')} never went idle`);
    before = now;
    since = Date.now();
  }
}
