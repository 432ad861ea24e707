// The real buttons: the kernel's `gpio-key` overlay turns each GPIO button into an input device whose
// presses arrive as evdev key events on /dev/input/eventN, already debounced by the kernel (gpio-keys' own
// 5 ms). We read those devices, keep only key-down events of our two keycodes, and add a software debounce
// window per button (the seed used 100 ms) measured on the kernel's event timestamps, so a stalled event
// loop that later reads a burst of queued events still debounces them correctly.
//
// The devices are opened non-blocking and read with a short poll: a blocking read on a character device
// occupies a libuv thread that nothing can interrupt, so `close()` (and the daemon's exit on SIGTERM) would
// hang until the next key press. A missing device is an error that is logged and retried; it never throws.
import { constants } from 'node:fs';
import { type FileHandle, open, readdir, readFile } from 'node:fs/promises';
import { machine } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import type { Button } from '../device/model.js';
import type { Logger } from '../log/logger.js';
import { isMissing } from '../store/missing.js';
import type { ButtonPort } from './ports.js';

/** linux/input-event-codes.h */
export const EV_KEY = 1;
/**
 * The AP button: KEY_PROG1, a "programmable" key nothing else on the system acts on. Not KEY_WLAN (238):
 * the kernel's rfkill-input handler (CONFIG_RFKILL_INPUT, on by default) toggles the Wi-Fi soft block on
 * KEY_WLAN, which would switch the radio off under hostapd.
 */
export const KEY_PROG1 = 148;
/** The WPS button: KEY_WPS_BUTTON (0x211), the code meant for exactly this. */
export const KEY_WPS_BUTTON = 0x211;
export const DEFAULT_DEBOUNCE_MS = 100;

const keycode = z.number().int().min(1).max(0x2ff);

/** The `gpio.buttons` configuration keys. */
export const buttonsConfigSchema = z
  .object({
    /** Event devices to read; empty: every input device whose driver is gpio-keys (found in /sys/class/input). */
    devices: z.array(z.string().min(1)).max(16).default([]),
    keycodes: z
      .object({ ap: keycode.default(KEY_PROG1), wps: keycode.default(KEY_WPS_BUTTON) })
      .strict()
      .refine((k) => k.ap !== k.wps, { message: 'the AP and WPS buttons need different keycodes' })
      .default({ ap: KEY_PROG1, wps: KEY_WPS_BUTTON }),
    debounceMs: z.number().int().min(0).max(5000).default(DEFAULT_DEBOUNCE_MS),
  })
  .strict();

export type ButtonsConfig = z.infer<typeof buttonsConfigSchema>;

export const DEFAULT_BUTTONS_CONFIG: ButtonsConfig = buttonsConfigSchema.parse({});

export interface InputEvent {
  /** The kernel's timestamp, in milliseconds. */
  timeMs: number;
  type: number;
  code: number;
  value: number;
}

/** struct input_event: 24 bytes for 64-bit processes, 16 for 32-bit ones (the kernel matches the reader). */
export function inputEventSize(arch: string = process.arch): 16 | 24 {
  return arch === 'arm' || arch === 'ia32' ? 16 : 24;
}

export function parseInputEvent(buffer: Buffer, offset: number, size: 16 | 24): InputEvent {
  if (size === 24) {
    const sec = Number(buffer.readBigInt64LE(offset));
    const usec = Number(buffer.readBigInt64LE(offset + 8));
    return {
      timeMs: sec * 1000 + usec / 1000,
      type: buffer.readUInt16LE(offset + 16),
      code: buffer.readUInt16LE(offset + 18),
      value: buffer.readInt32LE(offset + 20),
    };
  }
  return {
    timeMs: buffer.readUInt32LE(offset) * 1000 + buffer.readUInt32LE(offset + 4) / 1000,
    type: buffer.readUInt16LE(offset + 8),
    code: buffer.readUInt16LE(offset + 10),
    value: buffer.readInt32LE(offset + 12),
  };
}

