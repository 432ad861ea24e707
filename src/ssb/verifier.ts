// Where the signatures of replicated messages are checked (see classic-validation.ts). On a board with
// more than one core they go to a worker thread, so the peer's event loop keeps reading the network and
// storing messages while the previous batch is checked; on one core they are checked inline. The worker starts
// with the first checks and stops after WORKER_IDLE_MS without any; until it has loaded the crypto (a few
// hundred ms on a busy board, which the first messages of a meeting would otherwise wait for) checks are inline. A worker that fails or exits on its own is
// not restarted: what it had and everything after is checked inline, and it is logged.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LogSink } from '../log/logger.js';
import type { Verifier, VerifyJob } from './classic-validation.js';

export interface Chloride {
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
}

const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const HEADER_BYTES = 4 + PUBLIC_KEY_BYTES + SIGNATURE_BYTES;

function check(chloride: Chloride, job: VerifyJob): boolean {
  // A key or signature of the wrong length is invalid, whatever the binding would do with it.
  if (job.publicKey.length !== PUBLIC_KEY_BYTES || job.signature.length !== SIGNATURE_BYTES) return false;
  try {
    return chloride.crypto_sign_verify_detached(job.signature, job.data, job.publicKey) === true;
  } catch {
    return false;
  }
}

/** Jobs as one buffer: per job the data length (u32), the public key, the signature, the data. */
export function packJobs(jobs: VerifyJob[]): Buffer {
  let size = 0;
  for (const job of jobs) size += HEADER_BYTES + job.data.length;
  const packed = Buffer.alloc(size);
  let at = 0;
  for (const job of jobs) {
    packed.writeUInt32LE(job.data.length, at);
    // Wrong-length keys or signatures are zero-padded or cut; they were refused before packing.
    job.publicKey.copy(packed, at + 4, 0, PUBLIC_KEY_BYTES);
    job.signature.copy(packed, at + 4 + PUBLIC_KEY_BYTES, 0, SIGNATURE_BYTES);
    job.data.copy(packed, at + HEADER_BYTES);
    at += HEADER_BYTES + job.data.length;
  }
  return packed;
}

export function unpackAndVerify(chloride: Chloride, packed: Buffer, count: number): Uint8Array {
  const valid = new Uint8Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + HEADER_BYTES > packed.length) break;
    const length = packed.readUInt32LE(at);
    const end = at + HEADER_BYTES + length;
    if (end > packed.length) break;
    const job = {
      publicKey: packed.subarray(at + 4, at + 4 + PUBLIC_KEY_BYTES),
      signature: packed.subarray(at + 4 + PUBLIC_KEY_BYTES, at + HEADER_BYTES),
      data: packed.subarray(at + HEADER_BYTES, end),
    };
    valid[i] = check(chloride, job) ? 1 : 0;
    at = end;
  }
  return valid;
}

export function loadChloride(path: string): Chloride {
  return createRequire(import.meta.url)(path) as Chloride;
}

export class InlineVerifier implements Verifier {
  constructor(private readonly chloride: Chloride) {}

  verify(jobs: VerifyJob[], cb: (valid: boolean[]) => void): void {
    cb(jobs.map((job) => check(this.chloride, job)));
  }

  close(): void {}
}

/** What the worker posts: once that it has loaded the crypto, then one answer per batch. */
type WorkerReply = { ready: true } | { id: number; valid: Uint8Array };

interface Pending {
  jobs: VerifyJob[];
  cb: (valid: boolean[]) => void;
}

/** How long a worker with nothing to check is kept: it is a V8 isolate, ~10 MB that an idle device can use better. */
export const WORKER_IDLE_MS = 5_000;

export class WorkerVerifier implements Verifier {
  private worker: Worker | null = null;
  /** The running worker has loaded the crypto and takes checks. */
  private ready = false;
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

  verify(jobs: VerifyJob[], cb: (valid: boolean[]) => void): void {
    const worker = this.inlineOnly ? null : (this.worker ?? this.start());
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
      worker = new Worker(this.workerUrl, { workerData: { chloridePath: this.chloridePath }, execArgv: [] });
    } catch (error) {
      this.fail(`cannot start: ${String(error)}`);
      return null;
    }
    worker.on('message', (reply: WorkerReply) => {
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

  private answer(reply: { id: number; valid: Uint8Array }): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) {
      this.worker?.unref();
      this.startIdleTimer();
    }
    this.counts.worker += pending.jobs.length;
    pending.cb(Array.from(reply.valid, (v) => v === 1));
  }

  /** Ends the worker on purpose: nothing pending (when idle) or everything about to be checked inline. */
  private stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    if (!worker || (this.pending.size > 0 && !this.inlineOnly)) return;
    this.worker = null;
    this.ready = false;
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
