// The benchmark's board-sized memory cgroup is real: a process started through its launcher is held to the
// limit (the kernel kills it past it, and the cgroup counts the kill), and the cgroup is removed afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { createMemoryCgroup, findMemoryHierarchy, launcherFor } from '../../bench/ssb/cgroup.js';

/** A page multiple, so the kernel keeps it exactly. */
const LIMIT = 96 * 1024 * 1024;

function runIn(argv: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    const child = spawn(command ?? '', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, stdout }));
  });
}

test('a process in the memory cgroup sees the limit and is killed past it', { timeout: 30_000 }, async () => {
  // Making a cgroup needs root; npm test runs as root (README). Anything else fails here with the reason.
  assert.equal(process.getuid?.(), 0, 'making a memory cgroup needs root: run the tests as root (sudo npm test)');
  const hierarchy = await findMemoryHierarchy();
  assert.ok(hierarchy, 'no usable memory cgroup (v2 memory.max or v1 memory.limit_in_bytes) on this machine');
  const cgroup = await createMemoryCgroup(hierarchy, `sw-test-${process.pid}`, LIMIT);
  try {
    const within = await runIn([
      ...launcherFor(cgroup),
      process.execPath,
      '-e',
      'console.log(process.constrainedMemory())',
    ]);
    assert.equal(within.code, 0);
    assert.equal(Number(within.stdout.trim()), LIMIT);
    assert.equal(await cgroup.oomKills(), 0);
    // 200 MB of touched memory cannot fit in 96 MB with no swap.
    const past = await runIn([
      ...launcherFor(cgroup),
      process.execPath,
      '-e',
      'const a = []; for (let i = 0; i < 20; i++) a.push(Buffer.alloc(10e6, 1)); console.log("survived")',
    ]);
    assert.equal(past.signal, 'SIGKILL');
    assert.equal(past.stdout, '');
    assert.ok((await cgroup.oomKills()) >= 1);
    assert.ok((await cgroup.peakBytes()) <= LIMIT);
  } finally {
    await cgroup.remove();
  }
  assert.equal(existsSync(cgroup.path), false);
});
