// The real Wi-Fi adapters: wpa_supplicant (station) and hostapd (access point) run as supervised children
// with configurations we generate, and are driven over their control interfaces. dnsmasq serves DHCP on the
// AP and USB interfaces. Nothing here decides anything: the reducer does; these only carry out effects and
// report what the daemons say.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Clock } from '../clock/clock.js';
import { AP_SCAN_LIMIT_MS, type EventBody } from '../device/model.js';
import type { Logger } from '../log/logger.js';
import { ensureAddress, interfaceExists, removeAddress, replaceAddress } from '../net/addresses.js';
import { Supervised } from '../process/supervised.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import {
  type ApSettings,
  dnsmasqConf,
  hostapdConf,
  type KnownNetwork,
  type NetworkPlan,
  type Paths,
  wpaSupplicantConf,
} from './config-gen.js';
import type { TransportFactory } from './ctrl/transport.js';
import { WpaCtrl } from './ctrl/wpa-ctrl.js';
import { normalizeMac, parseCtrlEvent, splitEventLine } from './ctrl-events.js';
import type { AccessPointPort, ScanReport, WifiEventSink, WifiStationPort } from './ports.js';
import { parseHostSighting, parseIwScan, parseWpaScanResults } from './scan-results.js';

const execFileAsync = promisify(execFile);

/** A station scan across all channels takes a few seconds; one that never reports is given up. */
const STATION_SCAN_TIMEOUT_MS = 15_000;
const STATION_STOPPED = 'wpa_supplicant stopped for the access point';
/** wpa_supplicant's own scans may hold the radio; ours is retried after them this many times. */
const STATION_SCAN_ATTEMPTS = 3;

export interface DaemonFiles extends Paths {
  hostapdConf: string;
  wpaConf: string;
  dnsmasqConf: string;
  dnsmasqPid: string;
  hostapdPid: string;
  wpaPid: string;
}

/** Where the generated files and sockets live: configuration and keys in DATA, sockets in the run dir. */
export function daemonFiles(dataDir: string, runDir: string): DaemonFiles {
  const generated = join(dataDir, 'generated');
  return {
    hostapdConf: join(generated, 'hostapd.conf'),
    wpaConf: join(generated, 'wpa_supplicant.conf'),
    dnsmasqConf: join(generated, 'dnsmasq.conf'),
    dnsmasqPid: join(runDir, 'dnsmasq.pid'),
    hostapdPid: join(runDir, 'hostapd.pid'),
    wpaPid: join(runDir, 'wpa_supplicant.pid'),
    hostapdCtrlDir: join(runDir, 'hostapd'),
    wpaCtrlDir: join(runDir, 'wpa_supplicant'),
    pskFile: join(dataDir, 'hostapd.psk'),
    leaseFile: join(dataDir, 'dnsmasq.leases'),
  };
}

export interface Binaries {
  hostapd: string;
  wpaSupplicant: string;
  dnsmasq: string;
  /** iw: the access point's own scan for other registrars (auto role). */
  iw: string;
}

export const DEBIAN_BINARIES: Binaries = {
  hostapd: '/usr/sbin/hostapd',
  wpaSupplicant: '/usr/sbin/wpa_supplicant',
  dnsmasq: '/usr/sbin/dnsmasq',
  iw: '/usr/sbin/iw',
};

export interface RealWifiOptions {
  plan: NetworkPlan;
  files: DaemonFiles;
  binaries: Binaries;
  transports: TransportFactory;
  clock: Clock;
  logger: Logger;
  emit: WifiEventSink;
  settings: () => { ap: ApSettings; knownNetworks: KnownNetwork[] };
}

/** How long hostapd gets to bring its control interface up after being started. */
const AP_START_TIMEOUT_MS = 20_000;
/** How often startAp looks whether that happened (a flag; the registrar's WPS_PBC waits for it). */
const AP_UP_POLL_MS = 25;

const apCidr = (plan: NetworkPlan) => `${plan.apAddress}/24`;
const USB_CHECK_MS = 5_000;

export class RealWifi {
  readonly station: WifiStationPort;
  readonly ap: AccessPointPort;
  private readonly wpa: Supervised;
  private readonly wpaCtrl: WpaCtrl;
  private readonly hostapd: Supervised;
  private hostapdCtrl: WpaCtrl | null = null;
  private readonly dnsmasq: Supervised;
  private apWanted = false;
  private stationWanted = false;
  private cancelUsbWatch: (() => void) | null = null;
  /** Callers waiting for a wpa_supplicant event by name (a scan's end). */
  private readonly stationWaiters = new Set<{ name: string; resolve: () => void; reject: (e: Error) => void }>();

