// The daemon keeps working when the card is full (issue 19): its data directory on a small loop-mounted ext4
// filled to the last byte. Buttons still act on the radio and the LEDs; the state write that fails is
// reported ("the device's storage is full") and retried at a steady pace, never a crash loop; the file keeps
// the last good state; once space is back the retry saves the new one, and a restart after SIGKILL finds it.
import assert from 'node:assert/strict';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { STORAGE_FULL } from '../../src/storage/errors.js';
import { cli, cliJson, DaemonProcess, until } from '../helpers/daemon.js';
import { freeBytes, mountSmallFs, type SmallFs } from '../helpers/small-fs.js';

interface Status {
  mode: string;
  wps: string;
  leds: { ap: string; connection: string; replication: string };
  accessPoint: { state: string };
  lastError: string | null;
}

const status = (dir: string) => cliJson<Status>(['status', '--data', dir]);
const press = (dir: string, button: 'ap' | 'wps') => cliJson<Status>(['press', button, '--data', dir]);

/** Fills the file system to the last block (and its last inodes are not needed: writes fail on blocks). */
async function fill(path: string): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          const { bytesWritten } = await file.write(chunk);
          if (bytesWritten < size) break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
    await file.sync().catch(() => undefined);
  } finally {
    await file.close();
  }
}

async function savedMode(dir: string): Promise<string> {
  return (JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { mode: string }).mode;
}

describe('the daemon on a full card', { timeout: 120_000 }, () => {
  let fs: SmallFs | null = null;
  const daemons: DaemonProcess[] = [];
  after(async () => {
    for (const daemon of daemons) await daemon.stop('SIGKILL');
    await fs?.unmount();
  });

  it('buttons and LEDs act, the failed state write is reported and retried, the last good state survives', async () => {
    fs = await mountSmallFs(8);
    const dir = join(fs.dir, 'data');
    let daemon = await DaemonProcess.start(dir);
    daemons.push(daemon);
    press(dir, 'ap');
    press(dir, 'ap');
    await until(() => status(dir).mode === 'client', 5000, 'client mode');
    assert.equal(await savedMode(dir), 'client');

    await fill(join(fs.dir, 'filler'));
    assert.ok(freeBytes(fs.dir) < 4096, `${freeBytes(fs.dir)} bytes still free`);

    // The AP button: the access point comes up and its LED lights, though the state cannot be saved.
    let s = press(dir, 'ap');
    assert.equal(s.mode, 'ap');
    s = await until(
      () => {
        const now = status(dir);
        return now.leds.ap === 'on' && now.lastError !== null && now;
      },
      10_000,
      'the AP LED on and the failed write reported',
    );
    assert.equal(s.accessPoint.state, 'enabled');
    assert.ok(s.lastError?.includes(STORAGE_FULL), `unclear report: ${s.lastError}`);
    // The WPS button: push-button pairing starts, its LED blinks; a second press cancels it.
    s = press(dir, 'wps');
    assert.equal(s.wps, 'active');
    assert.equal(status(dir).leds.connection, 'blink');
    s = press(dir, 'wps');
    assert.equal(s.wps, 'idle');
    assert.notEqual(status(dir).leds.connection, 'blink');

    // Retried at its pace (every 10 s), not in a loop; the daemon is alive; the file is the last good state.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    assert.equal(daemon.child.exitCode, null, 'the daemon exited');
    const failures = daemon
      .output()
      .split('\n')
      .filter((l) => l.includes('effect failed') && l.includes('PersistState'));
    assert.ok(failures.length >= 2 && failures.length <= 6, `${failures.length} failed state writes in 12 s`);
    assert.ok(daemon.output().includes('the device state will be saved again in 10 s'));
    assert.equal(await savedMode(dir), 'client', 'the state file is not the last good state');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
      [],
      'a half-written temporary file was left',
    );

    // Space is back: the retry saves the state; a power cut after that comes back in AP mode.
    await rm(join(fs.dir, 'filler'));
    await until(() => status(dir).mode === 'ap', 1000, 'still in AP mode');
    const deadline = Date.now() + 15_000;
    while ((await savedMode(dir)) !== 'ap') {
      assert.ok(Date.now() < deadline, 'the state was not saved once space was back');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await daemon.stop('SIGKILL');
    daemon = await DaemonProcess.start(dir);
    daemons.push(daemon);
    s = status(dir);
    assert.equal(s.mode, 'ap');
    await until(() => status(dir).leds.ap === 'on', 10_000, 'the AP LED after the restart');
    assert.equal(cli(['status', '--data', dir]).code, 0);
  });
});
