// The one atomic writer (store/atomic-file.ts) and the missing-file helper (store/missing.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { STORAGE_FULL, StorageFullError } from '../../src/storage/errors.js';
import { removeStaleTempFiles, writeFileAtomic, writeSymlinkAtomic } from '../../src/store/atomic-file.js';
import { isMissing, readTextIfPresent, unlessMissing } from '../../src/store/missing.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-atomic-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('writeFileAtomic', () => {
  test('writes, replaces, sets the exact mode whatever the umask, and leaves no temporary file', () =>
    withDir(async (dir) => {
      const path = join(dir, 'settings.json');
      await writeFileAtomic(path, '{"a":1}\n');
      assert.equal((await stat(path)).mode & 0o7777, 0o600);
      const umask = process.umask(0o077);
      try {
        await writeFileAtomic(path, new Uint8Array([1, 2, 3]), { mode: 0o755 });
      } finally {
        process.umask(umask);
      }
      assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
      assert.equal((await stat(path)).mode & 0o7777, 0o755);
      assert.deepEqual(await readdir(dir), ['settings.json']);
    }));

  test('replaces a symbolic link with a file (the link target is untouched)', () =>
    withDir(async (dir) => {
      await writeFile(join(dir, 'target'), 'kept');
      await writeSymlinkAtomic(join(dir, 'link'), 'target');
      assert.equal(await readlink(join(dir, 'link')), 'target');
      await writeFileAtomic(join(dir, 'link'), 'new', { mode: 0o644 });
      assert.ok((await lstat(join(dir, 'link'))).isFile());
      assert.equal(await readFile(join(dir, 'target'), 'utf8'), 'kept');
    }));

  test('createOnly never replaces: EEXIST, the first content kept, no temporary file', () =>
    withDir(async (dir) => {
      const path = join(dir, 'password.json');
      await writeFileAtomic(path, 'first', { createOnly: true });
      await assert.rejects(writeFileAtomic(path, 'second', { createOnly: true }), { code: 'EEXIST' });
      assert.equal(await readFile(path, 'utf8'), 'first');
      assert.deepEqual(await readdir(dir), ['password.json']);
    }));

  test('a failed write throws the cause and leaves the old file as it was', () =>
    withDir(async (dir) => {
      await assert.rejects(writeFileAtomic(join(dir, 'no-such-dir', 'x.json'), '{}'), { code: 'ENOENT' });
      const path = join(dir, 'x.json');
      await writeFileAtomic(path, 'old');
      await mkdir(join(dir, 'in-the-way'));
      await assert.rejects(writeFileAtomic(join(dir, 'in-the-way'), 'new'), { code: 'EISDIR' });
      assert.equal(await readFile(path, 'utf8'), 'old');
      assert.deepEqual((await readdir(dir)).sort(), ['in-the-way', 'x.json']);
    }));

  test('a full disk reads "the device\'s storage is full", names the file, and keeps the old content', async () => {
    assert.equal(process.getuid?.(), 0, 'mounting a 16 KB tmpfs needs root (npm test runs as root)');
    await withDir(async (dir) => {
      const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir], { encoding: 'utf8' });
      assert.equal(mounted.status, 0, `mount failed: ${mounted.stderr}`);
      try {
        const path = join(dir, 'state.json');
        await writeFileAtomic(path, 'old');
        const error = await writeFileAtomic(path, 'x'.repeat(64 * 1024)).then(
          () => assert.fail('a 64 KB write fit on a 16 KB file system'),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof StorageFullError);
        assert.equal(error.code, 'ENOSPC');
        assert.equal(error.message, `${STORAGE_FULL}: ${path} could not be written`);
        assert.equal(await readFile(path, 'utf8'), 'old');
        assert.deepEqual(await readdir(dir), ['state.json']);
      } finally {
        spawnSync('umount', ['-l', dir]);
      }
    });
  });

  test('temporary files of a killed writer are found by removeStaleTempFiles, and nothing else', () =>
    withDir(async (dir) => {
      await writeFile(join(dir, '.state.json.1234.0a1b2c3d.tmp'), 'half');
      await writeFile(join(dir, 'state.json'), 'whole');
      await writeFile(join(dir, 'notes.tmp'), 'someone else');
      assert.deepEqual(await removeStaleTempFiles(dir), ['.state.json.1234.0a1b2c3d.tmp']);
      assert.deepEqual((await readdir(dir)).sort(), ['notes.tmp', 'state.json']);
    }));
});

describe('missing files', () => {
  test('ENOENT is "missing"; other errors and non-errors are not', () => {
    assert.equal(isMissing(Object.assign(new Error('x'), { code: 'ENOENT' })), true);
    for (const other of [Object.assign(new Error('x'), { code: 'EACCES' }), new Error('ENOENT'), null, 'ENOENT']) {
      assert.equal(isMissing(other), false);
    }
  });

  test('readTextIfPresent: text, null when absent, other errors thrown', () =>
    withDir(async (dir) => {
      await writeFile(join(dir, 'a'), 'text');
      assert.equal(await readTextIfPresent(join(dir, 'a')), 'text');
      assert.equal(await readTextIfPresent(join(dir, 'b')), null);
      await assert.rejects(readTextIfPresent(dir), { code: 'EISDIR' });
      assert.equal(await unlessMissing(stat(join(dir, 'b'))), null);
      assert.equal((await unlessMissing(stat(join(dir, 'a'))))?.size, 4);
    }));
});
