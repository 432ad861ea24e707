// The connectivity daemon: wires the ports to their adapters, runs the device runtime, serves the
// control socket, and (in development) starts the unprivileged peer process that serves the web page.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Clock, systemClock } from '../clock/clock.js';
import { socketPathFor } from '../control/client.js';
import { ControlError, type Request } from '../control/protocol.js';
import { type ControlConnection, ControlServer } from '../control/server.js';
import { SimButtons, SimLeds } from '../gpio/sim.js';
import type { Logger } from '../log/logger.js';
import { FileStateStore } from '../store/state-store.js';
import { SimAir } from '../wifi/sim.js';
import type { EventBody } from './model.js';
import { DeviceRuntime } from './runtime.js';
import { type DeviceStatus, statusOf } from './status.js';

export const VERSION = '0.1.0';

export interface DaemonOptions {
  dataDir: string;
  sim: boolean;
  web: { host: string; port: number };
  logger: Logger;
  clock?: Clock;
  /** Start the peer process (web page) as a child; off when systemd runs it as its own unit. */
  spawnPeer?: boolean;
}

export interface FullStatus extends DeviceStatus {
  web: { url: string | null };
  sim: boolean;
  dataDir: string;
  pid: number;
  version: string;
}

export class Daemon {
  readonly runtime: DeviceRuntime;
  readonly air: SimAir | null;
  readonly buttons: SimButtons;
  private readonly server: ControlServer;
  private webUrl: string | null = null;
  private peer: ChildProcess | null = null;
  private stopping = false;

  constructor(private readonly options: DaemonOptions) {
    const clock = options.clock ?? systemClock;
    const logger = options.logger;
    if (!options.sim) {
      throw new Error(
        'this build drives only the simulated radio: run "smallworld start --sim" (the hostapd/wpa_supplicant adapters are not part of it yet)',
      );
    }
    const emit = (event: EventBody) => void this.runtime.dispatch(event);
    this.air = new SimAir(clock, emit);
    this.buttons = new SimButtons();
    this.runtime = new DeviceRuntime({
      station: this.air.station,
      ap: this.air.ap,
      leds: new SimLeds(),
      buttons: this.buttons,
      clock,
      store: new FileStateStore(options.dataDir),
      logger,
    });
    this.server = new ControlServer(socketPathFor(options.dataDir), { handle: (r, c) => this.handle(r, c) }, logger);
  }

  async start(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o750 });
    await this.runtime.start();
    if (this.air) {
      // The simulated daemons are up from the start, as systemd would have them.
      await this.runtime.dispatch({ type: 'DaemonUp', daemon: 'station' });
      await this.runtime.dispatch({ type: 'DaemonUp', daemon: 'ap' });
    }
    await this.server.listen();
    this.options.logger.log('info', 'control socket listening', { path: socketPathFor(this.options.dataDir) });
    if (this.options.spawnPeer !== false && this.options.web.port !== 0) this.startPeer();
  }

  status(): FullStatus {
    return {
      ...statusOf(this.runtime.current),
      web: { url: this.webUrl },
      sim: this.air !== null,
      dataDir: this.options.dataDir,
      pid: process.pid,
      version: VERSION,
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.peer?.kill('SIGTERM');
    await this.server.close();
    await this.runtime.stop();
  }

  private startPeer(): void {
    const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
    const args = ['peer', '--data', this.options.dataDir, '--web-host', this.options.web.host];
    args.push('--web-port', String(this.options.web.port));
    const child = fork(cli, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.peer = child;
    child.on('exit', (code, signal) => {
      if (this.peer === child) this.peer = null;
      this.webUrl = null;
      if (!this.stopping) {
        this.options.logger.log('error', 'peer process exited', { code, signal });
      }
    });
  }

  private async handle(request: Request, connection: ControlConnection): Promise<unknown> {
    const runtime = this.runtime;
    switch (request.cmd) {
      case 'status':
        return this.status();
      case 'press':
        await runtime.dispatch({ type: 'ButtonPressed', button: request.button });
        return this.status();
      case 'ap':
        await runtime.dispatch({ type: 'ApRequested', on: request.on });
        return this.status();
      case 'wps':
        await runtime.dispatch({ type: 'WpsRequested', action: request.action });
        return this.status();
      case 'keys.one-time':
        await runtime.dispatch({ type: 'OneTimeKeysSet', enabled: request.enabled });
        return this.status();
      case 'keys.revoke':
        await runtime.dispatch({ type: 'DeviceRevoked', mac: request.mac });
        return this.status();
      case 'replication':
        await runtime.dispatch({ type: 'ReplicationChanged', replicating: request.replicating });
        return null;
      case 'peer.report':
        if (request.web) this.webUrl = request.web.url;
        return null;
      case 'subscribe': {
        const unsubscribe = runtime.subscribe(() => connection.push({ event: 'status', status: this.status() }));
        connection.onClose(unsubscribe);
        return this.status();
      }
      case 'sim.state':
        return this.simAir().snapshot();
      case 'sim.other-wps':
        return this.simAir().otherDevicePressesWps(request.mac);
      case 'sim.phone':
        if (request.action === 'join') this.simAir().phoneJoins(request.mac);
        else this.simAir().phoneLeaves(request.mac);
        return this.simAir().snapshot();
      case 'sim.network': {
        const { cmd: _cmd, ...network } = request;
        this.simAir().setNetwork(network);
        return this.simAir().snapshot();
      }
    }
  }

  private simAir(): SimAir {
    if (this.air === null) throw new ControlError('not_simulated', 'this daemon drives real radios, not the simulator');
    return this.air;
  }
}
