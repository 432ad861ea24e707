// A small file system for the full-card tests: a loop-mounted ext4 image (as root), removed afterwards.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallFs {
  dir: string;
  unmount(): Promise<void>;
}

function run(argv: string[]): { ok: boolean; output: string } {
  const [command, ...args] = argv as [string, ...string[]];
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}` };
}

/** Why a small file system cannot be made here (not root, no mkfs.ext4 or loop devices), or null. */
export function smallFsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to loop-mount a file system';
  if (!run(['mkfs.ext4', '-V']).ok) return 'mkfs.ext4 is not installed (e2fsprogs)';
  return null;
}

export async function mountSmallFs(megabytes: number): Promise<SmallFs> {
  const base = await mkdtemp(join(tmpdir(), 'sw-smallfs-'));
  const image = join(base, 'card.img');
  const dir = join(base, 'mnt');
  await mkdir(dir);
  const steps = [
    ['truncate', '-s', `${megabytes}M`, image],
    ['mkfs.ext4', '-q', '-F', '-m', '0', image],
    ['mount', '-o', 'loop', image, dir],
  ];
  for (const step of steps) {
    const result = run(step);
    if (!result.ok) {
      await rm(base, { recursive: true, force: true });
      throw new Error(`${step.join(' ')} failed: ${result.output}`);
    }
  }
  return {
    dir,
    async unmount() {
      // Lazy: a process of the test that is still exiting may hold a file open.
      run(['umount', '-l', dir]);
      await rm(base, { recursive: true, force: true });
    },
  };
}
