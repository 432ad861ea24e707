import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BlobWants } from '../../src/ssb/blob-wants.js';
import { memoryLogger } from '../helpers/ssb-peers.js';

const blobId = (n: number) => `&${createHash('sha256').update(`photo ${n}`).digest('base64')}.sha256`;

/** ssb-blobs' want as the queue sees it: callbacks held until the test says the blob arrived. */
function fakeBlobs() {
  const pending = new Map<string, (err: Error | null, has?: boolean) => void>();
  const asked: string[] = [];
  return {
    asked,
    pending,
    want(id: string, cb: (err: Error | null, has?: boolean) => void) {
      asked.push(id);
      pending.set(id, cb);
    },
    arrive(id: string) {
      const cb = pending.get(id);
      assert.ok(cb, `${id} was not asked for`);
      pending.delete(id);
      cb(null, true);
    },
  };
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'blob-wants-'));
  dirs.push(dir);
  return join(dir, 'blob-wants.json');
}

describe('BlobWants', () => {
  it('asks for at most `active` at once and the next one as each arrives, in order', async () => {
    const blobs = fakeBlobs();
    const wants = new BlobWants({ file: await tempFile(), want: blobs.want, logger: memoryLogger('t'), active: 3 });
    for (let i = 0; i < 5; i++) wants.add(blobId(i));
    wants.add(blobId(1)); // a second mention of the same photo
    assert.deepEqual(blobs.asked, [blobId(0), blobId(1), blobId(2)]);
    blobs.arrive(blobId(1));
    assert.deepEqual(blobs.asked, [blobId(0), blobId(1), blobId(2), blobId(3)]);
    blobs.arrive(blobId(0));
    blobs.arrive(blobId(3));
    assert.deepEqual(blobs.asked.slice(4), [blobId(4)]);
    assert.equal(wants.size, 2);
    await wants.close();
  });

  it('retry asks again for every blob asked and not here, and one arrival answers both asks', async () => {
    const blobs = {
      asked: [] as string[],
      callbacks: new Map<string, Array<(err: Error | null, has?: boolean) => void>>(),
      want(id: string, cb: (err: Error | null, has?: boolean) => void) {
        blobs.asked.push(id);
        blobs.callbacks.set(id, [...(blobs.callbacks.get(id) ?? []), cb]);
      },
    };
    const wants = new BlobWants({ file: await tempFile(), want: blobs.want, logger: memoryLogger('t'), active: 2 });
    for (let i = 0; i < 3; i++) wants.add(blobId(i));
    assert.equal(wants.retry(), 2);
    assert.deepEqual(blobs.asked, [blobId(0), blobId(1), blobId(0), blobId(1)]);
    // ssb-blobs calls every callback of a want when the blob arrives: the queue moves on once.
    for (const cb of blobs.callbacks.get(blobId(0)) ?? []) cb(null, true);
    assert.deepEqual(blobs.asked.slice(4), [blobId(2)]);
    assert.equal(wants.size, 2);
    await wants.close();
    assert.equal(wants.retry(), 0);
  });

  it('remembers what is still missing across a restart and asks for it again', async () => {
    const file = await tempFile();
    const first = fakeBlobs();
    const before = new BlobWants({ file, want: first.want, logger: memoryLogger('t'), active: 2 });
    for (let i = 0; i < 4; i++) before.add(blobId(i));
    first.arrive(blobId(0));
    await before.close();

    const second = fakeBlobs();
    const after = new BlobWants({ file, want: second.want, logger: memoryLogger('t'), active: 2 });
    assert.equal(await after.load(), 3);
    assert.deepEqual(new Set(second.asked), new Set([blobId(1), blobId(2)]));
    second.arrive(blobId(1));
    assert.ok(second.asked.includes(blobId(3)));
    await after.close();
  });

  it('writes a burst of mentions once it has calmed down, without waiting for close', async () => {
    const file = await tempFile();
    const blobs = fakeBlobs();
    const wants = new BlobWants({ file, want: blobs.want, logger: memoryLogger('t'), saveDelayMs: 20 });
    for (let i = 0; i < 50; i++) wants.add(blobId(i));
    await new Promise((r) => setTimeout(r, 200));
    const stored = JSON.parse(await readFile(file, 'utf8')) as { wanted: string[] };
    assert.equal(stored.wanted.length, 50);
    await wants.close();
  });

  it('is bounded: beyond its capacity a mention is dropped and logged once', async () => {
    const logger = memoryLogger('t');
    const blobs = fakeBlobs();
    const wants = new BlobWants({ file: await tempFile(), want: blobs.want, logger, active: 2, capacity: 10 });
    for (let i = 0; i < 100; i++) wants.add(blobId(i));
    assert.equal(wants.size, 10);
    assert.equal(logger.lines.filter((l) => l.msg.includes('dropped')).length, 1);
    await wants.close();
  });

  it('refuses what is not a blob id', async () => {
    const blobs = fakeBlobs();
    const wants = new BlobWants({ file: await tempFile(), want: blobs.want, logger: memoryLogger('t') });
    for (const bad of ['', '&abc.sha256', `${blobId(1)}\n`, '%notablob.sha256', blobId(1).replace('&', '@')]) {
      wants.add(bad);
    }
    assert.equal(wants.size, 0);
    assert.deepEqual(blobs.asked, []);
    await wants.close();
  });

  it('a corrupt file is kept aside with a warning, and the peer starts with no wants', async () => {
    const file = await tempFile();
    await writeFile(file, '{"version":1,"wanted":["&not a blob"');
    const logger = memoryLogger('t');
    const blobs = fakeBlobs();
    const wants = new BlobWants({ file, want: blobs.want, logger });
    assert.equal(await wants.load(), 0);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && String(l.fields?.detail).includes('unreadable')));
    const names = await readdir(join(file, '..'));
    assert.ok(names.some((n) => n.startsWith('blob-wants.json.corrupt-')));
    wants.add(blobId(7));
    assert.deepEqual(blobs.asked, [blobId(7)]);
    await wants.close();
  });

  it('an id ssb-blobs refuses frees its slot for the next', async () => {
    const blobs = fakeBlobs();
    const wants = new BlobWants({ file: await tempFile(), want: blobs.want, logger: memoryLogger('t'), active: 1 });
    wants.add(blobId(1));
    wants.add(blobId(2));
    blobs.pending.get(blobId(1))?.(new Error('invalid id'));
    assert.deepEqual(blobs.asked, [blobId(1), blobId(2)]);
    await wants.close();
  });
});
