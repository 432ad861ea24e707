// Our validation of replicated classic messages (src/ssb/classic-validation.ts) must decide exactly what
// ssb-classic 1.1's validateBatch decides, with the same error, and give the same message ids. Batches of
// correctly signed chains are damaged in the ways a buggy or hostile peer would (fields changed, removed,
// reordered, re-typed, oversized, signatures altered or moved, forks, gaps) and both validators judge them.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type ClassicMsg,
  ClassicValidator,
  MAX_VERIFY_BACKLOG,
  type ValidateBatch,
  type Verifier,
} from '../../src/ssb/classic-validation.js';
import { InlineVerifier, loadChloride, WorkerVerifier } from '../../src/ssb/verifier.js';

const require = createRequire(import.meta.url);
const fromDb2 = createRequire(require.resolve('ssb-db2'));
const fromClassic = createRequire(fromDb2.resolve('ssb-classic/format.js'));
const classic = fromClassic('./validation.js') as { validateBatch: ValidateBatch };
const originalGetMsgId = fromClassic('./get-msg-id.js') as (msg: unknown) => string;
const ssbKeys = fromClassic('ssb-keys') as {
  generate(curve: string, seed: Buffer): { id: string; public: string; private: string; curve: string };
  signObj(keys: object, obj: object): ClassicMsg;
  hash(text: string): string;
};
const ref = fromClassic('ssb-ref') as { isFeedId(value: unknown): boolean };
const signatureRx = (fromClassic('is-canonical-base64') as (p: string, s: string) => RegExp)('', '\\.sig.\\w+');
const chloridePath = createRequire(fromClassic.resolve('ssb-keys')).resolve('chloride');

const alice = ssbKeys.generate('ed25519', Buffer.alloc(32, 1));
const bob = ssbKeys.generate('ed25519', Buffer.alloc(32, 2));

function chain(keys: typeof alice, count: number, contents: unknown[]): ClassicMsg[] {
  const msgs: ClassicMsg[] = [];
  let previous: ClassicMsg | null = null;
  for (let i = 0; i < count; i++) {
    const unsigned = {
      previous: previous ? originalGetMsgId(previous) : null,
      author: keys.id,
      sequence: i + 1,
      timestamp: 1_700_000_000_000 + i,
      hash: 'sha256',
      content: contents[i % contents.length],
    };
    const msg = ssbKeys.signObj(keys, unsigned);
    msgs.push(msg);
    previous = msg;
  }
  return msgs;
}

const text = fc.string({ maxLength: 40, unit: 'binary' });
const content = fc.oneof(
  fc.record({ type: fc.constantFrom('post', 'contact', 'about', 'vote'), text }),
  fc.record({ type: fc.constantFrom('post'), text: fc.string({ minLength: 4000, maxLength: 9000 }) }),
  fc.record({ type: fc.constantFrom('post'), mentions: fc.array(fc.record({ link: text, name: text })) }),
  fc.constantFrom('YWJj.box', 'YWJj.box2'),
);

/** Generated values may have no prototype, so no String(): their JSON text instead. */
const str = (value: unknown) => JSON.stringify(value) ?? 'undefined';

type Damage = (msgs: ClassicMsg[], at: number, value: unknown) => void;
const FIELDS = ['previous', 'author', 'sequence', 'timestamp', 'hash', 'content', 'signature'] as const;
const set = (msg: ClassicMsg, key: string, value: unknown) => {
  (msg as unknown as Record<string, unknown>)[key] = value;
};
const rebuild = (msg: ClassicMsg, order: string[]) => {
  const copy = { ...msg } as Record<string, unknown>;
  for (const key of Object.keys(msg)) delete (msg as unknown as Record<string, unknown>)[key];
  for (const key of order) if (key in copy) set(msg, key, copy[key]);
};
const DAMAGES: Record<string, Damage> = {
  none: () => {},
  setField: (msgs, at, value) => {
    const msg = msgs[at] as ClassicMsg;
    set(msg, FIELDS[str(value).length % FIELDS.length] as string, value);
  },
  removeField: (msgs, at, value) => {
    delete (msgs[at] as unknown as Record<string, unknown>)[FIELDS[str(value).length % FIELDS.length] as string];
  },
  extraField: (msgs, at) => set(msgs[at] as ClassicMsg, 'extra', 1),
  swapAuthorSequence: (msgs, at) =>
    rebuild(msgs[at] as ClassicMsg, ['previous', 'sequence', 'author', 'timestamp', 'hash', 'content', 'signature']),
  signatureFirst: (msgs, at) =>
    rebuild(msgs[at] as ClassicMsg, ['signature', 'previous', 'author', 'sequence', 'timestamp', 'hash', 'content']),
  flipSignature: (msgs, at, value) => {
    const msg = msgs[at] as ClassicMsg;
    const sig = String(msg.signature);
    const i = str(value).length % 86;
    set(msg, 'signature', `${sig.slice(0, i)}${sig[i] === 'A' ? 'B' : 'A'}${sig.slice(i + 1)}`);
  },
  otherAuthorsSignature: (msgs, at) =>
    set(msgs[at] as ClassicMsg, 'signature', chain(bob, 1, [{ type: 'post' }])[0]?.signature),
  changeContent: (msgs, at, value) => set(msgs[at] as ClassicMsg, 'content', { type: 'post', text: str(value) }),
  drop: (msgs, at) => {
    msgs.splice(at, 1);
  },
  swap: (msgs, at) => {
    const next = msgs[at + 1];
    if (next) [msgs[at], msgs[at + 1]] = [next, msgs[at] as ClassicMsg];
  },
  fork: (msgs, at) => {
    const fork = chain(alice, at + 1, [{ type: 'post', text: 'fork' }]);
    msgs[at] = fork[at] as ClassicMsg;
  },
};

