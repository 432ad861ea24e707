// A small file system for the full-card tests: a loop-mounted ext4 image (as root), removed afterwards.
import { spawnSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
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

/** Why a small file system cannot be made here (not root, no mkfs.ext4), or null. */
function smallFsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to loop-mount a file system (npm test runs as root)';
  if (!run(['mkfs.ext4', '-V']).ok) return 'mkfs.ext4 is not installed (e2fsprogs; npm test installs it)';
  return null;
}

/** Bytes an unprivileged writer may still use on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/**
 * A loop-mounted ext4 of that size. Where one cannot be made the test fails with the reason: a full-card test
 * skipped in silence would prove nothing (npm test runs as root and brings e2fsprogs).
 */
export async function mountSmallFs(megabytes: number): Promise<SmallFs> {
  const unavailable = smallFsUnavailable();
  if (unavailable) throw new Error(`cannot make a small file system: ${unavailable}`);
  const base = await mkdtemp(join(tmpdir(), 'sw-smallfs-'));
  const image = join(base, 'card.img');
  const dir = join(base, 'mnt');
  await mkdir(dir);
  const fail = async (step: string[], output: string) => {
    await rm(base, { recursive: true, force: true });
    return new Error(`${step.join(' ')} failed: ${output}`);
  };
  for (const step of [
    ['truncate', '-s', `${megabytes}M`, image],
    ['mkfs.ext4', '-q', '-F', '-m', '0', image],
  ]) {
    const result = run(step);
    if (!result.ok) throw await fail(step, result.output);
  }
  // A loop device of our own: `mount -o loop` reuses one still attached to an earlier image whose inode
  // the new file got (a lazily unmounted one), and the test would get that old, full file system.
  const attach = ['losetup', '--find', '--show', image];
  const attached = run(attach);
  const device = attached.output.trim().split('\n')[0] ?? '';
  if (!attached.ok || !device.startsWith('/dev/loop')) throw await fail(attach, attached.output);
  const mount = ['mount', device, dir];
  const mounted = run(mount);
  if (!mounted.ok) {
    run(['losetup', '-d', device]);
    throw await fail(mount, mounted.output);
  }
  return {
    dir,
    async unmount() {
      // Lazy: a process of the test that is still exiting may hold a file open; the loop device goes with it.
      run(['umount', '-l', dir]);
      run(['losetup', '-d', device]);
      // jitdb saves index files after the peer's close() called back, creating their folders again by path:
      // under the mount point once it is detached (retry on ENOTEMPTY, as PeerSet does).
      await rm(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}
