// Prints, as one JSON object, what this Node.js process really runs on: its version and CPU, and which
// native binaries it loaded (sodium-native through the peer's own native-crypto check, and leveldown).
// lab/arm64/run.sh runs it under emulation and on the host, and refuses a run whose "arm64" process did
// not load arm64 binaries.
import { createRequire } from 'node:module';
import { machine } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { commandLine, HELP_OPTION } from '../../src/cli/command-line.js';
import { checkNativeCrypto } from '../../src/ssb/native-crypto.js';

commandLine(
  `usage: node dist/lab/arm64/probe.js

Prints, as one JSON object, this Node.js process's version and CPU and the native binaries it loaded
(lab/arm64/run.sh runs it under emulation and on the host).`,
  () => parseArgs({ options: HELP_OPTION, strict: true }),
);

interface NativeModule {
  loaded: boolean;
  version: string | null;
  binding: string | null;
  error?: string;
}

/** Loads a node-gyp-build module and names the binary node-gyp-build chose for this platform. */
function nativeModule(name: string): NativeModule {
  const result: NativeModule = { loaded: false, version: null, binding: null };
  try {
    const req = createRequire(import.meta.url);
    const packageJson = req.resolve(`${name}/package.json`);
    const version: unknown = (req(packageJson) as { version?: unknown }).version;
    result.version = typeof version === 'string' ? version : null;
    const local = createRequire(packageJson);
    const gypBuild = local('node-gyp-build') as { path?: (dir: string) => string };
    if (typeof gypBuild.path === 'function') result.binding = gypBuild.path(dirname(packageJson));
    local(name);
    result.loaded = true;
  } catch (error) {
    result.error = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
  }
  return result;
}

const iterations = Number(process.env.PROBE_VERIFY_ITERATIONS ?? 3000);
const report = {
  node: process.version,
  arch: process.arch,
  machine: machine(),
  platform: process.platform,
  execPath: process.execPath,
  napi: process.versions.napi,
  openssl: process.versions.openssl,
  nativeCrypto: checkNativeCrypto(iterations),
  leveldown: nativeModule('leveldown'),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