/** The inverse of parseInputEvent, for tests and tools that feed a fake device. */
export function encodeInputEvent(event: InputEvent, size: 16 | 24 = inputEventSize()): Buffer {
  const buffer = Buffer.alloc(size);
  const sec = Math.floor(event.timeMs / 1000);
  const usec = Math.round((event.timeMs - sec * 1000) * 1000);
  if (size === 24) {
    buffer.writeBigInt64LE(BigInt(sec), 0);
    buffer.writeBigInt64LE(BigInt(usec), 8);
    buffer.writeUInt16LE(event.type, 16);
    buffer.writeUInt16LE(event.code, 18);
    buffer.writeInt32LE(event.value, 20);
  } else {
    buffer.writeUInt32LE(sec, 0);
    buffer.writeUInt32LE(usec, 4);
    buffer.writeUInt16LE(event.type, 8);
    buffer.writeUInt16LE(event.code, 10);
    buffer.writeInt32LE(event.value, 12);
  }
  return buffer;
}

/**
 * Whether a sysfs key capability bitmap (`capabilities/key`: hex words of the kernel's `long`, most
 * significant first, unpadded) includes `code`. The word size is the kernel's, not this process's.
 */
export function keyBitmapHas(text: string, code: number, longBits: 32 | 64 = kernelLongBits()): boolean {
  const words = text.trim().split(/\s+/).filter(Boolean).reverse();
  const word = words[Math.floor(code / longBits)];
  if (word === undefined || !/^[0-9a-f]+$/i.test(word)) return false;
  return ((BigInt(`0x${word}`) >> BigInt(code % longBits)) & 1n) === 1n;
}

function kernelLongBits(): 32 | 64 {
  // uname's machine is the kernel's (aarch64 even under a 32-bit userland).
  return /64/.test(machine()) ? 64 : 32;
}

export interface EvdevButtonsOptions {
  keycodes: { ap: number; wps: number };
  /** Explicit event devices (e.g. /dev/input/by-path/…); empty or absent: discover gpio-keys devices. */
  devices?: string[];
  debounceMs?: number;
  /** Where input devices are listed (tests point this at a fake tree). */
  inputClassDir?: string;
  /** Where their nodes live. */
  devDir?: string;
  /** How long to wait before looking for a missing device again. */
  retryMs?: number;
  /** How often to look for new events on an open device. */
  pollMs?: number;
  /** struct input_event size; default from this process's architecture. */
  eventSize?: 16 | 24;
  logger?: Logger;
  /** Called with every problem (also logged): missing devices, read errors, discarded bytes. */
  onProblem?: (message: string) => void;
}

interface OpenDevice {
  path: string;
  handle: FileHandle;
  carry: Buffer;
}

export class EvdevButtons implements ButtonPort {
  private listener: ((button: Button) => void) | null = null;
  private closed = false;
  private readonly open = new Map<string, OpenDevice>();
  private readonly lastPress = new Map<Button, number>();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly loops = new Set<Promise<void>>();
  private readonly eventSize: 16 | 24;
  private readonly byCode: Map<number, Button>;
  private lastProblem = '';
  /** Set at start and whenever a device fails: the supervisor looks for devices again. */
  private needScan = true;

  constructor(private readonly options: EvdevButtonsOptions) {
    this.eventSize = options.eventSize ?? inputEventSize();
    this.byCode = new Map<number, Button>([
      [options.keycodes.ap, 'ap'],
      [options.keycodes.wps, 'wps'],
    ]);
  }

