// The local API of the SSB peer: what the control socket, the web page and the LEDs call (peer-api.ts), in
// terms of the assembled server. Input is checked here (feed and blob ids, sizes, limits).
import pull from 'pull-stream';
import type SecretStack from 'secret-stack';
import type ssbDb2 from 'ssb-db2';
import type ssbFriends from 'ssb-friends';
import type { LogSink } from '../log/logger.js';
import { checkBlobFile } from '../storage/blob-integrity.js';
import { asStorageError } from '../storage/errors.js';
import { type AboutMessage, profilesFromAbouts } from './about.js';
import { type AutoFollower, isFeedId, savePolicyOverride, withPolicyChange } from './auto-follow.js';
import { DamagedBlobError } from './blob-guard.js';
import { blobPath, syncBlob } from './durable.js';
import { BLOB_ID } from './ids.js';
import type { LegacyLan } from './legacy-lan.js';
import type { SsbLibraries, SsbServer } from './libraries.js';
import type { NativeCryptoReport } from './native-crypto.js';
import type { PeerInfo, SsbPeer, StoredMessage } from './peer-api.js';
import type { PeerStorage } from './peer-storage.js';
import { collect, fromAsyncIterable } from './pull.js';
import type { ReplicationWatch } from './replication-watch.js';

export function callback<T = void>(run: (cb: (err: Error | null, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
}

/** A database record as a StoredMessage, or nothing when its content is not a public object with a type. */
function storedMessage(msg: ssbDb2.Msg): StoredMessage[] {
  const content = msg.value.content as { type?: unknown } | null;
  if (typeof content !== 'object' || content === null || typeof content.type !== 'string') return [];
  return [
    {
      key: msg.key,
      author: msg.value.author,
      sequence: msg.value.sequence,
      timestamp: msg.value.timestamp,
      received: msg.timestamp,
      content: content as StoredMessage['content'],
    },
  ];
}

export interface PeerHandleParts {
  ssb: SsbServer;
  logger: LogSink;
  operators: SsbLibraries['operators'];
  dataDir: string;
  blobsMaxBytes: number;
  nativeCrypto: NativeCryptoReport;
  follower: AutoFollower;
  /** Where a changed auto-follow policy is remembered. */
  policyPath: string;
  replication: ReplicationWatch;
  legacyLan: LegacyLan | null;
  /** The storage budget, asked before each write (peer-storage.ts). */
  storage: PeerStorage;
  close(): Promise<void>;
}

export function peerHandle(parts: PeerHandleParts): SsbPeer {
  const {
    ssb,
    logger,
    operators,
    dataDir,
    blobsMaxBytes,
    nativeCrypto,
    follower,
    policyPath,
    replication,
    legacyLan,
    close,
  } = parts;
  /** Resolves once everything appended so far is written and fsynced (see durable.ts). */
  const logSynced = () => new Promise<void>((resolve) => ssb.db.getLog().onDrain(resolve));

  const checkFeed = (id: string) => {
    if (!isFeedId(id)) throw new TypeError(`not a feed id: ${id}`);
  };
  const checkBlob = (id: string) => {
    if (!BLOB_ID.test(id)) throw new TypeError(`not a blob id: ${id}`);
  };
  const hasBlob = async (id: string) => {
    checkBlob(id);
    return (await callback<boolean>((cb) => ssb.blobs.has(id, cb))) === true;
  };

  return {
    id: ssb.id,
    nativeCrypto,
    whoami: () => ({ id: ssb.id }),
    address: () => ssb.getAddress('device') ?? '',
    async publish(content) {
      if (typeof content !== 'object' || content === null || typeof content.type !== 'string' || content.type === '') {
        throw new TypeError('content needs a non-empty string `type`');
      }
      await parts.storage.admitPost();
      const msg = await callback<ssbDb2.Msg>((cb) => ssb.db.publish(content, cb));
      if (!msg) throw new Error('publish returned no message');
      await logSynced();
      return { key: msg.key, sequence: msg.value.sequence };
    },
    async follow(id) {
      checkFeed(id);
      await callback((cb) => ssb.friends.follow(id, {}, cb));
    },
    async unfollow(id) {
      checkFeed(id);
      await callback((cb) => ssb.friends.follow(id, { state: false }, cb));
    },
    async block(id) {
      checkFeed(id);
      await callback((cb) => ssb.friends.block(id, {}, cb));
    },
    async unblock(id) {
      checkFeed(id);
      await callback((cb) => ssb.friends.block(id, { state: false }, cb));
    },
    async feeds() {
      await new Promise<void>((resolve) => ssb.db.onDrain('base', resolve));
      const latest = await collect(ssb.db.getAllLatest());
      return latest
        .map(({ key, value }) => ({ id: key, sequence: value.sequence }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    peers() {
      const result: PeerInfo[] = [];
      const seen = new Set<string>();
      for (const [address, data] of ssb.conn.hub().entries()) {
        seen.add(address);
        result.push({ address, key: data.key ?? null, state: data.state ?? 'connecting' });
      }
      for (const [address, data] of ssb.conn.query().peersConnectable('staging')) {
        if (seen.has(address)) continue;
        result.push({
          address,
          key: data.key ?? null,
          state: 'discovered',
          ...(typeof data.type === 'string' ? { type: data.type } : {}),
          ...(typeof data.verified === 'boolean' ? { verified: data.verified } : {}),
        });
      }
      return result;
    },
    async connect(address) {
      const rpc = await callback<SecretStack.Rpc>((cb) => ssb.conn.connect(address, {}, cb));
      if (!rpc) throw new Error(`no connection to ${address}`);
      return rpc.id;
    },
    async addBlob(data) {
      const tooLarge = () => new RangeError(`blob is larger than the limit of ${blobsMaxBytes} bytes`);
      if (data instanceof Uint8Array && data.byteLength > blobsMaxBytes) throw tooLarge();
      const source = data instanceof Uint8Array ? pull.values([Buffer.from(data)]) : fromAsyncIterable(data);
      // Count ourselves so a stream that is too long fails with a clear error (ssb-blobs' own is wrapped
      // as "could not write to tmpfile") and the temporary file is dropped by ssb-blobs.
      let size = 0;
      let overflow: RangeError | null = null;
      const counted = pull(
        source,
        pull.filter((chunk: Buffer) => {
          size += chunk.length;
          if (size > blobsMaxBytes) overflow ??= tooLarge();
          return true;
        }),
      );
      // Refused up front when it would eat into the reserve (storage/budget.ts).
      await parts.storage.admitPhoto(data instanceof Uint8Array ? data.byteLength : 0);
      const id = await parts.storage.ownWrite(async () => {
        try {
          return await new Promise<string>((resolve, reject) => {
            pull(
              counted,
              ssb.blobs.add((err, blobId) => {
                if (overflow) reject(overflow);
                else if (err) reject(err);
                else if (blobId) resolve(blobId);
                else reject(new Error('ssb-blobs returned no blob id'));
              }),
            );
          });
        } catch (error) {
          // multiblob wraps the write's error ("could not write to tmpfile"); the owner reads "storage full".
          throw asStorageError(error, 'the photo was not stored');
        }
      });
      // The file under its id must hold exactly what was given (the write path is ours, but a card can lie).
      const check = await checkBlobFile(blobPath(dataDir, id), id, size);
      if (!check.ok) {
        throw new Error(`the photo was not stored intact (${check.missing ? 'missing after writing' : check.reason})`);
      }
      await syncBlob(dataDir, id);
      return id;
    },
    async getBlob(id, getOptions = {}) {
      // A damaged file is set aside while it is read (the guard's hook on blobs.get): then it is missing,
      // and a friend is asked for it like any missing blob.
      const readIntact = async (): Promise<Buffer | null> => {
        if (!(await hasBlob(id))) return null;
        try {
          return Buffer.concat(await collect(ssb.blobs.get(id)));
        } catch (error) {
          if (error instanceof DamagedBlobError || !(await hasBlob(id))) return null;
          throw error;
        }
      };
      const held = await readIntact();
      if (held) return held;
      const timeoutMs = getOptions.timeoutMs ?? 30_000;
      const notFound = () => new Error(`blob ${id} not found within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          callback<boolean>((cb) => ssb.blobs.want(id, cb)),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(notFound()), timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      const fetched = await readIntact();
      if (!fetched) throw notFound();
      return fetched;
    },
    hasBlob,
    storageView: () => parts.storage.view(),
    replicationProgress: () => replication.progress(),
    onReplicationChange: (listener) => replication.onChange(listener),
    autoFollowDecisions: () => follower.decisions(),
    autoFollowPolicy: () => follower.policy,
    async setAutoFollowPolicy(change) {
      const next = withPolicyChange(follower.policy, change);
      await savePolicyOverride(policyPath, next);
      follower.setPolicy(next);
      logger.log('info', 'auto-follow policy changed', {
        enabled: next.enabled,
        allow: next.allow.length,
        deny: next.deny.length,
      });
      return next;
    },
    blobsMaxBytes,
    async relationships() {
      const graph = (await callback<ssbFriends.Graph>((cb) => ssb.friends.graph(cb))) ?? {};
      const following: string[] = [];
      const blocked: string[] = [];
      for (const [dest, value] of Object.entries(graph[ssb.id] ?? {})) {
        if (value === 1) following.push(dest);
        else if (value === -1) blocked.push(dest);
      }
      const followers = Object.entries(graph)
        .filter(([source, edges]) => source !== ssb.id && edges[ssb.id] === 1)
        .map(([source]) => source);
      return { following: following.sort(), followers: followers.sort(), blocked: blocked.sort() };
    },
    async recentMessages(limit) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new RangeError('limit must be 1..500');
      const { where, isPublic, descending, paginate, toCallback } = operators;
      const answer = await callback<unknown>((cb) =>
        ssb.db.query(where(isPublic()), descending(), paginate(limit), toCallback(cb)),
      );
      const results = (answer as { results?: ssbDb2.Msg[] } | undefined)?.results ?? [];
      // Messages written in the same millisecond keep their feed order (newest first).
      const newestFirst = [...results].sort(
        (a, b) =>
          b.value.timestamp - a.value.timestamp ||
          (a.value.author === b.value.author ? b.value.sequence - a.value.sequence : 0),
      );
      return newestFirst.flatMap(storedMessage);
    },
    async postsBetween({ atOrBefore, atOrAfter, limit }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError('limit must be 1..10000');
      const { where, and, type, isPublic, lte, gte, descending, paginate, toCallback } = operators;
      const filters = [type('post'), isPublic()];
      if (atOrBefore !== null) filters.push(lte(atOrBefore, 'timestamp'));
      if (atOrAfter !== null) filters.push(gte(atOrAfter, 'timestamp'));
      const answer = await callback<unknown>((cb) =>
        ssb.db.query(where(and(...filters)), descending(), paginate(limit), toCallback(cb)),
      );
      const results = (answer as { results?: ssbDb2.Msg[] } | undefined)?.results ?? [];
      return results.flatMap(storedMessage);
    },
    async profiles() {
      const { where, type, toCallback } = operators;
      const answer = await callback<unknown>((cb) => ssb.db.query(where(type('about')), toCallback(cb)));
      const messages = Array.isArray(answer) ? (answer as ssbDb2.Msg[]) : [];
      return profilesFromAbouts(
        messages.map(
          (msg): AboutMessage => ({
            author: msg.value.author,
            sequence: msg.value.sequence,
            content: msg.value.content,
          }),
        ),
      );
    },
    legacyBeaconStats: () => legacyLan?.stats() ?? null,
    close,
  };
}
