import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AddBatch, AppendQueue, type Rejection, RejectionLog, rootCause } from '../../src/ssb/append-queue.js';

interface Msg {
  author: string;
  sequence: number;
  bad?: boolean;
}

/** A database that, like ssb-db2's addBatch, refuses a whole batch if any message does not extend the feed. */
function fakeDb() {
  const stored = new Map<string, number>();
  const batches: number[][] = [];
  const addBatch: AddBatch<Msg, string> = (msgs, _opts, cb) => {
    batches.push(msgs.map((m) => m.sequence));
    const author = msgs[0]?.author ?? '';
    let latest = stored.get(author) ?? 0;
    for (const m of msgs) {
      if (m.bad || m.sequence !== latest + 1) {
        const cause = new Error(`invalid message: bad ${m.sequence}, on feed: ${author}`);
        setImmediate(() => cb(new Error('validation in addBatch() failed', { cause })));
        return;
      }
      latest = m.sequence;
    }
    stored.set(author, latest);
    setImmediate(() =>
      cb(
        null,
        msgs.map((m) => `${m.author}:${m.sequence}`),
      ),
    );
  };
  return { stored, batches, addBatch };
}

function run(queue: AppendQueue<Msg, string>, msgs: Msg[]): Promise<Array<string | Error>> {
  return Promise.all(
    msgs.map(
      (m) =>
        new Promise<string | Error>((resolve) => queue.add(m, (err, result) => resolve(err ?? (result as string)))),
    ),
  );
}

const feed = (author: string, from: number, to: number): Msg[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ author, sequence: from + i }));

describe('AppendQueue', () => {
  it('stores a burst as one batch per feed and answers each message', async () => {
    const db = fakeDb();
    const queue = new AppendQueue(db.addBatch, () => assert.fail('nothing refused'));
    const results = await run(queue, [...feed('@a', 1, 50), ...feed('@b', 1, 3)]);
    assert.equal(results[49], '@a:50');
    assert.deepEqual(db.batches.map((b) => b.length).sort(), [3, 50]);
    assert.equal(db.stored.get('@a'), 50);
    assert.equal(queue.pending, 0);
  });

  it('keeps the valid messages of a refused batch and refuses only the invalid ones', async () => {
    const db = fakeDb();
    const refused: Rejection[] = [];
    const queue = new AppendQueue(db.addBatch, (r) => refused.push(r));
    const msgs = feed('@a', 1, 6);
    (msgs[3] as Msg).bad = true; // sequence 4: everything after it cannot chain either
    const results = await run(queue, msgs);
    assert.equal(db.stored.get('@a'), 3);
    assert.deepEqual(
      refused.map((r) => r.sequence),
      [4, 5, 6],
    );
    assert.ok(results[3] instanceof Error);
    assert.equal(results[2], '@a:3');
  });

  it('a stale duplicate does not take the valid messages after it down', async () => {
    const db = fakeDb();
    const refused: Rejection[] = [];
    const queue = new AppendQueue(db.addBatch, (r) => refused.push(r));
    await run(queue, feed('@a', 1, 2));
    await run(queue, [{ author: '@a', sequence: 2 }, ...feed('@a', 3, 4)]);
    assert.equal(db.stored.get('@a'), 4);
    assert.deepEqual(
      refused.map((r) => r.sequence),
      [2],
    );
  });

  it('what arrives while a batch is being stored goes into the next batch, in order', async () => {
    const db = fakeDb();
    const queue = new AppendQueue(db.addBatch, () => assert.fail('nothing refused'));
    const first = run(queue, feed('@a', 1, 10));
    await new Promise((r) => setImmediate(r)); // the first batch is now in flight
    const second = run(queue, feed('@a', 11, 20).reverse());
    await Promise.all([first, second]);
    assert.equal(db.stored.get('@a'), 20);
    assert.deepEqual(db.batches, [feed('@a', 1, 10).map((m) => m.sequence), feed('@a', 11, 20).map((m) => m.sequence)]);
  });

  it('a long refused batch does not overflow the stack', async () => {
    const db = fakeDb();
    let refused = 0;
    const queue = new AppendQueue(db.addBatch, () => refused++);
    await run(
      queue,
      feed('@a', 2, 20_001), // no sequence 1: nothing chains
    );
    assert.equal(refused, 20_000);
    assert.equal(db.stored.get('@a'), undefined);
  });
});

describe('RejectionLog', () => {
  it('logs each feed and reason once per window, then how many more there were', () => {
    let now = 0;
    const lines: Array<[string, Record<string, unknown>]> = [];
    const log = new RejectionLog({ log: (_level, msg, fields) => lines.push([msg, fields ?? {}]) }, () => now, 60_000);
    const err = (text: string) =>
      new Error('validation in addBatch() failed', { cause: new Error(`${text}, on feed: @a`) });
    for (let i = 0; i < 1000; i++) log.record({ feed: '@a', sequence: i, error: err('signature does not match') });
    // Varying numbers are the same kind of refusal.
    log.record({ feed: '@a', sequence: 7, error: err('content is 9034 characters') });
    log.record({ feed: '@a', sequence: 8, error: err('content is 9100 characters') });
    log.record({ feed: '@a', sequence: 5, error: err('wrong sequence') });
    log.record({ feed: '@b', sequence: 1, error: err('signature does not match') });
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[0], [
      'refused a replicated message',
      { feed: '@a', sequence: 0, reason: 'signature does not match' },
    ]);
    now = 60_000;
    log.record({ feed: '@a', sequence: 1, error: err('signature does not match') });
    assert.deepEqual(lines[4], [
      'refused a replicated message (repeated)',
      { kind: '@a signature does not match', more: 999, windowMs: 60_000 },
    ]);
    assert.equal(lines[6]?.[0], 'refused a replicated message');
    assert.equal(log.total, 1005);
  });

  it('finds the innermost cause', () => {
    const inner = new Error('inner');
    assert.equal(rootCause(new Error('a', { cause: new Error('b', { cause: inner }) })), inner);
    assert.equal(rootCause(inner), inner);
  });
});
