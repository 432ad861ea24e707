// Which adapter each port of the device gets: the simulator's air, buttons and LEDs (`--sim`, or no GPIO
// configured), or the real ones — hostapd and wpa_supplicant through their control sockets, evdev buttons,
// sysfs LEDs. Nothing else in the daemon knows which it runs on.
import { join } from 'node:path';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/config.js';
import { EvdevButtons } from '../gpio/evdev-buttons.js';
import type { ButtonPort, LedPort } from '../gpio/ports.js';
import { SimButtons, SimLeds } from '../gpio/sim.js';
import { SysfsLeds } from '../gpio/sysfs-leds.js';
import type { Logger } from '../log/logger.js';
import type { NetworkPlan } from '../wifi/config-gen.js';
import { DgramBridge } from '../wifi/ctrl/transport.js';
import { type DaemonFiles, DEBIAN_BINARIES, RealWifi } from '../wifi/daemons.js';
import type { AccessPointPort, WifiStationPort } from '../wifi/ports.js';
import type { WifiSettings } from '../wifi/settings.js';
import { SimAir } from '../wifi/sim.js';
import type { EventBody } from './model.js';

export interface DeviceAdapters {
  station: WifiStationPort;
  ap: AccessPointPort;
  leds: LedPort;
  buttons: ButtonPort;
  /** The simulator's air, when simulated. */
  air: SimAir | null;
  /** The real Wi-Fi daemons and the bridge to their control sockets, when real. */
  wifi: RealWifi | null;
  bridge: DgramBridge | null;
}

export function deviceAdapters(options: {
  sim: boolean;
  config: Config;
  plan: NetworkPlan;
  files: DaemonFiles;
  runDir: string;
  clock: Clock;
  logger: Logger;
  /** Where the adapters send what they observe. */
  emit: (event: EventBody) => void;
  /** The Wi-Fi settings in use (the real daemons' configuration). */
  settings: () => WifiSettings;
}): DeviceAdapters {
  const { config, clock, logger, emit } = options;
  const radios = options.sim ? simulatedRadios(clock, emit) : realRadios(options);
  const gpio = options.sim || !config.gpio.enabled ? simulatedGpio() : realGpio(config, logger);
  return { ...radios, ...gpio };
}

type Radios = Pick<DeviceAdapters, 'station' | 'ap' | 'air' | 'wifi' | 'bridge'>;

function simulatedRadios(clock: Clock, emit: (event: EventBody) => void): Radios {
  const air = new SimAir(clock, emit);
  return { station: air.station, ap: air.ap, air, wifi: null, bridge: null };
}

function realRadios(options: Parameters<typeof deviceAdapters>[0]): Radios {
  const bridge = new DgramBridge(join(options.runDir, 'client'));
  const wifi = new RealWifi({
    plan: options.plan,
    files: options.files,
    binaries: DEBIAN_BINARIES,
    transports: bridge.factory(),
    clock: options.clock,
    logger: options.logger,
    emit: options.emit,
    settings: options.settings,
  });
  return { station: wifi.station, ap: wifi.ap, air: null, wifi, bridge };
}

function simulatedGpio(): { buttons: ButtonPort; leds: LedPort } {
  return { buttons: new SimButtons(), leds: new SimLeds() };
}

function realGpio(config: Config, logger: Logger): { buttons: ButtonPort; leds: LedPort } {
  return { buttons: new EvdevButtons({ ...config.gpio.buttons, logger }), leds: new SysfsLeds(config.gpio.leds) };
}
