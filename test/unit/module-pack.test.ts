// The build's pack of library modules (ssb/module-pack.ts): each packed module runs from the pack with the
// same `module`, `require`, `__filename`, `__dirname` and place in the CommonJS cache as when Node loads its
// file; what is not packed, and a pack for another install or Node.js, are left to Node.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  ownCodeCacheFile,
  packable,
  packIdOf,
  packText,
  recordModuleSources,
  useModulePack,
} from '../../src/ssb/module-pack.js';
import { fingerprint } from '../../src/ssb/module-paths.js';
import { forgetModulesUnder, withFakeProject } from '../helpers/fake-project.js';

const run = promisify(execFile);

/** A project with two packages: a requires b and a file of its own; b has a hashbang and a BOM-less body. */
const PROJECT = {
  'package-lock.json': '{}',
  'node_modules/pkg-a/package.json': JSON.stringify({ name: 'pkg-a', main: 'main.js' }),
  'node_modules/pkg-a/main.js': [
    "'use strict';",
    "const own = require('./own');",
    'module.exports = {',
    "  b: require('pkg-b'),",
    '  own,',
    '  file: __filename,',
    '  dir: __dirname,',
    "  resolved: require.resolve('./own'),",
    '  cached: require.cache[__filename] === module,',
    '  self: this === module.exports,',
    '};',
  ].join('\n'),
  'node_modules/pkg-a/own.js': 'module.exports = "own"; // no newline at the end',
  'node_modules/pkg-b/index.js': '#!/usr/bin/env node\nmodule.exports = "b";\n',
  'node_modules/pkg-b/lazy.js': "module.exports = () => import('node:path');\n",
};
const withProject = (fn: (root: string) => Promise<void>) => withFakeProject('sw-module-pack-', PROJECT, fn);

test('packed modules run from the pack as Node would run their files', async () => {
  await withProject(async (root) => {
    const req = createRequire(join(root, 'main.js'));
    const recorder = recordModuleSources(root);
    const first = req('pkg-a') as Record<string, unknown>;
    req('pkg-b/lazy.js');
    const modules = recorder.stop();
    assert.deepEqual([...modules.keys()].sort(), [
      'node_modules/pkg-a/main.js',
      'node_modules/pkg-a/own.js',
      'node_modules/pkg-b/index.js',
    ]);
    const file = join(root, 'pack.js');
    await writeFile(file, packText(modules, fingerprint(root)));

    forgetModulesUnder(req, root);
    const used = useModulePack(file, () => [join(root, 'no-cache')], root);
    assert.ok(used.use, 'the pack is used');
    try {
      const again = req('pkg-a') as Record<string, unknown>;
      assert.deepEqual(again, first);
      assert.equal(again.file, join(root, 'node_modules/pkg-a/main.js'));
      assert.equal(again.dir, join(root, 'node_modules/pkg-a'));
      assert.equal(again.resolved, join(root, 'node_modules/pkg-a/own.js'));
      assert.equal(again.cached, true);
      assert.equal(again.self, true);
      assert.equal(used.use.used, 3);
      assert.equal(used.use.cached, false);
      // Not packed (a real dynamic import): Node loads the file.
      assert.equal(typeof req('pkg-b/lazy.js'), 'function');
      assert.equal(used.use.used, 3);
      // A code cache of the pack after loading: what the build keeps.
      assert.ok(used.use.codeCache().length > 0);
    } finally {
      used.use.stop();
      forgetModulesUnder(req, root);
    }
  });
});

test('a pack for another install or Node.js, or none, is not used', async () => {
  await withProject(async (root) => {
    const file = join(root, 'pack.js');
    const missing = useModulePack(file, () => [file], root);
    assert.equal(missing.use, null);
    await writeFile(
      file,
      packText(new Map([['node_modules/pkg-b/index.js', 'module.exports = 1;']]), 'v0 x64 elsewhere'),
    );
    const other = useModulePack(file, () => [file], root);
    assert.equal(other.use, null);
    if (other.use === null) assert.match(other.why, /another install or Node\.js/);
  });
});

const MODULE_PACK = fileURLToPath(new URL('../../src/ssb/module-pack.js', import.meta.url));

/** Which of `cacheFiles` a fresh process takes for the pack `file`. */
async function cachedIn(file: string, root: string, cacheFiles: string[]): Promise<unknown> {
  const runner = join(root, 'runner.mjs');
  const args = [file, cacheFiles, root].map((a) => JSON.stringify(a));
  await writeFile(
    runner,
    `const m = await import(${JSON.stringify(MODULE_PACK)});\nconst used = m.useModulePack(${args[0]}, () => ${args[1]}, ${args[2]});\nprocess.stdout.write(JSON.stringify(used.use ? used.use.cached : used.why));\n`,
  );
  const { stdout } = await run(process.execPath, [runner], { timeout: 30_000 });
  return JSON.parse(stdout);
}

test('code caches: named by the pack, one V8 refuses is passed over, another pack never gets this one', async () => {
  await withProject(async (root) => {
    const file = join(root, 'pack.js');
    const packOf = (value: number) =>
      packText(new Map([['node_modules/pkg-b/index.js', `module.exports = ${value};`]]), fingerprint(root));
    await writeFile(file, packOf(1));
    const first = useModulePack(file, () => [], root);
    assert.ok(first.use);
    const idOfFirst = first.use.packId;
    assert.equal(packIdOf(packOf(1)), idOfFirst);
    const cache = ownCodeCacheFile(root, idOfFirst);
    await writeFile(cache, first.use.codeCache());
    first.use.stop();
    const refused = join(root, 'refused.cache');
    await writeFile(refused, Buffer.alloc(4096, 7));
    // In a fresh process: in this one V8 would take the pack from its own compilation cache, not from a file.
    assert.equal(await cachedIn(file, root, [refused, cache]), cache, 'the refused cache is passed over');
    // Another pack of the same length: its id differs, so the first pack's cache is not offered to it.
    const other = packOf(2);
    assert.equal(other.length, packOf(1).length);
    await writeFile(file, other);
    const second = useModulePack(file, (id) => [ownCodeCacheFile(root, id)], root);
    assert.ok(second.use);
    assert.notEqual(second.use.packId, idOfFirst);
    assert.equal(second.use.cached, false);
    second.use.stop();
  });
});

test('a module with a dynamic import in its code is not packable; one in a comment is', () => {
  assert.equal(packable("module.exports = () => import('x');"), false);
  assert.equal(packable("/** @type {import('.')} */\nmodule.exports = 1;"), true);
  assert.equal(packable("// import('x') later\nmodule.exports = 1;"), true);
});