  constructor(private readonly options: RealWifiOptions) {
    const { plan, files, binaries, clock, logger, emit } = options;
    const health = (daemon: 'station' | 'ap') => (up: boolean, reason: string) =>
      emit(up ? { type: 'WifiDaemonUp', daemon } : { type: 'WifiDaemonDown', daemon, reason });

    this.wpaCtrl = new WpaCtrl({
      name: 'wpa_supplicant',
      socketPath: join(files.wpaCtrlDir, plan.wifiInterface),
      transports: options.transports,
      clock,
      logger,
      onEvent: (line) => {
        const name = splitEventLine(line)?.name;
        for (const waiter of this.stationWaiters) if (waiter.name === name) waiter.resolve();
        emit(parseCtrlEvent('station', line));
      },
      onHealth: (up, reason) => {
        if (this.stationWanted) health('station')(up, reason);
      },
    });
    this.wpa = new Supervised({
      name: 'wpa_supplicant',
      command: binaries.wpaSupplicant,
      args: ['-i', plan.wifiInterface, '-D', 'nl80211', '-c', files.wpaConf],
      clock,
      logger,
      pidFile: files.wpaPid,
      onExit: (reason) => {
        if (this.stationWanted) emit({ type: 'WifiDaemonDown', daemon: 'station', reason });
      },
      onSpawn: () => void this.wpaCtrl.restart(),
    });
    this.hostapd = new Supervised({
      name: 'hostapd',
      command: binaries.hostapd,
      args: [files.hostapdConf],
      clock,
      logger,
      pidFile: files.hostapdPid,
      onExit: (reason) => {
        if (this.apWanted) emit({ type: 'WifiDaemonDown', daemon: 'ap', reason });
      },
      // A restarted hostapd answers on the same socket path; attach to the new one.
      onSpawn: () => void this.hostapdCtrl?.restart(),
    });
    this.dnsmasq = new Supervised({
      name: 'dnsmasq',
      command: binaries.dnsmasq,
      args: [
        '--keep-in-foreground',
        '--log-facility=-',
        `--conf-file=${files.dnsmasqConf}`,
        `--pid-file=${files.dnsmasqPid}`,
      ],
      clock,
      logger,
      // The same file dnsmasq writes itself: a dnsmasq left running by a daemon of ours killed outright
      // would otherwise answer DHCP beside the new one.
      pidFile: files.dnsmasqPid,
    });

    this.station = {
      configure: (networks) => (networks === 'known' ? this.startStation() : this.stopStation()),
      wpsStart: (bssid) => this.stationWpsStart(bssid),
      wpsCancel: () => this.wpaCtrl.command('WPS_CANCEL'),
      scan: () => this.stationScan(),
      association: async () => {
        const status = parseKeyValues(await this.wpaCtrl.request('STATUS'));
        return status.wpa_state === 'COMPLETED' ? normalizeMac(status.bssid) : null;
      },
      lastSeenHosting: async (bssid) => {
        const target = normalizeMac(bssid);
        if (target === null) throw new Error(`not a BSSID: ${bssid}`);
        const status = await this.wpaCtrl.request('STATUS');
        return parseHostSighting(target, status, await this.wpaCtrl.request(`BSS ${target}`));
      },
      close: () => this.stopStation(),
    };

    this.ap = {
      start: () => this.startAp(),
      stop: () => this.stopAp(),
      wpsStart: () => this.apCtrl().command('WPS_PBC'),
      wpsCancel: () => this.apCtrl().command('WPS_CANCEL'),
      stations: async () => (this.hostapdCtrl?.isUp ? this.listStations(this.hostapdCtrl) : []),
      scan: () => this.apScan(),
      enabled: async () => {
        if (!this.hostapdCtrl?.isUp) return false;
        return parseKeyValues(await this.hostapdCtrl.request('STATUS')).state === 'ENABLED';
      },
      forgetKey: (mac, now) => this.forgetKey(mac, now),
      close: () => this.stopAp(),
    };
  }

  /**
   * One fresh scan by wpa_supplicant. Its remembered BSS entries are flushed first, and the scan asks the kernel
   * to drop its own cached ones (`only_new=1`, nl80211's flush flag): cfg80211 keeps a BSS for 30 s after its last
   * beacon, so without it a registrar that stopped hosting seconds ago is still reported in push-button mode and
   * a press would try to enroll with an access point that is gone.
   */
  private async stationScan(): Promise<ScanReport> {
    await this.scanOwnChannel(STATION_SCAN_ATTEMPTS);
    const [results, status] = await Promise.all([
      this.wpaCtrl.request('SCAN_RESULTS', 5_000),
      this.wpaCtrl.request('STATUS'),
    ]);
    return { own: normalizeMac(parseKeyValues(status).address), peers: parseWpaScanResults(results) };
  }

