// A simulated radio neighbourhood. Our device's station and AP answer like wpa_supplicant and hostapd:
// they emit the same control-interface event lines (parsed by the same parser as the real ones), and a
// WPS push-button search succeeds only if the "other device" presses within the 120 s walk time.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock/clock.js';
import { type WifiSource, WPS_WALK_TIME_MS } from '../device/model.js';
import { normalizeMac, parseCtrlEvent } from './ctrl-events.js';
import type { AccessPointPort, ScanReport, WifiEventSink, WifiStationPort } from './ports.js';

/** The simulated device's own radio address (its BSSID when it hosts). */
export const SIM_OWN_MAC = '02:5e:00:00:00:01';

/** Latency of the simulated association steps, small but non-zero so events arrive like real ones. */
const STEP_MS = 50;

interface Press {
  mac: string;
  at: number;
}

export interface SimNetwork {
  ssid: string;
  bssid: string;
  /** Whether our station knows its credentials (it is in the known networks). */
  known: boolean;
  inRange: boolean;
}

export interface SimSnapshot {
  station: { networks: 'none' | 'known'; bssid: string | null; wpsActive: boolean };
  ap: { up: boolean; stations: string[]; wpsActive: boolean; wpsKeys: string[] };
  networks: SimNetwork[];
}

export class SimAir {
  private stationNetworks: 'none' | 'known' = 'none';
  private stationBssid: string | null = null;
  private stationWps: { cancel: () => void } | null = null;
  /** The registrar an auto-role enrollee asked for (WPS_PBC <bssid>), or null for any. */
  private stationTarget: string | null = null;
  private apUp = false;
  private readonly apStations = new Set<string>();
  private apWps: { cancel: () => void } | null = null;
  private readonly wpsKeys = new Map<string, string>();
  /** WPS presses by other devices, remembered for the walk time. */
  private enrolleePresses: Press[] = [];
  private registrarPresses: Press[] = [];
  private readonly networks: SimNetwork[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly emit: WifiEventSink,
  ) {}

  readonly station: WifiStationPort = {
    configure: async (networks) => {
      const was = this.stationNetworks;
      this.stationNetworks = networks;
      // As the real adapter: wpa_supplicant goes away while the access point has the radio, and comes back.
      if (was === 'known' && networks === 'none') this.emit({ type: 'WifiDaemonStopped', daemon: 'station' });
      if (was === 'none' && networks === 'known')
        this.later(() => this.emit({ type: 'WifiDaemonUp', daemon: 'station' }));
      this.stopStationWps();
      if (this.stationBssid !== null) this.stationDisconnect(3);
      if (networks === 'known') this.later(() => this.stationRoam());
    },
    wpsStart: async (bssid) => {
      this.stopStationWps();
      this.stationTarget = bssid ?? null;
      const timeout = this.clock.after(WPS_WALK_TIME_MS, () => {
        this.stationWps = null;
        this.line('station', 'WPS-TIMEOUT');
      });
      this.stationWps = { cancel: timeout };
      this.later(() => this.tryEnrol());
    },
    wpsCancel: async () => {
      if (this.stopStationWps()) this.line('station', 'WPS-CANCEL');
    },
    scan: async () => this.scanAround(),
    association: async () => this.stationBssid,
    lastSeenHosting: async (bssid) => {
      if (this.stationBssid === bssid) return 0;
      return this.fresh(this.registrarPresses).some((p) => p.mac === bssid) ? 0 : null;
    },
    close: async () => {
      this.stopStationWps();
    },
  };

  readonly ap: AccessPointPort = {
    start: async () => {
      this.apUp = true;
      this.line('ap', 'AP-ENABLED');
    },
    stop: async () => {
      this.stopApWps();
      this.apUp = false;
      this.apStations.clear();
    },
    wpsStart: async () => {
      if (!this.apUp) throw new Error('hostapd is not running (AP is down)');
      this.stopApWps();
      const timeout = this.clock.after(WPS_WALK_TIME_MS, () => {
        this.apWps = null;
        this.line('ap', 'WPS-TIMEOUT');
        this.line('ap', 'WPS-PBC-DISABLE');
      });
      this.apWps = { cancel: timeout };
      this.line('ap', 'WPS-PBC-ACTIVE');
      this.later(() => this.tryRegister());
    },
    wpsCancel: async () => {
      // hostapd reports a cancelled PBC as a timeout (the original daemon relied on that).
      if (this.stopApWps()) {
        this.line('ap', 'WPS-TIMEOUT');
        this.line('ap', 'WPS-PBC-DISABLE');
      }
    },
    stations: async () => [...this.apStations].sort(),
    scan: async () => {
      if (!this.apUp) throw new Error('the access point is not running');
      return this.scanAround();
    },
    enabled: async () => this.apUp,
    forgetKey: async (mac, now) => {
      this.wpsKeys.delete(mac);
      // As hostapd's RELOAD_WPA_PSK does: a station still using the key is disconnected.
      if (now && this.apStations.delete(mac)) this.line('ap', `AP-STA-DISCONNECTED ${mac}`);
    },
    close: async () => {
      this.stopApWps();
    },
  };

  // ---- the neighbourhood, driven by tests, the CLI's `sim` commands and the simulated device page ----

  /** Another device presses its WPS button: as an enrollee if we are the AP, else as a registrar. */
  otherDevicePressesWps(mac = randomMac()): { role: 'enrollee' | 'registrar'; mac: string } {
    const now = this.clock.now();
    if (this.apUp) {
      this.enrolleePresses = [...this.fresh(this.enrolleePresses), { mac, at: now }];
      this.later(() => this.tryRegister());
      return { role: 'enrollee', mac };
    }
    this.registrarPresses = [...this.fresh(this.registrarPresses), { mac, at: now }];
    this.later(() => this.tryEnrol());
    return { role: 'registrar', mac };
  }

