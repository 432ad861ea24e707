// A memory cgroup for the benchmark's board-sized runs (`--memory-limit MB`): the receiving device's processes
// run inside it, as on a board whose programs share that much memory. cgroup v2 (`memory.max`) where the memory
// controller is usable, else v1 (`memory.limit_in_bytes`). Each cgroup is created as a child of the
// benchmark's own (so any limit around the benchmark still applies) and removed when its run ends.
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMissing } from '../../src/store/missing.js';

export type CgroupVersion = 'v2' | 'v1';

/** What the limit is called where it was set, for the report. */
export const LIMIT_FILE: Record<CgroupVersion, string> = { v2: 'memory.max', v1: 'memory.limit_in_bytes' };

export interface MemoryHierarchy {
  version: CgroupVersion;
  /** Where new cgroups are made: this process's own cgroup in the hierarchy. */
  parent: string;
}

interface Mount {
  point: string;
  fstype: string;
  superOptions: string[];
}

/** Mounts from /proc/self/mountinfo (fields after " - " are fstype, source, super options). */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const point = left.split(' ')[4];
    const [fstype, , options] = right.split(' ');
    if (!point || !fstype) continue;
    mounts.push({ point: point.replace(/\\040/g, ' '), fstype, superOptions: (options ?? '').split(',') });
  }
  return mounts;
}

/** This process's cgroup per hierarchy from /proc/self/cgroup: "" for v2, the controller list for v1. */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match) paths.set(match[1] ?? '', match[2] ?? '/');
  }
  return paths;
}

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * Where a memory cgroup can be made for this process: v2 when the unified hierarchy offers the memory
 * controller to children of our cgroup, else v1's memory hierarchy. Null where neither exists.
 */
export async function findMemoryHierarchy(): Promise<MemoryHierarchy | null> {
  const mounts = parseMountinfo(await readOr('/proc/self/mountinfo', ''));
  const own = parseProcCgroup(await readOr('/proc/self/cgroup', ''));
  const v2 = mounts.find((m) => m.fstype === 'cgroup2');
  const v2Path = own.get('');
  if (v2 && v2Path !== undefined) {
    const parent = join(v2.point, v2Path);
    const subtree = await readOr(join(parent, 'cgroup.subtree_control'), '');
    if (subtree.split(/\s+/).includes('memory')) return { version: 'v2', parent };
  }
  const v1 = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes('memory'));
  const v1Path = [...own.entries()].find(([controllers]) => controllers.split(',').includes('memory'))?.[1];
  if (v1 && v1Path !== undefined) return { version: 'v1', parent: join(v1.point, v1Path) };
  return null;
}

export interface MemoryCgroup {
  readonly version: CgroupVersion;
  readonly path: string;
  readonly limitBytes: number;
  /** Write a pid here to move that process (and the children it starts afterwards) into the cgroup. */
  readonly procsFile: string;
  /** The highest memory use charged to the cgroup so far (processes' memory and their page cache). */
  peakBytes(): Promise<number>;
  /** How many processes the kernel killed for exceeding the limit. */
  oomKills(): Promise<number>;
  /** Removes the cgroup once its processes have gone (they must have been stopped first). */
  remove(): Promise<void>;
}

function counter(text: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** Creates `name` under the hierarchy with a limit of `limitBytes`. */
export async function createMemoryCgroup(
  hierarchy: MemoryHierarchy,
  name: string,
  limitBytes: number,
): Promise<MemoryCgroup> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad cgroup name ${JSON.stringify(name)}`);
  const { version } = hierarchy;
  const path = join(hierarchy.parent, name);
  await mkdir(path);
  const file = (f: string) => join(path, f);
  try {
    await writeFile(file(LIMIT_FILE[version]), String(limitBytes));
    // No swap on the board's budget either: where swap accounting exists, the same limit covers it.
    if (version === 'v2') await writeFile(file('memory.swap.max'), '0').catch(() => undefined);
    else await writeFile(file('memory.memsw.limit_in_bytes'), String(limitBytes)).catch(() => undefined);
  } catch (error) {
    await rmdir(path).catch(() => undefined);
    throw error;
  }
  return {
    version,
    path,
    limitBytes,
    procsFile: file('cgroup.procs'),
    async peakBytes() {
      const raw = await readOr(file(version === 'v2' ? 'memory.peak' : 'memory.max_usage_in_bytes'), '0');
      return Number(raw.trim()) || 0;
    },
    async oomKills() {
      return version === 'v2'
        ? counter(await readOr(file('memory.events'), ''), 'oom_kill')
        : counter(await readOr(file('memory.oom_control'), ''), 'oom_kill');
    },
    async remove() {
      // A process that has just exited may still be counted for a moment.
      for (let attempt = 0; ; attempt++) {
        try {
          await rmdir(path);
          return;
        } catch (error) {
          if (isMissing(error)) return;
          if (attempt >= 50) throw error;
          await sleep(100);
        }
      }
    },
  };
}

/**
 * The launcher that starts a command inside the cgroup: a shell moves itself in, then becomes the command
 * (arguments passed as arguments, never interpolated). Put before `ip netns exec`, whose private /sys has
 * no cgroup files.
 */
export function launcherFor(cgroup: MemoryCgroup): string[] {
  return ['/bin/sh', '-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', cgroup.procsFile];
}
