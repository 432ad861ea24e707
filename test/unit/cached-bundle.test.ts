// A process's bundle with V8's code cache (process/cached-bundle.ts): the cache is named by the bundle's contents
// and by the Node options V8 checks it against, a process started with other options finds none, and a cache
// of another bundle is never offered to this one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  BUNDLE_HEADER,
  bundleIdOf,
  cacheFileFor,
  optionsKey,
  runCachedBundle,
} from '../../src/process/cached-bundle.js';

const MAKER = fileURLToPath(new URL('../../src/process/make-bundle-cache.js', import.meta.url));
const MODULE = fileURLToPath(new URL('../../src/process/cached-bundle.js', import.meta.url));

test('the options key: the same options give the same key, other V8 options another, profiling none', () => {
  const plain = optionsKey([], '');
  assert.equal(optionsKey([], '  '), plain);
  assert.notEqual(optionsKey(['--expose-gc'], ''), plain);
  assert.equal(optionsKey(['--expose-gc'], ''), optionsKey([], '--expose-gc'));
  assert.notEqual(optionsKey(['--max-old-space-size=72'], ''), optionsKey(['--max-old-space-size=73'], ''));
  assert.equal(optionsKey(['--cpu-prof', '--cpu-prof-dir=/tmp/p'], '--heap-prof'), plain);
  assert.equal(optionsKey(['--cpu-prof', '--cpu-prof-dir', '/tmp/p', '--import', 'hook.js'], ''), plain);
  assert.equal(optionsKey(['--expose-gc', '--require', 'x.cjs'], ''), optionsKey(['--expose-gc'], ''));
  assert.match(plain, /^[0-9a-f]{8}$/);
});

test('the bundle id comes from its first line, and only a well-formed one', () => {
  const id = '0123456789abcdef';
  assert.equal(bundleIdOf(`${BUNDLE_HEADER}${id}\nmodule.exports = 1;`), id);
  assert.equal(bundleIdOf('module.exports = 1;'), null);
  assert.equal(bundleIdOf(`${BUNDLE_HEADER}0123\n`), null);
  assert.equal(bundleIdOf(`${BUNDLE_HEADER}0123456789abcdeZ\n`), null);
  assert.equal(cacheFileFor('/x/peer.bundle.cjs', id, 'abcd0123'), `/x/peer.bundle.cjs.${id}.abcd0123.cache`);
});

async function withBundle(source: string, body: (file: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-cached-bundle-'));
  try {
    const file = join(dir, 'demo.bundle.cjs');
    await writeFile(file, source, 'latin1');
    await body(file, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the bundle in a fresh process with `execArgv`: what it exported and whether V8 took the cache. */
async function runIn(execArgv: string[], file: string): Promise<{ value: unknown; codeCache: string }> {
  // A script file, not `-e`: Node's own options (`-e`, `--input-type`) are part of the options key too.
  const runner = `${file}.runner.mjs`;
  await writeFile(
    runner,
    `const m = await import(${JSON.stringify(MODULE)});\nconst b = m.runCachedBundle(${JSON.stringify(file)});\nprocess.stdout.write(JSON.stringify({ value: b.exports.value, codeCache: b.codeCache }));\n`,
  );
  const out = execFileSync(process.execPath, [...execArgv, runner], {
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out) as { value: unknown; codeCache: string };
}

const BUNDLE = `${BUNDLE_HEADER}00112233aabbccdd\nconst path = require('node:path');\nfunction twice(x) { return x * 2; }\nmodule.exports = { value: [twice(21), path.basename(__filename), typeof __dirname] };\n`;

test('a bundle runs with the cache made for its options, and without one under other options', async () => {
  await withBundle(BUNDLE, async (file, dir) => {
    assert.deepEqual(await runIn([], file), { value: [42, 'demo.bundle.cjs', 'string'], codeCache: 'none' });
    execFileSync(process.execPath, [MAKER, file], { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 });
    const caches = (await readdir(dir)).filter((name) => name.endsWith('.cache'));
    assert.deepEqual(caches, [`demo.bundle.cjs.00112233aabbccdd.${optionsKey([], '')}.cache`]);
    assert.deepEqual(await runIn([], file), { value: [42, 'demo.bundle.cjs', 'string'], codeCache: 'used' });
    assert.deepEqual(await runIn(['--expose-gc'], file), {
      value: [42, 'demo.bundle.cjs', 'string'],
      codeCache: 'none',
    });
  });
});

test("a cache made under other V8 flags, found under this process's name, is refused and the bundle still runs", async () => {
  await withBundle(BUNDLE, async (file, dir) => {
    const env = { ...process.env, NODE_OPTIONS: '' };
    execFileSync(process.execPath, ['--expose-gc', MAKER, file], { env, timeout: 30_000 });
    const made = join(dir, `demo.bundle.cjs.00112233aabbccdd.${optionsKey(['--expose-gc'], '')}.cache`);
    await rename(made, join(dir, `demo.bundle.cjs.00112233aabbccdd.${optionsKey([], '')}.cache`));
    assert.deepEqual(await runIn([], file), { value: [42, 'demo.bundle.cjs', 'string'], codeCache: 'rejected' });
  });
});

test('a cache of another bundle (another id) is not offered, and a bundle without a header is not run', async () => {
  await withBundle(BUNDLE, async (file) => {
    execFileSync(process.execPath, [MAKER, file], { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 });
    // The same length, another id and body: V8 alone would take the old cache (it checks only the length).
    const changed = BUNDLE.replace('00112233aabbccdd', '99112233aabbccdd').replace('x * 2', 'x * 3');
    await writeFile(file, changed, 'latin1');
    assert.deepEqual(await runIn([], file), { value: [63, 'demo.bundle.cjs', 'string'], codeCache: 'none' });
  });
  await withBundle('module.exports = { value: 1 };\n', async (file) => {
    assert.equal(runCachedBundle(file), null);
  });
  assert.equal(runCachedBundle('/nonexistent/demo.bundle.cjs'), null);
});
