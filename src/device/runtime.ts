// The imperative shell around the reducer: it owns the current state, feeds events through the
// reducer one at a time and carries out the effects with the ports. Effects run in lanes so a slow
// daemon command never delays an LED or the persisted mode.
import type { CancelTimer, Clock } from '../clock/clock.js';
import type { ButtonPort, LedPort } from '../gpio/ports.js';
import type { Logger } from '../log/logger.js';
import { asStorageError, isStorageFull } from '../storage/errors.js';
import type { StateStore } from '../store/state-store.js';
import type { AccessPointPort, WifiStationPort } from '../wifi/ports.js';
import type { DeviceEvent, DeviceState, Effect, EventBody, TimerKey } from './model.js';
import { type BootDefaults, boot, reduce } from './reducer.js';

export interface DevicePorts {
  station: WifiStationPort;
  ap: AccessPointPort;
  leds: LedPort;
  buttons: ButtonPort;
  clock: Clock;
  store: StateStore;
  logger: Logger;
  /** Uniform draws in [0, 1) for the reducer's DrawRandom (Math.random unless a test pins it). */
  random?: () => number;
  /** Settings from the config file that apply until the device has persisted its own choice. */
  defaults?: BootDefaults;
}

/** The effects run by the Wi-Fi ports, one at a time in the Wi-Fi lane. */
type WifiEffect = Extract<
  Effect,
  { type: 'ConfigureStation' | 'StartAp' | 'StopAp' | 'WpsStart' | 'WpsCancel' | 'ForgetWpsKey' | 'Reconcile' }
>;

/** A new effect type that no case names fails to compile here, not when it first runs. */
function unhandled(effect: never): never {
  throw new Error(`effect ${(effect as { type?: unknown }).type} has no executor`);
}

/** Scans run in their own lane: a scan takes seconds and must not hold up a mode change or a cancel. */
type Lane = 'wifi' | 'scan' | 'leds' | 'persist';

export class DeviceRuntime {
  private state: DeviceState | null = null;
  private readonly lanes: Record<Lane, Promise<void>> = {
    wifi: Promise.resolve(),
    scan: Promise.resolve(),
    leds: Promise.resolve(),
    persist: Promise.resolve(),
  };
  private readonly timers = new Map<TimerKey, CancelTimer>();
  private readonly listeners = new Set<(state: DeviceState) => void>();
  private eventSeq = 0;
  private stopped = false;

  constructor(private readonly ports: DevicePorts) {}

  get current(): DeviceState {
    if (this.state === null) throw new Error('the device runtime has not started');
    return this.state;
  }

  async start(): Promise<void> {
    const { persisted, warning } = await this.ports.store.load();
    if (warning) this.ports.logger.log('warn', 'persisted state', { warning });
    const [state, effects] = boot(persisted, this.ports.defaults);
    this.state = state;
    this.ports.logger.log('info', 'boot', { mode: state.mode, restored: persisted !== null });
    this.run('boot', effects);
    this.ports.buttons.start((button) => void this.dispatch({ type: 'ButtonPressed', button }));
    await this.lanes.persist;
  }

  /**
   * Reduces one event now and schedules its effects. The promise settles once the event's state
   * change is on disk, so a caller that saw it resolve knows a crash will not undo it.
   */
  dispatch(body: EventBody): Promise<void> {
    if (this.state === null || this.stopped) return Promise.resolve();
    const event = { ...body, at: this.ports.clock.now() } as DeviceEvent;
    const id = `e${++this.eventSeq}`;
    const [next, effects] = reduce(this.state, event);
    this.state = next;
    this.ports.logger.log(event.type === 'UnknownWifiDaemonEvent' ? 'debug' : 'info', 'event', { id, event: body });
    this.run(id, effects);
    for (const listener of this.listeners) listener(next);
    return this.lanes.persist;
  }

