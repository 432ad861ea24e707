// The datagram endpoint that talks to a wpa_supplicant/hostapd control socket.
//
// Why a native binding: the daemons' ctrl_interface is a Unix *datagram* socket, which Node's `net` and
// `dgram` modules cannot open. The alternatives were (a) supervised `wpa_cli`/`hostapd_cli` processes, whose
// interactive output mixes prompts, replies and events and would have to be scraped, or whose `-a` action mode
// spawns a process per event (slow on a Pi Zero, and it drops everything after the event name — a bug of the
// original daemon); or (b) a binding that speaks the real protocol. We use `node-unix-socket` (napi-rs, MIT,
// prebuilt for linux x64/arm64/armv7 glibc and musl, published 2026): requests, replies and events are the
// daemon's own strings. It sits behind this small interface so another transport can replace it.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DgramSocket } from 'node-unix-socket';

export interface CtrlTransport {
  send(text: string): Promise<void>;
  onMessage(fn: (text: string) => void): void;
  close(): Promise<void>;
}

export type TransportFactory = (serverPath: string) => Promise<CtrlTransport>;

let counter = 0;

/** Opens a datagram socket bound to a fresh path under `localDir`, talking to `serverPath`. */
export function dgramTransportFactory(localDir: string): TransportFactory {
  return async (serverPath) => {
    await mkdir(localDir, { recursive: true, mode: 0o700 });
    const localPath = join(localDir, `ctrl-${process.pid}-${++counter}`);
    await rm(localPath, { force: true });
    const socket = new DgramSocket();
    const listeners: Array<(text: string) => void> = [];
    socket.on('data', (buf: Buffer) => {
      const text = buf.toString('utf8');
      for (const fn of listeners) fn(text);
    });
    socket.on('error', () => undefined);
    socket.bind(localPath);
    let closed = false;
    return {
      send: (text) =>
        new Promise<void>((resolve, reject) => {
          if (closed) {
            reject(new Error('control transport is closed'));
            return;
          }
          const buf = Buffer.from(text, 'utf8');
          socket.sendTo(buf, 0, buf.length, serverPath, (error) => (error ? reject(error) : resolve()));
        }),
      onMessage: (fn) => {
        listeners.push(fn);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        socket.close();
        await rm(localPath, { force: true });
      },
    };
  };
}
