// The record of verified blobs (storage/blob-verified.ts) and the blob guard's use of it (ssb/blob-guard.ts):
// a boot hashes only new or changed files, a few verified long ago, and everything when the record is lost;
// a slice is served from a recorded file without hashing it again. Real files in a temporary directory.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { BlobGuard } from '../../src/ssb/blob-guard.js';
import { blobPath } from '../../src/ssb/durable.js';
import { blobIdOf, checkBlobFile } from '../../src/storage/blob-integrity.js';
import {
  parseVerifiedRecord,
  serializeVerifiedRecord,
  type VerifiedEntry,
  verdictFor,
} from '../../src/storage/blob-verified.js';

const DAY = 24 * 60 * 60 * 1000;
const file = { size: 10, mtimeMs: 1000.5, ctimeMs: 1000.5, ino: 42 };

describe('verdict on a blob file', () => {
  const table: Array<[string, VerifiedEntry | undefined, number, string]> = [
    ['never verified', undefined, 0, 'unknown'],
    ['verified, unchanged, recently', { ...file, verifiedAt: 0 }, DAY, 'trusted'],
    ['verified, unchanged, long ago', { ...file, verifiedAt: 0 }, 31 * DAY, 'stale'],
    ['rewritten (other size)', { ...file, size: 11, verifiedAt: 0 }, DAY, 'unknown'],
    ['rewritten (other times)', { ...file, mtimeMs: 999, verifiedAt: 0 }, DAY, 'unknown'],
    ['replaced by a rename (other inode)', { ...file, ino: 43, verifiedAt: 0 }, DAY, 'unknown'],
    ['touched (change time)', { ...file, ctimeMs: 2000, verifiedAt: 0 }, DAY, 'unknown'],
  ];
  for (const [name, entry, now, verdict] of table) {
    it(name, () => assert.equal(verdictFor(entry, file, now), verdict));
  }
});

describe('the record on disk', () => {
  const entryArb = fc.record({
    size: fc.nat(),
    mtimeMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
    ctimeMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
    ino: fc.nat(),
    verifiedAt: fc.nat(),
  });
  it('reads back what it wrote', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), entryArb), (entries) => {
        const record = new Map(Object.entries(entries));
        const back = parseVerifiedRecord(serializeVerifiedRecord(record));
        // -0 does not survive JSON; it is the same time.
        assert.deepEqual(
          [...back].map(([id, e]) => [id, { ...e, mtimeMs: e.mtimeMs + 0, ctimeMs: e.ctimeMs + 0 }]),
          [...record].map(([id, e]) => [id, { ...e, mtimeMs: e.mtimeMs + 0, ctimeMs: e.ctimeMs + 0 }]),
        );
      }),
    );
  });
  it('is empty, never wrong, when the file is damaged', () => {
    for (const text of ['', '{', 'null', '[]', '{"version":2,"blobs":{}}', '{"version":1,"blobs":{"&a":[1,2]}}']) {
      assert.equal(parseVerifiedRecord(text).size, 0, text);
    }
    const mixed = parseVerifiedRecord('{"version":1,"blobs":{"&a":[1,2,3,4,5],"&b":[1,"x",3,4,5]}}');
    assert.deepEqual([...mixed.keys()], ['&a']);
  });
});

