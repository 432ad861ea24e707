// The fixes applied to the SSB libraries before they load (src/ssb/library-fixes.ts) and the Buffer
// deprecation shortcut (src/ssb/buffer-deprecation.ts). What touches the module cache or process-wide Node
// state runs in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { makeGetMsgId, onAddressGone, onceWhen } from '../../src/ssb/library-fixes.js';

const require = createRequire(import.meta.url);
type Obz = ((listener: (value: unknown) => unknown) => () => void) & { set(value: unknown): void };
const Obz = createRequire(require.resolve('ssb-db2'))('obz') as () => Obz;

const LIBRARY_FIXES = fileURLToPath(new URL('../../src/ssb/library-fixes.js', import.meta.url));
const BUFFER_DEPRECATION = fileURLToPath(new URL('../../src/ssb/buffer-deprecation.js', import.meta.url));

function runModule(code: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('onceWhen without the leak', () => {
  it('answers once, now or later, and leaves no listener behind', () => {
    const obv = Obz();
    let invocations = 0;
    // Counts how often obz still calls the listeners onceWhen registered.
    const spy = (listener: (value: unknown) => unknown) =>
      obv((value) => {
        invocations++;
        return listener(value);
      });
    let answered = 0;
    obv.set(true);
    for (let i = 0; i < 100; i++)
      onceWhen(
        spy,
        (v) => v === true,
        () => answered++,
      );
    assert.equal(answered, 100);
    invocations = 0;
    obv.set(true);
    assert.equal(invocations, 0, 'already answered listeners are gone');

    let later = 0;
    onceWhen(
      spy,
      (v) => v === 'ready',
      () => later++,
    );
    obv.set('not yet');
    assert.equal(later, 0);
    obv.set('ready');
    obv.set('ready');
    assert.equal(later, 1);
    invocations = 0;
    obv.set('ready');
    assert.equal(invocations, 0);
  });

  it('calls back at once without an observable', () => {
    let called = 0;
    onceWhen(
      null,
      () => true,
      () => called++,
    );
    assert.equal(called, 1);
  });
});

describe('getMsgId with a WeakMap memo', () => {
  it('computes the SSB message id (sha256 of the pretty JSON as latin1) and memoises per object', () => {
    const hash = (data: string) =>
      `${createHash('sha256').update(Buffer.from(data, 'latin1')).digest('base64')}.sha256`;
    let calls = 0;
    const getMsgId = makeGetMsgId((data) => {
      calls++;
      return hash(data);
    });
    const msg = { previous: null, author: '@a', sequence: 1, content: { type: 'post', text: 'héllo' } };
    const expected = `%${hash(JSON.stringify(msg, null, 2))}`;
    assert.equal(getMsgId(msg), expected);
    assert.equal(getMsgId(msg), expected);
    assert.equal(calls, 1);
    assert.equal(getMsgId({ ...msg }), expected);
    assert.equal(calls, 2, 'another object with the same content is hashed again');
  });
});

describe('onAddressGone', () => {
  it('reports a network change only when an address went away', async () => {
    const states = [new Set(['eth0/10.0.0.2']), new Set(['eth0/10.0.0.2', 'wlan0/192.168.4.1'])];
    let current = states[0] ?? new Set<string>();
    const reports: string[] = [];
    const timer = onAddressGone(
      (a) => reports.push(a),
      false,
      () => current,
      10,
    );
    try {
      current = states[1] ?? new Set<string>();
      await sleep(60);
      assert.deepEqual(reports, [], 'a network appearing is not a reason to drop connections');
      current = new Set(['wlan0/192.168.4.1']);
      await sleep(60);
      assert.deepEqual(reports, ['wlan0/192.168.4.1']);
    } finally {
      clearInterval(timer);
    }
  });
});

describe('fixLibraryMemory', () => {
  it('applies every fix before the libraries load, and they still load and work', () => {
    const result = runModule(`
      import { createRequire } from 'node:module';
      const { fixLibraryMemory } = await import(${JSON.stringify(LIBRARY_FIXES)});
      const fixes = fixLibraryMemory();
      const again = fixLibraryMemory();
      await import('ssb-db2');
      await import('ssb-conn');
      const req = createRequire(${JSON.stringify(LIBRARY_FIXES)});
      const fromDb2 = createRequire(req.resolve('ssb-db2'));
      const getMsgId = fromDb2('ssb-classic/get-msg-id.js');
      const id = getMsgId({ previous: null, author: '@x', sequence: 1 });
      console.log(JSON.stringify({ fixes, again, id }));
    `);
    assert.equal(result.status, 0, result.stderr);
    const { fixes, again, id } = JSON.parse(result.stdout) as { fixes: object; again: object; id: string };
    assert.deepEqual(fixes, {
      onceWhen: true,
      msgIdCache: true,
      logCache: true,
      networkReset: true,
      boxBatching: true,
    });
    assert.deepEqual(again, fixes);
    assert.match(id, /^%[A-Za-z0-9+/]{43}=\.sha256$/);
  });

  it('reports what it could not fix when a library was loaded first', () => {
    const result = runModule(`
      await import('ssb-db2');
      const { fixLibraryMemory } = await import(${JSON.stringify(LIBRARY_FIXES)});
      console.log(JSON.stringify(fixLibraryMemory()));
    `);
    assert.equal(result.status, 0, result.stderr);
    const fixes = JSON.parse(result.stdout) as Record<string, boolean>;
    // ssb-db2's core and log are loaded by then; ssb-classic loads get-msg-id only later, so that one works.
    assert.equal(fixes.onceWhen, false);
    assert.equal(fixes.logCache, false);
  });
});

describe('skipBufferDeprecationChecks', () => {
  const probe = (skip: boolean) =>
    runModule(`
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.code ?? w.name));
      const { skipBufferDeprecationChecks } = await import(${JSON.stringify(BUFFER_DEPRECATION)});
      ${skip ? 'skipBufferDeprecationChecks();' : ''}
      const before = process.noDeprecation;
      Reflect.apply(Buffer, undefined, [1]);
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ warnings, noDeprecation: before ?? null }));
    `);

  it('marks DEP0005 as shown without printing it, so Node stops checking every new Buffer()', () => {
    const plain = probe(false);
    assert.equal(plain.status, 0, plain.stderr);
    assert.deepEqual(JSON.parse(plain.stdout).warnings, ['DEP0005'], 'Node warns once by itself');
    const skipped = probe(true);
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.deepEqual(JSON.parse(skipped.stdout), { warnings: [], noDeprecation: null });
    assert.doesNotMatch(skipped.stderr, /DeprecationWarning/);
  });
});
