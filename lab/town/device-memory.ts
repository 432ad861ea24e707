// A device's resident memory as its board would hold it: every physical page once. The daemon and the peer are
// two Node.js processes mapping the same executable and libraries; adding their RSS counts those file pages
// twice (about 43 MB each here, idle), while PSS on this machine would share them among every device's
// processes. So: their anonymous and shared-memory pages (never shared between the two: the peer is spawned,
// not forked) plus the union of the physical pages of their file mappings, read from /proc/PID/pagemap
// (page frame numbers need root, which the lab has).
import { open, readFile } from 'node:fs/promises';

const PAGE = 4096;

export interface DeviceMemory {
  /** The processes' RSS added up (file pages counted once per process). */
  rssSumMB: number;
  /** Anonymous + shared memory of all the processes, MB. */
  anonMB: number;
  /** Distinct physical pages of their file mappings, MB. */
  fileMB: number;
  /** anonMB + fileMB: what the board would hold resident. */
  residentMB: number;
}

/** Pure: the file-backed ranges [start, end) of a /proc/PID/maps text (inode not 0). */
export function fileRanges(maps: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const line of maps.split('\n')) {
    const [range, , , , inode] = line.split(/\s+/);
    if (!range || !inode || inode === '0') continue;
    const [from, to] = range.split('-').map((h) => Number.parseInt(h, 16));
    if (from === undefined || to === undefined || !Number.isFinite(from) || !Number.isFinite(to)) continue;
    ranges.push([from, to]);
  }
  return ranges;
}

/** Pure: the page frame numbers of the present pages in a stretch of pagemap entries (8 bytes each). */
export function presentFrames(entries: Buffer, into: Set<number>): void {
  for (let at = 0; at + 8 <= entries.length; at += 8) {
    const high = entries.readUInt32LE(at + 4);
    if ((high & 0x8000_0000) === 0) continue; // bit 63: present
    // Bits 0-54: the frame number.
    into.add((high & 0x7f_ffff) * 2 ** 32 + entries.readUInt32LE(at));
  }
}

async function fileFrames(pid: number, into: Set<number>): Promise<void> {
  const ranges = fileRanges(await readFile(`/proc/${pid}/maps`, 'utf8'));
  const pagemap = await open(`/proc/${pid}/pagemap`, 'r');
  try {
    for (const [from, to] of ranges) {
      const pages = (to - from) / PAGE;
      const buffer = Buffer.alloc(pages * 8);
      const { bytesRead } = await pagemap.read(buffer, 0, buffer.length, (from / PAGE) * 8);
      presentFrames(buffer.subarray(0, bytesRead), into);
    }
  } finally {
    await pagemap.close();
  }
}

function kB(status: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
}

/** The cheap part, from /proc/PID/status: RSS and anonymous + shared memory, kB. */
async function statusOf(pid: number): Promise<{ rss: number; anon: number; file: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return {
    rss: kB(status, 'VmRSS'),
    anon: kB(status, 'RssAnon') + kB(status, 'RssShmem'),
    file: kB(status, 'RssFile'),
  };
}

const mb = (kib: number) => (kib * 1024) / 1e6;

/**
 * The device's memory now. `fileMB` is measured afresh when `measureFiles` is set (a few hundred KB of pagemap
 * per process) and otherwise taken from `previousFileMB` (file pages change little once the code is loaded).
 * A process that has gone counts nothing.
 */
export async function deviceMemory(
  pids: readonly number[],
  measureFiles: boolean,
  previousFileMB = 0,
): Promise<DeviceMemory> {
  let rss = 0;
  let anon = 0;
  let file = 0;
  const frames = new Set<number>();
  for (const pid of pids) {
    const s = await statusOf(pid).catch(() => ({ rss: 0, anon: 0, file: 0 }));
    rss += s.rss;
    anon += s.anon;
    file += s.file;
    if (measureFiles) await fileFrames(pid, frames).catch(() => undefined);
  }
  // Without root every frame number reads as 0: then the file pages are added up, never under-counted.
  const hidden = frames.has(0);
  const fileMB = !measureFiles ? previousFileMB : hidden ? mb(file) : (frames.size * PAGE) / 1e6;
  return { rssSumMB: mb(rss), anonMB: mb(anon), fileMB, residentMB: mb(anon) + fileMB };
}
