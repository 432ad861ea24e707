// The connectivity daemon: wires the ports to their adapters, runs the device runtime, serves the
// control socket, and (in development) starts the unprivileged peer process that serves the web page.
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '../clock/clock.js';
import type { Config } from '../config/config.js';
import { socketPathFor } from '../control/client.js';
import { ControlError, type DeviceProtocol, type StatusPush, type WifiView } from '../control/protocol.js';
import { ControlServer, type Handlers } from '../control/server.js';
import { EvdevButtons } from '../gpio/evdev-buttons.js';
import type { ButtonPort, LedPort } from '../gpio/ports.js';
import { SimButtons, SimLeds } from '../gpio/sim.js';
import { SysfsLeds } from '../gpio/sysfs-leds.js';
import type { Logger } from '../log/logger.js';
import { type ForkedPeer, forkPeer, wantsPeer } from '../peer/fork-peer.js';
import type { PeerSsbSettings } from '../peer/peer-process.js';
import { decideRestart, isFailure } from '../peer/restart-policy.js';
import type { StorageReport } from '../storage/budget.js';
import { StorageMonitor } from '../storage/space.js';
import { removeStaleTempFiles, writeFileAtomic } from '../store/atomic-file.js';
import { FileStateStore } from '../store/state-store.js';
import {
  dnsmasqConf,
  hostapdConf,
  InvalidSetting,
  type NetworkPlan,
  networkPlanFor,
  wifiQrPayload,
} from '../wifi/config-gen.js';
import { DgramBridge } from '../wifi/ctrl/transport.js';
import { type DaemonFiles, DEBIAN_BINARIES, daemonFiles, RealWifi } from '../wifi/daemons.js';
import type { AccessPointPort, WifiStationPort } from '../wifi/ports.js';
import {
  type WifiSettings,
  WifiSettingsStore,
  withAp,
  withNetwork,
  withOrder,
  withoutNetwork,
} from '../wifi/settings.js';
import { SimAir } from '../wifi/sim.js';
import type { EventBody } from './model.js';
import { DeviceRuntime } from './runtime.js';
import { type FullStatus, statusOf } from './status.js';

export const VERSION = '0.1.0';

export interface DaemonOptions {
  dataDir: string;
  sim: boolean;
  web: { host: string; port: number };
  ssb: PeerSsbSettings;
  config: Config;
  /** Handed to the peer process, which reads the same file. */
  configPath?: string | undefined;
  logLevel?: string | undefined;
  logger: Logger;
  clock?: Clock;
  /** Start the peer process (web page) as a child; off when systemd runs it as its own unit. */
  spawnPeer?: boolean;
  /** The peer process, already forked by the command line before the daemon loaded (peer/fork-peer.ts). */
  forkedPeer?: ForkedPeer;
}

/** How often the storage figures are read again between status requests. */
const STORAGE_POLL_MS = 10_000;

