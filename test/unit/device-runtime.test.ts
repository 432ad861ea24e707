// The device runtime (src/device/runtime.ts) with the simulated adapters: effects reach the ports, and a
// port that fails comes back to the reducer as EffectFailed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock/clock.js';
import type { EventBody } from '../../src/device/model.js';
import { DeviceRuntime } from '../../src/device/runtime.js';
import { SimButtons, SimLeds } from '../../src/gpio/sim.js';
import type { Logger } from '../../src/log/logger.js';
import { MemoryStateStore } from '../../src/store/state-store.js';
import { SimAir } from '../../src/wifi/sim.js';

interface Line {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

function setup(options: { failApStart?: string } = {}) {
  const clock = new ManualClock(1_000_000);
  const lines: Line[] = [];
  const logger: Logger = {
    log: (level, msg, fields = {}) => lines.push({ level, msg, fields }),
    child: () => logger,
  };
  let runtime: DeviceRuntime | null = null;
  const air = new SimAir(clock, (event: EventBody) => void runtime?.dispatch(event));
  const leds = new SimLeds();
  const buttons = new SimButtons();
  const failure = options.failApStart;
  const ap = failure
    ? {
        ...air.ap,
        start: async () => {
          throw new Error(failure);
        },
      }
    : air.ap;
  runtime = new DeviceRuntime({
    station: air.station,
    ap,
    leds,
    buttons,
    clock,
    store: new MemoryStateStore(),
    logger,
    random: () => 0.5,
  });
  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      await runtime.settled();
      clock.advance(100);
    }
    await runtime.settled();
  };
  return { runtime, air, leds, buttons, lines, settle };
}

describe('DeviceRuntime with the simulated adapters', () => {
  it('a press of the AP button shows up in the LED history', async () => {
    const { runtime, leds, buttons, settle } = setup();
    await runtime.start();
    await runtime.dispatch({ type: 'WifiDaemonUp', daemon: 'station' });
    await settle();
    const before = runtime.current.mode;
    const apLedsBefore = leds.history.filter((h) => h.led === 'ap').length;
    buttons.press('ap');
    await settle();
    assert.notEqual(runtime.current.mode, before, 'the press switched the mode');
    const apLeds = leds.history.filter((h) => h.led === 'ap').slice(apLedsBefore);
    assert.ok(apLeds.length > 0, `the AP LED changed: ${JSON.stringify(leds.history)}`);
    assert.equal(
      leds.patterns.ap,
      runtime.current.mode === 'ap' ? 'on' : 'off',
      'the AP LED is on once hostapd reports the AP enabled',
    );
    await runtime.stop();
  });

  it('a failed StartAp comes back to the reducer as EffectFailed', async () => {
    const { runtime, buttons, lines, settle } = setup({ failApStart: 'hostapd refused to start' });
    await runtime.start();
    await runtime.dispatch({ type: 'WifiDaemonUp', daemon: 'station' });
    await settle();
    buttons.press('ap');
    await settle();
    const failed = lines.find((l) => l.msg === 'effect failed');
    assert.ok(failed, 'the failure is logged');
    assert.equal((failed.fields.effect as { type?: string }).type, 'StartAp');
    const event = lines
      .filter((l) => l.msg === 'event')
      .map((l) => l.fields.event as { type?: string; effect?: string; error?: string })
      .find((e) => e.type === 'EffectFailed');
    assert.deepEqual(event, { type: 'EffectFailed', effect: 'StartAp', error: 'hostapd refused to start' });
    await runtime.stop();
  });
});
