// Where the signatures of replicated messages are checked and their ids hashed (see classic-validation.ts). On
// a board with more than one core that is a worker thread, so the peer's event loop keeps reading the network
// and storing messages while the previous batch is checked; on one core it is done inline. The worker starts
// when a peer connects (warm()) or with the first checks, and stops after WORKER_IDLE_MS without any; until it
// has loaded (~0.1 s on an idle machine, more while both peers of a transfer are busy, which the first messages
// of a meeting would otherwise wait for) checks are inline. It says it has loaded through a shared flag as well
// as a message, because the message waits for the event loop's turn to end. A worker that fails or exits on
// its own is not restarted: what it had and everything after is checked inline, and it is logged.
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LogSink } from '../log/logger.js';
import type { Verifier, VerifyJob } from './classic-validation.js';

export interface Chloride {
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
  crypto_hash_sha256(message: Buffer): Buffer;
}

const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const DIGEST_BYTES = 32;
/** Per packed job: whole's length (u32), signedEnd (u32), whether key and signature have their lengths (u8). */
const HEADER_BYTES = 4 + 4 + 1 + PUBLIC_KEY_BYTES + SIGNATURE_BYTES;

/** Whether the signature is valid, and the message's id digest: sha256 of its JSON's latin1 bytes. */
function check(chloride: Chloride, job: VerifyJob, lengthsOk: boolean): { valid: boolean; digest: Buffer } {
  const { whole, signedEnd } = job;
  // ssb-keys hashes the JSON string as latin1: each UTF-16 code unit's low byte. ASCII is the same bytes.
  const latin1 = isAscii(whole) ? whole : Buffer.from(whole.toString('utf8'), 'latin1');
  const digest = chloride.crypto_hash_sha256(latin1);
  // A key or signature of the wrong length is invalid, whatever the binding would do with it.
  if (!lengthsOk || signedEnd < 0 || signedEnd > whole.length) return { valid: false, digest };
  const signed = Buffer.allocUnsafe(signedEnd + 2);
  whole.copy(signed, 0, 0, signedEnd);
  signed[signedEnd] = 0x0a; // "\n}" closes the signed text where the signature line began
  signed[signedEnd + 1] = 0x7d;
  try {
    return { valid: chloride.crypto_sign_verify_detached(job.signature, signed, job.publicKey) === true, digest };
  } catch {
    return { valid: false, digest };
  }
}

const lengthsOk = (job: VerifyJob) =>
  job.publicKey.length === PUBLIC_KEY_BYTES && job.signature.length === SIGNATURE_BYTES;

export function messageId(digest: Uint8Array, at = 0): string {
  return `%${Buffer.from(digest.buffer, digest.byteOffset + at, DIGEST_BYTES).toString('base64')}.sha256`;
}

/** Jobs as one buffer, to hand to the worker without copying each. */
export function packJobs(jobs: VerifyJob[]): Buffer {
  let size = 0;
  for (const job of jobs) size += HEADER_BYTES + job.whole.length;
  // Not from the shared pool: its whole ArrayBuffer is transferred to the worker. Every byte is written below.
  const packed = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const job of jobs) {
    packed.writeUInt32LE(job.whole.length, at);
    packed.writeUInt32LE(job.signedEnd, at + 4);
    packed[at + 8] = lengthsOk(job) ? 1 : 0;
    // Wrong lengths are zero-padded or cut here and judged invalid by the flag above.
    packed.fill(0, at + 9, at + HEADER_BYTES);
    job.publicKey.copy(packed, at + 9, 0, PUBLIC_KEY_BYTES);
    job.signature.copy(packed, at + 9 + PUBLIC_KEY_BYTES, 0, SIGNATURE_BYTES);
    job.whole.copy(packed, at + HEADER_BYTES);
    at += HEADER_BYTES + job.whole.length;
  }
  return packed;
}

