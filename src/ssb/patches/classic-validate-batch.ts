// ssb-classic 1.1's validateBatch (what ssb-db2 calls for replicated messages) serialises each message three
// times and checks signatures on the event loop. classic-validation.ts decides exactly the same (a property
// test holds it to ssb-classic's verdicts and errors) with one serialisation per message and signatures
// checked off the event loop. Replaced once per process: the module is shared by every peer in it, and so is
// the (unref'd) signature worker. ssb-db2 looks validateBatch up on the module at each call.
import { createRequire } from 'node:module';
import type { LogSink } from '../../log/logger.js';
import { type ClassicMsg, ClassicValidator, type ValidateBatch } from '../classic-validation.js';
import { createVerifier, InlineVerifier, loadChloride } from '../verifier.js';
import { rememberMsgId } from './classic-msg-id-memo.js';
import type { LibraryPatch } from './patch.js';

let validator: ClassicValidator | null = null;

/** The validator in place of ssb-classic's validateBatch, once applied (for warm() and admit()). */
export function classicValidator(): ClassicValidator | null {
  return validator;
}

export const classicValidateBatch: LibraryPatch<{ logger: LogSink }> = {
  name: 'validate-batch-one-serialisation',
  package: ['ssb-db2', 'ssb-classic'],
  versions: '>=1.1.0 <1.2.0',
  why: 'validateBatch serialises each message three times and checks signatures on the event loop',
  apply({ require }, { logger }) {
    if (validator) return undefined;
    const format = require('./format.js') as { validateBatch?: unknown };
    if (typeof format.validateBatch !== 'function') return 'format.validateBatch is not a function';
    const ref = require('ssb-ref') as { isFeedId(value: unknown): boolean };
    const canonical = require('is-canonical-base64') as (prefix: string, suffix: string) => RegExp;
    const signatureRx = canonical('', '\\.sig.\\w+');
    const getMsgId = require('./get-msg-id.js') as (msg: ClassicMsg) => string;
    const chloridePath = createRequire(require.resolve('ssb-keys')).resolve('chloride');
    const created = new ClassicValidator({
      isFeedId: (value) => ref.isFeedId(value),
      isSignature: (value) => signatureRx.test(value),
      getMsgId,
      rememberMsgId,
      verifier: createVerifier(chloridePath, logger),
      inlineVerifier: new InlineVerifier(loadChloride(chloridePath)),
      fallback: format.validateBatch as ValidateBatch,
    });
    format.validateBatch = created.validateBatch;
    validator = created;
    return undefined;
  },
};
