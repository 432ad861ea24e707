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
// makes V8's code caches of the pack (dist/ssb-modules.pack.KEY.cache), loading them through it, one for each
// way the peer is started. The peer and the daemon are also bundled, each as one CommonJS file with its code
// caches (dist/src/cli/peer.bundle.cjs and start.bundle.cjs, src/process/cached-bundle.ts).
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
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * every output file sits in OUT_DIR, so that is a fixed path relative to the output, whose own URL is
 * `outputUrl` (`import.meta.url` in an ES module bundle).
 */
function ownUrls(outputUrl) {
  return {
    name: 'smallworld-own-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (inNodeModules(args.path)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
        const compiled = join(ROOT, 'dist', relative(ROOT, args.path)).replace(/\.ts$/, '.js');
        const fromOutput = relative(OUT_DIR, compiled).split(sep).join('/');
        const url = `new URL(${JSON.stringify(fromOutput)}, ${outputUrl}).href`;
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

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
  plugins: [externals, ownUrls('import.meta.url')],
  logLevel: 'warning',
  metafile: true,
});

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const inputs = Object.keys(result.metafile.inputs).length;
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
process.stderr.write(
  `bundle: ${relative(ROOT, join(OUT_DIR, 'main.js'))} and ${outputs.length - 1} chunks, ${inputs} modules, ${Math.round(bytes / 1024)} KiB\n`,
);

// The two long-running processes' own bundles (src/process/cached-bundle.ts): `smallworld peer` and
// `smallworld start`, each with everything it loads but the SSB libraries, as one CommonJS file that V8
// compiles from a code cache. Named on its first line by a hash of its contents, and checked to be ASCII (it
// is read as latin1, without decoding).
const BUNDLE_ID_PLACEHOLDER = '0'.repeat(16);

const PROCESS_BUNDLES = ['peer.bundle.cjs', 'start.bundle.cjs'];
// A bundle of an earlier build must not outlive a build that failed to make its successor.
for (const old of readdirSync(OUT_DIR)) {
  if (PROCESS_BUNDLES.some((name) => old.startsWith(name))) rmSync(join(OUT_DIR, old));
}

/** Bundles `entry` into OUT_DIR/`name` (and its source map and licence notices beside it). */
async function processBundle(entry, name) {
  const file = join(OUT_DIR, name);
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile: file,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    charset: 'ascii',
    // The licence notices the packages carry go beside it (NAME.LEGAL.txt), some not in ASCII.
    legalComments: 'external',
    sourcemap: 'linked',
    minifyWhitespace: true,
    minifySyntax: true,
    banner: {
      // "use strict" first: our modules were strict as ES modules, and esbuild's own directive comes too late.
      js: `// smallworld bundle ${BUNDLE_ID_PLACEHOLDER}\n'use strict';\nconst __smallworldBundleUrl = require('node:url').pathToFileURL(__filename).href;`,
    },
    plugins: [externals, ownUrls('__smallworldBundleUrl')],
    logLevel: 'warning',
  });
  const text = readFileSync(file, 'latin1');
  if (!Buffer.from(text, 'latin1').every((byte) => byte < 0x80)) throw new Error(`${file} is not ASCII`);
  // It runs in a vm.Script, which has no loader for import() before Node 20.12 (cached-bundle.ts).
  if (text.includes('import(')) throw new Error(`${file} has an import(): its package must be required instead`);
  const id = createHash('sha256').update(text).digest('hex').slice(0, BUNDLE_ID_PLACEHOLDER.length);
  writeFileSync(file, text.replace(BUNDLE_ID_PLACEHOLDER, id), 'latin1');
  return { file, bytes: text.length };
}

// The code caches below: one for each way a process is started (src/peer/peer-starts.ts; V8 takes a cache only
// under the Node options it was made with).
const { peerStarts, daemonStarts } = await import(join(ROOT, 'dist/src/peer/peer-starts.js'));
const PEER_STARTS = peerStarts();

/** Runs `node [the start's options] ...args` for each start; the starts it succeeded for. */
function forEachStart(starts, what, args, timeout) {
  const done = [];
  for (const start of starts) {
    const run = spawnSync(process.execPath, [...start.execArgv, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: start.nodeOptions },
      timeout,
    });
    if (run.status === 0) done.push(start.how);
    else
      process.stderr.write(
        `${what}: nothing for a start ${start.how} (${run.error?.message ?? `exit ${run.status}`})\n`,
      );
  }
  return done;
}

const CACHE_MAKER = join(ROOT, 'dist/src/process/make-bundle-cache.js');
for (const [entry, name, starts] of [
  ['src/cli/peer-command.ts', 'peer.bundle.cjs', PEER_STARTS],
  ['src/cli/start-command.ts', 'start.bundle.cjs', daemonStarts()],
]) {
  const { file, bytes } = await processBundle(entry, name);
  const cached = forEachStart(starts, `${name} code cache`, [CACHE_MAKER, file], 60_000);
  process.stderr.write(
    `process bundle: ${relative(ROOT, file)}, ${Math.round(bytes / 1024)} KiB, code caches for its starts ${cached.join(', ')}\n`,
  );
}

// Where each library module is, and the modules themselves in one pack with its code caches: recorded by
// loading the libraries (about a second each), never failing the build.
const isRecorded = (name) => name === 'module-paths.json' || name.startsWith('ssb-modules.pack.');
const removeRecorded = () => {
  for (const name of readdirSync(join(ROOT, 'dist'))) if (isRecorded(name)) rmSync(join(ROOT, 'dist', name));
};
removeRecorded();
const recorder = join(ROOT, 'dist/src/ssb/record-module-paths.js');
const recorded = spawnSync(process.execPath, [recorder], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 });
if (recorded.status === 0) {
  forEachStart(PEER_STARTS, 'module pack code cache', [recorder, '--pack-cache'], 120_000);
} else {
  removeRecorded();
  process.stderr.write(`module paths not recorded (${recorded.error?.message ?? `exit ${recorded.status}`})\n`);
}
