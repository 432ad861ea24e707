// A client of the wpa_ctrl protocol shared by wpa_supplicant and hostapd: one socket for requests (one
// in flight at a time, since replies carry no id) and one ATTACHed socket for events, as wpa_cli does.
// It pings the daemon, reports it down when it stops answering, and reconnects and re-attaches when it
// returns; a request never waits longer than its timeout, and nothing here blocks the event loop.
import type { CancelTimer, Clock } from '../../clock/clock.js';
import type { Logger } from '../../log/logger.js';
import type { CtrlTransport, TransportFactory } from './transport.js';

/** Retries at a tenth of the period after a (re)start: 3 s of them at the default period (see scheduleRetry). */
const FAST_RETRIES = 30;

export interface WpaCtrlOptions {
  /** For messages: "wpa_supplicant" or "hostapd". */
  name: string;
  socketPath: string;
  transports: TransportFactory;
  clock: Clock;
  logger: Logger;
  onEvent: (line: string) => void;
  onHealth: (up: boolean, reason: string) => void;
  requestTimeoutMs?: number;
  pingIntervalMs?: number;
  retryMs?: number;
}

export class CtrlError extends Error {
  override name = 'CtrlError';
}

/** What a daemon replies is shown in errors, but bounded and printable. */
export function describeReply(reply: string): string {
  const printable = reply.replace(/[^\x20-\x7e]/g, '?').trim();
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable || '(empty reply)';
}

interface InFlight {
  resolve: (reply: string) => void;
  reject: (error: Error) => void;
  cancel: CancelTimer;
}

export class WpaCtrl {
  private cmd: CtrlTransport | null = null;
  private mon: CtrlTransport | null = null;
  private up = false;
  private closed = false;
  private connecting = false;
  private chain: Promise<unknown> = Promise.resolve();
  private inFlight: InFlight | null = null;
  private monWaiter: ((text: string) => void) | null = null;
  /** Replacing the command socket after a timeout; the next request waits for it. */
  private recycling: Promise<void> = Promise.resolve();
  private cancelPing: CancelTimer | null = null;
  private cancelRetry: CancelTimer | null = null;
  private readonly timeoutMs: number;
  private readonly pingMs: number;
  private readonly retryMs: number;
  /** Attempts that failed since the last attach: the first retries come quickly, then at `retryMs`. */
  private failedAttempts = 0;

  constructor(private readonly options: WpaCtrlOptions) {
    this.timeoutMs = options.requestTimeoutMs ?? 3_000;
    this.pingMs = options.pingIntervalMs ?? 5_000;
    this.retryMs = options.retryMs ?? 1_000;
  }

  /** Attached: answered PING and ATTACH (not while an attach is still in progress). */
  get isUp(): boolean {
    return this.up && !this.connecting;
  }

  /** Starts connecting in the background; health changes arrive through `onHealth`. */
  start(): void {
    this.closed = false;
    this.failedAttempts = 0;
    void this.connect();
  }