const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  text,
  fc.constant(bob.id),
  fc.constant('sha256'),
  fc.constant([]),
  fc.record({ type: text }),
);

function judge(validate: ValidateBatch, msgs: ClassicMsg[], prev: ClassicMsg | null): Promise<string> {
  return new Promise((resolve) => {
    validate(msgs, prev, null, (err) => resolve(err ? err.message : 'valid'));
  });
}

function validatorWith(
  verifier: Verifier,
  ids: Map<object, string>,
  inlineVerifier: Verifier = new InlineVerifier(loadChloride(chloridePath)),
) {
  return new ClassicValidator({
    isFeedId: (v) => ref.isFeedId(v),
    isSignature: (v) => signatureRx.test(v),
    getMsgId: (m) => originalGetMsgId(m),
    rememberMsgId: (m, id) => ids.set(m, id),
    verifier,
    inlineVerifier,
    fallback: classic.validateBatch,
  });
}

const batchCase = fc.record({
  length: fc.integer({ min: 1, max: 6 }),
  startAfter: fc.integer({ min: 0, max: 2 }),
  contents: fc.array(content, { minLength: 1, maxLength: 3 }),
  damage: fc.constantFrom(...Object.keys(DAMAGES)),
  at: fc.nat(),
  value: anyValue,
  admit: fc.boolean(),
});

describe('classic validation decides as ssb-classic does', () => {
  for (const kind of ['inline', 'worker'] as const) {
    it(`same verdict, same error and same ids (${kind} signature checks)`, async () => {
      const verifier =
        kind === 'inline' ? new InlineVerifier(loadChloride(chloridePath)) : new WorkerVerifier(chloridePath);
      try {
        await fc.assert(
          fc.asyncProperty(batchCase, async (c) => {
            const all = chain(alice, c.startAfter + c.length, c.contents);
            const prev = c.startAfter > 0 ? (all[c.startAfter - 1] as ClassicMsg) : null;
            const msgs = all.slice(c.startAfter);
            const at = c.at % msgs.length;
            DAMAGES[c.damage]?.(msgs, at, c.value);
            // Each validator gets its own copies: ssb-classic memoises ids by object.
            const theirs = structuredClone(msgs);
            const ours = structuredClone(msgs);
            const ids = new Map<object, string>();
            const validator = validatorWith(verifier, ids);
            if (c.admit) for (const msg of ours) validator.admit(msg);
            const expected = await judge(classic.validateBatch, theirs, prev ? structuredClone(prev) : null);
            const actual = await judge(validator.validateBatch, ours, prev ? structuredClone(prev) : null);
            assert.equal(actual, expected);
            if (expected === 'valid') {
              for (const [i, msg] of ours.entries()) assert.equal(ids.get(msg), originalGetMsgId(theirs[i]));
            }
          }),
          { numRuns: kind === 'inline' ? 1500 : 300, seed: 20261204 },
        );
      } finally {
        verifier.close();
      }
    });
  }

  it('a flood larger than the worker backlog is still judged, message by message', async () => {
    const verifier = new WorkerVerifier(chloridePath);
    try {
      const ids = new Map<object, string>();
      const inline = new InlineVerifier(loadChloride(chloridePath));
      let checkedInline = 0;
      const countingInline: Verifier = {
        verify: (jobs, cb) => {
          checkedInline += jobs.length;
          inline.verify(jobs, cb);
        },
        close: () => {},
      };
      const validator = validatorWith(verifier, ids, countingInline);
      assert.equal(await verifier.warm(), true);
      // More than the worker may have queued: the rest is checked on the event loop, in the same order.
      const msgs = chain(alice, MAX_VERIFY_BACKLOG + 300, [{ type: 'post', text: 'x' }]);
      const bad = structuredClone(msgs);
      set(
        bad[MAX_VERIFY_BACKLOG + 150] as ClassicMsg,
        'signature',
        (bob && chain(bob, 1, [{ type: 'post' }])[0]?.signature) ?? '',
      );
      for (const msg of bad) validator.admit(msg);
      assert.equal(
        await judge(validator.validateBatch, bad, null),
        `invalid message: signature does not match, on feed: ${alice.id}`,
      );
      assert.equal(await judge(validator.validateBatch, msgs, null), 'valid');
      assert.ok(verifier.counts.worker > 0, 'the worker checked signatures');
      assert.ok(checkedInline > 0, 'the event loop checked what did not fit in the backlog');
    } finally {
      verifier.close();
    }
  });

  it('warming the validator (a peer connected) loads the worker, whose checks start even in a long turn', async () => {
    const verifier = new WorkerVerifier(chloridePath);
    try {
      const validator = validatorWith(verifier, new Map());
      assert.equal(verifier.running, false);
      validator.warm();
      assert.equal(verifier.running, true, 'loading before any message comes');
      // One long synchronous turn, as when a transfer's first socket reads bring thousands of messages: the
      // worker's "ready" message cannot be handled, but its own flag is seen.
      const until = Date.now() + 20_000;
      while (!verifier.loaded && Date.now() < until) {}
      assert.equal(verifier.loaded, true, 'the worker loaded within 20 s');
      const msgs = chain(alice, 3, [{ type: 'post', text: 'x' }]);
      const verdict = judge(validator.validateBatch, msgs, null);
      assert.equal(verifier.counts.inline, 0, 'no check ran on the event loop');
      assert.equal(await verdict, 'valid');
      assert.equal(verifier.counts.worker, 3);
      assert.equal(verifier.counts.started, 1, 'the warmed worker, not a second one');
    } finally {
      verifier.close();
    }
  });
});
