// What makes sending cheaper: buffers joined per turn before the box stream (coalesce.ts), and a feed's
// messages read in runs from the log (read-ahead.ts).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import pull from 'pull-stream';
import { type Callback, coalesceBuffers, type End, type Read } from '../../src/ssb/coalesce.js';
import { batchedBoxStream } from '../../src/ssb/patches/box-stream-batching.js';
import { ReadAhead, type Run, type RunSource } from '../../src/ssb/read-ahead.js';

const require = createRequire(import.meta.url);
const fromShs = createRequire(
  createRequire(createRequire(require.resolve('secret-stack')).resolve('multiserver')).resolve('secret-handshake'),
);
const boxes = fromShs('pull-box-stream') as {
  createBoxStream(key: Buffer, nonce: Buffer): pull.Through<Buffer, Buffer>;
  createUnboxStream(key: Buffer, nonce: Buffer): pull.Through<Buffer, Buffer>;
};

/** A source answering from a script: a buffer at once, a buffer later (setImmediate x n), or the end. */
function scripted(steps: Array<Buffer | { later: Buffer; turns: number } | End>): Read<Buffer> & { reads: number } {
  let i = 0;
  const read = ((abort: End, cb: Callback<Buffer>) => {
    read.reads++;
    if (abort) return cb(abort);
    const step = steps[i++];
    if (step === undefined) return cb(true);
    if (Buffer.isBuffer(step)) return cb(null, step);
    if (step === null || step === true || step instanceof Error) return cb(step === null ? true : step);
    let turns = step.turns;
    const wait = () => (turns-- > 0 ? setImmediate(wait) : cb(null, step.later));
    wait();
  }) as Read<Buffer> & { reads: number };
  read.reads = 0;
  return read;
}

function collect(read: Read<Buffer | string>): Promise<{ chunks: Buffer[]; end: End }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const next = () =>
      read(null, (end, data) => {
        if (end) return resolve({ chunks, end });
        chunks.push(Buffer.from(data as Buffer));
        next();
      });
    next();
  });
}

const b = (text: string) => Buffer.from(text);

describe('coalesceBuffers', () => {
  it('joins what the source gives within one turn and keeps order and bytes', async () => {
    const source = scripted([b('a'), b('b'), b('c'), { later: b('d'), turns: 2 }, b('e'), true]);
    const { chunks, end } = await collect(coalesceBuffers(1024)(source));
    assert.equal(end, true);
    assert.deepEqual(
      chunks.map((c) => c.toString()),
      ['abc', 'de'],
    );
  });

  it('passes on at maxBytes without waiting for the turn to end', async () => {
    const source = scripted([b('1234'), b('5678'), b('9'), true]);
    const { chunks } = await collect(coalesceBuffers(8)(source));
    assert.deepEqual(
      chunks.map((c) => c.toString()),
      ['12345678', '9'],
    );
  });

  it('delivers data before an error, then the error; skips empty chunks; takes strings as UTF-8', async () => {
    const failure = new Error('socket gone');
    const read = scripted([b('x'), Buffer.alloc(0), failure]);
    const withString: Read<Buffer | string> = (abort, cb) =>
      read(abort, (end, data) => cb(end, data?.toString() === 'x' ? 'é' : data));
    const { chunks, end } = await collect(coalesceBuffers(64)(withString));
    assert.equal(end, failure);
    assert.deepEqual(chunks, [Buffer.from('é')]);
  });

  it('passes an abort upstream and answers a waiting read with it', async () => {
    let aborted: End = null;
    const never: Read<Buffer> = (abort, cb) => {
      if (abort) {
        aborted = abort;
        cb(abort);
      }
    };
    const through = coalesceBuffers(64)(never);
    const waiting = new Promise<End>((resolve) => through(null, (end) => resolve(end)));
    const stop = new Error('closing');
    await new Promise<void>((resolve) => through(stop, () => resolve()));
    assert.equal(await waiting, stop);
    assert.equal(aborted, stop);
  });

  it('does not recurse on a long synchronous source', async () => {
    const many = Array.from({ length: 100_000 }, () => b('z'));
    const { chunks } = await collect(coalesceBuffers(1 << 20)(scripted([...many, true])));
    assert.equal(Buffer.concat(chunks).length, 100_000);
  });

  it('the batched box stream still speaks box-stream: the unbox stream reads it back', async () => {
    const key = Buffer.alloc(32, 7);
    const nonce = Buffer.alloc(24, 3);
    const parts = Array.from({ length: 500 }, (_, i) => Buffer.from(`packet ${i} `.repeat((i % 50) + 1)));
    const boxed: Buffer[] = await new Promise((resolve, reject) =>
      pull(
        pull.values(parts),
        batchedBoxStream(boxes.createBoxStream as never)(key, nonce) as unknown as pull.Through<Buffer, Buffer>,
        pull.collect<Buffer>((err, out) => (err ? reject(err) : resolve(out))),
      ),
    );
    // Joined: far fewer writes than the 2 per packet the plain box stream makes.
    assert.ok(boxed.length < 20, `${boxed.length} writes`);
    const plain: Buffer[] = await new Promise((resolve, reject) =>
      pull(
        pull.values(boxed),
        boxes.createUnboxStream(key, nonce),
        pull.collect<Buffer>((err, out) => (err ? reject(err) : resolve(out))),
      ),
    );
    assert.deepEqual(Buffer.concat(plain), Buffer.concat(parts));
  });
});

