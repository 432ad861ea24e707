// The SSB crypto bindings (sodium-chloride, via chloride) allocate with the deprecated `new Buffer(n)`. Node
// answers each such call from inside node_modules by capturing a stack trace to decide whether to print
// DEP0005, and stops checking only after 10,000 calls — or once the warning has been emitted. Several calls
// per replicated message (hashing, box-stream decryption) made that ~30 µs each for the first few thousand
// messages: 0.3-0.8 s of CPU per process, measured with --cpu-prof (node:buffer showFlaggedDeprecation).
//
// One deprecated call from our own code (outside node_modules) with deprecation warnings silenced marks the
// warning as emitted, and the check is skipped from then on. Nothing else changes: no warning is printed,
// `process.noDeprecation` is restored, and Buffer behaves as before. This relies on Node's lib/buffer.js,
// hence the range of Node versions whose code was read.
import type { LibraryPatch } from './patch.js';

export function skipBufferDeprecationChecks(): void {
  const previous = process.noDeprecation;
  process.noDeprecation = true;
  try {
    // The deprecated constructor, called from here on purpose (see above).
    Reflect.apply(Buffer as unknown as (size: number) => Buffer, undefined, [0]);
  } finally {
    process.noDeprecation = previous;
  }
}

export const nodeBufferDeprecation: LibraryPatch<unknown> = {
  name: 'buffer-deprecation-checked-once',
  package: ['node'],
  versions: '>=20.0.0 <23.0.0',
  why: 'Node captures a stack trace for each new Buffer() from node_modules until DEP0005 was shown',
  apply() {
    skipBufferDeprecationChecks();
    return undefined;
  },
};
