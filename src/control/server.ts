// The daemon's end of the control socket. Each connection is a line-oriented JSON stream; a bad line
// gets an error reply and the connection goes on, an oversized one closes it. Nothing a client sends
// or fails to send can throw out of here.
import { chmod, chown, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { ThrottledLog } from '../log/throttled.js';
import {
  type CommandOf,
  ControlError,
  type DeviceProtocol,
  type ErrorBody,
  MAX_REQUEST_BYTES,
  type Protocol,
  parseRequest,
  type Reply,
  type ReplyOf,
  type RequestOf,
} from './protocol.js';

export type ParseResult<R> = { id: string | number | null } & (
  | { ok: true; request: R }
  | { ok: false; error: ErrorBody }
);

/** One handler per command, each returning exactly that command's reply type. */
export type Handlers<P extends Protocol> = {
  [C in CommandOf<P>]: (request: RequestOf<P, C>, connection: ControlConnection) => Promise<ReplyOf<P, C>>;
};

export interface ControlServerOptions<P extends Protocol> {
  /** Socket file mode: 0660 lets the service group in, nobody else. */
  mode?: number;
  maxRequestBytes?: number;
  parse?: (line: string) => ParseResult<P['request']>;
  /** A group whose members may use the socket (the peer process's user on a device), if it exists. */
  group?: string;
  /**
   * Requests wait for this before they are handled: a server may listen before what it serves has started
   * (so that clients can connect early); one that fails to start answers each request with that failure.
   */
  ready?: Promise<void>;
}

/** The gid of a group from /etc/group, or null if there is no such group. */
export async function groupId(name: string, groupFile = '/etc/group'): Promise<number | null> {
  const text = await readFile(groupFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}

export interface ControlConnection {
  /** Pushes an unsolicited message (used by subscriptions). */
  push(message: Record<string, unknown>): void;
  onClose(fn: () => void): void;
}

export class ControlServer<P extends Protocol = DeviceProtocol> {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly mode: number;
  private readonly maxBytes: number;
  private readonly parse: (line: string) => ParseResult<P['request']>;
  private readonly group: string | undefined;
  private readonly ready: Promise<void>;
  /** Bad requests are logged once per kind and minute: a client sending garbage must not flood the journal. */
  private readonly refusals: ThrottledLog;

  constructor(
    private readonly socketPath: string,
    private readonly handlers: Handlers<P>,
    private readonly logger: Logger,
    options: ControlServerOptions<P> = {},
  ) {
    this.mode = options.mode ?? 0o660;
    this.maxBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    // Without a parser of its own a server speaks the device protocol, whose requests it then receives.
    this.parse = options.parse ?? (parseRequest as (line: string) => ParseResult<P['request']>);
    this.group = options.group;
    this.ready = options.ready ?? Promise.resolve();
    this.ready.catch(() => undefined); // reported to each request, not as an unhandled rejection
    this.refusals = new ThrottledLog(logger);
  }

  async listen(): Promise<void> {
    if (Buffer.byteLength(this.socketPath) > 100) {
      throw new Error(
        `control socket path is too long for a Unix socket (${this.socketPath}); use a shorter --data directory`,
      );
    }
    await this.removeStaleSocket();
    const server = createServer((socket) => this.accept(socket));
    // Create the socket file with no permissions for others from the start, then set the final mode.
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    await chmod(this.socketPath, this.mode);
    if (this.group !== undefined && process.getuid?.() === 0) {
      const gid = await groupId(this.group);
      if (gid !== null) await chown(this.socketPath, 0, gid);
    }
    server.on('error', (error) => this.logger.log('error', 'control socket error', { error: error.message }));
    this.server = server;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }

  private async removeStaleSocket(): Promise<void> {
    const alive = await new Promise<boolean>((resolve) => {
      const probe = connect(this.socketPath);
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (alive) throw new Error(`another Smallworld daemon is already listening on ${this.socketPath}`);
    await rm(this.socketPath, { force: true });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const closers: Array<() => void> = [];
    let buffered = '';
    let closed = false;

    const send = (message: unknown) => {
      if (closed || !socket.writable) return;
      socket.write(`${JSON.stringify(message)}\n`);
    };
    const connection: ControlConnection = {
      push: (message) => send(message),
      onClose: (fn) => closers.push(fn),
    };

    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.length > this.maxBytes) {
          buffered = line; // refused below, like a line that never ends
          break;
        }
        if (line.trim().length > 0) void this.respond(line, connection, send);
        newline = buffered.indexOf('\n');
      }
      if (buffered.length > this.maxBytes) {
        send({
          id: null,
          ok: false,
          error: { code: 'request_too_large', message: `request exceeds ${this.maxBytes} bytes` },
        } satisfies Reply);
        this.refusals.log('warn', 'too-large', 'control request too large; closing connection');
        buffered = '';
        socket.end();
      }
    });
    socket.on('error', (error) => this.logger.log('debug', 'control client error', { error: error.message }));
    socket.on('close', () => {
      closed = true;
      this.sockets.delete(socket);
      for (const fn of closers) fn();
    });
  }

  /** The request's own handler. (TypeScript cannot relate a request's "cmd" to its handler's key by itself.) */
  private dispatch(request: P['request'], connection: ControlConnection): Promise<unknown> {
    const handler = this.handlers[request.cmd as CommandOf<P>] as (
      request: P['request'],
      connection: ControlConnection,
    ) => Promise<unknown>;
    return handler(request, connection);
  }

  private async respond(line: string, connection: ControlConnection, send: (m: unknown) => void): Promise<void> {
    const parsed = this.parse(line);
    if (!parsed.ok) {
      this.refusals.log('warn', `refused:${parsed.error.code}`, 'control request refused', { error: parsed.error });
      send({ id: parsed.id, ok: false, error: parsed.error } satisfies Reply);
      return;
    }
    try {
      await this.ready;
      const result = await this.dispatch(parsed.request, connection);
      send({ id: parsed.id, ok: true, result: result ?? null } satisfies Reply);
    } catch (error) {
      const body =
        error instanceof ControlError
          ? { code: error.code, message: error.message }
          : { code: 'failed' as const, message: error instanceof Error ? error.message : String(error) };
      this.refusals.log('warn', `failed:${parsed.request.cmd}:${body.code}`, 'control request failed', {
        cmd: parsed.request.cmd,
        error: body,
      });
      send({ id: parsed.id, ok: false, error: body } satisfies Reply);
    }
  }
}
