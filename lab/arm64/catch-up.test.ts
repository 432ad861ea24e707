// Not part of the lab's default set: the hold catch-up inside a board's memory limit, run once on the
// emulated CPU (SMALLWORLD_ARM64_TESTS=dist/lab/arm64/catch-up.test.js). Everything the benchmark starts,
// fixtures included, runs on the target's Node.js under qemu; the result goes to SW_CATCHUP_OUT.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('../../bench/ssb-bench.js', import.meta.url));
const ARGS = (process.env.SW_CATCHUP_ARGS ?? '--only hold --systems smallworld --quick --runs 1 --memory-limit 320')
  .split(' ')
  .filter((a) => a.length > 0);
const MINUTES = Number(process.env.SW_CATCHUP_MINUTES ?? 20);

test('the hold catch-up on this CPU inside the memory limit', { timeout: (MINUTES + 2) * 60_000 }, () => {
  const result = spawnSync(process.execPath, [BENCH, ...ARGS, '--json', '--time-limit', String(MINUTES)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
    // Node.js takes seconds to start under qemu: the bench's start-up limits are stretched (SW_BENCH_SLOW).
    env: { ...process.env, SW_BENCH_SLOW: process.env.SW_BENCH_SLOW ?? '10' },
  });
  if (process.env.SW_CATCHUP_OUT) writeFileSync(process.env.SW_CATCHUP_OUT, result.stdout);
  assert.equal(result.status, 0);
});
