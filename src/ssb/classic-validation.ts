// Validation of replicated classic SSB messages, deciding exactly what ssb-classic 1.1's validateBatch
// decides, with the same error messages, at less cost per message.
//
// Profiled on a receiving peer, ssb-classic spent ~30 µs per message besides the signature check: the whole
// message is serialised three times (content size, message size, signed text) plus once more for its id.
// Here the message is serialised once; its size comes from that text, the signed text is that text without the
// signature line, and the content is only measured when the message is too long, to say which limit it broke.
// Neither a signature nor an id depends on the messages before it, so both are computed as soon as a message
// arrives (`admit`), gathered per turn of the event loop and run by a `Verifier` — on another core when there
// is one (verifier.ts) — while the event loop goes on reading the network and storing the batch before;
// validating a batch then mostly finds its messages already checked.

export interface VerifyJob {
  publicKey: Buffer;
  signature: Buffer;
  /** The message as JSON (2-space indent, signature last), UTF-8. */
  whole: Buffer;
  /** Bytes of `whole` before the signature line: those followed by "\n}" are the signed text. */
  signedEnd: number;
}

export interface Verifier {
  /**
   * Per job, in order: whether the signature is valid and the message id (sha256 of the JSON's latin1
   * bytes, as ssb-keys hashes). Never fails (a verifier that cannot run checks inline).
   */
  verify(jobs: VerifyJob[], cb: (valid: boolean[], ids: string[]) => void): void;
  /** Gets ready for checks that are about to come (a verifier with a worker starts it). */
  warm?(): void;
  close(): void;
}

export interface ClassicMsg {
  previous: unknown;
  author: unknown;
  sequence: unknown;
  timestamp: unknown;
  hash: unknown;
  content: unknown;
  signature: unknown;
  id?: string;
}

export type ValidateBatch = (
  msgs: ClassicMsg[],
  prev: ClassicMsg | null | undefined,
  hmacKey: unknown,
  cb: (err?: Error | null) => void,
) => void;

export interface ClassicValidationDeps {
  isFeedId(value: unknown): boolean;
  /** ssb-classic's canonical-base64 test for signatures (`<base64>.sig.<curve>`). */
  isSignature(value: string): boolean;
  /** ssb-classic's getMsgId (memoised), for the previous message stored before this batch. */
  getMsgId(msg: ClassicMsg): string;
  /** Lets getMsgId answer from what was computed here. */
  rememberMsgId(msg: ClassicMsg, id: string): void;
  verifier: Verifier;
  /** Checks on the event loop itself, for when `verifier` has fallen far behind. */
  inlineVerifier: Verifier;
  /** ssb-classic's own validateBatch, for what this does not handle (an HMAC-signing network). */
  fallback: ValidateBatch;
}

const SIZE_LIMIT = 8192;

function shapeError(msg: unknown): Error | null {
  if (!msg || typeof msg !== 'object') return new Error('invalid message: not a classic msg');
  const m = msg as Record<string, unknown>;
  for (const key of ['author', 'previous', 'sequence', 'timestamp', 'hash', 'content', 'signature']) {
    if (typeof m[key] === 'undefined') return new Error(`invalid message: must have ${key}`);
  }
  return null;
}

function orderError(msg: ClassicMsg): Error | null {
  const keys = Object.keys(msg);
  if (keys.length !== 7) return new Error('invalid message: wrong number of object fields');
  if (
    keys[0] !== 'previous' ||
    keys[3] !== 'timestamp' ||
    keys[4] !== 'hash' ||
    keys[5] !== 'content' ||
    keys[6] !== 'signature'
  ) {
    return new Error('invalid message: wrong order of object fields');
  }
  if (!((keys[1] === 'sequence' && keys[2] === 'author') || (keys[1] === 'author' && keys[2] === 'sequence'))) {
    return new Error('invalid message: wrong order of object fields');
  }
  return null;
}

/** ssb-classic's content checks, except the encoded size of object content (see `sizeError`). */
function contentError(msg: ClassicMsg): Error | null {
  const { content } = msg;
  const author = String(msg.author);
  if (!content) return new Error('invalid message: must have content');
  if (Array.isArray(content)) return new Error('invalid message: content must not be an array');
  if (typeof content !== 'object' && typeof content !== 'string') {
    return new Error(`invalid message: content must be an object or string, on feed: ${author}`);
  }
  if (typeof content === 'string') {
    if (!content.endsWith('.box') && !content.endsWith('.box2')) {
      return new Error(`invalid message: string content must end with .box or .box2, on feed: ${author}`);
    }
    if (content.length > SIZE_LIMIT) {
      return new Error(
        `invalid message: string content must be at most 8192 characters. Current size is ${content.length}`,
      );
    }
    return null;
  }
  const type = (content as { type?: unknown }).type;
  if (!type || typeof type !== 'string')
    return new Error(`invalid message: content must have type, on feed: ${author}`);
  if (type.length > 52) {
    return new Error(`invalid message: content type must be shorter than 52 characters, on feed: ${author}`);
  }
  if (type.length < 3) {
    return new Error(`invalid message: content type must be longer than 2 characters, on feed: ${author}`);
  }
  return null;
}

