// The build's table of module paths (ssb/module-paths.ts): recorded from Node's own answers, used only for the
// install and Node.js it was recorded for, and falling back to Node for anything not in it.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordModulePaths, useModulePaths } from '../../src/ssb/module-paths.js';
import { forgetModulesUnder, withFakeProject } from '../helpers/fake-project.js';

/** A project with two packages: a requires b and a file of its own; b is also reachable alone. */
const PROJECT = {
  'package-lock.json': '{}',
  'node_modules/pkg-a/package.json': JSON.stringify({ name: 'pkg-a', main: 'main.js' }),
  'node_modules/pkg-a/main.js': "module.exports = { b: require('pkg-b'), own: require('./own') };",
  'node_modules/pkg-a/own.js': 'module.exports = "own";',
  'node_modules/pkg-b/index.js': 'module.exports = "b";',
};
const withProject = (fn: (root: string) => Promise<void>) => withFakeProject('sw-module-paths-', PROJECT, fn);

test('a recorded table answers the same resolutions Node made, and Node answers the rest', async () => {
  await withProject(async (root) => {
    const req = createRequire(join(root, 'main.js'));
    const recorder = recordModulePaths(root);
    const first = req('pkg-a') as unknown;
    const table = recorder.stop();
    assert.deepEqual(first, { b: 'b', own: 'own' });
    assert.deepEqual(Object.values(table.paths).sort(), [
      'node_modules/pkg-a/main.js',
      'node_modules/pkg-a/own.js',
      'node_modules/pkg-b/index.js',
    ]);
    const file = join(root, 'module-paths.json');
    await writeFile(file, JSON.stringify(table));

    forgetModulesUnder(req, root);
    const used = useModulePaths(file, root);
    assert.ok(used.use, 'the table is used');
    try {
      assert.equal(used.entries, 3);
      assert.deepEqual(req('pkg-a'), { b: 'b', own: 'own' });
      assert.equal(used.use.hits, 3);
      assert.equal(used.use.misses, 0);
      // Not recorded: Node resolves it, as ever.
      assert.equal(req.resolve('./node_modules/pkg-b/index.js'), join(root, 'node_modules/pkg-b/index.js'));
      assert.equal(used.use.misses, 1);
      // Node's own modules never go through the table.
      assert.equal(typeof req('node:path'), 'object');
      assert.equal(used.use.misses, 1);
    } finally {
      used.use.stop();
      forgetModulesUnder(req, root);
    }
  });
});

test('a table from another install or Node.js, or none, is not used', async () => {
  await withProject(async (root) => {
    const file = join(root, 'module-paths.json');
    const missing = useModulePaths(file, root);
    assert.equal(missing.use, null);
    await writeFile(file, JSON.stringify({ fingerprint: 'v0.0.0 x64 elsewhere', paths: { 'x\0y': 'z' } }));
    const other = useModulePaths(file, root);
    assert.equal(other.use, null);
    if (other.use === null) assert.match(other.why, /another install or Node\.js/);
    await writeFile(file, 'not json');
    assert.equal(useModulePaths(file, root).use, null);
  });
});
