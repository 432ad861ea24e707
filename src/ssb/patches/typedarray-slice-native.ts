// jitdb 7 requires traverse 0.6, which requires typedarray.prototype.slice 1.0: a polyfill of a method every
// Node.js we run on has. Loading it loads es-abstract and the es-shims around it — about 150 of the ~700
// modules the SSB libraries load, a large share of the peer's cold start on a small board. The polyfill's
// own choice on Node.js 20+ is the native method (its polyfill.js returns `TypedArray.prototype.slice` when
// that is there and correct), so the module is put in the cache as that choice, without the shims.
import type { LibraryPatch } from './patch.js';
import { isLoaded } from './patch.js';
import { replaceModule } from './replace-module.js';

type Slice = (this: Uint8Array, start?: number, end?: number) => Uint8Array;

/** typedarray.prototype.slice's exports, as the package builds them, over the native method. */
export function nativeTypedArraySlice(): unknown {
  const native = Object.getPrototypeOf(Uint8Array.prototype).slice as Slice;
  const bound = (array: Uint8Array, start?: number, end?: number) => native.call(array, start, end);
  return Object.assign(bound, { getPolyfill: () => native, implementation: native, shim: () => native });
}

export const typedArraySliceNative: LibraryPatch<unknown> = {
  name: 'typedarray-slice-native',
  package: ['ssb-db2', 'jitdb', 'traverse', 'typedarray.prototype.slice'],
  versions: '>=1.0.0 <1.1.0',
  why: 'cold start: the polyfill of a native method loads es-abstract (~150 modules)',
  apply({ entry, require }) {
    if (isLoaded(require, entry)) return 'typedarray.prototype.slice was loaded first';
    if (typeof Object.getPrototypeOf(Uint8Array.prototype).slice !== 'function') return 'no native slice';
    replaceModule(require, entry, nativeTypedArraySlice());
    return undefined;
  },
};
