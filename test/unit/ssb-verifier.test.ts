// The signature verifier (src/ssb/verifier.ts): the worker answers like the inline check, and it neither keeps
// a finished process alive nor lets it end with checks still pending.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Verifier, VerifyJob } from '../../src/ssb/classic-validation.js';
import {
  InlineVerifier,
  loadChloride,
  messageId,
  packJobs,
  unpackAndVerify,
  WorkerVerifier,
} from '../../src/ssb/verifier.js';

const require = createRequire(import.meta.url);
const chloridePath = createRequire(require.resolve('ssb-keys')).resolve('chloride');
const chloride = loadChloride(chloridePath) as ReturnType<typeof loadChloride> & {
  crypto_sign_keypair(): { publicKey: Buffer; secretKey: Buffer };
  crypto_sign_detached(message: Buffer, secretKey: Buffer): Buffer;
};
const VERIFIER = fileURLToPath(new URL('../../src/ssb/verifier.js', import.meta.url));

/** Message-like jobs: some with non-ASCII text, some with a damaged signature or text, one with a short key. */
function jobs(): { jobs: VerifyJob[]; ids: string[] } {
  const { publicKey, secretKey } = chloride.crypto_sign_keypair();
  const out: VerifyJob[] = [];
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    const text = `message ${i} ${i % 4 === 0 ? 'café 🌱 ' : ''}`.repeat(i);
    const signedText = JSON.stringify({ previous: null, content: { type: 'post', text } }, null, 2);
    const signature = chloride.crypto_sign_detached(Buffer.from(signedText, 'utf8'), secretKey);
    if (i % 3 === 1) signature[5] = (signature[5] ?? 0) ^ 1;
    const whole = `${signedText.slice(0, -2)},\n  "signature": "${signature.toString('base64')}.sig.ed25519"\n}`;
    const bytes = Buffer.from(whole, 'utf8');
    if (i % 7 === 2) bytes[0] = 0x21;
    ids.push(
      `%${createHash('sha256')
        .update(Buffer.from(bytes.toString('utf8'), 'latin1'))
        .digest('base64')}.sha256`,
    );
    out.push({
      publicKey: i === 11 ? publicKey.subarray(0, 31) : publicKey,
      signature,
      whole: bytes,
      signedEnd: Buffer.byteLength(signedText) - 2,
    });
  }
  return { jobs: out, ids };
}

const verify = (v: Verifier, j: VerifyJob[]) =>
  new Promise<boolean[]>((resolve) => v.verify(j, (valid) => resolve(valid)));

describe('signature verifier', () => {
  it('worker, inline and the packed form agree on validity and ids (non-ASCII text, a short key)', async () => {
    const { jobs: j, ids } = jobs();
    const answer = (v: Verifier) =>
      new Promise<{ valid: boolean[]; ids: string[] }>((resolve) =>
        v.verify(j, (valid, ids) => resolve({ valid, ids })),
      );
    const expected = j.map((_, i) => !(i % 3 === 1 || i % 7 === 2 || i === 11));
    const inline = await answer(new InlineVerifier(chloride));
    assert.deepEqual(inline, { valid: expected, ids });
    const packed = unpackAndVerify(chloride, packJobs(j), j.length);
    assert.deepEqual(
      Array.from(packed.valid, (v) => v === 1),
      expected,
    );
    assert.deepEqual(
      j.map((_, i) => messageId(packed.digests, i * 32)),
      ids,
    );
    const worker = new WorkerVerifier(chloridePath);
    try {
      assert.equal(await worker.warm(), true);
      assert.deepEqual(await answer(worker), inline);
      assert.equal(worker.counts.worker, j.length);
    } finally {
      worker.close();
    }
  });

  it('a batch small enough for the shared buffer pool reaches the worker intact', async () => {
    const { jobs: j, ids } = jobs();
    const small = j.slice(0, 3);
    assert.ok(packJobs(small).length < 4096);
    const worker = new WorkerVerifier(chloridePath);
    try {
      assert.equal(await worker.warm(), true);
      const pooled = Buffer.from('a buffer from the pool that must stay usable');
      const answer = await new Promise<string[]>((resolve) => worker.verify(small, (_valid, ids) => resolve(ids)));
      assert.deepEqual(answer, ids.slice(0, 3));
      assert.equal(pooled.toString(), 'a buffer from the pool that must stay usable');
    } finally {
      worker.close();
    }
  });

  it('a warmed worker that is never used stops when idle', async () => {
    const worker = new WorkerVerifier(chloridePath, undefined, 100);
    try {
      assert.equal(await worker.warm(), true);
      assert.equal(worker.running, true);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(worker.running, false);
    } finally {
      worker.close();
    }
  });

  it('a closed worker leaves checking to the event loop, with the same answers', async () => {
    const worker = new WorkerVerifier(chloridePath);
    worker.close();
    assert.equal(await worker.warm(), false);
    const { jobs: j } = jobs();
    assert.deepEqual(await verify(worker, j), await verify(new InlineVerifier(chloride), j));
    assert.equal(worker.counts.inline, j.length);
  });

  it('the worker starts with the first checks (inline until it has loaded), stops when idle, starts again', async () => {
    const worker = new WorkerVerifier(chloridePath, undefined, 100);
    try {
      assert.equal(worker.running, false);
      const { jobs: j } = jobs();
      const expected = await verify(new InlineVerifier(chloride), j);
      // The first checks do not wait for the worker to load.
      assert.deepEqual(await verify(worker, j), expected);
      assert.equal(worker.running, true);
      assert.deepEqual(worker.counts, { worker: 0, inline: j.length, started: 1 });
      assert.equal(await worker.warm(), true);
      assert.deepEqual(await verify(worker, j), expected);
      assert.equal(worker.counts.worker, j.length);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(worker.running, false);
      assert.deepEqual(await verify(worker, j), expected);
      assert.equal(worker.counts.started, 2);
      assert.equal(worker.counts.inline, 2 * j.length);
    } finally {
      worker.close();
    }
  });

  it('an idle worker does not keep the process alive; pending checks do until answered', () => {
    const code = `
      const { WorkerVerifier } = await import(${JSON.stringify(VERIFIER)});
      const v = new WorkerVerifier(${JSON.stringify(chloridePath)});
      if (process.argv[1] === 'verify') {
        await v.warm();
        v.verify([{ publicKey: Buffer.alloc(32), signature: Buffer.alloc(64), whole: Buffer.from('{\\n}'), signedEnd: 1 }], (r) =>
          console.log('answered', JSON.stringify(r)));
      }`;
    for (const mode of ['idle', 'verify']) {
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', code, mode], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(result.status, 0, `${mode}: ${result.stderr} (signal ${result.signal})`);
      assert.equal(result.stdout.trim(), mode === 'verify' ? 'answered [false]' : '');
    }
  });
});