/**
 * The size limits, in ssb-classic's order: encoded object content first, then the whole message. Content is
 * part of the message (indented deeper), so only a message over the limit can have content over it.
 */
function sizeError(msg: ClassicMsg, messageLength: number): Error | null {
  if (messageLength <= SIZE_LIMIT) return null;
  if (typeof msg.content === 'object') {
    const size = JSON.stringify(msg.content, null, 2).length;
    if (size > SIZE_LIMIT) {
      return new Error(`invalid message: encoded content must be at most 8192 characters. Current size is ${size}`);
    }
  }
  return new Error('invalid message: message is longer than 8192 latin1 codepoints');
}

function signatureFormatError(msg: ClassicMsg, isSignature: (s: string) => boolean): Error | null {
  const { signature } = msg;
  if (typeof signature !== 'string') return new Error('invalid message: must have signature as a string');
  if (!signature.endsWith('.sig.ed25519')) return new Error('invalid message: signature must end with .sig.ed25519');
  if (!isSignature(signature)) return new Error('invalid message: signature must be a canonical base64 string');
  if (signature.length !== 100) {
    return new Error(`invalid message: signature must be 64 bytes, on feed: ${String(msg.author)}`);
  }
  return null;
}

/** What one serialisation of a message gives: the verifier's job and the message's length. */
interface Prepared {
  job: VerifyJob;
  wholeLength: number;
}

interface Check {
  prepared: Prepared;
  /** The signature has the form ssb-classic requires (the verifier's answer alone does not say so). */
  formatOk: boolean;
  /** Both undefined while the verifier is at it. */
  valid?: boolean;
  id?: string;
  waiters: Array<() => void>;
}

/** Signature checks sent to a verifier at once at most, and waiting for it before new ones are checked inline. */
export const VERIFY_BATCH = 256;
export const MAX_VERIFY_BACKLOG = 8192;

export class ClassicValidator {
  private readonly checks = new WeakMap<object, Check>();
  private outbox: Array<{ check: Check }> = [];
  private flushDue = false;
  private backlog = 0;

  constructor(
    private readonly deps: ClassicValidationDeps,
    private readonly defer: (run: () => void) => void = setImmediate,
  ) {}

  /** Messages may come soon (a peer connected): the verifier gets ready while the connection sets up. */
  warm(): void {
    void this.deps.verifier.warm?.();
  }

