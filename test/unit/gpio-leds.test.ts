// The sysfs LED adapter against a fake /sys/class/leds tree: which files it writes for each pattern.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_LED_NAMES, LedNotFound, ledsConfigSchema, SysfsLeds } from '../../src/gpio/sysfs-leds.js';

async function withLeds(fn: (dir: string) => Promise<void>, maxBrightness = '1'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-leds-'));
  try {
    for (const name of Object.values(DEFAULT_LED_NAMES)) {
      await mkdir(join(dir, name));
      // What the gpio-led driver shows at boot: trigger none, off.
      await writeFile(join(dir, name, 'trigger'), '[none] timer heartbeat');
      await writeFile(join(dir, name, 'brightness'), '0');
      await writeFile(join(dir, name, 'max_brightness'), `${maxBrightness}\n`);
    }
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const read = (dir: string, led: string, attribute: string) => readFile(join(dir, led, attribute), 'utf8');

describe('SysfsLeds', { timeout: 10_000 }, () => {
  test('on and off: no trigger, brightness max or 0', () =>
    withLeds(async (dir) => {
      const leds = new SysfsLeds(ledsConfigSchema.parse({ dir }));
      await leds.set('ap', 'on');
      assert.equal(await read(dir, 'smallworld-ap', 'trigger'), 'none');
      assert.equal(await read(dir, 'smallworld-ap', 'brightness'), '1');
      await leds.set('ap', 'off');
      assert.equal(await read(dir, 'smallworld-ap', 'trigger'), 'none');
      assert.equal(await read(dir, 'smallworld-ap', 'brightness'), '0');
      // The others were not touched.
      assert.equal(await read(dir, 'smallworld-connection', 'trigger'), '[none] timer heartbeat');
    }));

  test('"on" uses max_brightness when the LED has more than one level', () =>
    withLeds(async (dir) => {
      await new SysfsLeds(ledsConfigSchema.parse({ dir })).set('replication', 'on');
      assert.equal(await read(dir, 'smallworld-replication', 'brightness'), '255');
    }, '255'));

  test('blink hands the LED to the kernel timer trigger with the configured times', () =>
    withLeds(async (dir) => {
      const leds = new SysfsLeds(ledsConfigSchema.parse({ dir, blink: { onMs: 200, offMs: 800 } }));
      await leds.set('connection', 'blink');
      assert.equal(await read(dir, 'smallworld-connection', 'trigger'), 'timer');
      assert.equal(await read(dir, 'smallworld-connection', 'delay_on'), '200');
      assert.equal(await read(dir, 'smallworld-connection', 'delay_off'), '800');
      await leds.set('connection', 'off');
      assert.equal(await read(dir, 'smallworld-connection', 'trigger'), 'none');
      assert.equal(await read(dir, 'smallworld-connection', 'brightness'), '0');
    }));

  test('calls for one LED are applied in order even when not awaited', () =>
    withLeds(async (dir) => {
      const leds = new SysfsLeds(ledsConfigSchema.parse({ dir }));
      const done = [leds.set('ap', 'blink'), leds.set('ap', 'on'), leds.set('ap', 'blink'), leds.set('ap', 'off')];
      await Promise.all(done);
      assert.equal(await read(dir, 'smallworld-ap', 'trigger'), 'none');
      assert.equal(await read(dir, 'smallworld-ap', 'brightness'), '0');
    }));

  test('custom labels from the config are used', () =>
    withLeds(async (dir) => {
      await mkdir(join(dir, 'green:status'));
      const leds = new SysfsLeds(ledsConfigSchema.parse({ dir, names: { ap: 'green:status' } }));
      await leds.set('ap', 'on');
      assert.equal(await read(dir, 'green:status', 'brightness'), '1');
      assert.equal(leds.path('connection'), join(dir, 'smallworld-connection'));
    }));

  test('a missing LED is a clear error naming the overlay to add; the next call still works', () =>
    withLeds(async (dir) => {
      await rm(join(dir, 'smallworld-replication'), { recursive: true });
      const leds = new SysfsLeds(ledsConfigSchema.parse({ dir }));
      await assert.rejects(leds.set('replication', 'blink'), (error: unknown) => {
        assert.ok(error instanceof LedNotFound);
        assert.match(error.message, /replication LED is missing/);
        assert.match(error.message, /smallworld-replication does not exist/);
        assert.match(error.message, /dtoverlay=gpio-led/);
        return true;
      });
      await leds.set('ap', 'on');
      assert.equal(await read(dir, 'smallworld-ap', 'brightness'), '1');
    }));

  test('the config keys have the documented defaults and refuse labels with slashes', () => {
    assert.deepEqual(ledsConfigSchema.parse({}), {
      dir: '/sys/class/leds',
      names: DEFAULT_LED_NAMES,
      blink: { onMs: 500, offMs: 500 },
    });
    assert.equal(ledsConfigSchema.safeParse({ names: { ap: '../../etc' } }).success, false);
    assert.equal(ledsConfigSchema.safeParse({ blink: { onMs: 0 } }).success, false);
  });
});
