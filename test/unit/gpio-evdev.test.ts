// The evdev button adapter against fake input devices: a fake /sys/class/input tree whose event nodes
// are regular files or FIFOs the test writes binary struct input_event records into.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { appendFile, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Button } from '../../src/device/model.js';
import {
  buttonsConfigSchema,
  EV_KEY,
  EvdevButtons,
  type EvdevButtonsOptions,
  encodeInputEvent,
  type InputEvent,
  inputEventSize,
  KEY_PROG1,
  KEY_WPS_BUTTON,
  keyBitmapHas,
  parseInputEvent,
} from '../../src/gpio/evdev-buttons.js';

const EV_SYN = 0;
const EV_MSC = 4;
const KEYCODES = { ap: KEY_PROG1, wps: KEY_WPS_BUTTON };

const key = (timeMs: number, code: number, value: number): InputEvent => ({ timeMs, type: EV_KEY, code, value });
const syn = (timeMs: number): InputEvent => ({ timeMs, type: EV_SYN, code: 0, value: 0 });
const encode = (events: InputEvent[], size: 16 | 24 = inputEventSize()) =>
  Buffer.concat(events.map((e) => encodeInputEvent(e, size)));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-evdev-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A fake /sys/class/input/eventN (name, phys, key capabilities) and its /dev/input/eventN node. */
async function fakeInputDevice(
  dir: string,
  n: number,
  device: { name: string; phys: string; keyBitmap?: string },
): Promise<string> {
  const sys = join(dir, 'sys', 'class', 'input', `event${n}`, 'device');
  await mkdir(join(sys, 'capabilities'), { recursive: true });
  await writeFile(join(sys, 'name'), `${device.name}\n`);
  await writeFile(join(sys, 'phys'), `${device.phys}\n`);
  await writeFile(join(sys, 'capabilities', 'key'), `${device.keyBitmap ?? '0'}\n`);
  await mkdir(join(dir, 'dev', 'input'), { recursive: true });
  const node = join(dir, 'dev', 'input', `event${n}`);
  await writeFile(node, '');
  return node;
}

function startButtons(dir: string, extra: Partial<EvdevButtonsOptions> = {}) {
  const presses: Button[] = [];
  const problems: string[] = [];
  const buttons = new EvdevButtons({
    keycodes: KEYCODES,
    inputClassDir: join(dir, 'sys', 'class', 'input'),
    devDir: join(dir, 'dev', 'input'),
    retryMs: 50,
    pollMs: 5,
    onProblem: (message) => problems.push(message),
    ...extra,
  });
  buttons.start((button) => presses.push(button));
  return { buttons, presses, problems };
}

describe('struct input_event', () => {
  test('is 16 bytes for 32-bit processes (arm, ia32) and 24 for 64-bit ones', () => {
    assert.equal(inputEventSize('arm'), 16);
    assert.equal(inputEventSize('ia32'), 16);
    assert.equal(inputEventSize('arm64'), 24);
    assert.equal(inputEventSize('x64'), 24);
  });

  test('encodes and parses both layouts, little-endian, with the kernel timestamp in ms', () => {
    for (const size of [16, 24] as const) {
      const event = { timeMs: 1_700_000_123_456.789, type: EV_KEY, code: KEY_WPS_BUTTON, value: 1 };
      const bytes = encodeInputEvent(event, size);
      assert.equal(bytes.length, size);
      const parsed = parseInputEvent(bytes, 0, size);
      assert.equal(parsed.type, EV_KEY);
      assert.equal(parsed.code, 0x211);
      assert.equal(parsed.value, 1);
      assert.ok(Math.abs(parsed.timeMs - event.timeMs) < 0.001);
    }
    // The 64-bit layout by hand: tv_sec=2, tv_usec=500000, EV_KEY, KEY_PROG1, value 2 (autorepeat).
    const raw = Buffer.from('0200000000000000' + '20a1070000000000' + '0100' + '9400' + '02000000', 'hex');
    assert.deepEqual(parseInputEvent(raw, 0, 24), { timeMs: 2500, type: 1, code: 148, value: 2 });
  });

  test('key capability bitmaps are read with the kernel word size', () => {
    // Key 148 on a 64-bit kernel: bit 20 of the third 64-bit word, printed unpadded.
    assert.equal(keyBitmapHas('100000 0 0', 148, 64), true);
    assert.equal(keyBitmapHas('100000 0 0', 149, 64), false);
    // The same key on a 32-bit kernel: bit 20 of the fifth 32-bit word.
    assert.equal(keyBitmapHas('100000 0 0 0 0', 148, 32), true);
    // KEY_WPS_BUTTON (529) on a 64-bit kernel: bit 17 of word 8.
    assert.equal(keyBitmapHas('20000 0 0 0 0 0 0 0 0', 529, 64), true);
    assert.equal(keyBitmapHas('', 148, 64), false);
    assert.equal(keyBitmapHas('zz 0 0', 148, 64), false);
  });

  test('the config keys have the documented defaults and refuse one keycode for both buttons', () => {
    assert.deepEqual(buttonsConfigSchema.parse({}), {
      devices: [],
      keycodes: { ap: 148, wps: 529 },
      debounceMs: 100,
    });
    assert.equal(buttonsConfigSchema.safeParse({ keycodes: { ap: 148, wps: 148 } }).success, false);
    assert.equal(buttonsConfigSchema.safeParse({ debounceMs: -1 }).success, false);
    assert.equal(buttonsConfigSchema.safeParse({ extra: 1 }).success, false);
  });
});