export class Daemon {
  readonly runtime: DeviceRuntime;
  readonly air: SimAir | null;
  readonly wifi: RealWifi | null;
  readonly buttons: ButtonPort;
  readonly files: DaemonFiles;
  readonly plan: NetworkPlan;
  private readonly server: ControlServer;
  private readonly settingsStore: WifiSettingsStore;
  private settings: WifiSettings | null = null;
  private webUrl: string | null = null;
  private peer: ChildProcess | null = null;
  private stopping = false;
  /** When the peer was started lately, and a pending restart (peer/restart-policy.ts). */
  private peerStarts: number[] = [];
  private peerRestart: NodeJS.Timeout | null = null;
  private readonly bridge: DgramBridge | null;
  private readonly storageMonitor: StorageMonitor;
  private storage: StorageReport = { usedBytes: 0, freeBytes: 0, budgetBytes: 0, state: 'ok' };
  private storageTimer: NodeJS.Timeout | null = null;
  /** Settles the control server's `ready`: requests are handled once start() has finished. */
  private started: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(private readonly options: DaemonOptions) {
    const clock = options.clock ?? systemClock;
    const logger = options.logger;
    const { config } = options;
    const runDir = config.runDir ?? join(options.dataDir, 'run');
    this.files = daemonFiles(options.dataDir, runDir);
    this.plan = networkPlanFor(config);
    this.settingsStore = new WifiSettingsStore(options.dataDir);
    this.storageMonitor = new StorageMonitor({
      dir: options.dataDir,
      reserveBytes: config.storage.reserveBytes,
      usageMaxAgeMs: 5000,
    });
    const emit = (event: EventBody) => void this.runtime.dispatch(event);
    let station: WifiStationPort;
    let ap: AccessPointPort;
    if (options.sim) {
      this.air = new SimAir(clock, emit);
      this.wifi = null;
      this.bridge = null;
      station = this.air.station;
      ap = this.air.ap;
    } else {
      this.air = null;
      this.bridge = new DgramBridge(join(runDir, 'client'));
      this.wifi = new RealWifi({
        plan: this.plan,
        files: this.files,
        binaries: DEBIAN_BINARIES,
        transports: this.bridge.factory(),
        clock,
        logger,
        emit,
        settings: () => this.currentSettings(),
      });
      station = this.wifi.station;
      ap = this.wifi.ap;
    }
    let leds: LedPort;
    if (options.sim || !config.gpio.enabled) {
      this.buttons = new SimButtons();
      leds = new SimLeds();
    } else {
      this.buttons = new EvdevButtons({ ...config.gpio.buttons, logger });
      leds = new SysfsLeds(config.gpio.leds);
    }
    this.runtime = new DeviceRuntime({
      station,
      ap,
      leds,
      buttons: this.buttons,
      clock,
      store: new FileStateStore(options.dataDir),
      logger,
      defaults: { autoRole: config.wps.autoRole },
    });
    this.server = new ControlServer(socketPathFor(options.dataDir), this.handlers(), logger, {
      group: options.config.control.group,
      ready: new Promise((resolve, reject) => {
        this.started = { resolve, reject };
      }),
    });
  }

