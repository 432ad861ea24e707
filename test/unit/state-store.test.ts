import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PersistedState } from '../../src/device/model.js';
import { FileStateStore } from '../../src/store/state-store.js';

const AP: PersistedState = { version: 1, mode: 'ap', keys: { oneTime: true, trusted: [] } };
const CLIENT: PersistedState = { version: 1, mode: 'client', keys: { oneTime: false, trusted: ['02:00:00:00:00:aa'] } };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-store-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('saves atomically with owner-only permissions and reads back', () =>
  withDir(async (dir) => {
    const store = new FileStateStore(dir);
    assert.deepEqual(await store.load(), { persisted: null });
    await store.save(AP);
    await store.save(CLIENT);
    assert.deepEqual((await new FileStateStore(dir).load()).persisted, CLIENT);
    const { stat } = await import('node:fs/promises');
    assert.equal((await stat(store.path)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.bak']);
  }));

test('a corrupt file falls back to the last good state and is kept for inspection', () =>
  withDir(async (dir) => {
    const store = new FileStateStore(dir);
    await store.save(AP);
    await store.save(CLIENT);
    await writeFile(store.path, '{"version":1,"mode":"ap","ke');
    const loaded = await new FileStateStore(dir).load();
    assert.deepEqual(loaded.persisted, AP);
    assert.match(loaded.warning ?? '', /unreadable .*restored/);
    const files = await readdir(dir);
    const kept = files.find((f) => f.startsWith('state.json.corrupt-'));
    assert.ok(kept);
    assert.equal(await readFile(join(dir, kept), 'utf8'), '{"version":1,"mode":"ap","ke');
  }));

test('content of the wrong shape is refused like corruption', () =>
  withDir(async (dir) => {
    const store = new FileStateStore(dir);
    await writeFile(store.path, JSON.stringify({ version: 1, mode: 'hotspot', keys: { oneTime: true, trusted: [] } }));
    const loaded = await store.load();
    assert.equal(loaded.persisted, null);
    assert.match(loaded.warning ?? '', /no good backup/);
  }));
