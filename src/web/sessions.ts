// Logged-in sessions, in memory: a restart of the peer process logs everyone out, which on a device with one
// administrator is a fair price for keeping no session secrets on disk. Ids are 256 random bits; a session
// ends after 12 h without a request or 7 days in all, and there are at most 32 (the oldest goes first).
import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  created: number;
  lastSeen: number;
}

export interface SessionOptions {
  idleMs?: number;
  maxAgeMs?: number;
  max?: number;
  now?: () => number;
  newId?: () => string;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly max: number;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(options: SessionOptions = {}) {
    this.idleMs = options.idleMs ?? 12 * 3600_000;
    this.maxAgeMs = options.maxAgeMs ?? 7 * 24 * 3600_000;
    this.max = options.max ?? 32;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => randomBytes(32).toString('base64url'));
  }

  create(): Session {
    const now = this.now();
    const session = { id: this.newId(), created: now, lastSeen: now };
    this.sessions.set(session.id, session);
    // Map order is insertion order, and get() re-inserts: the first entry is the least recently used.
    while (this.sessions.size > this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return session;
  }

  /** The live session with this id (and notes the visit), or null. */
  get(id: string | undefined): Session | null {
    if (id === undefined) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    const now = this.now();
    if (now - session.lastSeen > this.idleMs || now - session.created > this.maxAgeMs) {
      this.sessions.delete(id);
      return null;
    }
    session.lastSeen = now;
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