describe('EvdevButtons', { timeout: 20_000 }, () => {
  test('delivers presses only: repeats, releases, bounces, other keys and event types are ignored', () =>
    withDir(async (dir) => {
      const node = await fakeInputDevice(dir, 3, { name: 'button@d', phys: 'gpio-keys/input0' });
      // An unrelated keyboard: never opened.
      await fakeInputDevice(dir, 0, { name: 'USB Keyboard', phys: 'usb-0000:01:00.0-1.3/input0' });
      const { buttons, presses, problems } = startButtons(dir);
      try {
        await waitFor('the device to be opened', () => buttons.devices.length === 1);
        assert.deepEqual(buttons.devices, [node]);
        const t = 1_000_000;
        await appendFile(
          node,
          encode([
            key(t, KEY_PROG1, 1), // press: delivered
            syn(t),
            key(t + 30, KEY_PROG1, 2), // autorepeat: ignored
            key(t + 40, KEY_PROG1, 0), // release: ignored
            key(t + 60, KEY_PROG1, 1), // a bounce 60 ms after the press: ignored
            key(t + 70, KEY_WPS_BUTTON, 1), // the other button, debounced on its own: delivered
            key(t + 80, 30, 1), // KEY_A: not ours
            { timeMs: t + 90, type: EV_MSC, code: KEY_PROG1, value: 1 }, // not EV_KEY
            key(t + 100, KEY_PROG1, 1), // exactly the window after the first press: delivered
            key(t + 150, KEY_WPS_BUTTON, 1), // 80 ms after the last WPS press: ignored
            key(t + 400, KEY_WPS_BUTTON, 1), // delivered
          ]),
        );
        await waitFor('four presses', () => presses.length >= 4);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(presses, ['ap', 'wps', 'ap', 'wps']);
        assert.deepEqual(problems, []);
      } finally {
        await buttons.close();
      }
    }));

  test('an event split across two writes is put back together; a trailing partial event is discarded', () =>
    withDir(async (dir) => {
      const node = await fakeInputDevice(dir, 1, { name: 'button@6', phys: 'gpio-keys/input0' });
      const { buttons, presses, problems } = startButtons(dir);
      try {
        await waitFor('the device to be opened', () => buttons.devices.length === 1);
        const press = encode([key(5_000, KEY_WPS_BUTTON, 1)]);
        await appendFile(node, press.subarray(0, 7));
        await new Promise((r) => setTimeout(r, 40));
        assert.deepEqual(presses, []);
        await appendFile(node, press.subarray(7));
        await waitFor('the press', () => presses.length === 1);
        // Garbage that is not a whole event: nothing is delivered, nothing crashes.
        await appendFile(node, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]));
        await new Promise((r) => setTimeout(r, 40));
        assert.deepEqual(presses, ['wps']);
      } finally {
        await buttons.close();
      }
      assert.equal(problems.length, 1);
      assert.match(problems[0] as string, /discarded 5 bytes of an incomplete input event/);
    }));

  test('reads a FIFO named explicitly in the config, in the 32-bit layout', () =>
    withDir(async (dir) => {
      const fifo = join(dir, 'event-fifo');
      execFileSync('mkfifo', [fifo], { timeout: 5000 });
      const { buttons, presses } = startButtons(dir, { devices: [fifo], eventSize: 16 });
      try {
        await waitFor('the FIFO to be opened', () => buttons.devices.length === 1);
        // A non-blocking open for writing succeeds once the reader is there.
        const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        try {
          await writer.write(encode([key(1_000, KEY_PROG1, 1), syn(1_000), key(1_050, KEY_PROG1, 0)], 16));
          await writer.write(encode([key(1_020, KEY_PROG1, 1), key(2_000, KEY_WPS_BUTTON, 1)], 16));
        } finally {
          await writer.close();
        }
        await waitFor('two presses', () => presses.length >= 2);
        assert.deepEqual(presses, ['ap', 'wps']);
      } finally {
        await buttons.close();
      }
    }));

  test('a clock set back (NTP at boot) does not swallow the next press', () =>
    withDir(async (dir) => {
      const node = await fakeInputDevice(dir, 2, { name: 'button@d', phys: 'gpio-keys/input0' });
      const { buttons, presses } = startButtons(dir);
      try {
        await waitFor('the device to be opened', () => buttons.devices.length === 1);
        await appendFile(node, encode([key(1_700_000_000_000, KEY_PROG1, 1), key(1_000, KEY_PROG1, 1)]));
        await waitFor('two presses', () => presses.length === 2);
      } finally {
        await buttons.close();
      }
    }));

  test('a missing device is a clear, retried error; the device is used once it appears', () =>
    withDir(async (dir) => {
      const { buttons, presses, problems } = startButtons(dir);
      try {
        await waitFor('a problem report', () => problems.length >= 2);
        assert.match(problems[0] as string, /no gpio-keys input device.*dtoverlay=gpio-key.*Retrying/s);
        const node = await fakeInputDevice(dir, 4, { name: 'button@d', phys: 'gpio-keys/input0' });
        await waitFor('the device to be found', () => buttons.devices.length === 1);
        await appendFile(node, encode([key(10_000, KEY_PROG1, 1)]));
        await waitFor('the press', () => presses.length === 1);
      } finally {
        await buttons.close();
      }
    }));

  test('an explicit device that does not exist says so, and close() returns promptly', () =>
    withDir(async (dir) => {
      const missing = join(dir, 'dev', 'input', 'by-path', 'platform-button@d-event');
      const { buttons, problems } = startButtons(dir, { devices: [missing] });
      await waitFor('a problem report', () => problems.length >= 1);
      assert.match(problems[0] as string, new RegExp(`cannot open button device ${missing}.*no such device`));
      const started = Date.now();
      await buttons.close();
      assert.ok(Date.now() - started < 500, 'close() waits for nothing');
    }));
});
