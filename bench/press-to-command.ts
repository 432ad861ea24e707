// Benchmark: time from a WPS button event to the WPS_PBC request reaching hostapd's control socket,
// through the real path (runtime -> reducer -> effect lane -> wpa_ctrl client -> datagram bridge).
// A datagram socket plays hostapd and timestamps what arrives. Prints figures; asserts nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { commandLine, HELP_OPTION, usageError } from '../src/cli/command-line.js';
import { systemClock } from '../src/clock/clock.js';
import { DeviceRuntime } from '../src/device/runtime.js';
import { SimButtons, SimLeds } from '../src/gpio/sim.js';
import { silentLogger } from '../src/log/logger.js';
import { MemoryStateStore } from '../src/store/state-store.js';
import { DgramBridge } from '../src/wifi/ctrl/transport.js';
import { WpaCtrl } from '../src/wifi/ctrl/wpa-ctrl.js';
import type { AccessPointPort, WifiStationPort } from '../src/wifi/ports.js';

const USAGE = `usage: node dist/bench/press-to-command.js [--json]   (npm run bench:press)

The time from a WPS button event to WPS_PBC reaching a hostapd control socket, over RUNS presses (environment,
default 200): median and p95.

  --json   the figures as JSON
  --help   this text`;
const { values } = commandLine(USAGE, () =>
  parseArgs({ options: { ...HELP_OPTION, json: { type: 'boolean', default: false } }, strict: true }),
);
const RUNS = Number(process.env.RUNS ?? 200);
if (!Number.isInteger(RUNS) || RUNS < 1)
  usageError(USAGE, `RUNS must be a positive whole number, not "${process.env.RUNS}"`);
const json = values.json;

const dir = await mkdtemp(join(tmpdir(), 'sw-bench-'));
const bridge = new DgramBridge(join(dir, 'client'));
const fake = await bridge.transport('', join(dir, 'hostapd'));
let arrived: ((at: number) => void) | null = null;
fake.onMessage((text, from) => {
  if (text === 'WPS_PBC' || text === 'WPS_CANCEL') arrived?.(performance.now());
  void fake.sendTo(text === 'PING' ? 'PONG\n' : 'OK\n', from);
});
const ctrl = new WpaCtrl({
  name: 'hostapd',
  socketPath: join(dir, 'hostapd'),
  transports: bridge.factory(),
  clock: systemClock,
  logger: silentLogger,
  onEvent: () => undefined,
  onHealth: () => undefined,
  pingIntervalMs: 60_000,
});
ctrl.start();
while (!ctrl.isUp) await new Promise((r) => setTimeout(r, 10));

const ap: AccessPointPort = {
  start: async () => undefined,
  stop: async () => undefined,
  wpsStart: () => ctrl.command('WPS_PBC'),
  wpsCancel: () => ctrl.command('WPS_CANCEL'),
  stations: async () => [],
  scan: async () => ({ own: null, peers: [] }),
  enabled: async () => true,
  forgetKey: async () => undefined,
  close: async () => undefined,
};
const station: WifiStationPort = {
  configure: async () => undefined,
  wpsStart: async () => undefined,
  wpsCancel: async () => undefined,
  association: async () => null,
  lastSeenHosting: async () => null,
  scan: async () => ({ own: null, peers: [] }),
  close: async () => undefined,
};
const buttons = new SimButtons();
const runtime = new DeviceRuntime({
  station,
  ap,
  leds: new SimLeds(),
  buttons,
  clock: systemClock,
  store: new MemoryStateStore({ version: 1, mode: 'ap', keys: { oneTime: true, trusted: [] } }),
  logger: silentLogger,
});
await runtime.start();
// The press is measured from hostapd's side of a running access point: it is up and enabled.
await runtime.dispatch({ type: 'ApEnabled' });
await runtime.settled();

const samples: number[] = [];
for (let i = 0; i < RUNS + 20; i++) {
  const got = new Promise<number>((resolve) => {
    arrived = resolve;
  });
  const t0 = performance.now();
  buttons.press('wps');
  const t1 = await got;
  if (i >= 20) samples.push(t1 - t0); // the first presses warm up the JIT
  await runtime.settled();
}
samples.sort((a, b) => a - b);
const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
const result = {
  figure: 'button event to control command sent',
  runs: samples.length,
  medianMs: Number(at(0.5).toFixed(3)),
  p95Ms: Number(at(0.95).toFixed(3)),
  maxMs: Number((samples.at(-1) ?? Number.NaN).toFixed(3)),
};
if (json) console.log(JSON.stringify(result));
else
  console.log(
    `${result.figure}: median ${result.medianMs} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms over ${result.runs} presses`,
  );

await runtime.stop();
await ctrl.close();
await fake.close();
await bridge.stop();
await rm(dir, { recursive: true, force: true });
