// The device's Wi-Fi settings: its own network (a unique SSID and a random passphrase, generated at first
// start) and the known networks it may join as a client. Kept in DATA/wifi.json, mode 0600 (it holds
// secrets). Changes are pure functions that validate first, so a refused change leaves the file untouched.
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import * as z from 'zod';
import { JsonFile } from '../store/json-file.js';
import { type ApSettings, InvalidSetting, type KnownNetwork, validatePassphrase, validateSsid } from './config-gen.js';

export const MAX_KNOWN_NETWORKS = 32;

const networkSchema = z.object({ ssid: z.string(), passphrase: z.string() }).refine(
  (n) => {
    try {
      validateSsid(n.ssid);
      validatePassphrase(n.passphrase);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'invalid SSID or passphrase' },
);

export const wifiSettingsSchema = z.object({
  version: z.literal(1),
  ap: networkSchema,
  knownNetworks: z.array(networkSchema).max(MAX_KNOWN_NETWORKS),
});

export type WifiSettings = z.infer<typeof wifiSettingsSchema>;

// No 0/O, 1/l/I: the passphrase is read off a label or a screen and typed on a phone.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A passphrase of four groups of four (about 80 bits), easy to type and read aloud. */
export function generatePassphrase(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    for (let i = 0; i < 4; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/** A name that tells two Smallworld devices apart: "Smallworld-" and four hex digits. */
export function generateSsid(): string {
  return `Smallworld-${randomBytes(2).toString('hex').toUpperCase()}`;
}

export function freshSettings(): WifiSettings {
  return { version: 1, ap: { ssid: generateSsid(), passphrase: generatePassphrase() }, knownNetworks: [] };
}

export function withAp(settings: WifiSettings, change: Partial<ApSettings>): WifiSettings {
  const ap = {
    ssid: change.ssid === undefined ? settings.ap.ssid : validateSsid(change.ssid),
    passphrase: change.passphrase === undefined ? settings.ap.passphrase : validatePassphrase(change.passphrase),
  };
  return { ...settings, ap };
}

/** Adds a known network, or replaces the passphrase of one with the same SSID (keeping its place). */
export function withNetwork(settings: WifiSettings, network: KnownNetwork): WifiSettings {
  const entry = { ssid: validateSsid(network.ssid), passphrase: validatePassphrase(network.passphrase) };
  const index = settings.knownNetworks.findIndex((n) => n.ssid === entry.ssid);
  if (index >= 0) {
    const knownNetworks = [...settings.knownNetworks];
    knownNetworks[index] = entry;
    return { ...settings, knownNetworks };
  }
  if (settings.knownNetworks.length >= MAX_KNOWN_NETWORKS) {
    throw new InvalidSetting(`at most ${MAX_KNOWN_NETWORKS} known networks`);
  }
  return { ...settings, knownNetworks: [...settings.knownNetworks, entry] };
}

export function withoutNetwork(settings: WifiSettings, ssid: string): WifiSettings {
  if (!settings.knownNetworks.some((n) => n.ssid === ssid))
    throw new InvalidSetting(`no known network named "${ssid}"`);
  return { ...settings, knownNetworks: settings.knownNetworks.filter((n) => n.ssid !== ssid) };
}

/** Puts the known networks in the given order (first = most preferred); it must name each exactly once. */
export function withOrder(settings: WifiSettings, ssids: string[]): WifiSettings {
  const current = settings.knownNetworks.map((n) => n.ssid);
  const same =
    ssids.length === current.length && new Set(ssids).size === ssids.length && ssids.every((s) => current.includes(s));
  if (!same) throw new InvalidSetting('the new order must list every known network exactly once');
  return {
    ...settings,
    knownNetworks: ssids.map((ssid) => settings.knownNetworks.find((n) => n.ssid === ssid) as KnownNetwork),
  };
}

export class WifiSettingsStore {
  private readonly file: JsonFile<WifiSettings>;

  constructor(dataDir: string) {
    this.file = new JsonFile(join(dataDir, 'wifi.json'), wifiSettingsSchema);
  }

  get path(): string {
    return this.file.path;
  }

  /** Loads the settings, creating them (by default a unique SSID and a random passphrase) on first start. */
  async loadOrCreate(
    fresh: () => WifiSettings = freshSettings,
  ): Promise<{ settings: WifiSettings; created: boolean; warning?: string }> {
    const { value, warning } = await this.file.load();
    if (value !== null)
      return warning === undefined ? { settings: value, created: false } : { settings: value, created: false, warning };
    const settings = fresh();
    await this.file.save(settings);
    return warning === undefined ? { settings, created: true } : { settings, created: true, warning };
  }

  /** What loadOrCreate would find, without writing or setting anything aside (null: it would create them). */
  peek(): Promise<WifiSettings | null> {
    return this.file.peek();
  }

  save(settings: WifiSettings): Promise<void> {
    return this.file.save(settings);
  }
}