/** The worker's side of packJobs: per job a validity byte, and 32 bytes of id digest each. */
export function unpackAndVerify(
  chloride: Chloride,
  packed: Buffer,
  count: number,
): { valid: Uint8Array; digests: Uint8Array } {
  const valid = new Uint8Array(count);
  const digests = new Uint8Array(count * DIGEST_BYTES);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + HEADER_BYTES > packed.length) break;
    const length = packed.readUInt32LE(at);
    const end = at + HEADER_BYTES + length;
    if (end > packed.length) break;
    const job: VerifyJob = {
      publicKey: packed.subarray(at + 9, at + 9 + PUBLIC_KEY_BYTES),
      signature: packed.subarray(at + 9 + PUBLIC_KEY_BYTES, at + HEADER_BYTES),
      whole: packed.subarray(at + HEADER_BYTES, end),
      signedEnd: packed.readUInt32LE(at + 4),
    };
    const result = check(chloride, job, packed[at + 8] === 1);
    valid[i] = result.valid ? 1 : 0;
    digests.set(result.digest, i * DIGEST_BYTES);
    at = end;
  }
  return { valid, digests };
}

export function loadChloride(path: string): Chloride {
  return createRequire(import.meta.url)(path) as Chloride;
}

export class InlineVerifier implements Verifier {
  constructor(private readonly chloride: Chloride) {}

  verify(jobs: VerifyJob[], cb: (valid: boolean[], ids: string[]) => void): void {
    const valid: boolean[] = [];
    const ids: string[] = [];
    for (const job of jobs) {
      const result = check(this.chloride, job, lengthsOk(job));
      valid.push(result.valid);
      ids.push(messageId(result.digest));
    }
    cb(valid, ids);
  }

  close(): void {}
}

/** What the worker posts: once that it has loaded the crypto, then one answer per batch. */
type WorkerReply = { ready: true } | Answer;

interface Answer {
  id: number;
  valid: Uint8Array;
  digests: Uint8Array;
}

interface Pending {
  jobs: VerifyJob[];
  cb: (valid: boolean[], ids: string[]) => void;
}

/** How long a worker with nothing to check is kept: it is a V8 isolate, ~10 MB that an idle device can use better. */
export const WORKER_IDLE_MS = 5_000;

export class WorkerVerifier implements Verifier {
  private worker: Worker | null = null;
  /** The running worker has loaded the crypto and takes checks. */
  private ready = false;
  /**
   * Set by the worker itself once loaded. Its "ready" message waits for the event loop, and at the start of a
   * transfer one loop iteration can read 2 MB from the socket (libuv reads up to 32 times per wake-up), i.e.
   * ~3,400 messages whose checks would all run inline; this flag is seen in the middle of that iteration.
   */
  private readyFlag: Int32Array | null = null;
  private startedAt = 0;
  /** A worker failed (or this was closed): everything is checked inline from then on. */
  private inlineOnly = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly pending = new Map<number, Pending>();
  private readyWaiters: Array<(ready: boolean) => void> = [];
  private nextId = 1;
  private readonly inline: InlineVerifier;
  /** Jobs checked by the worker and inline, and workers started, for tests and the log. */
  readonly counts = { worker: 0, inline: 0, started: 0 };

  constructor(
    private readonly chloridePath: string,
    private readonly logger?: LogSink,
    private readonly idleMs = WORKER_IDLE_MS,
    private readonly workerUrl: URL = new URL('./verify-worker.js', import.meta.url),
  ) {
    this.inline = new InlineVerifier(loadChloride(chloridePath));
  }

  /** Whether the running worker has loaded, as it says itself (seen without the event loop's help). */
  get loaded(): boolean {
    return this.ready || (this.readyFlag !== null && Atomics.load(this.readyFlag, 0) === 1);
  }

  /** Whether a worker thread is running now (started on the first checks, stopped when idle). */
  get running(): boolean {
    return this.worker !== null;
  }

