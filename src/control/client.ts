// The one client of our line-oriented JSON sockets: the daemon's control socket (ControlClient, used by the
// CLI, the web GUI, the SSB peer and tests) and, with the peer's protocol, the SSB peer's own socket
// (ssb/peer-client.ts). A request's arguments and its reply are typed by the protocol's map.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type {
  ArgsParameters,
  CommandOf,
  DeviceProtocol,
  ErrorBody,
  Protocol,
  ReplyOf,
  StatusPush,
} from './protocol.js';

export const SOCKET_NAME = 'control.sock';

export function socketPathFor(dataDir: string): string {
  return join(dataDir, SOCKET_NAME);
}

/** Nothing answers on a socket of ours: the process that serves it is not running (or not reachable). */
export class SocketUnreachableError extends Error {
  constructor(
    readonly socketPath: string,
    /** Why, in words (e.g. "no control socket there"). */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'SocketUnreachableError';
  }
}

/** The connectivity daemon's control socket does not answer. */
export class DaemonNotRunningError extends SocketUnreachableError {
  constructor(socketPath: string, reason: string) {
    super(
      socketPath,
      reason,
      `no Smallworld daemon is running for ${socketPath} (${reason}); start one with "smallworld start"`,
    );
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

/** Why a connection to a Unix socket failed, in words. */
function connectFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no control socket there';
    case 'ECONNREFUSED':
      return 'stale socket, nothing listening';
    case 'EACCES':
      return 'permission denied on the control socket';
    default:
      return error.message;
  }
}

/** Opens a Unix socket; a failure becomes the error `unreachable` makes of its cause. */
export function openSocket(
  socketPath: string,
  timeoutMs: number,
  unreachable: (socketPath: string, cause: string) => Error,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(unreachable(socketPath, 'connection timed out'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(socketPath, connectFailure(error)));
    });
  });
}

/** A connection speaking protocol P: one request per line, replies matched by id, pushed lines passed on. */
export class SocketClient<P extends Protocol, Push = never> {
  private nextId = 1;
  private buffered = '';
  private readonly pending = new Map<number, Pending>();
  private readonly pushListeners = new Set<(message: Push) => void>();
  private readonly closeListeners = new Set<() => void>();

  /** `closedMessage`: what a request still waiting hears when the other end closes (names who closed it). */
  protected constructor(
    private readonly socket: Socket,
    closedMessage = 'the daemon closed the control connection',
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(closedMessage));
      }
      this.pending.clear();
      for (const fn of this.closeListeners) fn();
    });
  }

  /** Sends one request and resolves with its reply (10 s to answer unless timeoutMs says otherwise). */
  request<C extends CommandOf<P>>(cmd: C, ...[args, timeoutMs]: ArgsParameters<P, C>): Promise<ReplyOf<P, C>> {
    return this.send({ ...(args ?? {}), cmd } as P['request'], timeoutMs) as Promise<ReplyOf<P, C>>;
  }

  /** Sends a whole request object (e.g. one of several commands chosen at run time). */
  send<Q extends P['request']>(request: Q, timeoutMs = 10_000): Promise<ReplyOf<P, Q['cmd']>> {
    const { cmd, ...args } = request;
    if ('id' in args) {
      return Promise.reject(new Error('"id" is the protocol\'s own field, not an argument'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the daemon did not answer "${cmd}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /** Receives the server's pushed messages (after a "subscribe" request). */
  onPush(fn: (message: Push) => void): () => void {
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
    // The server's pushes are of its protocol's push type: it is the one writing them.
    if (typeof message.event === 'string') for (const fn of this.pushListeners) fn(message as Push);
  }
}

/** A connection to the connectivity daemon's control socket. */
export class ControlClient extends SocketClient<DeviceProtocol, StatusPush> {
  static async connect(socketPath: string, timeoutMs = 3000): Promise<ControlClient> {
    const socket = await openSocket(socketPath, timeoutMs, (path, cause) => new DaemonNotRunningError(path, cause));
    return new ControlClient(socket);
  }
}

/** Connects, sends one request, and disconnects. */
export async function callDaemon<C extends CommandOf<DeviceProtocol>>(
  socketPath: string,
  cmd: C,
  ...args: ArgsParameters<DeviceProtocol, C>
): Promise<ReplyOf<DeviceProtocol, C>> {
  const client = await ControlClient.connect(socketPath);
  try {
    return await client.request(cmd, ...args);
  } finally {
    client.close();
  }
}
