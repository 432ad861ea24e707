// The daemon's settings: one schema with the defaults beside each key. A file given with --config is
// validated against it; command-line flags win over the file.
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { buttonsConfigSchema, DEFAULT_BUTTONS_CONFIG } from '../gpio/evdev-buttons.js';
import { DEFAULT_LEDS_CONFIG, ledsConfigSchema } from '../gpio/sysfs-leds.js';
import { FEED_ID } from '../ssb/ids.js';

export { DEFAULT_DATA_DIR, resolveDataDir } from './data-dir.js';
export const DEFAULT_WEB_PORT = 8300;

const DEFAULT_AUTO_FOLLOW = {
  enabled: true,
  allow: [] as string[],
  deny: [] as string[],
  maxPerMinute: 10,
  unverified: 'verify' as const,
};

export const configSchema = z
  .object({
    web: z
      .object({
        host: z.string().min(1).max(255).default('127.0.0.1'),
        /** 0 disables the web page. */
        port: z.number().int().min(0).max(65535).default(DEFAULT_WEB_PORT),
      })
      .strict()
      .default({ host: '127.0.0.1', port: DEFAULT_WEB_PORT }),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    wifi: z
      .object({
        interface: z
          .string()
          .regex(/^[a-zA-Z0-9_.-]{1,15}$/)
          .default('wlan0'),
        country: z
          .string()
          .regex(/^[A-Z]{2}$/)
          .default('CH'),
        channel: z.number().int().min(1).max(13).default(7),
      })
      .strict()
      .default({ interface: 'wlan0', country: 'CH', channel: 7 }),
    usb: z
      .object({
        interface: z
          .string()
          .regex(/^[a-zA-Z0-9_.-]{1,15}$/)
          .default('usb0'),
      })
      .strict()
      .default({ interface: 'usb0' }),
    ssb: z
      .object({
        host: z.string().min(1).max(255).default('0.0.0.0'),
        /** 0 runs no SSB peer. */
        port: z.number().int().min(0).max(65535).default(8008),
        /** 2 replicates the feeds of those we follow and of those they follow. */
        hops: z.number().int().min(1).max(4).default(2),
        autoFollow: z
          .object({
            enabled: z.boolean().default(true),
            allow: z.array(z.string().regex(FEED_ID)).max(1000).default([]),
            deny: z.array(z.string().regex(FEED_ID)).max(1000).default([]),
            maxPerMinute: z.number().int().min(1).max(600).default(10),
            unverified: z.enum(['ignore', 'verify', 'follow']).default('verify'),
          })
          .strict()
          .default(DEFAULT_AUTO_FOLLOW),
      })
      .strict()
      .default({ host: '0.0.0.0', port: 8008, hops: 2, autoFollow: DEFAULT_AUTO_FOLLOW }),
    /** The buttons and LEDs on a device (gpio-key and gpio-led overlays); unused by the simulator. */
    gpio: z
      .object({
        /** false: no buttons or LEDs on this board (the radio lab); the status still shows the LEDs. */
        enabled: z.boolean().default(true),
        buttons: buttonsConfigSchema.default(DEFAULT_BUTTONS_CONFIG),
        leds: ledsConfigSchema.default(DEFAULT_LEDS_CONFIG),
      })
      .strict()
      .default({ enabled: true, buttons: DEFAULT_BUTTONS_CONFIG, leds: DEFAULT_LEDS_CONFIG }),
    /** The card's budget (storage/budget.ts): bytes kept free; default 5% of the file system, 1 MiB..1 GiB. */
    storage: z
      .object({
        reserveBytes: z
          .number()
          .int()
          .min(0)
          .max(2 ** 50)
          .optional(),
      })
      .strict()
      .default({}),
    wps: z
      .object({
        /** Pairing with one press: a WPS press in client mode searches for a peer registrar, else hosts. */
        autoRole: z.boolean().default(true),
      })
      .strict()
      .default({ autoRole: true }),
    /** Where control sockets of hostapd and wpa_supplicant go; default DATA/run. */
    runDir: z.string().min(1).optional(),
    control: z
      .object({
        /** Members of this group (the peer's user on a device) may use the daemon's control socket. */
        group: z
          .string()
          .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a group name')
          .default('smallworld'),
      })
      .strict()
      .default({ group: 'smallworld' }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

export function defaultConfig(): Config {
  return configSchema.parse({});
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export async function loadConfig(path: string | undefined): Promise<Config> {
  if (path === undefined) return defaultConfig();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`config file ${path}: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  return parsed.data;
}
