// The Wi-Fi settings the device runs with: loaded (or generated on first start) from DATA/wifi.json, changed
// on request (checked, saved, then the runtime told), and kept written out as the access point's hostapd.conf
// and dnsmasq.conf even while the access point is off (and in the simulator), so what runs matches them.
import { ControlError, type WifiView } from '../control/protocol.js';
import type { LogSink } from '../log/logger.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { dnsmasqConf, hostapdConf, InvalidSetting, type NetworkPlan, wifiQrPayload } from '../wifi/config-gen.js';
import type { DaemonFiles } from '../wifi/daemons.js';
import { type WifiSettings, WifiSettingsStore } from '../wifi/settings.js';

export type SettingsScope = 'ap' | 'known-networks';

export class WifiSettingsInUse {
  private settings: WifiSettings | null = null;
  private readonly store: WifiSettingsStore;

  constructor(
    private readonly options: {
      dataDir: string;
      files: DaemonFiles;
      plan: NetworkPlan;
      logger: LogSink;
      /** The settings changed: the runtime is told (it restarts what uses them). */
      changed: (scope: SettingsScope) => Promise<void>;
    },
  ) {
    this.store = new WifiSettingsStore(options.dataDir);
  }

  async load(): Promise<void> {
    const { logger } = this.options;
    const loaded = await this.store.loadOrCreate();
    if (loaded.warning) logger.log('warn', 'wifi settings', { warning: loaded.warning });
    if (loaded.created)
      logger.log('info', "generated this device's network name and passphrase", { ssid: loaded.settings.ap.ssid });
    this.settings = loaded.settings;
    await this.writeGeneratedConfigs();
  }

  current(): WifiSettings {
    if (this.settings === null) throw new Error('the Wi-Fi settings are not loaded yet');
    return this.settings;
  }

  /** Applies a change; a setting refused is a `bad_request` in its own words. */
  async change(change: (s: WifiSettings) => WifiSettings, scope: SettingsScope): Promise<WifiView> {
    let next: WifiSettings;
    try {
      next = change(this.current());
    } catch (error) {
      if (error instanceof InvalidSetting) throw new ControlError('bad_request', error.message);
      throw error;
    }
    await this.store.save(next);
    this.settings = next;
    await this.writeGeneratedConfigs();
    await this.options.changed(scope);
    return this.view();
  }

  view(): WifiView {
    const settings = this.current();
    const { files, plan } = this.options;
    return {
      ap: settings.ap,
      knownNetworks: settings.knownNetworks.map((n) => ({ ssid: n.ssid })),
      qr: wifiQrPayload(settings.ap),
      files: { hostapd: files.hostapdConf, wpaSupplicant: files.wpaConf, dnsmasq: files.dnsmasqConf },
      addresses: { ap: plan.apAddress, usb: plan.usbAddress },
    };
  }

  private async writeGeneratedConfigs(): Promise<void> {
    const settings = this.current();
    const { files, plan } = this.options;
    await writeFileAtomic(files.hostapdConf, hostapdConf(settings.ap, plan, files));
    await writeFileAtomic(files.dnsmasqConf, dnsmasqConf(plan, files), { mode: 0o644 });
  }
}
