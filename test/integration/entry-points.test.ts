// Every program a person runs by hand answers --help with its usage (exit 0) and a wrong flag with what is
// wrong and its usage (exit 2), never a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const node = (script: string, ...args: string[]) => [process.execPath, join(ROOT, script), ...args];
const shell = (script: string) => [join(ROOT, script)];

const ENTRY_POINTS: Record<string, string[]> = {
  smallworld: node('dist/src/cli/main.js'),
  'smallworld start': node('dist/src/cli/main.js', 'start'),
  'smallworld peer': node('dist/src/cli/main.js', 'peer'),
  'smallworld status': node('dist/src/cli/main.js', 'status'),
  'smallworld press': node('dist/src/cli/main.js', 'press'),
  'smallworld wifi': node('dist/src/cli/main.js', 'wifi'),
  'smallworld ssb': node('dist/src/cli/main.js', 'ssb'),
  'smallworld sim': node('dist/src/cli/main.js', 'sim'),
  'smallworld install': node('dist/src/cli/main.js', 'install'),
  'smallworld uninstall': node('dist/src/cli/main.js', 'uninstall'),
  'bench/ssb-bench': node('dist/bench/ssb-bench.js'),
  'bench/press-to-command': node('dist/bench/press-to-command.js'),
  'lab/radio/device-lab': node('dist/lab/radio/device-lab.js'),
  'lab/arm64/probe': node('dist/lab/arm64/probe.js'),
  'lab/radio/test.sh': shell('lab/radio/test.sh'),
  'lab/radio/run.sh': shell('lab/radio/run.sh'),
  'lab/arm64/run.sh': shell('lab/arm64/run.sh'),
  'lab/fresh/run.sh': shell('lab/fresh/run.sh'),
  'scripts/bundle': node('scripts/bundle.js'),
  'scripts/run-tests': node('scripts/run-tests.js'),
  'scripts/prerequisites': node('scripts/prerequisites.js'),
  'scripts/reliability': node('scripts/reliability.js'),
  'scripts/reliability-report': node('scripts/reliability-report.js'),
  'scripts/reliability-curves': node('scripts/reliability-curves.js'),
};

const run = (argv: string[]) => {
  const [command, ...args] = argv as [string, ...string[]];
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
};
const STACK = /^\s+at .+[(:]\d+/m;

for (const [name, argv] of Object.entries(ENTRY_POINTS)) {
  describe(name, () => {
    test('--help prints the usage and exits 0', () => {
      const { code, out, err } = run([...argv, '--help']);
      assert.equal(code, 0, `${name} --help: ${err}`);
      assert.match(out, /usage/i);
      assert.doesNotMatch(out + err, STACK);
    });

    test('a wrong flag prints what is wrong and the usage on stderr and exits 2', () => {
      const { code, out, err } = run([...argv, '--no-such-flag']);
      assert.equal(code, 2, `${name} --no-such-flag: ${out}${err}`);
      assert.match(err, /no-such-flag/);
      assert.match(err, /usage/i);
      assert.doesNotMatch(out + err, STACK);
    });
  });
}

// `start` and `peer` run from their bundles (src/cli/bundled-commands.ts), whose errors are their own copies of
// the error classes: a bad value is still a usage error.
for (const command of ['start', 'peer']) {
  test(`smallworld ${command} with a port out of range says so with the usage and exits 2`, () => {
    const { code, out, err } = run(
      node('dist/src/cli/main.js', command, '--web-port', '70000', '--data', '/nonexistent/sw'),
    );
    assert.equal(code, 2, `${out}${err}`);
    assert.match(err, /--web-port/);
    assert.match(err, /usage/i);
    assert.doesNotMatch(out + err, STACK);
  });
}
