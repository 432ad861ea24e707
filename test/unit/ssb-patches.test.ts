// The patches to library internals (src/ssb/patches/): their declarations, the version check, and what each
// replacement computes. What touches the module cache or process-wide Node state runs in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { makeGetMsgId } from '../../src/ssb/patches/classic-msg-id-memo.js';
import { neverReportNetworkChange } from '../../src/ssb/patches/conn-network-reset.js';
import { onceWhen } from '../../src/ssb/patches/db2-once-when.js';
import { MODULE_PATCHES, SERVER_PATCHES } from '../../src/ssb/patches/index.js';
import { applyPatch, inRange, type LibraryPatch, locate, type VersionRange } from '../../src/ssb/patches/patch.js';
import { nativeTypedArraySlice } from '../../src/ssb/patches/typedarray-slice-native.js';

const require = createRequire(import.meta.url);
type Obz = ((listener: (value: unknown) => unknown) => () => void) & { set(value: unknown): void };
const Obz = createRequire(require.resolve('ssb-db2'))('obz') as () => Obz;

const PATCHES = fileURLToPath(new URL('../../src/ssb/patches/index.js', import.meta.url));
const BUFFER_DEPRECATION = fileURLToPath(new URL('../../src/ssb/patches/node-buffer-deprecation.js', import.meta.url));