/** A log of one feed's records 1..n, with `gapAt` missing, read in runs of `runLength`. */
function fakeLog(n: number, runLength: number, gapAt = -1): RunSource<string> & { reads: number } {
  const source = {
    reads: 0,
    readRun(feed: string, sequence: number, cb: (err: Error | null, run?: Run<string>) => void) {
      source.reads++;
      const records: string[] = [];
      for (let s = sequence; s <= n && records.length < runLength && s !== gapAt; s++) records.push(`${feed}:${s}`);
      setImmediate(() => cb(null, { start: sequence, records }));
    },
  };
  return source;
}

function getAll(ahead: ReadAhead<string, string>, feed: string, from: number, to: number, fallback: () => string) {
  return new Promise<string[]>((resolve) => {
    const got: string[] = [];
    const next = (s: number) => {
      if (s > to) return resolve(got);
      ahead.get(
        feed,
        s,
        (_err, msg) => {
          got.push(msg as string);
          next(s + 1);
        },
        () => {
          got.push(fallback());
          next(s + 1);
        },
      );
    };
    next(from);
  });
}

describe('ReadAhead', () => {
  it('serves a feed in runs: one read per run, every message once and in order', async () => {
    const log = fakeLog(1000, 100);
    const ahead = new ReadAhead<string, string>(log, (r) => r.toUpperCase());
    const got = await getAll(ahead, 'a', 1, 1000, () => 'fallback');
    assert.deepEqual(
      got,
      Array.from({ length: 1000 }, (_, i) => `A:${i + 1}`),
    );
    assert.equal(log.reads, 10);
    assert.equal(ahead.hits, 990);
  });

  it('falls back to the library where the log does not go on (a gap), and goes on after it', async () => {
    const log = fakeLog(20, 100, 10);
    const ahead = new ReadAhead<string, string>(log, (r) => r);
    const got = await getAll(ahead, 'a', 1, 12, () => 'library');
    assert.equal(got[9], 'library');
    assert.deepEqual(
      got.slice(0, 9),
      Array.from({ length: 9 }, (_, i) => `a:${i + 1}`),
    );
    assert.deepEqual(got.slice(10), ['a:11', 'a:12']);
  });

  it('answers a kept record in a later tick, so a reader asking again from its callback cannot recurse', async () => {
    const ahead = new ReadAhead<string, string>(fakeLog(10, 10), (r) => r);
    await getAll(ahead, 'a', 1, 1, () => 'x');
    let answered = false;
    assert.equal(
      ahead.tryGet('a', 2, () => {
        answered = true;
      }),
      true,
    );
    assert.equal(answered, false);
    await new Promise((r) => process.nextTick(r));
    assert.equal(answered, true);
  });

  it('forgets runs after their time, and keeps at most maxFeeds', async () => {
    let now = 0;
    const ahead = new ReadAhead<string, string>(fakeLog(10, 10), (r) => r, {
      now: () => now,
      maxFeeds: 2,
      ttlMs: 1000,
    });
    for (const feed of ['a', 'b', 'c']) await getAll(ahead, feed, 1, 1, () => 'x');
    assert.equal(ahead.feedsKept, 2);
    assert.equal(
      ahead.tryGet('a', 2, () => {}),
      false,
    );
    now = 1001;
    assert.equal(
      ahead.tryGet('c', 2, () => {}),
      false,
    );
  });

  it('a record that does not decode is read by the library instead', async () => {
    const ahead = new ReadAhead<string, string>(fakeLog(10, 10), (r) => {
      if (r.endsWith(':1')) throw new Error('bad record');
      return r;
    });
    const got = await getAll(ahead, 'a', 1, 2, () => 'library');
    assert.deepEqual(got, ['library', 'a:2']);
  });
});
