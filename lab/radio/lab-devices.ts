// The radio lab's shared pieces: a Smallworld device (a real daemon in its own network namespace, driving
// hostapd and wpa_supplicant on one simulated radio), a phone (plain wpa_supplicant), and bounded helpers.
// Used by the lab's long-lived drivers (device-lab.ts, pairing-lab.ts), which run inside the lab VM.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ControlClient } from '../../src/control/client.js';
import type { ArgsParameters, Command, ControlReplies, DeviceProtocol } from '../../src/control/protocol.js';
import type { FullStatus } from '../../src/device/status.js';

const run = promisify(execFile);
export const OUT = process.env.LAB_OUT ?? '/tmp/lab-out';
export const REPO = process.env.LAB_REPO ?? process.cwd();
export const CLI = join(REPO, 'dist/src/cli/main.js');
export const ROOT = '/var/lib/swlab';
export const UDHCPC_SCRIPT = join(REPO, 'lab/radio/lib/udhcpc.script');

/** busybox udhcpc on `iface`, once (10 tries, 2 s apart), the lease written to `leaseFile` by the lab's script. */
export const dhcpClient = (iface: string, leaseFile: string): string[] => [
  'env',
  `LAB_LEASE_FILE=${leaseFile}`,
  'busybox',
  'udhcpc',
  '-i',
  iface,
  '-n',
  '-q',
  '-t',
  '10',
  '-T',
  '2',
  '-s',
  UDHCPC_SCRIPT,
];

export const t0 = Date.now();
export const log = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

export async function sh(argv: string[], timeoutMs = 30_000): Promise<string> {
  const [cmd, ...args] = argv as [string, ...string[]];
  const { stdout } = await run(cmd, args, { timeout: timeoutMs, encoding: 'utf8' });
  return stdout;
}
export const inNs = (ns: string, argv: string[], timeoutMs?: number) =>
  sh(['ip', 'netns', 'exec', ns, ...argv], timeoutMs);

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false | null>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Pids of running processes whose program is `program` and whose arguments mention `mark`. */
export function processesOf(program: string, mark: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv[0]?.endsWith(`/${program}`) && argv.some((a) => a.includes(mark))) pids.push(Number(entry));
  }
  return pids;
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export const keyValues = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );

// ---- devices ----

export class Device {
  daemon: ChildProcess | null = null;
  client: ControlClient | null = null;
  readonly data: string;

  constructor(
    readonly name: string,
    readonly ns: string,
  ) {
    this.data = join(ROOT, name);
  }

  get hostapdCtrl(): string {
    return join(this.data, 'run', 'hostapd');
  }
  get wpaCtrl(): string {
    return join(this.data, 'run', 'wpa_supplicant');
  }

