// Dials peers found on the LAN through ssb-conn, as lan-dial-policy.ts decides; the clock and the random
// source are passed in.
import type { LogSink } from '../log/logger.js';
import type { DiscoveredPeer } from './auto-follow.js';
import { decideLanDial, dialDelayMs, LAN_DIAL_COOLDOWN_MS } from './lan-dial-policy.js';
import type { SsbServer } from './libraries.js';

export interface LanDialerOptions {
  ssb: SsbServer;
  /** The distance of a feed in our follow graph (negative: blocked), if known. */
  hopsOf(feed: string): number | undefined;
  logger: LogSink;
  now?: () => number;
  random?: () => number;
}

export class LanDialer {
  private readonly lastDial = new Map<string, number>();
  /** Keys not to reach before the time given (ms): the peer is dialling us (holdOff). */
  private readonly heldOff = new Map<string, number>();
  private readonly now: () => number;
  private readonly random: () => number;
  /** Dials waiting for their turn; cleared by stop(). */
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: LanDialerOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Keys we are connected or connecting to. */
  connectedKeys(): Set<string> {
    const keys = new Set<string>();
    for (const [, data] of this.options.ssb.conn.hub().entries()) {
      if (data.key !== undefined && (data.state === 'connected' || data.state === 'connecting')) keys.add(data.key);
    }
    return keys;
  }

  /** Dials a verified LAN peer if the policy says so. */
  dialDiscovered(peer: DiscoveredPeer): void {
    const { ssb, logger } = this.options;
    const now = this.now();
    const decision = decideLanDial({
      self: ssb.id,
      peer,
      hops: this.options.hopsOf(peer.key),
      connected: this.connectedKeys().has(peer.key),
      lastDialAt: this.lastDial.get(peer.key),
      now,
    });
    if (!decision.dial || peer.address === undefined) return;
    this.lastDial.set(peer.key, now);
    const { address } = peer;
    this.dialOnce(peer.key, () =>
      ssb.conn.connect(address, { type: 'lan', key: peer.key, verified: peer.verified }, (err) => {
        if (err) logger.log('debug', 'could not dial LAN peer', { key: peer.key, error: err.message });
      }),
    );
  }

  /** Auto-follow's check of an unsigned beacon: connecting proves (or disproves) the key. */
  probe(peer: DiscoveredPeer): void {
    const { ssb, logger } = this.options;
    if (this.connectedKeys().has(peer.key) || peer.address === undefined) return;
    const { address } = peer;
    logger.log('info', 'auto-follow: verifying an unsigned beacon by connecting', { key: peer.key, address });
    this.dialOnce(peer.key, () =>
      ssb.conn.connect(address, { type: 'lan', key: peer.key, verified: false }, (err) => {
        if (err) logger.log('info', 'auto-follow: could not verify peer', { key: peer.key, error: err.message });
      }),
    );
  }

  /**
   * The peer is dialling us again (duplicate-connections.ts): no dial of ours, nor a staging for ssb-conn's
   * scheduler to dial, for one cooldown (if its redial fails, we dial after that).
   */
  holdOff(key: string): void {
    this.heldOff.set(key, this.now() + LAN_DIAL_COOLDOWN_MS);
    this.lastDial.set(key, this.now());
  }

  private isHeldOff(key: string): boolean {
    const until = this.heldOff.get(key);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.heldOff.delete(key);
    return false;
  }

  /**
   * Runs `act` when it is our turn to reach `key` (at once if our id is the smaller, else after the deferral and
   * only if no connection with it came up meanwhile).
   */
  onOurTurn(key: string, act: () => void): void {
    this.dialOnce(key, act);
  }

  /**
   * The peer is closing: no dial from now on. ssb-conn closes its hub in a close hook that runs before
   * secret-stack marks the server closed, and ssb-db2's hook after it waits for the log, so a dial waiting for
   * its turn could otherwise reach the closed hub, which throws (an uncaught exception at shutdown).
   */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private dialOnce(key: string, dial: () => void): void {
    const { ssb } = this.options;
    if (this.stopped || this.isHeldOff(key)) return;
    const delay = dialDelayMs(ssb.id, key, this.random());
    if (delay === 0) {
      dial();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped || (ssb as { closed?: boolean }).closed) return;
      if (!this.connectedKeys().has(key) && !this.isHeldOff(key)) dial();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
