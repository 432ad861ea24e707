// The administrator's password. There is no default: it is chosen on the first visit (see server.ts for
// who may make that visit) and kept as an scrypt hash in DATA/peer/web-admin.json, mode 0600, owned by the
// unprivileged peer user. scrypt with N=2^15, r=8, p=1 costs 32 MiB and tens of milliseconds per guess on
// a PC (more on a Pi), and the login is rate-limited on top. To start over, delete the file.
import { randomBytes, randomInt, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { writeFileAtomic } from '../store/atomic-file.js';
import { readTextIfPresent } from '../store/missing.js';
import { InvalidInput } from './inputs.js';

export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 256;
export const SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface PasswordRecord extends ScryptParams {
  version: 1;
  algorithm: 'scrypt';
  salt: string;
  hash: string;
  created: string;
}

/** A new password: 10 to 256 characters, not only spaces. No composition rules (NIST SP 800-63B). */
export function checkNewPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length === 0) throw new InvalidInput('choose a password');
  if (password.length < MIN_PASSWORD)
    throw new InvalidInput(`the password must be at least ${MIN_PASSWORD} characters long`);
  if (password.length > MAX_PASSWORD)
    throw new InvalidInput(`the password must be at most ${MAX_PASSWORD} characters long`);
  if (password.trim() === '') throw new InvalidInput('the password must not be only spaces');
  if (/\p{Cc}/u.test(password)) throw new InvalidInput('the password must not contain control characters');
  return password;
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // maxmem: 128·N·r bytes is what scrypt needs; Node's default cap (32 MiB) is exactly that for N=2^15.
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<PasswordRecord> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, params);
  return {
    version: 1,
    algorithm: 'scrypt',
    ...params,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
    created: new Date().toISOString(),
  };
}

export async function verifyPassword(password: string, record: PasswordRecord): Promise<boolean> {
  if (password.length > MAX_PASSWORD) return false;
  const expected = Buffer.from(record.hash, 'base64');
  const actual = await derive(password, Buffer.from(record.salt, 'base64'), record);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A record read from disk: the right shape and parameters a Pi can afford (a tampered file must not hang it). */
export function isPasswordRecord(value: unknown): value is PasswordRecord {
  const r = value as Partial<PasswordRecord> | null;
  const base64 = (s: unknown, bytes: number) =>
    typeof s === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === bytes;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.version === 1 &&
    r.algorithm === 'scrypt' &&
    Number.isInteger(r.N) &&
    (r.N ?? 0) >= 2 ** 10 &&
    (r.N ?? 0) <= 2 ** 17 &&
    Number.isInteger(Math.log2(r.N ?? 0)) &&
    Number.isInteger(r.r) &&
    (r.r ?? 0) >= 1 &&
    (r.r ?? 0) <= 16 &&
    Number.isInteger(r.p) &&
    (r.p ?? 0) >= 1 &&
    (r.p ?? 0) <= 4 &&
    base64(r.salt, SALT_LENGTH) &&
    base64(r.hash, KEY_LENGTH)
  );
}

export type SetResult = 'set' | 'already-set';

/** The password file. `set` only ever creates it: a second setup cannot overwrite the first. */
export class AdminPassword {
  private record: PasswordRecord | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly params: ScryptParams = SCRYPT_DEFAULTS,
  ) {}

  /** Reads the file; a missing file means "not set yet", an unreadable one is an error (never a reset). */
  async load(): Promise<void> {
    const text = await readTextIfPresent(this.path);
    if (text === null) {
      this.record = null;
      return;
    }
    const parsed: unknown = JSON.parse(text);
    if (!isPasswordRecord(parsed)) throw new Error(`${this.path} is not a Smallworld password file`);
    this.record = parsed;
  }

  isSet(): boolean {
    return this.record !== null;
  }

  async verify(password: string): Promise<boolean> {
    return this.record !== null && verifyPassword(password, this.record);
  }

  /** One at a time: two first visits racing each other both see the outcome of the first. */
  set(password: string): Promise<SetResult> {
    const result = this.queue.then(() => this.setNow(password));
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async setNow(password: string): Promise<SetResult> {
    if (this.record !== null) return 'already-set';
    const record = await hashPassword(checkNewPassword(password), this.params);
    try {
      // Created whole or not at all: a power cut mid-write must not leave a half file that locks the owner out.
      await writeFileAtomic(this.path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, createOnly: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        await this.load();
        return 'already-set';
      }
      throw error;
    }
    this.record = record;
    return 'set';
  }
}

// No 0/O, 1/l/I: read off a terminal and typed by hand.
const CODE_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A one-time setup code, three groups of four (60 bits). */
export function generateSetupCode(): string {
  const group = () => Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return `${group()}-${group()}-${group()}`;
}

/** What a person typed, compared with the code: case, spaces and dashes do not matter. */
export function setupCodeMatches(typed: unknown, code: string): boolean {
  if (typeof typed !== 'string' || typed.length > 64) return false;
  const clean = (s: string) => s.toLowerCase().replace(/[\s-]/g, '');
  const a = Buffer.from(clean(typed));
  const b = Buffer.from(clean(code));
  return a.length === b.length && timingSafeEqual(a, b);
}