  async start(extraConfig: Record<string, unknown> = {}): Promise<void> {
    mkdirSync(this.data, { recursive: true });
    writeFileSync(
      join(this.data, 'config.json'),
      JSON.stringify({
        wifi: { interface: 'wlan0', country: 'CH', channel: 7 },
        usb: { interface: 'usb0' },
        gpio: { enabled: false },
        logLevel: 'debug',
        ...extraConfig,
      }),
    );
    const logFile = createWriteStream(join(OUT, `smallworld-${this.name}.log`), { flags: 'a' });
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns,
        process.execPath,
        CLI,
        'start',
        '--data',
        this.data,
        '--config',
        join(this.data, 'config.json'),
        '--web-port',
        '0',
        '--ssb-port',
        '0',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    this.daemon = child;
    this.client = await waitFor(`${this.name}'s control socket`, 180_000, async () => {
      if (child.exitCode !== null) throw new Error(`daemon ${this.name} exited with ${child.exitCode}`);
      return existsSync(join(this.data, 'control.sock'))
        ? ControlClient.connect(join(this.data, 'control.sock'))
        : undefined;
    });
    // wpa_supplicant runs in client mode, hostapd in AP mode: wait for the one the restored mode needs.
    await waitFor(`${this.name}'s Wi-Fi daemon`, 60_000, async () => {
      const s = await this.status();
      return s.mode === 'ap' ? s.daemons.ap.state === 'up' : s.daemons.station.state === 'up';
    });
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.daemon;
    this.client?.close();
    this.client = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  status(): Promise<FullStatus> {
    assert(this.client, `${this.name} is not running`);
    return this.client.request('status');
  }

  async request<C extends Command>(cmd: C, ...args: ArgsParameters<DeviceProtocol, C>): Promise<ControlReplies[C]> {
    assert(this.client, `${this.name} is not running`);
    return this.client.request(cmd, ...args);
  }

  async press(button: 'ap' | 'wps'): Promise<FullStatus> {
    assert(this.client, `${this.name} is not running`);
    return this.client.request('press', { button });
  }

  async ensureMode(mode: 'ap' | 'client'): Promise<void> {
    assert(this.client, `${this.name} is not running`);
    await this.client.request('ap', { on: mode === 'ap' });
    if (mode === 'ap') {
      await waitFor(`${this.name}'s AP`, 60_000, async () => (await this.status()).daemons.ap.state === 'up');
      await waitFor(
        `${this.name}'s hostapd to be ENABLED`,
        60_000,
        async () => keyValues(await this.hostapd(['status'])).state === 'ENABLED',
      );
    } else {
      await waitFor(
        `${this.name}'s wpa_supplicant`,
        60_000,
        async () => (await this.status()).daemons.station.state === 'up',
      );
    }
  }

  async wifi(): Promise<{ ap: { ssid: string; passphrase: string } }> {
    assert(this.client, `${this.name} is not running`);
    return this.client.request('wifi.get');
  }

  hostapd(args: string[]): Promise<string> {
    return sh(['hostapd_cli', '-p', this.hostapdCtrl, '-i', 'wlan0', ...args], 10_000);
  }

  wpa(args: string[]): Promise<string> {
    return sh(['wpa_cli', '-p', this.wpaCtrl, '-i', 'wlan0', ...args], 10_000);
  }

  /** What `smallworld status --json` says (the CLI itself, once per check: it is slow under emulation). */
  async cliStatus(): Promise<FullStatus> {
    return JSON.parse(await sh([process.execPath, CLI, 'status', '--json', '--data', this.data], 60_000)) as FullStatus;
  }
}

/** A phone: plain wpa_supplicant joining with the passphrase, plus a DHCP client. */
export class Phone {
  proc: ChildProcess | null = null;
  constructor(readonly ns: string) {}

  get ctrlDir(): string {
    return `/run/swlab/${this.ns}`;
  }

  async join(ssid: string, passphrase: string): Promise<void> {
    mkdirSync(this.ctrlDir, { recursive: true });
    const conf = join(this.ctrlDir, 'wpa.conf');
    writeFileSync(
      conf,
      `ctrl_interface=${this.ctrlDir}\nupdate_config=0\nnetwork={\n\tssid=${Buffer.from(ssid).toString('hex')}\n\tpsk="${passphrase}"\n\tkey_mgmt=WPA-PSK\n}\n`,
    );
    this.proc = spawn('ip', ['netns', 'exec', this.ns, 'wpa_supplicant', '-i', 'wlan0', '-D', 'nl80211', '-c', conf], {
      stdio: 'ignore',
    });
  }

  async enrollee(): Promise<void> {
    mkdirSync(this.ctrlDir, { recursive: true });
    const conf = join(this.ctrlDir, 'wpa.conf');
    writeFileSync(conf, `ctrl_interface=${this.ctrlDir}\nupdate_config=0\n`);
    this.proc = spawn('ip', ['netns', 'exec', this.ns, 'wpa_supplicant', '-i', 'wlan0', '-D', 'nl80211', '-c', conf], {
      stdio: 'ignore',
    });
    await waitFor('the enrollee wpa_supplicant', 20_000, async () => (await this.wpa(['ping'])).includes('PONG'));
  }

  wpa(args: string[]): Promise<string> {
    return sh(['wpa_cli', '-p', this.ctrlDir, '-i', 'wlan0', ...args], 10_000);
  }

  async waitAssociated(timeoutMs = 60_000): Promise<Record<string, string>> {
    return waitFor(`${this.ns} to associate`, timeoutMs, async () => {
      const status = keyValues(await this.wpa(['status']));
      return status.wpa_state === 'COMPLETED' ? status : undefined;
    });
  }

  async dhcp(iface = 'wlan0'): Promise<string> {
    const leaseFile = join(this.ctrlDir, `lease-${iface}`);
    await sh(['ip', 'netns', 'exec', this.ns, ...dhcpClient(iface, leaseFile)], 60_000);
    const lease = readFileSync(leaseFile, 'utf8');
    const ip = /ip=(\S+)/.exec(lease)?.[1];
    assert(ip, `no lease recorded: ${lease}`);
    return ip;
  }

  async leave(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  }
}

export const inRange = (ip: string, prefix: string, lo: number, hi: number) => {
  const last = Number(ip.split('.')[3]);
  return ip.startsWith(`${prefix}.`) && last >= lo && last <= hi;
};
