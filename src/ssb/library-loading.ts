// Loading the SSB libraries for the peer, in the order that matters: where each module is and the modules
// themselves (from the build, module-paths.ts and module-pack.ts), the native crypto check, the patches (patches/), then the libraries themselves; each step
// logged, and a failure said in words (sodium-native not loading is the usual cause).
import type { LogSink } from '../log/logger.js';
import { loadSsbLibraries, type SsbLibraries } from './libraries.js';
import { keepOwnCodeCache, type ModulePackUse, useModulePackOnce } from './module-pack.js';
import { useModulePathsOnce } from './module-paths.js';
import { checkNativeCrypto, type NativeCryptoReport } from './native-crypto.js';
import { patchLibraries } from './patches/index.js';
import type { PatchOutcome } from './patches/patch.js';

export interface LoadedLibraries {
  libs: SsbLibraries;
  /** The patches applied to the modules, for the one log line that lists every patch. */
  patched: PatchOutcome[];
  nativeCrypto: NativeCryptoReport;
}

function logNativeCrypto(logger: LogSink, report: NativeCryptoReport): void {
  if (report.native) {
    logger.log('info', 'native crypto loaded', {
      sodiumNative: report.sodiumNative,
      verifiesPerSecond: report.verifiesPerSecond,
    });
    return;
  }
  logger.log('error', 'NATIVE CRYPTO NOT LOADED: SSB is using pure-JS crypto and will be very slow', {
    chloride: report.chloride,
    sodiumNative: report.sodiumNative,
    verifiesPerSecond: report.verifiesPerSecond,
    hint: 'sodium-native has no prebuild for this platform (e.g. 32-bit ARM); build it or use another Node/arch',
  });
}

/** Patches the libraries (once per process), then loads them; says why when they do not load. */
async function patchAndLoad(logger: LogSink, nativeCrypto: NativeCryptoReport) {
  try {
    const patched = patchLibraries(logger);
    return { patched, libs: await loadSsbLibraries() };
  } catch (error) {
    logger.log('error', 'cannot load the SSB libraries', {
      error: String(error).split('\n')[0],
      sodiumNative: nativeCrypto.sodiumNative,
    });
    throw new Error(
      nativeCrypto.sodiumNative.loaded
        ? `cannot load the SSB libraries: ${String(error)}`
        : `cannot load the SSB libraries: sodium-native does not load (${nativeCrypto.sodiumNative.error})`,
    );
  }
}

/** After this long the peer has started: what it compiled meanwhile goes into the code cache it keeps. */
const OWN_CODE_CACHE_AFTER_MS = 10_000;

function keepCodeCacheLater(logger: LogSink, use: ModulePackUse, dir: string): void {
  setTimeout(() => {
    keepOwnCodeCache(use, dir).then(
      (file) => file && logger.log('info', 'kept a code cache of the library pack for the next start', { file }),
      (error: Error) => logger.log('warn', 'cannot keep a code cache of the library pack', { error: error.message }),
    );
  }, OWN_CODE_CACHE_AFTER_MS).unref();
}

/** `dataDir`: the peer's SSB directory, where it keeps its own code cache of the pack (module-pack.ts). */
export async function loadPatchedLibraries(logger: LogSink, dataDir: string): Promise<LoadedLibraries> {
  // Where each library module is and the modules themselves, from the build (module-paths.ts,
  // module-pack.ts): before anything below requires one.
  const modulePaths = useModulePathsOnce();
  const modulePack = useModulePackOnce(dataDir);
  if (modulePack.use) keepCodeCacheLater(logger, modulePack.use, dataDir);
  const nativeCrypto = checkNativeCrypto();
  logNativeCrypto(logger, nativeCrypto);
  const { patched, libs } = await patchAndLoad(logger, nativeCrypto);
  logger.log(
    'info',
    'library modules loaded',
    modulePaths.use
      ? { pathsFromBuild: modulePaths.entries, answered: modulePaths.use.hits, askedNode: modulePaths.use.misses }
      : { pathsFromBuild: 0, why: modulePaths.why },
  );
  logger.log(
    'info',
    'library modules from the pack',
    modulePack.use
      ? { packed: modulePack.use.modules, used: modulePack.use.used, codeCache: modulePack.use.cached }
      : { packed: 0, why: modulePack.why },
  );
  return { libs, patched, nativeCrypto };
}