  /** A phone joins our AP with the passphrase. */
  phoneJoins(macText: string): void {
    const mac = normalizeMac(macText);
    if (mac === null) throw new Error(`not a MAC address: ${macText}`);
    if (!this.apUp) throw new Error('the access point is not running');
    if (this.apStations.has(mac)) return;
    this.apStations.add(mac);
    this.line('ap', `AP-STA-CONNECTED ${mac}`);
  }

  phoneLeaves(macText: string): void {
    const mac = normalizeMac(macText);
    if (mac === null) throw new Error(`not a MAC address: ${macText}`);
    if (!this.apStations.delete(mac)) return;
    this.line('ap', `AP-STA-DISCONNECTED ${mac}`);
  }

  /** A known (or unknown) network comes into or goes out of range. */
  setNetwork(network: SimNetwork): void {
    const index = this.networks.findIndex((n) => n.bssid === network.bssid);
    if (index >= 0) this.networks.splice(index, 1, network);
    else this.networks.push(network);
    if (!network.inRange && this.stationBssid === network.bssid) this.stationDisconnect(4);
    this.later(() => this.stationRoam());
  }

  snapshot(): SimSnapshot {
    return {
      station: {
        networks: this.stationNetworks,
        bssid: this.stationBssid,
        wpsActive: this.stationWps !== null,
      },
      ap: {
        up: this.apUp,
        stations: [...this.apStations].sort(),
        wpsActive: this.apWps !== null,
        wpsKeys: [...this.wpsKeys.keys()].sort(),
      },
      networks: this.networks.map((n) => ({ ...n })),
    };
  }

  // ---- internals ----

  /** What a scan sees: the known networks in range, and the other devices' registrars in push-button mode. */
  private scanAround(): ScanReport {
    const registrars = this.fresh(this.registrarPresses).map((p) => ({
      bssid: p.mac,
      ssid: 'Smallworld-sim',
      pbc: true,
    }));
    const networks = this.networks.filter((n) => n.inRange).map((n) => ({ bssid: n.bssid, ssid: n.ssid, pbc: false }));
    return { own: SIM_OWN_MAC, peers: [...registrars, ...networks] };
  }

  private line(source: WifiSource, text: string): void {
    this.emit(parseCtrlEvent(source, `<3>${text}`));
  }

  private later(fn: () => void): void {
    this.clock.after(STEP_MS, fn);
  }

  private fresh(presses: Press[]): Press[] {
    const now = this.clock.now();
    return presses.filter((p) => now - p.at < WPS_WALK_TIME_MS);
  }

  private stopStationWps(): boolean {
    if (this.stationWps === null) return false;
    this.stationWps.cancel();
    this.stationWps = null;
    return true;
  }

  private stopApWps(): boolean {
    if (this.apWps === null) return false;
    this.apWps.cancel();
    this.apWps = null;
    return true;
  }

  private stationDisconnect(reason: number): void {
    const bssid = this.stationBssid;
    this.stationBssid = null;
    this.line('station', `CTRL-EVENT-DISCONNECTED bssid=${bssid} reason=${reason} locally_generated=1`);
  }

  private stationConnect(bssid: string): void {
    this.stationBssid = bssid;
    this.line('station', `CTRL-EVENT-CONNECTED - Connection to ${bssid} completed [id=0 id_str=]`);
  }

  private stationRoam(): void {
    if (this.stationNetworks !== 'known' || this.stationBssid !== null || this.stationWps) return;
    const target = this.networks.find((n) => n.known && n.inRange);
    if (target) this.stationConnect(target.bssid);
  }

  private tryEnrol(): void {
    if (this.stationWps === null) return;
    const target = this.stationTarget;
    const registrars = this.fresh(this.registrarPresses).filter((p) => target === null || p.mac === target);
    this.registrarPresses = this.fresh(this.registrarPresses);
    if (registrars.length === 0) return;
    if (registrars.length > 1) {
      this.stopStationWps();
      this.registrarPresses = [];
      this.line('station', 'WPS-OVERLAP-DETECTED');
      return;
    }
    const [registrar] = registrars as [Press];
    this.stopStationWps();
    this.registrarPresses = [];
    this.line('station', 'WPS-SUCCESS');
    this.later(() => {
      if (this.stationBssid !== null) this.stationDisconnect(3);
      this.stationConnect(registrar.mac);
    });
  }

  private tryRegister(): void {
    if (this.apWps === null || !this.apUp) return;
    const enrollees = this.fresh(this.enrolleePresses);
    this.enrolleePresses = enrollees;
    if (enrollees.length === 0) return;
    if (new Set(enrollees.map((e) => e.mac)).size > 1) {
      // Two devices in PBC at once: WPS refuses to guess which one the user meant.
      this.stopApWps();
      this.enrolleePresses = [];
      this.line('ap', 'WPS-OVERLAP-DETECTED');
      this.line('ap', 'WPS-PBC-DISABLE');
      return;
    }
    const [enrollee] = enrollees as [Press];
    this.stopApWps();
    this.enrolleePresses = [];
    this.wpsKeys.set(enrollee.mac, randomBytes(32).toString('hex'));
    this.line('ap', `WPS-REG-SUCCESS ${enrollee.mac} 12345678-9abc-def0-1234-56789abcdef0`);
    this.line('ap', 'WPS-SUCCESS');
    this.line('ap', 'WPS-PBC-DISABLE');
    this.later(() => this.phoneJoins(enrollee.mac));
  }
}

export function randomMac(): string {
  const bytes = randomBytes(6);
  // Locally administered, unicast.
  bytes[0] = ((bytes[0] ?? 0) & 0xfc) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