  start(onPress: (button: Button) => void): void {
    if (this.listener !== null) throw new Error('the buttons are already started');
    this.listener = onPress;
    this.track(this.superviseLoop());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listener = null;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.resolve();
    }
    this.waits.clear();
    await Promise.all([...this.loops]);
  }

  /** Devices currently being read (for status and tests). */
  get devices(): string[] {
    return [...this.open.keys()];
  }

  private track(loop: Promise<void>): void {
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
  }

  /** Finds and opens the devices; looks again every `retryMs` while one is missing or has failed. */
  private async superviseLoop(): Promise<void> {
    const retryMs = this.options.retryMs ?? 5000;
    while (!this.closed) {
      if (this.needScan) {
        const paths = await this.findDevices();
        for (const path of paths) await this.openDevice(path);
        this.needScan = paths.length === 0 || !paths.every((path) => this.open.has(path));
        if (!this.needScan) this.lastProblem = '';
      }
      await this.wait(retryMs);
    }
  }

  private async findDevices(): Promise<string[]> {
    const explicit = this.options.devices ?? [];
    if (explicit.length > 0) return explicit;
    const classDir = this.options.inputClassDir ?? '/sys/class/input';
    const devDir = this.options.devDir ?? '/dev/input';
    let names: string[];
    try {
      names = (await readdir(classDir)).filter((n) => /^event\d+$/.test(n));
    } catch (error) {
      if (!isMissing(error)) {
        this.problem(`cannot list input devices in ${classDir}: ${(error as Error).message}. Retrying.`);
        return [];
      }
      names = [];
    }
    const found: string[] = [];
    const covered = new Set<number>();
    for (const name of names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))) {
      const phys = await readFile(join(classDir, name, 'device', 'phys'), 'utf8').catch(() => '');
      if (!phys.startsWith('gpio-keys')) continue;
      found.push(join(devDir, name));
      const bitmap = await readFile(join(classDir, name, 'device', 'capabilities', 'key'), 'utf8').catch(() => '');
      for (const code of this.byCode.keys()) if (keyBitmapHas(bitmap, code)) covered.add(code);
    }
    if (found.length === 0) {
      this.problem(
        `no gpio-keys input device in ${classDir}: are the dtoverlay=gpio-key lines in config.txt and has the Pi been rebooted since? Retrying.`,
      );
    } else {
      for (const [code, button] of this.byCode) {
        if (!covered.has(code))
          this.options.logger?.log('warn', 'no gpio-keys device reports the keycode of this button', { button, code });
      }
    }
    return found;
  }

  private async openDevice(path: string): Promise<void> {
    if (this.closed || this.open.has(path)) return;
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const hint =
        code === 'ENOENT'
          ? ' (no such device: check the gpio-key overlay in config.txt, or gpio.buttons.devices in the config)'
          : code === 'EACCES'
            ? ' (permission denied: the daemon must run as root or in the input group)'
            : '';
      this.problem(`cannot open button device ${path}: ${(error as Error).message}${hint}. Retrying.`);
      return;
    }
    if (this.closed) {
      await handle.close();
      return;
    }
    const device: OpenDevice = { path, handle, carry: Buffer.alloc(0) };
    this.open.set(path, device);
    this.options.logger?.log('info', 'reading buttons', { device: path });
    this.track(this.readLoop(device));
  }

  private async readLoop(device: OpenDevice): Promise<void> {
    const pollMs = this.options.pollMs ?? 25;
    const buffer = Buffer.alloc(this.eventSize * 64);
    try {
      while (!this.closed) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await device.handle.read(buffer, 0, buffer.length, null));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') {
            await this.wait(pollMs);
            continue;
          }
          this.problem(`reading button device ${device.path} failed: ${(error as Error).message}. Reopening.`);
          break;
        }
        if (bytesRead === 0) {
          // A fake device (a file or a FIFO without a writer) has nothing more yet; evdev never says 0.
          await this.wait(pollMs);
          continue;
        }
        this.consume(device, buffer.subarray(0, bytesRead));
      }
    } finally {
      if (device.carry.length > 0) {
        this.problem(`discarded ${device.carry.length} bytes of an incomplete input event from ${device.path}`);
      }
      this.open.delete(device.path);
      this.needScan = true;
      await device.handle.close().catch(() => undefined);
    }
  }

  private consume(device: OpenDevice, chunk: Buffer): void {
    const data = device.carry.length === 0 ? chunk : Buffer.concat([device.carry, chunk]);
    const whole = data.length - (data.length % this.eventSize);
    for (let offset = 0; offset < whole; offset += this.eventSize) {
      this.handle(parseInputEvent(data, offset, this.eventSize));
    }
    device.carry = Buffer.from(data.subarray(whole));
  }

  private handle(event: InputEvent): void {
    // value 1: key down; 0: up; 2: autorepeat. Only the press counts.
    if (event.type !== EV_KEY || event.value !== 1) return;
    const button = this.byCode.get(event.code);
    if (button === undefined) return;
    const last = this.lastPress.get(button);
    const debounceMs = this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    // A timestamp before the last press means the wall clock was set back (NTP at boot): not a bounce.
    if (last !== undefined && event.timeMs >= last && event.timeMs - last < debounceMs) return;
    this.lastPress.set(button, event.timeMs);
    try {
      this.listener?.(button);
    } catch (error) {
      this.options.logger?.log('error', 'button handler failed', { button, error: (error as Error).message });
    }
  }

  private problem(message: string): void {
    this.options.onProblem?.(message);
    // Log a repeating problem (a device missing at every retry) once, not every few seconds.
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.options.logger?.log('error', message);
  }

  private wait(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.waits.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.waits.add(entry);
    });
  }
}
