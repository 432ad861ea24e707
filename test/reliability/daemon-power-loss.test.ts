// Power cuts as the connectivity daemon sees them: SIGKILL at seeded random moments while it switches
// modes, rewrites its Wi-Fi settings and generated configs, and changes the key policy. After every
// restart: it starts without repair, the mode and the Wi-Fi settings are the last acknowledged ones (or
// the one in flight at the cut), every file is whole, and the LEDs tell the truth.
//   SW_DAEMON_KILLS (default 30), SW_DAEMON_KILL_SEED.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ControlClient } from '../../src/control/client.js';
import { cliJson, DaemonProcess, removeDir, tempDir } from '../helpers/daemon.js';
import { recordFigures } from '../helpers/figures.js';
import { seededRandom } from '../helpers/seeded.js';

const KILLS = Number(process.env.SW_DAEMON_KILLS ?? 30);
const SEED = Number(process.env.SW_DAEMON_KILL_SEED ?? 7);

interface Status {
  mode: 'ap' | 'client';
  wps: string;
  leds: { ap: string; connection: string };
}
interface WifiView {
  ap: { ssid: string; passphrase: string };
  knownNetworks: Array<{ ssid: string }>;
  files: { hostapd: string; dnsmasq: string };
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

test(`SIGKILL of the connectivity daemon at ${KILLS} seeded moments`, { timeout: 600_000 }, async () => {
  const dir = await tempDir('sw-daemon-cuts-');
  const rand = seededRandom(SEED);
  const killPoints: Record<string, number> = {};
  let acknowledged = 0;
  // What the daemon confirmed last, and what was in flight when the cut came (either may be on disk).
  let mode: { acked: string | null; pending: string | null } = { acked: null, pending: null };
  let passphrase: { acked: string | null; pending: string | null } = { acked: null, pending: null };
  try {
    for (let kill = 0; kill <= KILLS; kill++) {
      const daemon = await DaemonProcess.start(dir);
      try {
        // After a cut: what does the restarted daemon say?
        const status = cliJson<Status>(['status', '--data', dir]);
        const wifi = cliJson<WifiView>(['wifi', 'show', '--data', dir]);
        if (mode.acked !== null) {
          assert.ok(
            [mode.acked, mode.pending].includes(status.mode),
            `cut ${kill}: mode ${status.mode}, acknowledged ${mode.acked}, in flight ${mode.pending}`,
          );
        }
        assert.equal(status.leds.ap, status.mode === 'ap' ? 'on' : 'off', `cut ${kill}: AP LED`);
        assert.equal(status.wps, 'idle');
        assert.equal(status.leds.connection, 'off', `cut ${kill}: no association, no search: connection LED off`);
        if (passphrase.acked !== null) {
          assert.ok(
            [passphrase.acked, passphrase.pending].includes(wifi.ap.passphrase),
            `cut ${kill}: passphrase is neither the acknowledged nor the pending one`,
          );
        }
        const hostapd = await readFile(wifi.files.hostapd, 'utf8');
        assert.ok(hostapd.includes(`\nwpa_passphrase=${wifi.ap.passphrase}\n`), `cut ${kill}: hostapd.conf agrees`);
        assert.ok(hostapd.includes(`\nssid2=${Buffer.from(wifi.ap.ssid).toString('hex')}\n`), `cut ${kill}: SSID`);
        for (const file of await allFiles(dir)) {
          if (file.endsWith('.json')) JSON.parse(await readFile(file, 'utf8'));
          assert.ok(!file.endsWith('.tmp'), `cut ${kill}: an interrupted write was left behind: ${file}`);
        }
        mode = { acked: status.mode, pending: null };
        passphrase = { acked: wifi.ap.passphrase, pending: null };
        if (kill === KILLS) break;

        // Busy work, then the cut at a random moment in it.
        const client = await ControlClient.connect(join(dir, 'control.sock'));
        const cutAfter = 20 + rand() * 400;
        const started = Date.now();
        let what = 'idle';
        const work = (async () => {
          for (let i = 0; Date.now() - started < cutAfter + 1000; i++) {
            const pick = rand();
            try {
              if (pick < 0.4) {
                what = 'mode switch';
                mode.pending = mode.acked === 'ap' ? 'client' : 'ap';
                const s = await client.request('press', { button: 'ap' });
                mode = { acked: s.mode, pending: null };
              } else if (pick < 0.75) {
                what = 'config write';
                const next = `pass-${kill}-${i}-${Math.floor(rand() * 1e9)}`;
                passphrase.pending = next;
                await client.request('wifi.ap.set', { passphrase: next });
                passphrase = { acked: next, pending: null };
              } else if (pick < 0.9) {
                what = 'known networks';
                await client.request('wifi.networks.add', {
                  ssid: `net-${i % 3}`,
                  passphrase: 'correct horse battery',
                });
              } else {
                what = 'key policy';
                await client.request('keys.one-time', { enabled: rand() < 0.5 });
              }
              acknowledged++;
            } catch {
              return; // the cut
            }
          }
        })();
        await new Promise((resolve) => setTimeout(resolve, cutAfter));
        killPoints[what] = (killPoints[what] ?? 0) + 1;
        await daemon.stop('SIGKILL');
        await work;
        client.close();
      } finally {
        await daemon.stop('SIGKILL');
      }
    }
    recordFigures('daemon-power-loss', { killPointsTried: KILLS, seed: SEED, byActivity: killPoints, acknowledged });
  } finally {
    await removeDir(dir);
  }
});
