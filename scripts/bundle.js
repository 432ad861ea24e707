#!/usr/bin/env node
// The second half of `npm run build` (after tsc): bundles the command line, `src/cli/main.ts`, with esbuild into
// `dist/src/cli/main.js` and its lazily loaded chunks beside it, in place of tsc's copy of that one file. Every
// process of a device starts there (the daemon, the peer it forks, the CLI, the installed systemd units), and
// Node's ES module loader pays for every file it resolves, reads and compiles: ~100 of our modules and zod's
// ~60 took about as long to load as the SSB libraries (cold start, issue 17).
//
// Then it records where Node finds each module of the SSB libraries (src/ssb/module-paths.ts) into
// dist/module-paths.json and the modules themselves into one pack (src/ssb/module-pack.ts,
// dist/ssb-modules.pack.js), by loading them as the peer does in a child process of the same Node.js, and
// makes V8's code cache of the pack (dist/ssb-modules.pack.cache) in a second one, loading them through it.
//
// What is bundled: our own code and the pure-JS packages in BUNDLED (the web server's among them). Every other package stays an import from
// node_modules, loaded by Node as before: the SSB libraries, because src/ssb/patches/ changes their modules by
// path in the CommonJS cache before they load, and the native ones (sodium-native, leveldown) with them.
// Lazy imports stay lazy: each dynamic import() becomes a chunk loaded when it runs. `import.meta.url` in our
// modules keeps pointing at the module's own file under dist/ (tsc's copies stay there), so the paths found
// from it — the peer's command, the web page's assets, the signature worker, createRequire — are unchanged.
//
//   node scripts/bundle.js
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { commandLine } from './lib/command-line.js';

commandLine(`usage: node scripts/bundle.js   (the second half of npm run build, after tsc)

Bundles src/cli/main.ts into dist/src/cli/main.js and its chunks (our code, zod, pino, pull-stream,
fastify, @fastify/multipart, qrcode; the other packages stay in node_modules), then records where the SSB libraries' modules are
(dist/module-paths.json) and packs them with a code cache (dist/ssb-modules.pack.js, .cache).

  --help    this text`);

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'src/cli/main.ts');
const OUT_DIR = join(ROOT, 'dist/src/cli');
const CHUNK_PREFIX = 'main.chunk-';

/**
 * Packages bundled (with what they require): pure JS, no patches, nothing found by path at run time. The web
 * server's (fastify with @fastify/multipart, qrcode) are ~300 CommonJS modules that Node otherwise resolves,
 * reads and compiles one by one when the peer starts its web page.
 */
const BUNDLED = new Set(['zod', 'pino', 'pull-stream', 'fastify', '@fastify/multipart', 'qrcode']);

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const inNodeModules = (path) => path.split(sep).includes('node_modules');

/** Our imports of a package not in BUNDLED stay imports, resolved by Node from node_modules at run time. */
const externals = {
  name: 'smallworld-externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      // Inside a bundled package: its own dependencies come along (esbuild resolves them as Node would).
      if (inNodeModules(args.importer)) return undefined;
      return BUNDLED.has(packageOf(args.path)) ? undefined : { path: args.path, external: true };
    });
  },
};

/**
 * Each of our modules sees `import.meta.url` as its own file under dist/ (where tsc put it), not the bundle's:
 * every output file sits in OUT_DIR, so that is a fixed path relative to the output.
 */
const ownUrls = {
  name: 'smallworld-own-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (inNodeModules(args.path)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
      const compiled = join(ROOT, 'dist', relative(ROOT, args.path)).replace(/\.ts$/, '.js');
      const fromOutput = relative(OUT_DIR, compiled).split(sep).join('/');
      const url = `new URL(${JSON.stringify(fromOutput)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

// Chunks of an earlier build would otherwise pile up (their names carry a hash of their contents).
for (const name of readdirSync(OUT_DIR)) {
  if (name.startsWith(CHUNK_PREFIX)) rmSync(join(OUT_DIR, name));
}

const result = await build({
  entryPoints: { main: ENTRY },
  outdir: OUT_DIR,
  chunkNames: `${CHUNK_PREFIX}[hash]`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Less to parse at every start; names are kept (stack traces), and the source map leads back.
  minifyWhitespace: true,
  minifySyntax: true,
  // tsc's main.js is replaced by the bundle.
  allowOverwrite: true,
  // Bundled CommonJS (pino) requires Node's own modules: give the ES module output a `require` to do it with.
  banner: {
    js: "import { createRequire as __smallworldCreateRequire } from 'node:module';\nconst require = __smallworldCreateRequire(import.meta.url);",
  },
  plugins: [externals, ownUrls],
  logLevel: 'warning',
  metafile: true,
});

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const inputs = Object.keys(result.metafile.inputs).length;
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
process.stderr.write(
  `bundle: ${relative(ROOT, join(OUT_DIR, 'main.js'))} and ${outputs.length - 1} chunks, ${inputs} modules, ${Math.round(bytes / 1024)} KiB\n`,
);

// Where each library module is, and the modules themselves in one pack with its code cache: recorded by
// loading the libraries (about a second each), never failing the build. The code cache is made in a process
// started with the peer's Node options (V8 refuses a cache made under other flags).
const RECORDED = ['dist/module-paths.json', 'dist/ssb-modules.pack.js', 'dist/ssb-modules.pack.cache'];
for (const file of RECORDED) rmSync(join(ROOT, file), { force: true });
const recorder = join(ROOT, 'dist/src/ssb/record-module-paths.js');
const { peerHeapOptions } = await import(join(ROOT, 'dist/src/peer/heap-limit.js'));
const passes = [[recorder], ['--expose-gc', ...peerHeapOptions([]), recorder, '--pack-cache']];
for (const args of passes) {
  const recorded = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 });
  if (recorded.status !== 0) {
    for (const file of RECORDED) rmSync(join(ROOT, file), { force: true });
    process.stderr.write(`module paths not recorded (${recorded.error?.message ?? `exit ${recorded.status}`})\n`);
    break;
  }
}
