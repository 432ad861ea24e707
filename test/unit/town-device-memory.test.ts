// A device's memory with every physical page once: the parsing of /proc/PID/maps and /proc/PID/pagemap, and the
// figure for this test process itself (its own pages, so nothing is shared and it must match its RSS closely).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceMemory, fileRanges, presentFrames } from '../../lab/town/device-memory.js';

test('device memory: file-backed ranges of a maps file', () => {
  const maps = [
    '55d0c8a00000-55d0c8c00000 r--p 00000000 08:01 1234567                    /usr/bin/node',
    '55d0c8c00000-55d0c8c01000 rw-p 00000000 00:00 0                          [heap]',
    '7f00aa000000-7f00aa002000 r-xp 00001000 08:01 42                         /usr/lib/libz.so.1 (deleted)',
    '7ffd1c9e4000-7ffd1ca05000 rw-p 00000000 00:00 0                          [stack]',
    '',
  ].join('\n');
  assert.deepEqual(fileRanges(maps), [
    [0x55d0c8a00000, 0x55d0c8c00000],
    [0x7f00aa000000, 0x7f00aa002000],
  ]);
});

test('device memory: present pages give their frame numbers, absent or swapped pages none', () => {
  const entries = Buffer.alloc(8 * 4);
  // present, frame 0x12_3456_789a (bits 0-54)
  entries.writeUInt32LE(0x3456_789a, 0);
  entries.writeUInt32LE(0x8000_0012, 4);
  // not present
  entries.writeUInt32LE(0x1111, 8);
  entries.writeUInt32LE(0x0000_0000, 12);
  // present, same frame as the first (a page mapped twice counts once)
  entries.writeUInt32LE(0x3456_789a, 16);
  entries.writeUInt32LE(0x8000_0012, 20);
  // swapped (bit 62), not present
  entries.writeUInt32LE(0x5, 24);
  entries.writeUInt32LE(0x4000_0000, 28);
  const frames = new Set<number>();
  presentFrames(entries, frames);
  assert.deepEqual([...frames], [0x12_3456_789a]);
});

test('device memory: one process alone is its own RSS, whether its file pages are read again or carried', async () => {
  const fresh = await deviceMemory([process.pid], true);
  assert.ok(fresh.anonMB > 5 && fresh.fileMB > 5, JSON.stringify(fresh));
  assert.ok(Math.abs(fresh.residentMB - fresh.rssSumMB) < 0.1 * fresh.rssSumMB, JSON.stringify(fresh));
  const twice = await deviceMemory([process.pid, process.pid], true);
  assert.ok(Math.abs(twice.fileMB - fresh.fileMB) < 0.1 * fresh.fileMB, 'the same file pages count once');
  const carried = await deviceMemory([process.pid, process.pid], false, fresh.fileMB);
  assert.equal(carried.fileMB, fresh.fileMB);
  assert.ok(carried.rssSumMB > 1.8 * fresh.rssSumMB, 'RSS added up counts the same pages twice');
  assert.deepEqual(await deviceMemory([2 ** 22 + 12345], true), { rssSumMB: 0, anonMB: 0, fileMB: 0, residentMB: 0 });
});
