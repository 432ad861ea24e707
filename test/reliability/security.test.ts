// Security review of a running device, as tests. The installed arrangement is reproduced with real users:
// the connectivity daemon runs as root, the peer (SSB + web page) as an unprivileged user whose group may
// use the control socket. Checked: the peer really runs unprivileged with no capabilities; the control
// socket refuses a user outside that group; secrets are 0600 files and never appear in any log line.
// Needs root (it switches users with setpriv); skipped otherwise.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, cliJson, DaemonProcess, freePort, removeDir, tempDir, until } from '../helpers/daemon.js';
import { recordFigures } from '../helpers/figures.js';

const NOBODY = 65534; // nobody:nogroup on Debian — the stand-in for the `smallworld` user
const OUTSIDER = 1; // daemon:daemon — a local user who is not in the control group
const isRoot = process.getuid?.() === 0;

function asUser(uid: number, gid: number, argv: string[]): string[] {
  return ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--inh-caps=-all', ...argv];
}

async function procStatus(pid: number): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const line of (await readFile(`/proc/${pid}/status`, 'utf8')).split('\n')) {
    const [key, ...rest] = line.split(':');
    if (key) fields[key] = rest.join(':').trim();
  }
  return fields;
}

test('security review: unprivileged peer, a guarded control socket, secrets kept secret', {
  skip: isRoot ? false : 'needs root to switch users',
  timeout: 180_000,
}, async () => {
  const base = await tempDir('sw-security-');
  const dir = join(base, 'data');
  const configPath = join(base, 'config.json');
  let peer: ChildProcess | null = null;
  let daemon: DaemonProcess | null = null;
  const peerLog: string[] = [];
  try {
    // As systemd-tmpfiles sets it up: DATA root-owned, its group the peer's; DATA/peer the peer's own.
    await chmod(base, 0o755);
    await mkdir(join(dir, 'peer'), { recursive: true });
    await chown(dir, 0, NOBODY);
    await chmod(dir, 0o755);
    await chown(join(dir, 'peer'), NOBODY, NOBODY);
    await chmod(join(dir, 'peer'), 0o750);
    await writeFile(configPath, JSON.stringify({ control: { group: 'nogroup' } }), { mode: 0o644 });

    daemon = await DaemonProcess.start(dir, ['--config', configPath, '--web-port', '0', '--ssb-port', '0']);
    const webPort = await freePort();
    const ssbPort = await freePort();
    const peerArgv = asUser(NOBODY, NOBODY, [
      process.execPath,
      CLI,
      'peer',
      '--config',
      configPath,
      '--data',
      dir,
      '--web-host',
      '127.0.0.1',
      '--web-port',
      String(webPort),
      '--ssb-host',
      '127.0.0.1',
      '--ssb-port',
      String(ssbPort),
    ]);
    peer = spawn(peerArgv[0] as string, peerArgv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    peer.stdout?.setEncoding('utf8').on('data', (d: string) => peerLog.push(d));
    peer.stderr?.setEncoding('utf8').on('data', (d: string) => peerLog.push(d));
    await until(
      () => existsSync(join(dir, 'peer', 'peer.sock')) || peer?.exitCode !== null,
      60_000,
      'the unprivileged peer to start',
    );
    assert.equal(peer.exitCode, null, `the peer exited:\n${peerLog.join('')}`);
    const status = await until(
      () => {
        const s = cliJson<{ web?: { url: string | null } }>(['status', '--data', dir]);
        return s.web?.url ? s : undefined;
      },
      30_000,
      'the peer to report its web page to the daemon',
    );

    // 1. The peer runs as the unprivileged user, with no capabilities at all.
    const peerStatus = await procStatus(peer.pid as number);
    assert.deepEqual(peerStatus.Uid?.split(/\s+/).map(Number), [NOBODY, NOBODY, NOBODY, NOBODY]);
    assert.equal(peerStatus.CapEff, '0000000000000000');
    assert.equal(peerStatus.CapPrm, '0000000000000000');
    const secretFile = join(dir, 'peer', 'ssb', 'secret');
    const secretStat = await stat(secretFile);
    assert.equal(secretStat.uid, NOBODY, 'the SSB identity belongs to the peer user');

    // 2. The control socket: its group may use it, another local user may not.
    const socketStat = await stat(join(dir, 'control.sock'));
    assert.equal(socketStat.mode & 0o777, 0o660);
    assert.equal(socketStat.gid, NOBODY);
    const outsider = asUser(OUTSIDER, OUTSIDER, [process.execPath, CLI, 'status', '--data', dir]);
    const refused = spawnSync(outsider[0] as string, outsider.slice(1), { encoding: 'utf8', timeout: 30_000 });
    assert.equal(refused.status, 3, `an outsider got in: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /permission denied/);
    const member = asUser(NOBODY, NOBODY, [process.execPath, CLI, 'status', '--data', dir]);
    const allowed = spawnSync(member[0] as string, member.slice(1), { encoding: 'utf8', timeout: 30_000 });
    assert.equal(allowed.status, 0, allowed.stderr);

    // 3. Secrets: 0600 files, and never in a log line — also after they were changed through the API.
    const newPassphrase = 'correct-horse-battery-staple-42';
    const knownPassphrase = 'the neighbours network 7';
    cliJson(['wifi', 'ap', '--passphrase', newPassphrase, '--data', dir]);
    cliJson(['wifi', 'add', 'Neighbours', '--passphrase', knownPassphrase, '--data', dir]);
    const wifi = cliJson<{ ap: { passphrase: string } }>(['wifi', 'show', '--data', dir]);
    assert.equal(wifi.ap.passphrase, newPassphrase);
    const secretModes: Record<string, string> = {};
    for (const file of [join(dir, 'wifi.json'), secretFile]) {
      const mode = (await stat(file)).mode & 0o777;
      secretModes[file.slice(dir.length + 1)] = mode.toString(8);
      assert.equal(mode, 0o600, `${file} is ${mode.toString(8)}`);
    }
    const privateKey = (
      JSON.parse(
        (await readFile(secretFile, 'utf8'))
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join(''),
      ) as { private: string }
    ).private.replace(/\.ed25519$/, '');
    const logs = daemon.output() + peerLog.join('');
    for (const [name, secret] of Object.entries({
      'AP passphrase': newPassphrase,
      'known network passphrase': knownPassphrase,
      'SSB private key': privateKey,
      'SSB private key (first half)': privateKey.slice(0, 40),
    })) {
      assert.ok(!logs.includes(secret), `the ${name} appears in the logs`);
    }
    recordFigures('security-review', {
      peerUid: NOBODY,
      peerCapabilities: peerStatus.CapEff,
      controlSocket: { mode: '660', group: 'nogroup', outsiderExitCode: refused.status },
      secretFileModes: secretModes,
      logLinesSearched: logs.split('\n').length,
      secretsFoundInLogs: 0,
      webUrl: status.web?.url ?? null,
    });
  } finally {
    if (peer?.pid !== undefined && peer.exitCode === null) {
      const exited = new Promise((resolve) => peer?.once('exit', resolve));
      process.kill(peer.pid, 'SIGTERM');
      const timer = setTimeout(() => peer?.pid !== undefined && process.kill(peer.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await daemon?.stop();
    await removeDir(base);
  }
});
