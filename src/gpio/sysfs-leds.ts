// The real LEDs: the kernel's `gpio-led` overlay makes each LED a /sys/class/leds/<label> device. "on" and
// "off" clear the trigger and set the brightness; "blink" hands the LED to the kernel's `timer` trigger, so
// it keeps blinking while Node is busy, stalled, or restarting.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import type { LedName, LedPattern } from '../device/model.js';
import type { LedPort } from './ports.js';

export const DEFAULT_LED_NAMES: Record<LedName, string> = {
  ap: 'smallworld-ap',
  connection: 'smallworld-connection',
  replication: 'smallworld-replication',
};

const ledLabel = z.string().regex(/^[A-Za-z0-9_.:+-]{1,64}$/, 'an LED label: letters, digits and _ . : + -');
const blinkMs = z.number().int().min(1).max(60_000);

/** The `gpio.leds` configuration keys. */
export const ledsConfigSchema = z
  .object({
    dir: z.string().min(1).default('/sys/class/leds'),
    /** The labels given to the gpio-led overlays in config.txt. */
    names: z
      .object({
        ap: ledLabel.default(DEFAULT_LED_NAMES.ap),
        connection: ledLabel.default(DEFAULT_LED_NAMES.connection),
        replication: ledLabel.default(DEFAULT_LED_NAMES.replication),
      })
      .strict()
      .default(DEFAULT_LED_NAMES),
    /** The kernel timer trigger's on and off times for "blink". */
    blink: z
      .object({ onMs: blinkMs.default(500), offMs: blinkMs.default(500) })
      .strict()
      .default({ onMs: 500, offMs: 500 }),
  })
  .strict();

export type LedsConfig = z.infer<typeof ledsConfigSchema>;

export const DEFAULT_LEDS_CONFIG: LedsConfig = ledsConfigSchema.parse({});

export class LedNotFound extends Error {
  override name = 'LedNotFound';
}

export class SysfsLeds implements LedPort {
  private readonly queues = new Map<LedName, Promise<void>>();

  constructor(private readonly config: LedsConfig = DEFAULT_LEDS_CONFIG) {}

  /** Sets one LED; calls for the same LED are applied in order. */
  set(led: LedName, pattern: LedPattern): Promise<void> {
    const previous = this.queues.get(led) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.apply(led, pattern));
    this.queues.set(led, next);
    return next;
  }

  /** The LED's sysfs directory. */
  path(led: LedName): string {
    return join(this.config.dir, this.config.names[led]);
  }

  private async apply(led: LedName, pattern: LedPattern): Promise<void> {
    const dir = this.path(led);
    const info = await stat(dir).catch(() => null);
    if (info === null || !info.isDirectory()) {
      throw new LedNotFound(
        `the ${led} LED is missing: ${dir} does not exist (is "dtoverlay=gpio-led,…,label=${this.config.names[led]}" in config.txt, and has the Pi been rebooted since?)`,
      );
    }
    const write = (attribute: string, value: string) => writeFile(join(dir, attribute), value);
    if (pattern === 'blink') {
      // Setting the trigger creates delay_on/delay_off; the kernel blinks from here on.
      await write('trigger', 'timer');
      await write('delay_on', String(this.config.blink.onMs));
      await write('delay_off', String(this.config.blink.offMs));
      return;
    }
    await write('trigger', 'none');
    await write('brightness', pattern === 'on' ? await this.maxBrightness(dir) : '0');
  }

  private async maxBrightness(dir: string): Promise<string> {
    const text = await readFile(join(dir, 'max_brightness'), 'utf8').catch(() => '');
    return /^\d+$/.test(text.trim()) && text.trim() !== '0' ? text.trim() : '1';
  }
}
