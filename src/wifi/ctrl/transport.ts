// The datagram endpoint that talks to a wpa_supplicant/hostapd control socket.
//
// Why a bridge process: the daemons' ctrl_interface is a Unix *datagram* socket, which Node's `net` and
// `dgram` modules cannot open. We looked at:
//  - native bindings: `node-unix-socket` publishes a prebuilt binary for linux-x64 only (its arm64 and armhf
//    packages are listed but absent from the registry), and `unix-dgram` compiles at install time, which
//    npm 11 skips by default and a Pi image has no toolchain for;
//  - supervised `wpa_cli`/`hostapd_cli`: their interactive output mixes prompts, replies and events and
//    would have to be scraped, and their `-a` action mode spawns a process per event and loses structure
//    (the original daemon's forwarder dropped everything after the event name).
// So one small supervised `python3` process (stdlib only; Python is part of every Raspberry Pi OS image)
// owns the sockets and passes datagrams through unchanged, as base64 in JSON lines. Requests, replies and
// events stay the daemons' own strings. It sits behind this interface, so a native binding can replace it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface CtrlTransport {
  send(text: string): Promise<void>;
  onMessage(fn: (text: string, from: string) => void): void;
  /** Sends to an explicit peer (used by test doubles that play the daemon). */
  sendTo(text: string, to: string): Promise<void>;
  readonly localPath: string;
  close(): Promise<void>;
}

export type TransportFactory = (serverPath: string) => Promise<CtrlTransport>;

export const BRIDGE_SCRIPT = fileURLToPath(new URL('../../../../src/wifi/ctrl/dgram_bridge.py', import.meta.url));
export const PYTHON = '/usr/bin/python3';

interface BridgeSocket {
  listeners: Array<(text: string, from: string) => void>;
  opened: { resolve: () => void; reject: (error: Error) => void } | null;
}

/** One bridge process, shared by every socket of the daemon. */
export class DgramBridge {
  private child: ChildProcess | null = null;
  /** Stopped for good (the daemon is shutting down): nothing may start a new bridge process after that. */
  private stopped = false;
  private nextId = 1;
  private nextSeq = 1;
  private readonly sockets = new Map<number, BridgeSocket>();
  private readonly sends = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(
    private readonly localDir: string,
    private readonly python = PYTHON,
    private readonly script = BRIDGE_SCRIPT,
  ) {}

  private ensure(): ChildProcess {
    if (this.stopped) throw new Error('the datagram bridge is stopped');
    if (this.child && this.child.exitCode === null) return this.child;
    const child = spawn(this.python, [this.script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    child.stdin?.on('error', () => undefined);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => this.onLine(line));
    const fail = (why: string) => {
      if (this.child !== child) return;
      this.child = null;
      const error = new Error(`the datagram bridge stopped: ${why}`);
      for (const socket of this.sockets.values()) socket.opened?.reject(error);
      for (const pending of this.sends.values()) pending.reject(error);
      this.sockets.clear();
      this.sends.clear();
    };
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(signal ?? `exit code ${code}`));
    return child;
  }

  private write(message: Record<string, unknown>): void {
    this.ensure().stdin?.write(`${JSON.stringify(message)}\n`);
  }

  private onLine(line: string): void {
    let message: { op?: string; id?: number; seq?: number; from?: string; data?: string; message?: string };
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    const socket = message.id === undefined ? undefined : this.sockets.get(message.id);
    switch (message.op) {
      case 'opened':
        socket?.opened?.resolve();
        if (socket) socket.opened = null;
        return;
      case 'recv': {
        const text = Buffer.from(message.data ?? '', 'base64').toString('utf8');
        for (const fn of socket?.listeners ?? []) fn(text, message.from ?? '');
        return;
      }
      case 'sent':
        if (message.seq !== undefined) {
          this.sends.get(message.seq)?.resolve();
          this.sends.delete(message.seq);
        }
        return;
      case 'error': {
        const error = new Error(message.message ?? 'datagram bridge error');
        if (message.seq !== undefined && this.sends.has(message.seq)) {
          this.sends.get(message.seq)?.reject(error);
          this.sends.delete(message.seq);
        } else if (socket?.opened) {
          socket.opened.reject(error);
          socket.opened = null;
        }
        return;
      }
    }
  }

  /** Opens a socket bound at `bindPath` (or a fresh path in the local directory). */
  async open(bindPath?: string): Promise<{ id: number; path: string }> {
    await mkdir(this.localDir, { recursive: true, mode: 0o700 });
    const id = this.nextId++;
    const path = bindPath ?? join(this.localDir, `ctrl-${process.pid}-${id}`);
    const socket: BridgeSocket = { listeners: [], opened: null };
    this.sockets.set(id, socket);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.opened = { resolve, reject };
        this.write({ op: 'open', id, bind: path });
      });
    } catch (error) {
      this.sockets.delete(id);
      throw error;
    }
    return { id, path };
  }

  send(id: number, to: string, text: string): Promise<void> {
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      this.sends.set(seq, { resolve, reject });
      try {
        this.write({ op: 'send', id, seq, to, data: Buffer.from(text, 'utf8').toString('base64') });
      } catch (error) {
        this.sends.delete(seq);
        reject(error);
      }
    });
  }

  listen(id: number, fn: (text: string, from: string) => void): void {
    this.sockets.get(id)?.listeners.push(fn);
  }

  async closeSocket(id: number, path: string): Promise<void> {
    this.sockets.delete(id);
    if (this.child && this.child.exitCode === null) this.write({ op: 'close', id });
    else await rm(path, { force: true });
  }

  /** Ends the bridge process (its sockets are closed and unlinked by it). */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = null;
    // A reconnect still opening its socket (or a send) must not wait for a bridge that will never answer,
    // nor start a new one: that process would outlive us and keep the daemon from exiting.
    const error = new Error('the datagram bridge is stopped');
    for (const socket of this.sockets.values()) socket.opened?.reject(error);
    for (const pending of this.sends.values()) pending.reject(error);
    this.sockets.clear();
    this.sends.clear();
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  /** A transport factory whose sockets talk to `serverPath`. */
  factory(): TransportFactory {
    return async (serverPath) => this.transport(serverPath);
  }

  async transport(serverPath: string, bindPath?: string): Promise<CtrlTransport> {
    const { id, path } = await this.open(bindPath);
    let closed = false;
    return {
      localPath: path,
      send: (text) =>
        closed ? Promise.reject(new Error('control transport is closed')) : this.send(id, serverPath, text),
      sendTo: (text, to) =>
        closed ? Promise.reject(new Error('control transport is closed')) : this.send(id, to, text),
      onMessage: (fn) => this.listen(id, fn),
      close: async () => {
        if (closed) return;
        closed = true;
        await this.closeSocket(id, path);
      },
    };
  }
}
