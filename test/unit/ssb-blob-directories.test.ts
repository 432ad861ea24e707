// The blob store's 256 directories are made at start, so a photo's move needs no new space on a full card.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blobPrefixes, ensureBlobDirectories } from '../../src/ssb/blob-directories.js';

describe('the blob directories', () => {
  it('are the 256 two-hex-digit prefixes, made once, existing ones and their files kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sw-blobdirs-'));
    try {
      assert.equal(new Set(blobPrefixes()).size, 256);
      assert.ok(blobPrefixes().every((p) => /^[0-9a-f]{2}$/.test(p)));
      assert.deepEqual(await ensureBlobDirectories(dir), { failed: 0, error: null });
      const root = join(dir, 'blobs', 'sha256');
      await writeFile(join(root, 'ab', 'c'.repeat(62)), 'photo');
      assert.deepEqual(await ensureBlobDirectories(dir), { failed: 0, error: null });
      assert.deepEqual((await readdir(root)).sort(), blobPrefixes());
      assert.deepEqual(await readdir(join(root, 'ab')), ['c'.repeat(62)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports what it could not make instead of throwing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sw-blobdirs-'));
    try {
      // A file where the store's root should be: nothing can be made under it.
      await writeFile(join(dir, 'blobs'), 'not a directory');
      const result = await ensureBlobDirectories(dir);
      assert.equal(result.failed, 256);
      assert.match(result.error ?? '', /ENOTDIR|EEXIST/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
