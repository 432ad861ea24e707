// The build's bundles of the two long-running processes (scripts/bundle.js, process/cached-bundle.ts): named
// by their contents, strict as our ES modules were, without an import() a vm.Script could not load, and with a
// code cache for each way the process is started, under the options that start really gives it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { peerUnit } from '../../src/install/templates.js';
import { daemonStarts, peerStarts } from '../../src/peer/peer-starts.js';
import { forkedPeerExecArgv } from '../../src/peer/peer-supervisor.js';
import { bundleIdOf, cacheFileFor, optionsKey } from '../../src/process/cached-bundle.js';

const CLI_DIR = fileURLToPath(new URL('../../src/cli/', import.meta.url));

for (const [name, starts] of [
  ['peer.bundle.cjs', peerStarts()],
  ['start.bundle.cjs', daemonStarts()],
] as const) {
  test(`${name}: named, strict, no import(), a code cache for each start`, () => {
    const file = `${CLI_DIR}${name}`;
    const text = readFileSync(file, 'latin1');
    const id = bundleIdOf(text);
    assert.ok(id, 'the first line names the bundle');
    assert.equal(text.split('\n')[1], "'use strict';");
    assert.equal(text.includes('import('), false);
    for (const start of starts) {
      const cache = cacheFileFor(file, id, optionsKey(start.execArgv, start.nodeOptions));
      assert.ok(existsSync(cache), `a code cache for a start ${start.how}`);
    }
  });
}

test('the peer starts the build makes caches for are those its unit and the daemon give it', () => {
  const unitText = peerUnit({
    node: '/usr/bin/node',
    app: '/opt/smallworld/dist/src/cli/main.js',
    dataDir: '/var/lib/smallworld',
    runDir: '/run/smallworld',
    wifiInterface: 'wlan0',
  });
  const execStart = /^ExecStart=(.*)$/m.exec(unitText)?.[1] ?? '';
  const args = execStart.split(' ');
  const unitExecArgv = args.slice(1, args.indexOf('/opt/smallworld/dist/src/cli/main.js'));
  const unitNodeOptions = /^Environment="NODE_OPTIONS=(.*)"$/m.exec(unitText)?.[1] ?? '';
  const keys = peerStarts().map((s) => optionsKey(s.execArgv, s.nodeOptions));
  assert.ok(keys.includes(optionsKey(unitExecArgv, unitNodeOptions)), 'the unit');
  assert.ok(keys.includes(optionsKey(forkedPeerExecArgv([], undefined, ''), '')), 'forked by a daemon run by hand');
  assert.ok(keys.includes(optionsKey([], '')), 'by hand');
});
