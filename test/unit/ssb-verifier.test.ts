// The signature verifier (src/ssb/verifier.ts): the worker answers like the inline check, and it neither keeps
// a finished process alive nor lets it end with checks still pending.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { VerifyJob } from '../../src/ssb/classic-validation.js';
import { InlineVerifier, loadChloride, packJobs, unpackAndVerify, WorkerVerifier } from '../../src/ssb/verifier.js';

const require = createRequire(import.meta.url);
const chloridePath = createRequire(require.resolve('ssb-keys')).resolve('chloride');
const chloride = loadChloride(chloridePath) as ReturnType<typeof loadChloride> & {
  crypto_sign_keypair(): { publicKey: Buffer; secretKey: Buffer };
  crypto_sign_detached(message: Buffer, secretKey: Buffer): Buffer;
};
const VERIFIER = fileURLToPath(new URL('../../src/ssb/verifier.js', import.meta.url));

function jobs(): VerifyJob[] {
  const { publicKey, secretKey } = chloride.crypto_sign_keypair();
  const out: VerifyJob[] = [];
  for (let i = 0; i < 40; i++) {
    const data = Buffer.from(`message ${i} `.repeat(i));
    const signature = chloride.crypto_sign_detached(data, secretKey);
    if (i % 3 === 1) signature[5] = (signature[5] ?? 0) ^ 1;
    if (i % 7 === 2) data[0] = 0x21;
    out.push({ publicKey: i === 11 ? publicKey.subarray(0, 31) : publicKey, signature, data });
  }
  return out;
}

const verify = (v: { verify(j: VerifyJob[], cb: (r: boolean[]) => void): void }, j: VerifyJob[]) =>
  new Promise<boolean[]>((resolve) => v.verify(j, resolve));

describe('signature verifier', () => {
  it('worker, inline and the packed form agree, wrong-length keys included', async () => {
    const j = jobs();
    const inline = await verify(new InlineVerifier(chloride), j);
    const worker = new WorkerVerifier(chloridePath);
    try {
      assert.equal(await worker.warm(), true);
      assert.deepEqual(await verify(worker, j), inline);
      assert.deepEqual(
        Array.from(unpackAndVerify(chloride, packJobs(j), j.length), (v) => v === 1),
        inline.map((ok, i) => ok && i !== 11),
      );
      assert.ok(inline.some((ok) => ok) && inline.some((ok) => !ok));
      assert.equal(inline[11], false);
      assert.equal(worker.counts.worker, j.length);
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
    const j = jobs();
    assert.deepEqual(await verify(worker, j), await verify(new InlineVerifier(chloride), j));
    assert.equal(worker.counts.inline, j.length);
  });

  it('the worker starts with the first checks (inline until it has loaded), stops when idle, starts again', async () => {
    const worker = new WorkerVerifier(chloridePath, undefined, 100);
    try {
      assert.equal(worker.running, false);
      const j = jobs();
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
        v.verify([{ publicKey: Buffer.alloc(32), signature: Buffer.alloc(64), data: Buffer.from('x') }], (r) =>
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
