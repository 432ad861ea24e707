// The one client of the control socket, shared by the CLI, the web GUI, the SSB peer and tests.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ErrorBody, Request } from './protocol.js';

export const SOCKET_NAME = 'control.sock';

export function socketPathFor(dataDir: string): string {
  return join(dataDir, SOCKET_NAME);
}

export class DaemonNotRunningError extends Error {
  constructor(
    readonly socketPath: string,
    cause: string,
  ) {
    super(`no Smallworld daemon is running for ${socketPath} (${cause}); start one with "smallworld start"`);
    this.name = 'DaemonNotRunningError';
  }
}

export class RemoteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };
type Args<C extends Request['cmd']> = Omit<Extract<Request, { cmd: C }>, 'cmd'>;

export class ControlClient {
  private nextId = 1;
  private buffered = '';
  private readonly pending = new Map<number, Pending>();
  private readonly pushListeners = new Set<(message: Record<string, unknown>) => void>();
  private readonly closeListeners = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error('the daemon closed the control connection'));
      }
      this.pending.clear();
      for (const fn of this.closeListeners) fn();
    });
  }

  static connect(socketPath: string, timeoutMs = 3000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DaemonNotRunningError(socketPath, 'connection timed out'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new ControlClient(socket));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const cause =
          error.code === 'ENOENT'
            ? 'no control socket there'
            : error.code === 'ECONNREFUSED'
              ? 'stale socket, nothing listening'
              : error.code === 'EACCES'
                ? 'permission denied on the control socket'
                : error.message;
        reject(new DaemonNotRunningError(socketPath, cause));
      });
    });
  }

  request<C extends Request['cmd']>(cmd: C, args?: Args<C>, timeoutMs = 10_000): Promise<unknown> {
    return this.call(cmd, args as Record<string, unknown> | undefined, timeoutMs);
  }

  /** A request of any protocol spoken on a socket of ours (the daemon's or the peer's). */
  call(cmd: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    if (args && ('id' in args || 'cmd' in args)) {
      return Promise.reject(new Error('"id" and "cmd" are the protocol\'s own fields, not arguments'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the daemon did not answer "${cmd}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(`${JSON.stringify({ id, cmd, ...(args ?? {}) })}\n`);
    });
  }

  /** Receives the daemon's pushed messages (after a "subscribe" request). */
  onPush(fn: (message: Record<string, unknown>) => void): () => void {
    this.pushListeners.add(fn);
    return () => this.pushListeners.delete(fn);
  }

  onClose(fn: () => void): void {
    this.closeListeners.add(fn);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let newline = this.buffered.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      this.onLine(line);
      newline = this.buffered.indexOf('\n');
    }
  }

  private onLine(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof message.id === 'number' && this.pending.has(message.id)) {
      const pending = this.pending.get(message.id) as Pending;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok === true) pending.resolve(message.result);
      else {
        const error = message.error as ErrorBody | undefined;
        pending.reject(new RemoteError(error?.code ?? 'failed', error?.message ?? 'request failed'));
      }
      return;
    }
    if (typeof message.event === 'string') for (const fn of this.pushListeners) fn(message);
  }
}

/** Connects, sends one request, and disconnects. */
export async function callDaemon<C extends Request['cmd']>(
  socketPath: string,
  cmd: C,
  args?: Args<C>,
): Promise<unknown> {
  const client = await ControlClient.connect(socketPath);
  try {
    return await client.request(cmd, args);
  } finally {
    client.close();
  }
}
