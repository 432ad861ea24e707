// The simulated device end to end: a real daemon process driven by the real CLI.
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, cliJson, DaemonProcess, removeDir, tempDir, until } from '../helpers/daemon.js';

interface Status {
  mode: string;
  wps: string;
  leds: { ap: string; connection: string; replication: string };
  associations: Array<{ via: string; mac: string }>;
  lastWps: { outcome: string } | null;
  web: { url: string | null };
}

const status = (dir: string) => cliJson<Status>(['status', '--data', dir]);

describe('the simulated device through the CLI', { timeout: 60_000 }, () => {
  let dir: string;
  let daemon: DaemonProcess;
  before(async () => {
    dir = await tempDir();
    daemon = await DaemonProcess.start(dir);
  });
  after(async () => {
    await daemon.stop();
    await removeDir(dir);
  });

  test('buttons drive mode, WPS and LEDs as the seed describes', () => {
    let s = status(dir);
    assert.equal(s.mode, 'client');
    assert.equal(s.leds.ap, 'off');
    assert.equal(s.web.url, null);

    s = cliJson<Status>(['press', 'ap', '--data', dir]);
    assert.equal(s.mode, 'ap');
    assert.equal(s.leds.ap, 'on');
    assert.equal(status(dir).leds.ap, 'on');

    cli(['press', 'wps', '--data', dir]);
    s = status(dir);
    assert.equal(s.wps, 'active');
    assert.equal(s.leds.connection, 'blink');

    cli(['press', 'wps', '--data', dir]);
    s = status(dir);
    assert.equal(s.wps, 'idle');
    assert.notEqual(s.leds.connection, 'blink');
    assert.equal(s.lastWps?.outcome, 'cancelled');

    cli(['press', 'ap', '--data', dir]);
    s = status(dir);
    assert.equal(s.mode, 'client');
    assert.equal(s.leds.ap, 'off');
  });

  test('explicit forms: ap on|off, wps start|cancel', () => {
    assert.equal(cliJson<Status>(['ap', 'on', '--data', dir]).mode, 'ap');
    assert.equal(cliJson<Status>(['ap', 'on', '--data', dir]).mode, 'ap');
    assert.equal(cliJson<Status>(['wps', 'start', '--data', dir]).wps, 'active');
    assert.equal(cliJson<Status>(['wps', 'cancel', '--data', dir]).wps, 'idle');
    assert.equal(cliJson<Status>(['ap', 'off', '--data', dir]).mode, 'client');
  });

  test('a WPS pairing with another device, then the one-time key is gone', async () => {
    cli(['ap', 'on', '--data', dir]);
    cli(['press', 'wps', '--data', dir]);
    const other = JSON.parse(cli(['sim', 'other-wps', '--mac', '02:00:00:00:0a:01', '--data', dir]).stdout) as {
      role: string;
    };
    assert.equal(other.role, 'enrollee');
    const s = await until(
      () => {
        const now = status(dir);
        return now.associations.length === 1 && now.leds.connection === 'on' && now;
      },
      5_000,
      'the WPS enrollee to associate',
    );
    assert.deepEqual(s.associations, [{ via: 'ap', mac: '02:00:00:00:0a:01' }]);
    assert.equal(s.lastWps?.outcome, 'success');
    const sim = JSON.parse(cli(['sim', 'state', '--data', dir]).stdout) as { ap: { wpsKeys: string[] } };
    assert.deepEqual(sim.ap.wpsKeys, []);
    cli(['sim', 'phone', 'leave', '02:00:00:00:0a:01', '--data', dir]);
    await until(() => status(dir).leds.connection === 'off', 5_000, 'the LED to go off');
    cli(['ap', 'off', '--data', dir]);
  });

  test('usage errors are plain and exit 2; daemon errors exit 1', () => {
    const bad = cli(['press', 'reset', '--data', dir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected one of: ap, wps/);
    const unknownFlag = cli(['status', '--bogus', '--data', dir]);
    assert.equal(unknownFlag.code, 2);
    const badMac = cli(['keys', 'revoke', '02:00:00:00:00:zz', '--data', dir]);
    assert.equal(badMac.code, 1);
    assert.match(badMac.stderr, /MAC address/);
  });

  test('the control socket is not open to other users', async () => {
    const mode = (await stat(join(dir, 'control.sock'))).mode & 0o777;
    assert.equal(mode & 0o007, 0);
  });
});

describe('crash recovery', { timeout: 60_000 }, () => {
  test('SIGKILL in AP mode, restart: back in AP mode with the AP LED on', async () => {
    const dir = await tempDir();
    let daemon = await DaemonProcess.start(dir);
    try {
      cli(['press', 'ap', '--data', dir]);
      await daemon.stop('SIGKILL');
      daemon = await DaemonProcess.start(dir);
      const s = status(dir);
      assert.equal(s.mode, 'ap');
      assert.equal(s.leds.ap, 'on');
      assert.equal(s.wps, 'idle');
    } finally {
      await daemon.stop('SIGKILL');
      await removeDir(dir);
    }
  });

  test('a corrupt state file: the daemon starts, says so, and uses the last good state', async () => {
    const dir = await tempDir();
    let daemon = await DaemonProcess.start(dir);
    try {
      cli(['press', 'ap', '--data', dir]);
      cli(['press', 'ap', '--data', dir]);
      cli(['press', 'ap', '--data', dir]);
      await daemon.stop();
      await writeFile(join(dir, 'state.json'), '\u0000\u0000garbage');
      daemon = await DaemonProcess.start(dir);
      assert.equal(status(dir).mode, 'client');
      const restored = /unreadable.*restored the previous state/;
      assert.match(await daemon.outputMatching(restored), restored);
    } finally {
      await daemon.stop('SIGKILL');
      await removeDir(dir);
    }
  });
});

describe('bad input on the control socket', { timeout: 60_000 }, () => {
  let dir: string;
  let daemon: DaemonProcess;
  before(async () => {
    dir = await tempDir();
    daemon = await DaemonProcess.start(dir);
  });
  after(async () => {
    await daemon.stop();
    await removeDir(dir);
  });

  function exchange(payload: string | Buffer, expectClose = false): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const socket = connect(join(dir, 'control.sock'));
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        expectClose ? reject(new Error(`socket not closed; got ${text}`)) : resolve(text.split('\n').filter(Boolean));
      }, 1_500);
      socket.on('data', (d) => {
        text += d.toString();
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(text.split('\n').filter(Boolean));
      });
      socket.on('error', () => undefined);
      socket.write(payload);
    });
  }

  test('malformed JSON, unknown commands and bad arguments each get a clear error on the same connection', async () => {
    const replies = (
      await exchange('{oops\n{"id":2,"cmd":"format-disk"}\n{"id":3,"cmd":"ap","on":1}\n{"id":4,"cmd":"status"}\n')
    ).map((l) => JSON.parse(l));
    assert.equal(replies.length, 4);
    assert.equal(replies[0].error.code, 'bad_json');
    assert.equal(replies[1].error.code, 'unknown_command');
    assert.equal(replies[2].error.code, 'bad_request');
    assert.equal(replies[3].ok, true);
  });

  test('an oversized request is refused and the connection closed', async () => {
    const replies = await exchange(Buffer.alloc(200 * 1024, 'a'), true);
    assert.equal(JSON.parse(replies[0] ?? '{}').error.code, 'request_too_large');
  });

  test('a client that disconnects mid-request, or sends binary junk, does not hurt the daemon', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(join(dir, 'control.sock'), () => {
        socket.write('{"id":1,"cmd":"press","but');
        socket.destroy();
        resolve();
      });
    });
    await exchange(Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x80, 0x0a]));
    assert.equal(status(dir).mode, 'client');
    assert.equal(daemon.child.exitCode, null);
  });
});

describe('without a daemon', () => {
  test('the CLI says plainly that none is running and exits non-zero', async () => {
    const dir = await tempDir();
    try {
      const result = cli(['status', '--data', dir]);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /no Smallworld daemon is running/);
      const viaEnv = cli(['press', 'ap'], { SMALLWORLD_DATA: dir });
      assert.equal(viaEnv.code, 3);
      assert.match(viaEnv.stderr, new RegExp(dir));
    } finally {
      await removeDir(dir);
    }
  });

  test('a broken --config file is refused with the reason', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir, 'bad.json'), '{"web": {"port": "eighty"}}');
      const result = cli(['start', '--sim', '--data', dir, '--config', join(dir, 'bad.json')]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /web\.port/);
    } finally {
      await removeDir(dir);
    }
  });
});