  /** Flushes wpa_supplicant's BSS table and scans our channel, up to `attempts` times while it is busy. */
  private async scanOwnChannel(attempts: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (!this.stationWanted) throw new Error(STATION_STOPPED);
      if (!this.wpaCtrl.isUp) throw new Error('wpa_supplicant is not running');
      // Before every attempt: a scan of wpa_supplicant's own that made ours FAIL-BUSY adds the kernel's cached
      // entries to its table when it ends (seen in the radio lab: a host stopped 4 s earlier, still "in
      // push-button mode"), and SCAN_RESULTS lists that table.
      await this.wpaCtrl.request('BSS_FLUSH 0');
      if (!this.stationWanted) throw new Error(STATION_STOPPED);
      const end = this.nextStationEvent('CTRL-EVENT-SCAN-RESULTS', STATION_SCAN_TIMEOUT_MS);
      try {
        // Our own channel only: a Smallworld registrar hosts on the configured channel (all devices share
        // the default), and one channel takes a fraction of the time of all of them (see ARCHITECTURE.md).
        const reply = (
          await this.wpaCtrl.request(`SCAN freq=${channelFreq(this.options.plan.channel)} only_new=1`)
        ).trim();
        if (reply !== 'OK' && reply !== 'FAIL-BUSY') throw new Error(`SCAN answered ${reply.slice(0, 40)}`);
        await end.done;
        // FAIL-BUSY: wpa_supplicant's own scan was running, which kept the kernel's cache; once it has ended,
        // ours flushes it. A radio that stays busy gets that scan's results after a few tries.
        if (reply === 'OK' || attempt >= attempts) return;
      } finally {
        end.cancel();
      }
    }
  }

  /**
   * Push-button enrollment. With a target, wpa_supplicant joins at once if its BSS table holds that access point
   * (its scan before joining covers that one frequency); if not, it first scans every channel, over 5 s in the radio
   * lab and on a 2.4+5 GHz chip alike. A station restarted to enroll (a registrar stepping down) has an empty table,
   * so it scans our channel first, as the search does: then WPS_PBC finds the registrar there. A scan that fails
   * or finds nothing costs nothing more: wpa_supplicant then scans as it would have.
   */
  private async stationWpsStart(bssid?: string): Promise<void> {
    const target = bssid === undefined ? null : normalizeMac(bssid);
    if (bssid !== undefined && target === null) throw new Error(`not a BSSID: ${bssid}`);
    if (target === null) return this.wpaCtrl.command('WPS_PBC');
    const known = await this.wpaCtrl.request(`BSS ${target}`).catch(() => '');
    if (!new RegExp(`^bssid=${target}$`, 'im').test(known)) {
      await this.scanOwnChannel(1).catch((error: Error) =>
        this.options.logger.log('warn', 'scan before enrolling failed', { bssid: target, error: error.message }),
      );
    }
    return this.wpaCtrl.command(`WPS_PBC ${target}`);
  }

  /** The next wpa_supplicant event of that name; rejected after the timeout or when the station stops. */
  private nextStationEvent(name: string, timeoutMs: number): { done: Promise<void>; cancel: () => void } {
    let waiter: { name: string; resolve: () => void; reject: (e: Error) => void } | undefined;
    let cancelTimeout = () => {};
    const done = new Promise<void>((resolve, reject) => {
      // A scan that was under way when the station was stopped comes here after stopStation rejected the
      // waiters then: its event will never come, and the scan lane (the access point's watch scans queue behind
      // it) must not wait out the timeout (seen in the radio lab: 15 s of a registrar not watching).
      if (!this.stationWanted) return reject(new Error(STATION_STOPPED));
      waiter = { name, resolve, reject };
      this.stationWaiters.add(waiter);
      cancelTimeout = this.options.clock.after(timeoutMs, () =>
        reject(new Error(`no ${name} within ${timeoutMs / 1000} s`)),
      );
    });
    // It may be rejected (station stopped, timeout) before anything awaits it: never an unhandled rejection.
    done.catch(() => undefined);
    return {
      done,
      cancel: () => {
        cancelTimeout();
        if (waiter) this.stationWaiters.delete(waiter);
      },
    };
  }

  /**
   * A brief scan from the access point's interface (nl80211's AP scan flag, `iw ... scan flush ap-force`),
   * on the access point's own channel only, so beacons pause for one channel's dwell. Our BSSID comes
   * from hostapd's STATUS. A driver without AP scanning fails this, and the reducer stops watching.
   */
  private async apScan(): Promise<ScanReport> {
    const ctrl = this.apCtrl();
    const status = parseKeyValues(await ctrl.request('STATUS'));
    const freq = /^\d{4}$/.test(status.freq ?? '') ? ['freq', status.freq as string] : [];
    const { stdout } = await execFileAsync(
      this.options.binaries.iw,
      ['dev', this.options.plan.wifiInterface, 'scan', ...freq, 'flush', 'ap-force'],
      { timeout: AP_SCAN_LIMIT_MS, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 },
    ).catch((error: { killed?: boolean; stderr?: string }) => {
      if (error.killed) throw new Error(`the access point's scan gave no results within ${AP_SCAN_LIMIT_MS / 1000} s`);
      const why = (error.stderr ?? '').trim().slice(0, 200);
      throw new Error(`the access point's scan failed${why ? `: ${why}` : ''}`);
    });
    return { own: normalizeMac(status['bssid[0]']), peers: parseIwScan(stdout) };
  }

  /** Starts dnsmasq; the Wi-Fi daemons start when the reducer puts the device in a mode. */
  async start(): Promise<void> {
    await writeFileAtomic(this.options.files.dnsmasqConf, dnsmasqConf(this.options.plan, this.options.files), {
      mode: 0o644,
    });
    await this.dnsmasq.start();
    this.watchUsb();
  }

  /**
   * Client mode: wpa_supplicant runs with the known networks. Started fresh it reads them itself;
   * already running, it re-reads them (RECONFIGURE, which also drops credentials WPS left in memory).
   */
  private async startStation(): Promise<void> {
    await this.writeStationConf(this.options.settings().knownNetworks);
    if (this.stationWanted && this.wpaCtrl.isUp) {
      await this.wpaCtrl.command('RECONFIGURE');
      return;
    }
    this.stationWanted = true;
    await this.wpa.start();
    this.wpaCtrl.start();
  }

  /**
   * AP mode: wpa_supplicant goes away entirely. With one radio, hostapd needs the interface, and a
   * wpa_supplicant started while hostapd holds it cannot even initialise (seen in the radio lab).
   */
  private async stopStation(): Promise<void> {
    const wasWanted = this.stationWanted;
    this.stationWanted = false;
    // A scan in flight will never report now: end it at once rather than at its timeout.
    for (const waiter of this.stationWaiters) waiter.reject(new Error(STATION_STOPPED));
    await this.wpaCtrl.close();
    await this.wpa.stop();
    if (wasWanted) this.options.emit({ type: 'WifiDaemonStopped', daemon: 'station' });
  }

  /** The USB gadget interface comes and goes with the cable on some boards: check it now and then. */
  private watchUsb(): void {
    const check = async () => {
      await this.ensureUsbAddress();
      this.cancelUsbWatch = this.options.clock.after(USB_CHECK_MS, () => void check());
    };
    void check();
  }

  async close(): Promise<void> {
    this.cancelUsbWatch?.();
    await this.station.close();
    await this.stopAp();
    await this.dnsmasq.stop();
  }

  /** Gives the USB gadget interface its address if it exists (it appears when the gadget driver loads). */
  async ensureUsbAddress(): Promise<void> {
    const { plan, logger } = this.options;
    if (!(await interfaceExists(plan.usbInterface))) return;
    try {
      await ensureAddress(plan.usbInterface, `${plan.usbAddress}/24`);
    } catch (error) {
      logger.log('warn', 'cannot address the USB interface', { error: (error as Error).message });
    }
  }

  private async writeStationConf(networks: KnownNetwork[]): Promise<void> {
    await writeFileAtomic(
      this.options.files.wpaConf,
      wpaSupplicantConf(networks, this.options.plan, this.options.files),
    );
  }

  private apCtrl(): WpaCtrl {
    if (this.hostapdCtrl === null) throw new Error('the access point is not running');
    return this.hostapdCtrl;
  }

  private async startAp(): Promise<void> {
    const { plan, files, clock, logger, emit } = this.options;
    // A running access point is stopped properly first; otherwise only a hostapd left behind by an earlier
    // run of ours is (its pid file), without the address clean-up, which the address set below replaces.
    if (this.apWanted || this.hostapdCtrl !== null) await this.stopAp();
    else await this.hostapd.stop();
    this.apWanted = true;
    await Promise.all([
      writeFileAtomic(files.hostapdConf, hostapdConf(this.options.settings().ap, plan, files)),
      ensurePskFile(files.pskFile),
    ]);
    const ctrl = new WpaCtrl({
      name: 'hostapd',
      socketPath: join(files.hostapdCtrlDir, plan.wifiInterface),
      transports: this.options.transports,
      clock,
      logger,
      onEvent: (line) => emit(parseCtrlEvent('ap', line)),
      onHealth: (up, reason) => {
        if (this.hostapdCtrl === ctrl && this.apWanted) {
          emit(up ? { type: 'WifiDaemonUp', daemon: 'ap' } : { type: 'WifiDaemonDown', daemon: 'ap', reason });
        }
      },
    });
    this.hostapdCtrl = ctrl;
    await this.hostapd.start();
    ctrl.start();
    // hostapd brings the link up itself; the address is set while it starts (an `ip` is a process start, up to
    // 0.7 s in the radio lab), not before it: it lay on the bring-up path that one-press pairing waits out.
    await Promise.all([replaceAddress(plan.wifiInterface, apCidr(plan)), this.untilUp(ctrl)]);
  }

  /** Waits for hostapd's control interface, which it opens once the access point is set up. */
  private async untilUp(ctrl: WpaCtrl): Promise<void> {
    const { clock, plan } = this.options;
    const deadline = clock.now() + AP_START_TIMEOUT_MS;
    while (!ctrl.isUp) {
      if (clock.now() > deadline || !this.apWanted) {
        throw new Error(`hostapd did not bring up ${plan.wifiInterface} within ${AP_START_TIMEOUT_MS / 1000} s`);
      }
      await new Promise<void>((resolve) => clock.after(AP_UP_POLL_MS, resolve));
    }
  }

  private async stopAp(): Promise<void> {
    const wasWanted = this.apWanted;
    this.apWanted = false;
    const ctrl = this.hostapdCtrl;
    this.hostapdCtrl = null;
    await ctrl?.close();
    await this.hostapd.stop();
    await removeAddress(this.options.plan.wifiInterface, apCidr(this.options.plan)).catch(() => undefined);
    if (wasWanted) this.options.emit({ type: 'WifiDaemonStopped', daemon: 'ap' } satisfies EventBody);
  }

  private async listStations(ctrl: WpaCtrl): Promise<string[]> {
    const stations: string[] = [];
    let reply = await ctrl.request('STA-FIRST');
    // Bounded: an AP serves at most a few hundred stations, and a confused daemon must not loop us forever.
    for (let i = 0; i < 512; i++) {
      const [first, ...rest] = reply.split('\n');
      const mac = normalizeMac(first?.trim());
      if (mac === null) break;
      const flags = parseKeyValues(rest.join('\n')).flags ?? '';
      if (flags.includes('[AUTHORIZED]')) stations.push(mac);
      reply = await ctrl.request(`STA-NEXT ${mac}`);
    }
    return [...new Set(stations)].sort();
  }

  /**
   * Removes the station's WPS-issued key from hostapd's PSK file. RELOAD_WPA_PSK makes hostapd drop it
   * from memory too — and disconnect a station using it (seen in the radio lab), so that waits for `now`.
   */
  private async forgetKey(mac: string, now: boolean): Promise<void> {
    const { pskFile } = this.options.files;
    const text = await readFile(pskFile, 'utf8').catch(() => '');
    const kept = text.split('\n').filter((line) => !pskLineIsFor(line, mac));
    if (kept.length !== text.split('\n').length) await writeFileAtomic(pskFile, kept.join('\n'));
    if (now && this.hostapdCtrl?.isUp) await this.hostapdCtrl.command('RELOAD_WPA_PSK');
  }
}

/** The centre frequency of a 2.4 GHz channel (1-13), as wpa_supplicant's SCAN freq= wants it. */
export function channelFreq(channel: number): number {
  return 2407 + 5 * channel;
}

/** hostapd's PSK file lines: "[keyid=..] [wps=1] <mac> <psk-or-passphrase>". */
export function pskLineIsFor(line: string, mac: string): boolean {
  const words = line
    .trim()
    .split(/\s+/)
    .filter((w) => !w.includes('='));
  return normalizeMac(words[0]) === mac.toLowerCase();
}

async function ensurePskFile(path: string): Promise<void> {
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing === null) await writeFileAtomic(path, '');
}

/** The daemons' STATUS and STA replies: "key=value" lines. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}