function runModule(code: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('typedarray.prototype.slice as the native method', () => {
  it('answers as the polyfill does, for every kind of typed array and range', () => {
    const polyfill = locate(['ssb-db2', 'jitdb', 'traverse', 'typedarray.prototype.slice']);
    const original = polyfill.require(polyfill.entry) as (a: unknown, s?: number, e?: number) => ArrayLike<number>;
    const native = nativeTypedArraySlice() as typeof original & { getPolyfill(): unknown };
    const arrays = [
      new Uint8Array([1, 2, 3, 4, 5]),
      new Float64Array([0.5, -1, 2]),
      new Int16Array([]),
      Buffer.from('abc'),
    ];
    for (const array of arrays) {
      for (const [start, end] of [
        [undefined, undefined],
        [1, undefined],
        [-2, undefined],
        [1, 2],
        [3, 1],
      ] as const) {
        const want = original(array, start, end);
        const got = native(array, start, end);
        assert.deepEqual(Array.from(got), Array.from(want));
        assert.equal(got.constructor, want.constructor);
      }
    }
    assert.equal(native.getPolyfill(), (original as unknown as { getPolyfill(): unknown }).getPolyfill());
  });
});

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

describe('neverReportNetworkChange', () => {
  it('never calls back, so ssb-conn never resets its whole hub (lost-networks.ts closes what went stale)', async () => {
    const reports: string[] = [];
    neverReportNetworkChange((a) => reports.push(a), false);
    await sleep(30);
    assert.deepEqual(reports, []);
  });
});

describe('version ranges', () => {
  const table: Array<[string | undefined, VersionRange, boolean]> = [
    ['8.1.0', '>=8.1.0 <8.2.0', true],
    ['8.1.9', '>=8.1.0 <8.2.0', true],
    ['8.2.0', '>=8.1.0 <8.2.0', false],
    ['8.0.9', '>=8.1.0 <8.2.0', false],
    ['9.0.0', '>=8.1.0 <8.2.0', false],
    ['8.1.0-beta.1', '>=8.1.0 <8.2.0', false],
    [undefined, '>=8.1.0 <8.2.0', false],
    ['20.20.2', '>=20.0.0 <23.0.0', true],
    ['v22.1.0', '>=20.0.0 <23.0.0', true],
    ['23.0.0', '>=20.0.0 <23.0.0', false],
    ['1.0.0', '>=x <y' as VersionRange, false],
  ];
  for (const [version, range, expected] of table) {
    it(`${version} ${expected ? 'is' : 'is not'} in ${range}`, () => assert.equal(inRange(version, range), expected));
  }
});

describe('applyPatch', () => {
  const patch = (applied: string[]): LibraryPatch<unknown> => ({
    name: 'probe',
    package: ['some-lib'],
    versions: '>=1.2.0 <1.3.0',
    why: 'test',
    apply: () => {
      applied.push('applied');
      return undefined;
    },
  });
  const found = (version: string) => () => ({ version, entry: '/x', require: createRequire(import.meta.url) });

  it('applies a patch whose package is within range', () => {
    const applied: string[] = [];
    assert.deepEqual(applyPatch(patch(applied), null, found('1.2.5')), {
      name: 'probe',
      package: 'some-lib',
      version: '1.2.5',
      applied: true,
    });
    assert.deepEqual(applied, ['applied']);
  });

  it('refuses a version outside the range without touching the library, and says why', () => {
    const applied: string[] = [];
    const outcome = applyPatch(patch(applied), null, found('1.3.0'));
    assert.equal(outcome.applied, false);
    assert.match(outcome.applied ? '' : outcome.reason, /1\.3\.0 is outside >=1\.2\.0 <1\.3\.0/);
    assert.deepEqual(applied, []);
  });

  it('reports a patch that throws or refuses, and a package that is missing', () => {
    const throwing = {
      ...patch([]),
      apply: () => {
        throw new Error('boom');
      },
    };
    assert.equal(applyPatch(throwing, null, found('1.2.0')).applied, false);
    const refusing = { ...patch([]), apply: () => 'loaded first' };
    const refused = applyPatch(refusing, null, found('1.2.0'));
    assert.equal(refused.applied ? '' : refused.reason, 'loaded first');
    const missing = applyPatch({ ...patch([]), package: ['no-such-package-here'] }, null);
    assert.equal(missing.applied, false);
  });

  it('every declared patch covers the installed version of its package', () => {
    for (const declared of [...MODULE_PATCHES, ...SERVER_PATCHES]) {
      const { version } = locate(declared.package);
      assert.ok(inRange(version, declared.versions), `${declared.name}: ${declared.package.join(' > ')}@${version}`);
      assert.ok(declared.why.length > 10, `${declared.name} says why`);
    }
  });
});

describe('patchLibraries', () => {
  it('applies every module patch before the libraries load, logs one line, and they still load and work', () => {
    const result = runModule(`
      import { createRequire } from 'node:module';
      const lines = [];
      const logger = { log: (level, msg, fields) => lines.push({ level, msg, ...fields }) };
      const { patchLibraries, logPatches } = await import(${JSON.stringify(PATCHES)});
      const outcomes = patchLibraries(logger);
      const again = patchLibraries(logger);
      logPatches(logger, outcomes);
      await import('ssb-db2');
      await import('ssb-conn');
      const req = createRequire(${JSON.stringify(PATCHES)});
      const fromDb2 = createRequire(req.resolve('ssb-db2'));
      const getMsgId = fromDb2('ssb-classic/get-msg-id.js');
      const id = getMsgId({ previous: null, author: '@x', sequence: 1 });
      console.log(JSON.stringify({ outcomes, again, id, lines }));
    `);
    assert.equal(result.status, 0, result.stderr);
    const { outcomes, again, id, lines } = JSON.parse(result.stdout) as {
      outcomes: Array<{ name: string; applied: boolean }>;
      again: unknown;
      id: string;
      lines: Array<{ level: string; msg: string; patches?: string[] }>;
    };
    assert.deepEqual(
      outcomes.filter((o) => !o.applied),
      [],
    );
    assert.deepEqual(
      outcomes.map((o) => o.name),
      MODULE_PATCHES.map((p) => p.name),
    );
    assert.deepEqual(again, outcomes);
    assert.match(id, /^%[A-Za-z0-9+/]{43}=\.sha256$/);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.msg, 'library patches applied');
    assert.equal(lines[0]?.patches?.length, MODULE_PATCHES.length);
  });

  it('refuses loudly what it could not patch when a library was loaded first', () => {
    const result = runModule(`
      await import('ssb-db2');
      const lines = [];
      const logger = { log: (level, msg, fields) => lines.push({ level, msg, ...fields }) };
      const { patchLibraries, logPatches } = await import(${JSON.stringify(PATCHES)});
      logPatches(logger, patchLibraries(logger));
      console.log(JSON.stringify(lines));
    `);
    assert.equal(result.status, 0, result.stderr);
    const lines = JSON.parse(result.stdout) as Array<{ level: string; patch?: string }>;
    const refused = lines.filter((l) => l.level === 'error').map((l) => l.patch);
    // ssb-db2's core and log are loaded by then; ssb-classic loads get-msg-id only later, so that one works.
    assert.ok(refused.includes('once-when-unsubscribes'), JSON.stringify(lines));
    assert.ok(refused.includes('log-block-cache-capped'), JSON.stringify(lines));
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
