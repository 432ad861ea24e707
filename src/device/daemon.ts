// The connectivity daemon, assembled: the ports wired to their adapters (adapters.ts), the device runtime,
// the Wi-Fi settings in use (wifi-settings-in-use.ts), the storage figures (storage-figures.ts), the control
// socket and its commands (control-handlers.ts), and in development the unprivileged peer process that serves
// the web page (peer/peer-supervisor.ts).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '../clock/clock.js';
import type { Config } from '../config/config.js';
import { socketPathFor } from '../control/client.js';
import { ControlServer } from '../control/server.js';
import type { ButtonPort } from '../gpio/ports.js';
import type { Logger } from '../log/logger.js';
import type { PeerSsbSettings } from '../peer/peer-process.js';
import { type ForkedPeer, PeerSupervisor, wantsPeer } from '../peer/peer-supervisor.js';
import { removeStaleTempFiles } from '../store/atomic-file.js';
import { FileStateStore } from '../store/state-store.js';
import { type NetworkPlan, networkPlanFor } from '../wifi/config-gen.js';
import type { DgramBridge } from '../wifi/ctrl/transport.js';
import { type DaemonFiles, daemonFiles, type RealWifi } from '../wifi/daemons.js';
import type { SimAir } from '../wifi/sim.js';
import { deviceAdapters } from './adapters.js';
import { controlHandlers } from './control-handlers.js';
import type { EventBody } from './model.js';
import { DeviceRuntime } from './runtime.js';
import { type FullStatus, statusOf } from './status.js';
import { StorageFigures } from './storage-figures.js';
import { WifiSettingsInUse } from './wifi-settings-in-use.js';

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
  /** The peer process, already forked by the command line before the daemon loaded (peer-supervisor.ts). */
  forkedPeer?: ForkedPeer | undefined;
}

export class Daemon {
  readonly runtime: DeviceRuntime;
  readonly air: SimAir | null;
  readonly wifi: RealWifi | null;
  readonly buttons: ButtonPort;
  readonly files: DaemonFiles;
  readonly plan: NetworkPlan;
  private readonly server: ControlServer;
  private readonly settings: WifiSettingsInUse;
  private readonly storage: StorageFigures;
  private readonly peer: PeerSupervisor;
  /** The web page's address, as the running peer reported it. */
  private webUrl: string | null = null;
  private readonly bridge: DgramBridge | null;
  /** Settles the control server's `ready`: requests are handled once start() has finished. */
  private started: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(private readonly options: DaemonOptions) {
    const { config, logger } = options;
    const clock = options.clock ?? systemClock;
    const runDir = config.runDir ?? join(options.dataDir, 'run');
    this.files = daemonFiles(options.dataDir, runDir);
    this.plan = networkPlanFor(config);
    this.settings = new WifiSettingsInUse({
      dataDir: options.dataDir,
      files: this.files,
      plan: this.plan,
      logger,
      changed: (scope) => this.runtime.dispatch({ type: 'WifiSettingsChanged', scope }),
    });
    this.storage = new StorageFigures({ dataDir: options.dataDir, reserveBytes: config.storage.reserveBytes }, logger);
    this.peer = new PeerSupervisor({ ...options, exited: () => (this.webUrl = null) });
    const adapters = deviceAdapters({
      sim: options.sim,
      config,
      plan: this.plan,
      files: this.files,
      runDir,
      clock,
      logger,
      emit: (event: EventBody) => void this.runtime.dispatch(event),
      settings: () => this.settings.current(),
    });
    ({ air: this.air, wifi: this.wifi, bridge: this.bridge, buttons: this.buttons } = adapters);
    this.runtime = new DeviceRuntime({
      station: adapters.station,
      ap: adapters.ap,
      leds: adapters.leds,
      buttons: adapters.buttons,
      clock,
      store: new FileStateStore(options.dataDir),
      logger,
      defaults: { autoRole: config.wps.autoRole },
    });
    const handlers = controlHandlers({
      runtime: this.runtime,
      settings: this.settings,
      air: this.air,
      status: () => this.status(),
      refreshStorage: () => this.storage.refresh(),
      peerReported: ({ webUrl }) => {
        this.webUrl = webUrl;
      },
    });
    this.server = new ControlServer(socketPathFor(options.dataDir), handlers, logger, {
      group: config.control.group,
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
      if (this.options.spawnPeer !== false && wantsPeer(this.options)) this.peer.start(this.options.forkedPeer);
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
    await this.settings.load();
    await this.wifi?.start();
    await this.runtime.start();
    if (this.air) {
      // The simulated daemons are up from the start, as systemd would have them.
      await this.runtime.dispatch({ type: 'WifiDaemonUp', daemon: 'station' });
      await this.runtime.dispatch({ type: 'WifiDaemonUp', daemon: 'ap' });
    }
    await this.storage.start();
  }

  status(): FullStatus {
    return {
      ...statusOf(this.runtime.current),
      web: { url: this.webUrl },
      sim: this.air !== null,
      dataDir: this.options.dataDir,
      pid: process.pid,
      version: VERSION,
      storage: this.storage.report,
    };
  }

  async stop(): Promise<void> {
    this.storage.stop();
    await this.peer.stop();
    await this.server.close();
    await this.runtime.stop();
    await this.wifi?.close();
    await this.bridge?.stop();
  }
}
