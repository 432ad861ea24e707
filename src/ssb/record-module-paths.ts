// Build step (scripts/bundle.js, part of `npm run build`): loads the SSB libraries exactly as the peer does
// (the native crypto check, the library patches, then the libraries) and writes where Node found each module
// to dist/module-paths.json (module-paths.ts) and the modules themselves into dist/ssb-modules.pack.js
// (module-pack.ts). Run again with --pack-cache, in a fresh process started with one of the peer's sets of
// Node options, it loads the libraries through the pack and keeps V8's code cache of it for those options
// (dist/ssb-modules.pack.KEY.cache). Where
// the libraries cannot load here (no native crypto for this CPU), it says so and writes nothing: the peer then
// loads modules the usual way.
//
//   node dist/src/ssb/record-module-paths.js [--pack-cache]
import { writeFileSync } from 'node:fs';
import { silentLogger } from '../log/logger.js';
import { processOptionsKey } from '../process/cached-bundle.js';
import { loadSsbLibraries } from './libraries.js';
import { MODULE_PACK_FILE, packCacheFor, recordModuleSources, useModulePack, writeModulePack } from './module-pack.js';
import { MODULE_PATHS_FILE, recordModulePaths, useModulePaths } from './module-paths.js';
import { checkNativeCrypto } from './native-crypto.js';
import { patchLibraries } from './patches/index.js';

async function loadAsThePeerDoes(): Promise<boolean> {
  try {
    checkNativeCrypto(1);
    patchLibraries(silentLogger);
    await loadSsbLibraries();
    return true;
  } catch (error) {
    process.stderr.write(`the SSB libraries do not load here (${String(error)}): nothing recorded\n`);
    return false;
  }
}

async function recordPathsAndPack(): Promise<void> {
  const paths = recordModulePaths();
  const sources = recordModuleSources();
  const loaded = await loadAsThePeerDoes();
  const table = paths.stop();
  const modules = sources.stop();
  if (!loaded) return;
  writeFileSync(MODULE_PATHS_FILE, `${JSON.stringify(table)}\n`);
  writeModulePack(modules);
  process.stderr.write(
    `module paths: ${Object.keys(table.paths).length} resolutions recorded in ${MODULE_PATHS_FILE}; ${modules.size} modules packed in ${MODULE_PACK_FILE}\n`,
  );
}

async function recordPackCache(): Promise<void> {
  useModulePaths();
  const pack = useModulePack(MODULE_PACK_FILE, () => []);
  if (!pack.use) {
    process.stderr.write(`module pack: not usable (${pack.why}), no code cache\n`);
    return;
  }
  if (!(await loadAsThePeerDoes())) return;
  const cache = pack.use.codeCache();
  const cacheFile = packCacheFor(processOptionsKey());
  writeFileSync(cacheFile, cache);
  process.stderr.write(
    `module pack: ${pack.use.used} of ${pack.use.modules} modules loaded from it, code cache ${Math.round(cache.length / 1024)} KiB in ${cacheFile}\n`,
  );
}

await (process.argv.includes('--pack-cache') ? recordPackCache() : recordPathsAndPack());