  async start(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o750 });
    // The socket listens first: a second daemon for the same data stops here, before it touches anything.
    // The peer process starts next, before the rest (cold start: it loads its libraries meanwhile, on the
    // other core); requests are answered once the device has started (the server's `ready`).
    await this.server.listen();
    this.options.logger.log('info', 'control socket listening', { path: socketPathFor(this.options.dataDir) });
    try {
      await mkdir(join(this.options.dataDir, 'generated'), { recursive: true, mode: 0o750 });
      // A power cut in the middle of an atomic write leaves its temporary file: clear those first.
      for (const dir of [this.options.dataDir, join(this.options.dataDir, 'generated')]) {
        const removed = await removeStaleTempFiles(dir);
        if (removed.length > 0)
          this.options.logger.log('info', 'removed files of interrupted writes', { dir, removed });
      }
      if (this.options.spawnPeer !== false && wantsPeer(this.options)) this.startPeer(this.options.forkedPeer);
      await this.startDevice();
      this.started?.resolve();
    } catch (error) {
      this.started?.reject(error as Error);
      await this.stop();
      throw error;
    }
  }

  /** The radios, the runtime and the storage figures, from the saved state and settings. */
  private async startDevice(): Promise<void> {
    await mkdir(this.files.hostapdCtrlDir, { recursive: true, mode: 0o750 });
    await mkdir(this.files.wpaCtrlDir, { recursive: true, mode: 0o750 });
    const loaded = await this.settingsStore.loadOrCreate();
    if (loaded.warning) this.options.logger.log('warn', 'wifi settings', { warning: loaded.warning });
    if (loaded.created)
      this.options.logger.log('info', "generated this device's network name and passphrase", {
        ssid: loaded.settings.ap.ssid,
      });
    this.settings = loaded.settings;
    await this.writeGeneratedConfigs();
    await this.wifi?.start();
    await this.runtime.start();
    if (this.air) {
      // The simulated daemons are up from the start, as systemd would have them.
      await this.runtime.dispatch({ type: 'WifiDaemonUp', daemon: 'station' });
      await this.runtime.dispatch({ type: 'WifiDaemonUp', daemon: 'ap' });
    }
    await this.refreshStorage();
    this.storageTimer = setInterval(() => void this.refreshStorage(), STORAGE_POLL_MS);
    this.storageTimer.unref();
  }

  status(): FullStatus {
    return {
      ...statusOf(this.runtime.current),
      web: { url: this.webUrl },
      sim: this.air !== null,
      dataDir: this.options.dataDir,
      pid: process.pid,
      version: VERSION,
      storage: this.storage,
    };
  }

  /** Reads the card's figures; a failure keeps the last ones (and says so once per failure). */
  private async refreshStorage(): Promise<void> {
    try {
      const report = await this.storageMonitor.report();
      if (report.state !== this.storage.state) {
        this.options.logger.log(report.state === 'ok' ? 'info' : 'warn', 'storage', { ...report });
      }
      this.storage = report;
    } catch (error) {
      this.options.logger.log('warn', 'cannot read the storage figures', { error: (error as Error).message });
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.storageTimer) clearInterval(this.storageTimer);
    if (this.peerRestart) clearTimeout(this.peerRestart);
    const peer = this.peer;
    if (peer && peer.exitCode === null && peer.signalCode === null) {
      const exited = new Promise((resolve) => peer.once('exit', resolve));
      peer.kill('SIGTERM');
      const timer = setTimeout(() => peer.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await this.server.close();
    await this.runtime.stop();
    await this.wifi?.close();
    await this.bridge?.stop();
  }

  private currentSettings(): WifiSettings {
    if (this.settings === null) throw new Error('the Wi-Fi settings are not loaded yet');
    return this.settings;
  }

  /** The AP's hostapd.conf and dnsmasq.conf, kept current even while the AP is off (and in the simulator). */
  private async writeGeneratedConfigs(): Promise<void> {
    const settings = this.currentSettings();
    await writeFileAtomic(this.files.hostapdConf, hostapdConf(settings.ap, this.plan, this.files));
    await writeFileAtomic(this.files.dnsmasqConf, dnsmasqConf(this.plan, this.files), { mode: 0o644 });
  }

  private async changeSettings(
    change: (s: WifiSettings) => WifiSettings,
    scope: 'ap' | 'known-networks',
  ): Promise<WifiView> {
    let next: WifiSettings;
    try {
      next = change(this.currentSettings());
    } catch (error) {
      if (error instanceof InvalidSetting) throw new ControlError('bad_request', error.message);
      throw error;
    }
    await this.settingsStore.save(next);
    this.settings = next;
    await this.writeGeneratedConfigs();
    await this.runtime.dispatch({ type: 'WifiSettingsChanged', scope });
    return this.wifiView();
  }

  private wifiView(): WifiView {
    const settings = this.currentSettings();
    return {
      ap: settings.ap,
      knownNetworks: settings.knownNetworks.map((n) => ({ ssid: n.ssid })),
      qr: wifiQrPayload(settings.ap),
      files: { hostapd: this.files.hostapdConf, wpaSupplicant: this.files.wpaConf, dnsmasq: this.files.dnsmasqConf },
      addresses: { ap: this.plan.apAddress, usb: this.plan.usbAddress },
    };
  }

  private startPeer(forked: ForkedPeer = forkPeer(this.options)): void {
    const { child, allocator } = forked;
    this.options.logger.log('info', 'peer process started', { pid: child.pid, allocator });
    this.peer = child;
    if (this.peerStarts.length === 0) this.peerStarts = [Date.now()];
    // Under memory pressure the kernel should take the peer, not the daemon (as the installed units say).
    if (child.pid !== undefined) void writeFile(`/proc/${child.pid}/oom_score_adj`, '500').catch(() => undefined);
    const exited = (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.peer === child) this.peer = null;
      this.webUrl = null;
      if (this.stopping) return;
      this.options.logger.log('error', 'peer process exited', { code, signal });
      const decision = decideRestart(this.peerStarts, { code, signal }, Date.now());
      this.peerStarts = decision.starts;
      if (!decision.restart) {
        if (isFailure({ code, signal }))
          this.options.logger.log('error', 'the peer failed too often: not restarted', { code, signal });
        return;
      }
      this.options.logger.log('info', 'restarting the peer', { inMs: decision.delayMs });
      this.peerRestart = setTimeout(() => {
        this.peerRestart = null;
        if (!this.stopping) this.startPeer();
      }, decision.delayMs);
    };
    // A peer forked before the daemon loaded may already have gone.
    if (child.exitCode !== null || child.signalCode !== null)
      queueMicrotask(() => exited(child.exitCode, child.signalCode));
    else child.on('exit', exited);
  }

  /** The control socket's commands, each answering with its reply type in control/protocol.ts. */
  private handlers(): Handlers<DeviceProtocol> {
    const runtime = this.runtime;
    /** Dispatches an event, then answers with the status it led to. */
    const statusAfter = async (event: EventBody): Promise<FullStatus> => {
      await runtime.dispatch(event);
      return this.status();
    };
    const sim = () => this.simAir();
    return {
      status: async () => {
        await this.refreshStorage();
        return this.status();
      },
      press: (request) => statusAfter({ type: 'ButtonPressed', button: request.button }),
      ap: (request) => statusAfter({ type: 'ApRequested', on: request.on }),
      wps: (request) => statusAfter({ type: 'WpsRequested', action: request.action }),
      'wps.auto-role': (request) => statusAfter({ type: 'AutoRoleSet', enabled: request.enabled }),
      'keys.one-time': (request) => statusAfter({ type: 'OneTimeKeysSet', enabled: request.enabled }),
      'keys.revoke': (request) => statusAfter({ type: 'DeviceRevoked', mac: request.mac }),
      replication: async (request) => {
        await runtime.dispatch({ type: 'ReplicationChanged', replicating: request.replicating });
        return null;
      },
      'peer.report': async (request) => {
        if (request.web) this.webUrl = request.web.url;
        return null;
      },
      subscribe: async (_request, connection) => {
        const unsubscribe = runtime.subscribe(() =>
          connection.push({ event: 'status', status: this.status() } satisfies StatusPush),
        );
        connection.onClose(unsubscribe);
        return this.status();
      },
      'wifi.get': async () => this.wifiView(),
      'wifi.ap.set': async (request) => {
        const change: { ssid?: string; passphrase?: string } = {};
        if (request.ssid !== undefined) change.ssid = request.ssid;
        if (request.passphrase !== undefined) change.passphrase = request.passphrase;
        if (Object.keys(change).length === 0)
          throw new ControlError('bad_request', 'wifi.ap.set: give an ssid, a passphrase, or both');
        return this.changeSettings((s) => withAp(s, change), 'ap');
      },
      'wifi.networks.add': (request) =>
        this.changeSettings(
          (s) => withNetwork(s, { ssid: request.ssid, passphrase: request.passphrase }),
          'known-networks',
        ),
      'wifi.networks.remove': (request) =>
        this.changeSettings((s) => withoutNetwork(s, request.ssid), 'known-networks'),
      'wifi.networks.order': (request) => this.changeSettings((s) => withOrder(s, request.ssids), 'known-networks'),
      'sim.state': async () => sim().snapshot(),
      'sim.other-wps': async (request) => sim().otherDevicePressesWps(request.mac),
      'sim.phone': async (request) => {
        if (request.action === 'join') sim().phoneJoins(request.mac);
        else sim().phoneLeaves(request.mac);
        return sim().snapshot();
      },
      'sim.network': async (request) => {
        const { cmd: _cmd, ...network } = request;
        sim().setNetwork(network);
        return sim().snapshot();
      },
    };
  }

  private simAir(): SimAir {
    if (this.air === null) throw new ControlError('not_simulated', 'this daemon drives real radios, not the simulator');
    return this.air;
  }
}
