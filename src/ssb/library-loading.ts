// Loading the SSB libraries for the peer, in the order that matters: where each module is and the modules
// themselves (from the build, module-paths.ts and module-pack.ts), the native crypto check, the patches (patches/), then the libraries themselves; each step
// logged, and a failure said in words (sodium-native not loading is the usual cause).
import type { LogSink } from '../log/logger.js';
import { loadSsbLibraries, type SsbLibraries } from './libraries.js';
import { useModulePackOnce } from './module-pack.js';
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

export async function loadPatchedLibraries(logger: LogSink): Promise<LoadedLibraries> {
  // Where each library module is, from the build (module-paths.ts): before anything below requires one.
  const modulePaths = useModulePathsOnce();
  const modulePack = useModulePackOnce();
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