  /** Starts checking the signature of a message that will be validated soon; anything not a classic message is left. */
  admit(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || this.checks.has(msg)) return;
    const m = msg as ClassicMsg;
    if (typeof m.author !== 'string' || typeof m.signature !== 'string' || !this.deps.isFeedId(m.author)) return;
    if (orderError(m)) return;
    this.start(m, prepare(m));
  }

  readonly validateBatch: ValidateBatch = (msgs, prev, hmacKey, cb) => {
    if (hmacKey) {
      this.deps.fallback(msgs, prev, hmacKey, cb);
      return;
    }
    const { deps } = this;
    // Every message gets its check, up to the first that fails a test needing no ids: its failure, or one
    // before it, is the batch's (a later message cannot be reached).
    const checks: Check[] = [];
    let previous = prev ?? null;
    for (const msg of msgs) {
      if (structureError(msg, previous, undefined, deps)) break;
      checks.push(this.checks.get(msg) ?? this.start(msg, prepare(msg)));
      previous = msg;
    }
    let waiting = 1;
    const done = () => {
      if (--waiting > 0) return;
      cb(this.judge(msgs, prev ?? null, checks));
    };
    for (const check of checks) {
      if (check.valid === undefined) {
        waiting++;
        check.waiters.push(done);
      }
    }
    if (this.outbox.length > 0) this.scheduleFlush();
    done();
  };

  /** With every check answered: ssb-classic's tests in its order, message by message; the first failure. */
  private judge(msgs: ClassicMsg[], prev: ClassicMsg | null, checks: Check[]): Error | null {
    const { deps } = this;
    let previous = prev;
    let previousId = previous ? (previous.id ?? deps.getMsgId(previous)) : null;
    for (const [i, msg] of msgs.entries()) {
      const failure = structureError(msg, previous, previousId, deps);
      if (failure) return failure;
      const check = checks[i];
      // Not reached: a message without a check failed a structure test above.
      if (!check || check.id === undefined) return new Error('invalid message: not checked');
      const invalid = sizeError(msg, check.prepared.wholeLength) ?? signatureFormatError(msg, deps.isSignature);
      if (invalid) return invalid;
      if (check.valid !== true) {
        return new Error(`invalid message: signature does not match, on feed: ${msg.author as string}`);
      }
      deps.rememberMsgId(msg, check.id);
      previous = msg;
      previousId = check.id;
    }
    return null;
  }

  private start(msg: ClassicMsg, prepared: Prepared): Check {
    // A signature of the wrong form is refused by its format check, but the id is still wanted.
    const check: Check = { prepared, formatOk: !signatureFormatError(msg, this.deps.isSignature), waiters: [] };
    this.checks.set(msg, check);
    this.outbox.push({ check });
    if (this.outbox.length >= VERIFY_BATCH) this.flush();
    else this.scheduleFlush();
    return check;
  }

  private scheduleFlush(): void {
    if (this.flushDue) return;
    this.flushDue = true;
    this.defer(() => {
      this.flushDue = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.outbox;
    if (batch.length === 0) return;
    this.outbox = [];
    this.backlog += batch.length;
    // When the verifier falls this far behind (a flood of messages), checking inline slows the event loop
    // down to what can be checked, instead of queueing without bound.
    const verifier = this.backlog > MAX_VERIFY_BACKLOG ? this.deps.inlineVerifier : this.deps.verifier;
    verifier.verify(
      batch.map((b) => b.check.prepared.job),
      (valid, ids) => {
        this.backlog -= batch.length;
        for (const [i, { check }] of batch.entries()) {
          check.valid = check.formatOk && valid[i] === true;
          check.id = ids[i];
          const waiters = check.waiters;
          check.waiters = [];
          for (const wake of waiters) wake();
        }
      },
    );
  }
}

/**
 * The message's JSON and its length from one serialisation. Only for messages whose field order was checked
 * (orderError): the signature is the last field, so the signed text is the JSON without the signature line.
 */
function prepare(msg: ClassicMsg): Prepared {
  const { signature, ...unsigned } = msg;
  const signed = JSON.stringify(unsigned, null, 2);
  const sig = typeof signature === 'string' ? signature : '';
  // A signature that is not a string is refused later, but the size check before it needs the true length.
  const head = signed.slice(0, -2);
  const tail = typeof signature === 'string' ? `,\n  "signature": ${JSON.stringify(signature)}\n}` : null;
  const whole = tail === null ? JSON.stringify(msg, null, 2) : head + tail;
  const author = msg.author as string;
  const bytes = Buffer.from(tail === null ? signed : whole, 'utf8');
  return {
    job: {
      publicKey: Buffer.from(author.slice(1, author.indexOf('.')), 'base64'),
      signature: Buffer.from(sig.slice(0, sig.indexOf('.')), 'base64'),
      whole: bytes,
      signedEnd: tail === null ? bytes.length - 2 : bytes.length - Buffer.byteLength(tail, 'utf8'),
    },
    wholeLength: whole.length,
  };
}

/** ssb-classic's checks before the size and signature ones, in its order. */
/** `previousId` undefined: every test but the one needing the previous message's id. */
function structureError(
  msg: ClassicMsg,
  previous: ClassicMsg | null,
  previousId: string | null | undefined,
  deps: ClassicValidationDeps,
): Error | null {
  const shape = shapeError(msg);
  if (shape) return shape;
  if (!deps.isFeedId(msg.author)) return new Error('invalid message: must have author as a sigil ID');
  const author = msg.author as string;
  if (msg.hash !== 'sha256') return new Error(`invalid message: hash must be sha256, on feed: ${author}`);
  if (typeof msg.timestamp !== 'number') return new Error(`initial message must have timestamp, on feed: ${author}`);
  if (previous) {
    if (previousId !== undefined && msg.previous !== previousId) {
      return new Error(`invalid message: expected different previous message, on feed: ${author}`);
    }
    if (!Number.isInteger(msg.sequence))
      return new Error(`invalid message: sequence must be a number on feed: ${author}`);
    const next = (previous.sequence as number) + 1;
    if (msg.sequence !== next) {
      return new Error(
        `invalid message: expected sequence ${next} but got: ${String(msg.sequence)} on feed: ${author}`,
      );
    }
  } else {
    if (msg.previous !== null) return new Error(`initial message must have previous: null, on feed: ${author}`);
    if (msg.sequence !== 1) return new Error(`initial message must have sequence: 1, on feed: ${author}`);
  }
  return orderError(msg) ?? contentError(msg);
}