describe('the blob guard with its record', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const silent = { log() {} };

  async function store(count: number) {
    const dir = await mkdtemp(join(tmpdir(), 'sw-verified-'));
    dirs.push(dir);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await put(dir, randomBytes(1000 + i)));
    return { dir, ids };
  }
  async function put(dir: string, bytes: Buffer): Promise<string> {
    const id = blobIdOf(bytes);
    await mkdir(dirname(blobPath(dir, id)), { recursive: true });
    await writeFile(blobPath(dir, id), bytes);
    return id;
  }
  /** A guard (as a boot makes one) that counts the files it hashes. */
  function guard(dir: string, options: { now?: () => number; reverifyPerScan?: number } = {}) {
    const hashed: string[] = [];
    const wanted: string[] = [];
    const g = new BlobGuard({
      ssbDir: dir,
      logger: silent,
      wantAgain: (id) => wanted.push(id),
      checkFile: (path, id, size) => {
        hashed.push(id);
        return checkBlobFile(path, id, size);
      },
      ...options,
    });
    return { g, hashed, wanted };
  }

  it('hashes every file at the first boot, none at the next, then only the new and the changed', async () => {
    const { dir, ids } = await store(5);
    const first = guard(dir);
    assert.deepEqual(await first.g.scan(), { checked: 5, trusted: 0, damaged: [] });
    await first.g.stop();

    const second = guard(dir);
    assert.deepEqual(await second.g.scan(), { checked: 0, trusted: 5, damaged: [] });
    assert.deepEqual(second.hashed, []);
    await second.g.stop();

    const added = await put(dir, randomBytes(3000));
    const damagedId = ids[2] ?? '';
    await writeFile(blobPath(dir, damagedId), randomBytes(1002)); // same size, other bytes
    const third = guard(dir);
    const scan = await third.g.scan();
    assert.deepEqual(third.hashed.sort(), [added, damagedId].sort());
    assert.deepEqual(scan, { checked: 2, trusted: 4, damaged: [damagedId] });
    assert.deepEqual(third.wanted, [damagedId], 'the damaged photo is wanted again');
    await third.g.stop();

    // The set-aside file is forgotten; the rest stays trusted.
    const fourth = guard(dir);
    assert.deepEqual(await fourth.g.scan(), { checked: 0, trusted: 5, damaged: [] });
    await fourth.g.stop();
  });

  it('hashes everything again when the record is lost or damaged', async () => {
    const { dir } = await store(3);
    await guard(dir).g.scan();
    const recordPath = join(dir, 'blobs-verified.json');
    assert.match(await readFile(recordPath, 'utf8'), /^\{"version":1,"blobs":\{/);
    await writeFile(recordPath, '{"version":1,"blobs":{"&x');
    const again = guard(dir);
    assert.deepEqual(await again.g.scan(), { checked: 3, trusted: 0, damaged: [] });
    await rm(recordPath);
    assert.deepEqual(await guard(dir).g.scan(), { checked: 3, trusted: 0, damaged: [] });
  });

  it('hashes again, a few per boot, files verified long ago', async () => {
    const { dir } = await store(5);
    let now = Date.now();
    const first = guard(dir, { now: () => now });
    await first.g.scan();
    await first.g.stop();
    now += 31 * DAY;
    const later = guard(dir, { now: () => now, reverifyPerScan: 2 });
    assert.deepEqual(await later.g.scan(), { checked: 2, trusted: 3, damaged: [] });
    await later.g.stop();
    const next = guard(dir, { now: () => now, reverifyPerScan: 2 });
    assert.deepEqual(await next.g.scan(), { checked: 2, trusted: 3, damaged: [] });
    await next.g.stop();
    const last = guard(dir, { now: () => now, reverifyPerScan: 2 });
    assert.deepEqual(await last.g.scan(), { checked: 1, trusted: 4, damaged: [] });
  });

  it('serves a slice from a recorded, unchanged file without hashing it; a changed one is hashed', async () => {
    const { dir, ids } = await store(2);
    const [kept = '', changed = ''] = ids;
    const { g, hashed } = guard(dir);
    assert.equal(await g.check(kept, { trustRecord: true }), true);
    assert.deepEqual(hashed, [kept], 'an unknown file is hashed');
    assert.equal(await g.check(kept, { trustRecord: true }), true);
    assert.deepEqual(hashed, [kept], 'a recorded, unchanged file is hashed again');
    assert.equal(await g.check(changed, { trustRecord: true }), true);
    await writeFile(blobPath(dir, changed), randomBytes(1001));
    assert.equal(await g.check(changed, { trustRecord: true }), false, 'a changed, damaged file was trusted');
    assert.deepEqual(hashed, [kept, changed, changed]);
    // Without trustRecord (a whole read) it is always hashed.
    assert.equal(await g.check(kept), true);
    assert.equal(hashed.length, 4);
    await g.stop();
  });
});
