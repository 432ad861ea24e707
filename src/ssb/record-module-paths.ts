// Build step (scripts/bundle.js, part of `npm run build`): loads the SSB libraries exactly as the peer does
// (the native crypto check, the library patches, then the libraries) and writes where Node found each module
// to dist/module-paths.json (module-paths.ts). Where the libraries cannot load here (no native crypto for this
// CPU), it says so and writes nothing: the peer then resolves modules the usual way.
//
//   node dist/src/ssb/record-module-paths.js [FILE]
import { writeFileSync } from 'node:fs';
import { silentLogger } from '../log/logger.js';
import { loadSsbLibraries } from './libraries.js';
import { MODULE_PATHS_FILE, recordModulePaths } from './module-paths.js';
import { checkNativeCrypto } from './native-crypto.js';
import { patchLibraries } from './patches/index.js';

const file = process.argv[2] ?? MODULE_PATHS_FILE;
const recorder = recordModulePaths();
try {
  checkNativeCrypto(1);
  patchLibraries(silentLogger);
  await loadSsbLibraries();
} catch (error) {
  recorder.stop();
  process.stderr.write(`module paths not recorded: the SSB libraries do not load here (${String(error)})\n`);
  process.exit(0);
}
const table = recorder.stop();
writeFileSync(file, `${JSON.stringify(table)}\n`);
process.stderr.write(`module paths: ${Object.keys(table.paths).length} resolutions recorded in ${file}\n`);
