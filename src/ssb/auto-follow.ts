// Auto-follow: the device follows the SSB peers it meets on its networks, so that the follow graph, which
// is what EBT replicates along, grows by meeting people. A pure decision function holds the whole policy
// (so it can be tested exhaustively); a small shell feeds it what was discovered, publishes the follow and
// remembers it.
//
// Why "verified" matters: a legacy beacon (UDP 8008) is plain text, so anyone on the LAN can announce any
// key, and following it would let a stranger make the device follow arbitrary feeds. ssb-lan's signed
// beacon (UDP 26830) and a completed secret handshake both prove the announcer holds the private key.
// By default an unverified beacon is therefore not followed but *verified by connecting*: the shell dials
// the announced address, and only if the secret handshake with that key succeeds does the peer come back
// as a `connection` with `verified: true`. (A signature proves possession of a key, not trustworthiness:
// anyone can mint keys, which is what the rate limit and the allow/deny lists are for.)
import { rename } from 'node:fs/promises';
import type { LogSink as PeerLogger } from '../log/logger.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { readTextIfPresent } from '../store/missing.js';
import { FEED_ID } from './ids.js';

const MINUTE = 60_000;

export function isFeedId(id: unknown): id is string {
  return typeof id === 'string' && FEED_ID.test(id);
}

export interface AutoFollowPolicy {
  enabled: boolean;
  /** If not empty, only these feed ids are ever auto-followed. */
  allow: readonly string[];
  /** Never auto-followed (a block is stronger: it also stops replication). */
  deny: readonly string[];
  /** Follows published per rolling minute, at most. */
  maxPerMinute: number;
  /** What to do with a peer known only from an unsigned beacon. */
  unverified: 'ignore' | 'verify' | 'follow';
}

export const DEFAULT_AUTO_FOLLOW_POLICY: AutoFollowPolicy = {
  enabled: true,
  allow: [],
  deny: [],
  maxPerMinute: 10,
  unverified: 'verify',
};

/** Where we learned of a peer: ssb-lan's beacon, the legacy plaintext beacon, or a live SHS connection. */
export type DiscoverySource = 'lan' | 'legacy-lan' | 'connection';

export interface DiscoveredPeer {
  key: string;
  verified: boolean;
  source: DiscoverySource;
  address?: string;
}

export interface AutoFollowInput {
  policy: AutoFollowPolicy;
  self: string;
  /** Feeds we follow already (our contact messages, plus what auto-follow remembers having done). */
  followed: ReadonlySet<string>;
  /** Feeds we explicitly unfollowed: a person's choice that auto-follow must not undo. */
  unfollowed: ReadonlySet<string>;
  blocked: ReadonlySet<string>;
  /** When auto-follow published its recent follows (ms since epoch). */
  recentFollows: readonly number[];
  peer: DiscoveredPeer;
  now: number;
}

export type AutoFollowReason =
  | 'invalid-key'
  | 'disabled'
  | 'self'
  | 'blocked'
  | 'denied'
  | 'already-followed'
  | 'unfollowed-before'
  | 'not-allowed'
  | 'unverified'
  | 'rate-limited'
  | 'follow';

export interface AutoFollowDecision {
  follow: boolean;
  reason: AutoFollowReason;
  /** Set with reason `unverified` when policy says to prove the key by connecting to it. */
  verify?: boolean;
}

/**
 * The whole auto-follow policy, in order of precedence. Total and deterministic: same input, same answer.
 * Rate limiting comes last so that a refused peer never uses up the budget.
 */
