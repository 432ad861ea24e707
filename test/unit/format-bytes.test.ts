// Sizes in words (src/storage/format-bytes.ts), shared by the server and the web page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatBinaryBytes, formatBytes } from '../../src/storage/format-bytes.js';

test('storage figures in decimal units, one decimal under ten', () => {
  for (const [bytes, words] of [
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [3_200_000, '3.2 MB'],
    [40_000_000, '40 MB'],
    [2e15, '2000 TB'],
  ] as const) {
    assert.equal(formatBytes(bytes), words, String(bytes));
  }
});

test('limits in binary units', () => {
  for (const [bytes, words] of [
    [800, '800 bytes'],
    [512 * 1024, '512 KiB'],
    [5 * 1024 * 1024, '5 MiB'],
    [1536 * 1024, '1.5 MiB'],
  ] as const) {
    assert.equal(formatBinaryBytes(bytes), words, String(bytes));
  }
});

test('the compiled module imports nothing, so the browser can load it as it is', () => {
  const compiled = readFileSync(new URL('../../src/storage/format-bytes.js', import.meta.url), 'utf8');
  assert.doesNotMatch(compiled, /^\s*import\b|\brequire\(/m);
  assert.match(compiled, /^export function formatBytes\(/m);
});
