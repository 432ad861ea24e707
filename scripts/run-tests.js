#!/usr/bin/env node
// Runs the compiled test groups (dist/test/<group>/**/*.test.js) with Node's built-in test runner,
// in one run so its closing summary covers everything. Usage: node scripts/run-tests.js unit property ...
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine, usageError } from './lib/command-line.js';

// The groups are test/'s folders (helpers and fixtures hold no tests).
const GROUPS = existsSync('test')
  ? readdirSync('test').filter((d) => !['helpers', 'fixtures'].includes(d) && statSync(join('test', d)).isDirectory())
  : [];
const USAGE = `usage: node scripts/run-tests.js GROUP...   (after npm run build)

Runs the compiled tests of the groups named (dist/test/GROUP), in one run of Node's test runner.
Groups: ${GROUPS.join(', ')}. npm test runs unit property integration browser lan.`;
const { positionals: groups } = commandLine(USAGE, { allowPositionals: true });
if (groups.length === 0) usageError(USAGE, 'name at least one group');
for (const group of groups)
  if (!GROUPS.includes(group) && !existsSync(join('dist', 'test', group)))
    usageError(USAGE, `no test group named "${group}"`);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
};
for (const group of groups) {
  const dir = join('dist', 'test', group);
  if (existsSync(dir)) walk(dir);
}
if (files.length === 0) {
  console.error(`no compiled tests found for: ${groups.join(', ')} (did "npm run build" run?)`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