export function decideAutoFollow(input: AutoFollowInput): AutoFollowDecision {
  const { policy, peer } = input;
  const no = (reason: AutoFollowReason): AutoFollowDecision => ({ follow: false, reason });
  if (!isFeedId(peer.key)) return no('invalid-key');
  if (!policy.enabled) return no('disabled');
  if (peer.key === input.self) return no('self');
  if (input.blocked.has(peer.key)) return no('blocked');
  if (policy.deny.includes(peer.key)) return no('denied');
  if (input.followed.has(peer.key)) return no('already-followed');
  if (input.unfollowed.has(peer.key)) return no('unfollowed-before');
  if (policy.allow.length > 0 && !policy.allow.includes(peer.key)) return no('not-allowed');
  if (!peer.verified && policy.unverified !== 'follow') {
    return policy.unverified === 'verify' ? { follow: false, reason: 'unverified', verify: true } : no('unverified');
  }
  const windowStart = input.now - MINUTE;
  // Timestamps in the future (the clock stepped back) still count: err on the side of following less.
  const inWindow = input.recentFollows.filter((t) => t > windowStart).length;
  if (inWindow >= Math.max(0, Math.floor(policy.maxPerMinute))) return no('rate-limited');
  return { follow: true, reason: 'follow' };
}

// ---------------------------------------------------------------------------------------------------------
// The shell.

export interface AutoFollowRecord {
  at: number;
  key: string;
  source: DiscoverySource;
  verified: boolean;
  address?: string;
  follow: boolean;
  reason: AutoFollowReason;
  /** How many identical decisions about this peer were folded into this record (beacons repeat). */
  repeats: number;
  error?: string;
}

interface PersistedFollow {
  id: string;
  at: number;
  source: DiscoverySource;
}

interface PersistedState {
  version: 1;
  followed: PersistedFollow[];
}

export interface AutoFollowerDeps {
  self: string;
  policy: AutoFollowPolicy;
  /** The JSON file remembering what auto-follow followed (dataDir/auto-follow.json). */
  statePath: string;
  /** Publishes `{type: 'contact', contact: id, following: true}`. */
  publishFollow(id: string): Promise<void>;
  /** Dials an address so that a secret handshake proves the announced key (see `unverified: 'verify'`). */
  probe(peer: DiscoveredPeer & { address: string }): void;
  logger: PeerLogger;
  now?: () => number;
  ringSize?: number;
}

/** Same peer, same answer within this long: fold into the previous record instead of logging again. */
const REPEAT_WINDOW_MS = 60_000;
/** Dial an unverified address at most this often. */
const PROBE_INTERVAL_MS = 60_000;
/** Distinct peers waiting for a decision; beyond this a flood of beacons is dropped, not queued. */
const MAX_PENDING = 256;

export class AutoFollower {
  private readonly deps: AutoFollowerDeps;
  private currentPolicy: AutoFollowPolicy;
  private readonly now: () => number;
  private readonly ringSize: number;
  private readonly ring: AutoFollowRecord[] = [];
  private readonly lastByKey = new Map<string, AutoFollowRecord>();
  private readonly lastProbe = new Map<string, number>();
  private readonly pending = new Set<string>();
  private persisted: PersistedFollow[] = [];
  /** Our own contact edges, from ssb-friends: 1 follow, -1 block, -2 unfollow. */
  private ownEdges: ReadonlyMap<string, number> = new Map();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(deps: AutoFollowerDeps) {
    this.deps = deps;
    this.currentPolicy = deps.policy;
    this.now = deps.now ?? Date.now;
    this.ringSize = deps.ringSize ?? 200;
  }

  static async open(deps: AutoFollowerDeps): Promise<AutoFollower> {
    const follower = new AutoFollower(deps);
    follower.persisted = await loadState(deps.statePath, deps.logger);
    return follower;
  }

  /** Called whenever ssb-friends reports a change in our own contact edges. */
  setOwnEdges(edges: ReadonlyMap<string, number>): void {
    this.ownEdges = edges;
  }

  get policy(): AutoFollowPolicy {
    return this.currentPolicy;
  }

  /** Replaces the policy (the web page's switch and lists); decisions already queued use the new one. */
  setPolicy(policy: AutoFollowPolicy): void {
    this.currentPolicy = policy;
  }

  /** The most recent decisions, oldest first (a copy). */
  decisions(): AutoFollowRecord[] {
    return this.ring.map((record) => ({ ...record }));
  }