  /** Sends a request and returns the daemon's reply text. */
  request(command: string, timeoutMs = this.timeoutMs): Promise<string> {
    const run = () => this.send(command, timeoutMs);
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Sends a request that must be answered "OK". */
  async command(command: string, timeoutMs?: number): Promise<void> {
    const reply = (await this.request(command, timeoutMs)).trim();
    if (reply !== 'OK') {
      throw new CtrlError(`${this.options.name} refused ${command.split(' ')[0]}: ${describeReply(reply)}`);
    }
  }

  /**
   * The daemon was (re)started: whatever we were attached to is gone, even if its successor now answers
   * PING on the same path. Drop both sockets and attach afresh.
   */
  async restart(): Promise<void> {
    if (this.closed || this.connecting) return;
    this.cancelPing?.();
    const wasUp = this.up;
    this.up = false;
    this.inFlight?.cancel();
    this.inFlight?.reject(new CtrlError(`${this.options.name} restarted`));
    this.inFlight = null;
    await this.teardown();
    if (wasUp) this.options.onHealth(false, `${this.options.name} restarted`);
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelPing?.();
    this.cancelRetry?.();
    // A request in flight gets no answer from a socket being torn down: it fails now, not at its timeout.
    this.inFlight?.cancel();
    this.inFlight?.reject(new CtrlError(`${this.options.name} closed`));
    this.inFlight = null;
    if (this.mon && this.up) await this.mon.send('DETACH').catch(() => undefined);
    await this.teardown();
    this.up = false;
  }

  /**
   * One request on the command socket, which has one reply slot. While attaching, only the attach's own PING
   * (`attaching`) may go out: a caller's request then would take its reply, and the attach would time out.
   */
  private async send(command: string, timeoutMs: number, attaching = false): Promise<string> {
    await this.recycling;
    const cmd = this.cmd;
    if (this.closed || !this.up || cmd === null || (this.connecting && !attaching)) {
      throw new CtrlError(`${this.options.name} is not reachable`);
    }
    const reply = new Promise<string>((resolve, reject) => {
      const cancel = this.options.clock.after(timeoutMs, () => {
        this.inFlight = null;
        reject(new CtrlError(`${this.options.name} did not answer ${command.split(' ')[0]} within ${timeoutMs} ms`));
        // A late reply must not be taken for the next request's: use a fresh socket from now on.
        this.recycling = this.recycleCommandSocket();
      });
      this.inFlight = { resolve, reject, cancel };
    });
    // It can be rejected (closed, restarted, timed out) while the datagram is still being sent, before the return
    // below awaits it: never an unhandled rejection (one crashed the daemon in the radio lab). The caller still
    // gets the rejection.
    reply.catch(() => undefined);
    try {
      await cmd.send(command);
    } catch (error) {
      this.inFlight?.cancel();
      this.inFlight = null;
      this.markDown(`cannot reach ${this.options.socketPath}: ${(error as Error).message}`);
      throw new CtrlError(`${this.options.name} is not reachable: ${(error as Error).message}`);
    }
    return reply;
  }

  private onCommandReply(text: string): void {
    // Unsolicited messages start with "<level>"; the command socket is not attached, so they are strays.
    if (text.startsWith('<')) return;
    const inFlight = this.inFlight;
    if (inFlight === null) return;
    this.inFlight = null;
    inFlight.cancel();
    inFlight.resolve(text);
  }

  private onMonitorMessage(text: string): void {
    if (text.startsWith('<')) {
      for (const line of text.split('\n')) if (line.trim()) this.options.onEvent(line);
      return;
    }
    const waiter = this.monWaiter;
    this.monWaiter = null;
    waiter?.(text);
  }

  private async connect(): Promise<void> {
    if (this.closed || this.connecting || this.up) return;
    this.connecting = true;
    try {
      this.cmd = await this.options.transports(this.options.socketPath);
      this.cmd.onMessage((text) => this.onCommandReply(text));
      this.up = true; // provisionally, so the PING below can go out
      const pong = (await this.send('PING', this.timeoutMs, true)).trim();
      if (pong !== 'PONG') throw new CtrlError(`unexpected answer to PING: ${describeReply(pong)}`);
      this.mon = await this.options.transports(this.options.socketPath);
      this.mon.onMessage((text) => this.onMonitorMessage(text));
      await this.attach(this.mon);
      this.connecting = false;
      this.failedAttempts = 0;
      this.options.logger.log('info', 'control interface attached', { daemon: this.options.name });
      this.options.onHealth(true, 'attached');
      this.schedulePing();
    } catch (error) {
      this.up = false;
      this.connecting = false;
      await this.teardown();
      this.options.logger.log('debug', 'control interface not ready', {
        daemon: this.options.name,
        error: (error as Error).message,
      });
      this.scheduleRetry();
    }
  }

  private attach(mon: CtrlTransport): Promise<void> {
    return new Promise((resolve, reject) => {
      const cancel = this.options.clock.after(this.timeoutMs, () => {
        this.monWaiter = null;
        reject(new CtrlError('no answer to ATTACH'));
      });
      this.monWaiter = (text) => {
        cancel();
        if (text.trim() === 'OK') resolve();
        else reject(new CtrlError(`ATTACH refused: ${describeReply(text)}`));
      };
      mon.send('ATTACH').catch((error: Error) => {
        cancel();
        this.monWaiter = null;
        reject(error);
      });
    });
  }

  private schedulePing(): void {
    this.cancelPing?.();
    this.cancelPing = this.options.clock.after(this.pingMs, () => {
      if (!this.up || this.closed) return;
      this.request('PING').then(
        (reply) => {
          if (reply.trim() === 'PONG') this.schedulePing();
          else this.markDown(`unexpected answer to PING: ${describeReply(reply)}`);
        },
        (error: Error) => this.markDown(error.message),
      );
    });
  }

  /**
   * A daemon just started creates its socket a moment later (0.1-1 s, several under load; hostapd only once
   * the access point is set up): the first FAST_RETRIES retries come every tenth of `retryMs`, so attaching
   * (and, for hostapd, the access point's bring-up as the device sees it) does not wait most of a period for
   * a socket that is already there. A missing socket costs one failed connect, so this is cheap.
   */
  private scheduleRetry(): void {
    if (this.closed) return;
    this.cancelRetry?.();
    const delay = Math.max(1, Math.round(this.failedAttempts < FAST_RETRIES ? this.retryMs / 10 : this.retryMs));
    this.failedAttempts++;
    this.cancelRetry = this.options.clock.after(delay, () => void this.connect());
  }

  /** The daemon stopped answering: report it once, drop both sockets, and keep trying to come back. */
  private markDown(reason: string): void {
    if (!this.up || this.connecting) return;
    this.up = false;
    this.cancelPing?.();
    this.inFlight?.reject(new CtrlError(`${this.options.name} went away`));
    this.inFlight?.cancel();
    this.inFlight = null;
    this.options.onHealth(false, reason);
    void this.teardown().then(() => this.scheduleRetry());
  }

  private async recycleCommandSocket(): Promise<void> {
    const old = this.cmd;
    if (old === null || this.closed) return;
    try {
      const fresh = await this.options.transports(this.options.socketPath);
      fresh.onMessage((text) => this.onCommandReply(text));
      this.cmd = fresh;
    } catch {
      this.cmd = null;
    }
    await old.close();
  }

  private async teardown(): Promise<void> {
    const sockets = [this.cmd, this.mon];
    this.cmd = null;
    this.mon = null;
    this.monWaiter = null;
    await Promise.all(sockets.map((s) => s?.close()));
  }
}