  /** Calls `fn` with every new state; returns the unsubscribe function. */
  subscribe(fn: (state: DeviceState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves when every effect scheduled so far has run (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    for (;;) {
      const lanes = () => [this.lanes.wifi, this.lanes.scan, this.lanes.leds, this.lanes.persist];
      const pending = lanes();
      await Promise.all(pending);
      if (pending.every((p, i) => p === lanes()[i])) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    await this.ports.buttons.close();
    await this.settled();
  }

  private run(eventId: string, effects: Effect[]): void {
    effects.forEach((effect, index) => {
      const id = `${eventId}:${index}`;
      switch (effect.type) {
        case 'Log':
          this.ports.logger.log(effect.level, effect.message, { id });
          return;
        case 'StartTimer': {
          this.timers.get(effect.key)?.();
          const cancel = this.ports.clock.after(effect.ms, () => {
            this.timers.delete(effect.key);
            void this.dispatch({ type: 'TimerFired', key: effect.key, gen: effect.gen });
          });
          this.timers.set(effect.key, cancel);
          this.ports.logger.log('debug', 'effect', { id, effect });
          return;
        }
        case 'CancelTimer':
          this.timers.get(effect.key)?.();
          this.timers.delete(effect.key);
          this.ports.logger.log('debug', 'effect', { id, effect });
          return;
        case 'SetLed':
          this.enqueue('leds', id, effect, () => this.ports.leds.set(effect.led, effect.pattern));
          return;
        case 'PersistState':
          this.enqueue('persist', id, effect, () => this.ports.store.save(effect.persisted));
          return;
        case 'DrawRandom': {
          const value = (this.ports.random ?? Math.random)();
          this.ports.logger.log('debug', 'effect', { id, effect, value });
          // After this event's effects are all scheduled, as any other answer from the shell.
          queueMicrotask(() => void this.dispatch({ type: 'RandomDrawn', purpose: effect.purpose, value }));
          return;
        }
        case 'Scan':
          this.enqueue('scan', id, effect, async () => {
            const report = await (effect.via === 'station' ? this.ports.station.scan() : this.ports.ap.scan());
            void this.dispatch({ type: 'ScanResults', via: effect.via, own: report.own, peers: report.peers });
          });
          return;
        case 'CheckHost':
          this.enqueue('scan', id, effect, async () => {
            const seenMsAgo = await this.ports.station.lastSeenHosting(effect.bssid);
            void this.dispatch({ type: 'HostSighting', bssid: effect.bssid, seenMsAgo });
          });
          return;
        case 'ConfigureStation':
        case 'StartAp':
        case 'StopAp':
        case 'WpsStart':
        case 'WpsCancel':
        case 'ForgetWpsKey':
        case 'Reconcile':
          this.enqueue('wifi', id, effect, () => this.executeWifi(effect));
          return;
        default:
          unhandled(effect);
      }
    });
  }

  private enqueue(lane: Lane, id: string, effect: Effect, work: () => Promise<void>): void {
    this.lanes[lane] = this.lanes[lane].then(async () => {
      const started = this.ports.clock.now();
      try {
        await work();
        this.ports.logger.log('info', 'effect', { id, effect, ms: this.ports.clock.now() - started });
      } catch (error) {
        // ENOSPC anywhere reads "the device's storage is full" (storage/errors.ts).
        const message = isStorageFull(error)
          ? asStorageError(error, `${effect.type} could not be written`).message
          : error instanceof Error
            ? error.message
            : String(error);
        this.ports.logger.log('error', 'effect failed', { id, effect, error: message });
        if (!this.stopped) void this.dispatch({ type: 'EffectFailed', effect: effect.type, error: message });
      }
    });
  }

  private async executeWifi(effect: WifiEffect): Promise<void> {
    const { station, ap } = this.ports;
    switch (effect.type) {
      case 'ConfigureStation':
        return station.configure(effect.networks);
      case 'StartAp':
        return ap.start();
      case 'StopAp':
        return ap.stop();
      case 'WpsStart':
        return effect.role === 'registrar' ? ap.wpsStart() : station.wpsStart(effect.bssid);
      case 'WpsCancel':
        return effect.role === 'registrar' ? ap.wpsCancel() : station.wpsCancel();
      case 'ForgetWpsKey':
        return ap.forgetKey(effect.mac, effect.now);
      case 'Reconcile':
        if (effect.daemon === 'station') {
          const bssid = await station.association();
          void this.dispatch({ type: 'StationSnapshot', bssid });
        } else {
          const [stations, enabled] = await Promise.all([ap.stations(), ap.enabled()]);
          void this.dispatch({ type: 'ApSnapshot', stations, enabled });
        }
        return;
      default:
        return unhandled(effect);
    }
  }
}
