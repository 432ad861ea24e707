import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { systemClock } from '../../src/clock/clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { Supervised } from '../../src/process/supervised.js';
import { removeDir, tempDir, until } from '../helpers/daemon.js';

const SLEEP = '/usr/bin/sleep';
const alive = (pid: number) => existsSync(`/proc/${pid}`);

test('restarts a daemon that dies, and stops it by pid', { timeout: 20_000 }, async () => {
  const dir = await tempDir('sw-sup-');
  const exits: string[] = [];
  const sup = new Supervised({
    name: 'sleeper',
    command: SLEEP,
    args: ['60'],
    clock: systemClock,
    logger: silentLogger,
    pidFile: join(dir, 'sleeper.pid'),
    onExit: (reason) => exits.push(reason),
  });
  try {
    await sup.start();
    const first = sup.pid as number;
    await until(() => existsSync(join(dir, 'sleeper.pid')), 2_000, 'pid file');
    process.kill(first, 'SIGKILL');
    await until(() => sup.pid !== undefined && sup.pid !== first, 5_000, 'restart');
    assert.match(exits[0] ?? '', /killed by SIGKILL/);
    const second = sup.pid as number;
    await sup.stop();
    assert.equal(alive(second), false);
    assert.equal(existsSync(join(dir, 'sleeper.pid')), false);
  } finally {
    await sup.stop();
    await removeDir(dir);
  }
});

test('a daemon left behind by an earlier run (found by pid file) is stopped first; an unrelated pid is not', {
  timeout: 20_000,
}, async () => {
  const dir = await tempDir('sw-sup-');
  const pidFile = join(dir, 'sleeper.pid');
  const leftover = spawn(SLEEP, ['60'], { stdio: 'ignore' });
  const unrelated = spawn(SLEEP, ['60'], { stdio: 'ignore' });
  const sup = new Supervised({
    name: 'sleeper',
    command: SLEEP,
    args: ['60'],
    clock: systemClock,
    logger: silentLogger,
    pidFile,
  });
  try {
    await writeFile(pidFile, `${leftover.pid}\n`);
    await sup.start();
    assert.equal(alive(leftover.pid as number), false);
    assert.notEqual(sup.pid, leftover.pid);
    await sup.stop();
    // A pid file naming some other program: that process is left alone.
    await writeFile(pidFile, `${process.pid}\n`);
    await sup.start();
    assert.equal(alive(process.pid), true);
    await until(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(sup.pid),
      2_000,
      'new pid recorded',
    );
  } finally {
    await sup.stop();
    for (const child of [leftover, unrelated]) if (child.exitCode === null) child.kill('SIGKILL');
    await removeDir(dir);
  }
});