  /** Ids auto-follow has followed, as remembered on disk. */
  followedIds(): string[] {
    return this.persisted.map((f) => f.id);
  }

  /** Queues a discovered peer for a decision. Decisions run one at a time so no peer is followed twice. */
  consider(peer: DiscoveredPeer): Promise<void> {
    if (this.closed) return Promise.resolve();
    const pendingKey = `${peer.key}|${peer.source}|${peer.verified}`;
    if (this.pending.has(pendingKey)) return this.queue;
    if (this.pending.size >= MAX_PENDING) {
      this.deps.logger.log('warn', 'auto-follow: too many peers waiting, dropping one', { key: peer.key });
      return this.queue;
    }
    this.pending.add(pendingKey);
    this.queue = this.queue
      .then(() => this.decide(peer))
      .catch((error: unknown) => {
        this.deps.logger.log('error', 'auto-follow failed', { key: peer.key, error: String(error) });
      })
      .finally(() => {
        this.pending.delete(pendingKey);
      });
    return this.queue;
  }

  /** Waits for queued decisions; later ones are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private async decide(peer: DiscoveredPeer): Promise<void> {
    const now = this.now();
    const followed = new Set(this.persisted.map((f) => f.id));
    const unfollowed = new Set<string>();
    const blocked = new Set<string>();
    for (const [id, value] of this.ownEdges) {
      if (value === 1) followed.add(id);
      else if (value === -1) blocked.add(id);
      else if (value === -2) unfollowed.add(id);
    }
    // A feed we followed by hand and later unfollowed is not "followed" any more, even if auto-follow
    // once followed it: the person's unfollow wins. (persisted ∩ unfollowed → unfollowed-before.)
    for (const id of unfollowed) followed.delete(id);

    const decision = decideAutoFollow({
      policy: this.currentPolicy,
      self: this.deps.self,
      followed,
      unfollowed,
      blocked,
      recentFollows: this.persisted.map((f) => f.at),
      peer,
      now,
    });

    let error: string | undefined;
    if (decision.follow) {
      try {
        await this.deps.publishFollow(peer.key);
        // Published first, remembered second: if we crash in between, our own contact message already
        // makes the peer "already-followed" after a restart.
        this.persisted = [...this.persisted, { id: peer.key, at: now, source: peer.source }];
        await saveState(this.deps.statePath, this.persisted);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    } else if (decision.verify && peer.address !== undefined) {
      const last = this.lastProbe.get(peer.key);
      if (last === undefined || now - last >= PROBE_INTERVAL_MS) {
        if (this.lastProbe.size > 1000) this.lastProbe.clear();
        this.lastProbe.set(peer.key, now);
        this.deps.probe({ ...peer, address: peer.address });
      }
    }
    this.record(peer, decision, now, error);
  }

  private record(peer: DiscoveredPeer, decision: AutoFollowDecision, now: number, error?: string): void {
    const previous = this.lastByKey.get(peer.key);
    if (
      error === undefined &&
      previous !== undefined &&
      previous.error === undefined &&
      previous.reason === decision.reason &&
      previous.source === peer.source &&
      now - previous.at < REPEAT_WINDOW_MS
    ) {
      previous.repeats += 1;
      return;
    }
    const record: AutoFollowRecord = {
      at: now,
      key: peer.key,
      source: peer.source,
      verified: peer.verified,
      follow: decision.follow && error === undefined,
      reason: decision.reason,
      repeats: 0,
      ...(peer.address !== undefined ? { address: peer.address } : {}),
      ...(error !== undefined ? { error } : {}),
    };
    this.ring.push(record);
    if (this.ring.length > this.ringSize) this.ring.splice(0, this.ring.length - this.ringSize);
    if (this.lastByKey.size > 4 * this.ringSize) this.lastByKey.clear();
    this.lastByKey.set(peer.key, record);
    const level = error !== undefined ? 'error' : decision.follow ? 'info' : 'debug';
    this.deps.logger.log(level, error !== undefined ? 'auto-follow: follow failed' : 'auto-follow decision', {
      key: peer.key,
      source: peer.source,
      verified: peer.verified,
      follow: record.follow,
      reason: decision.reason,
      ...(error !== undefined ? { error } : {}),
    });
  }
}

async function loadState(path: string, logger: PeerLogger): Promise<PersistedFollow[]> {
  const text = await readTextIfPresent(path);
  if (text === null) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (isPersistedState(parsed)) return parsed.followed;
    throw new Error('unexpected shape');
  } catch (error) {
    // Keep the unreadable file for a person to look at; our own contact messages still prevent
    // repeated follows, so starting empty is safe.
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside).catch(() => {});
    logger.log('error', 'auto-follow state unreadable, set aside', { path, aside, error: String(error) });
    return [];
  }
}

function isPersistedState(value: unknown): value is PersistedState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as { version?: unknown; followed?: unknown };
  return (
    state.version === 1 &&
    Array.isArray(state.followed) &&
    state.followed.every(
      (f: unknown) =>
        typeof f === 'object' &&
        f !== null &&
        isFeedId((f as { id?: unknown }).id) &&
        typeof (f as { at?: unknown }).at === 'number',
    )
  );
}

async function saveState(path: string, followed: readonly PersistedFollow[]): Promise<void> {
  const state: PersistedState = { version: 1, followed: [...followed] };
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Changing the policy at run time (the web page). The switch and the two lists are kept in their own file,
// dataDir/auto-follow-policy.json; once it exists it wins over the config file's `ssb.autoFollow`.

export const MAX_POLICY_LIST = 1000;

export interface AutoFollowPolicyChange {
  enabled?: boolean;
  allow?: readonly string[];
  deny?: readonly string[];
}

export class InvalidPolicy extends Error {
  override name = 'InvalidPolicy';
}

/** The policy with the change applied; every id checked, duplicates dropped (first kept). */
export function withPolicyChange(policy: AutoFollowPolicy, change: AutoFollowPolicyChange): AutoFollowPolicy {
  const list = (name: 'allow' | 'deny', ids: readonly string[] | undefined): readonly string[] => {
    if (ids === undefined) return policy[name];
    const bad = ids.find((id) => !isFeedId(id));
    if (bad !== undefined) throw new InvalidPolicy(`the ${name} list takes feed ids like @<base64>.ed25519`);
    const unique = [...new Set(ids)];
    if (unique.length > MAX_POLICY_LIST)
      throw new InvalidPolicy(`the ${name} list holds at most ${MAX_POLICY_LIST} ids`);
    return unique;
  };
  return {
    ...policy,
    enabled: change.enabled ?? policy.enabled,
    allow: list('allow', change.allow),
    deny: list('deny', change.deny),
  };
}

interface PersistedPolicy {
  version: 1;
  enabled: boolean;
  allow: string[];
  deny: string[];
}

/** The stored switch and lists, or null if none were saved (or the file is unreadable: then it is set aside). */
export async function loadPolicyOverride(path: string, logger: PeerLogger): Promise<AutoFollowPolicyChange | null> {
  const text = await readTextIfPresent(path);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<PersistedPolicy> | null;
    if (
      value?.version === 1 &&
      typeof value.enabled === 'boolean' &&
      Array.isArray(value.allow) &&
      Array.isArray(value.deny) &&
      [...value.allow, ...value.deny].every(isFeedId)
    ) {
      return { enabled: value.enabled, allow: value.allow, deny: value.deny };
    }
    throw new Error('unexpected shape');
  } catch (error) {
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside).catch(() => {});
    logger.log('error', 'auto-follow policy file unreadable, set aside', { path, aside, error: String(error) });
    return null;
  }
}

export async function savePolicyOverride(path: string, policy: AutoFollowPolicy): Promise<void> {
  const state: PersistedPolicy = {
    version: 1,
    enabled: policy.enabled,
    allow: [...policy.allow],
    deny: [...policy.deny],
  };
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}