  /**
   * Starts the worker if it is not running (when messages are about to come: a peer connected) and resolves
   * once it takes checks: true, or false if checks stay inline. The idle timer stops it if none come.
   */
  warm(): Promise<boolean> {
    if (this.inlineOnly) return Promise.resolve(false);
    const worker = this.worker ?? this.start();
    if (!worker) return Promise.resolve(false);
    if (this.ready) return Promise.resolve(true);
    // Someone waits for it: loading keeps the process alive, as pending checks do.
    worker.ref();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  verify(jobs: VerifyJob[], cb: (valid: boolean[], ids: string[]) => void): void {
    const worker = this.inlineOnly ? null : (this.worker ?? this.start());
    if (worker && this.loaded) this.becomeReady();
    if (!worker || !this.ready) {
      this.counts.inline += jobs.length;
      this.inline.verify(jobs, cb);
      return;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const id = this.nextId++;
    // With checks pending the worker keeps the process alive, idle it must not.
    if (this.pending.size === 0) worker.ref();
    this.pending.set(id, { jobs, cb });
    const packed = packJobs(jobs);
    worker.postMessage({ id, count: jobs.length, packed: packed.buffer }, [packed.buffer as ArrayBuffer]);
  }

  close(): void {
    this.inlineOnly = true;
    this.stop();
    this.drainInline();
  }

  private start(): Worker | null {
    let worker: Worker;
    try {
      // Not the peer's own Node options (a preloaded profiler or heap-snapshot signal is the peer's business).
      const readyFlag = new Int32Array(new SharedArrayBuffer(4));
      worker = new Worker(this.workerUrl, {
        workerData: { chloridePath: this.chloridePath, readyFlag },
        execArgv: [],
      });
      this.readyFlag = readyFlag;
    } catch (error) {
      this.fail(`cannot start: ${String(error)}`);
      return null;
    }
    worker.on('message', (reply: WorkerReply) => {
      if (this.worker !== worker) return;
      if ('ready' in reply) this.becomeReady();
      else this.answer(reply);
    });
    worker.on('error', (error) => this.fail(`failed: ${error.message}`));
    worker.on('exit', (code) => this.fail(`exited with code ${code}`));
    // After the listeners: adding one refs the worker again.
    worker.unref();
    this.worker = worker;
    this.startedAt = performance.now();
    this.counts.started++;
    return worker;
  }

  private becomeReady(): void {
    // Once per worker: by the flag (mid-iteration) or by its message, whichever is seen first.
    if (this.ready || !this.worker) return;
    this.ready = true;
    this.logger?.log('debug', 'signature worker ready', {
      ms: Math.round(performance.now() - this.startedAt),
      ...this.counts,
    });
    // A burst that was all checked inline while the worker loaded leaves it idle from the start.
    this.worker?.unref();
    this.startIdleTimer();
    this.settleWaiters(true);
  }

  private settleWaiters(ready: boolean): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const resolve of waiters) resolve(ready);
  }

  private startIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
    this.idleTimer.unref();
  }

  private answer(reply: Answer): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) {
      this.worker?.unref();
      this.startIdleTimer();
    }
    this.counts.worker += pending.jobs.length;
    const ids: string[] = [];
    for (let i = 0; i < pending.jobs.length; i++) ids.push(messageId(reply.digests, i * DIGEST_BYTES));
    pending.cb(
      Array.from(reply.valid, (v) => v === 1),
      ids,
    );
  }

  /** Ends the worker on purpose: nothing pending (when idle) or everything about to be checked inline. */
  private stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    if (!worker || (this.pending.size > 0 && !this.inlineOnly)) return;
    this.worker = null;
    this.ready = false;
    this.readyFlag = null;
    this.settleWaiters(false);
    this.logger?.log('debug', 'signature worker stopped', { ...this.counts });
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    worker.on('error', () => {});
    void worker.terminate();
  }

  private fail(reason: string): void {
    if (this.inlineOnly) return;
    this.inlineOnly = true;
    this.worker = null;
    this.ready = false;
    this.readyFlag = null;
    this.settleWaiters(false);
    this.logger?.log('warn', `signature worker ${reason}; checking signatures inline`, {
      pending: this.pending.size,
    });
    this.drainInline();
  }

  private drainInline(): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { jobs, cb } of pending) {
      this.counts.inline += jobs.length;
      this.inline.verify(jobs, cb);
    }
  }
}

/** A worker when the board has a core to spare, else inline. */
export function createVerifier(chloridePath: string, logger?: LogSink, cores = availableParallelism()): Verifier {
  return cores > 1 ? new WorkerVerifier(chloridePath, logger) : new InlineVerifier(loadChloride(chloridePath));
}
