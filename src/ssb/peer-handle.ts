// The local API of the SSB peer: what the control socket, the web page and the LEDs call (peer-api.ts), in
// terms of the assembled server; photos in peer-blobs.ts, what the database holds in peer-queries.ts. Input is
// checked where it is used (feed and blob ids, sizes, limits).
import type SecretStack from 'secret-stack';
import type ssbDb2 from 'ssb-db2';
import type { LogSink } from '../log/logger.js';
import { type AutoFollower, isFeedId, savePolicyOverride, withPolicyChange } from './auto-follow.js';
import { callback } from './callback.js';
import type { LegacyLan } from './legacy-lan.js';
import type { SsbLibraries, SsbServer } from './libraries.js';
import type { NativeCryptoReport } from './native-crypto.js';
import type { PeerInfo, SsbPeer } from './peer-api.js';
import { blobApi } from './peer-blobs.js';
import { databaseQueries } from './peer-queries.js';
import type { PeerStorage } from './peer-storage.js';
import type { ReplicationWatch } from './replication-watch.js';

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
  const { ssb, logger, blobsMaxBytes, nativeCrypto, follower, policyPath, replication, legacyLan, close } = parts;
  /** Resolves once everything appended so far is written and fsynced (see durable.ts). */
  const logSynced = () => new Promise<void>((resolve) => ssb.db.getLog().onDrain(resolve));

  const checkFeed = (id: string) => {
    if (!isFeedId(id)) throw new TypeError(`not a feed id: ${id}`);
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
    ...blobApi(parts),
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
    ...databaseQueries(parts),
    legacyBeaconStats: () => legacyLan?.stats() ?? null,
    close,
  };
}
