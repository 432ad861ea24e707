// What the rest of Smallworld (control API, CLI, web page, LEDs) knows of the SSB peer: the handle startSsbPeer
// returns (peer.ts), and the values it answers with.
import type { Profile } from './about.js';
import type { AutoFollowPolicy, AutoFollowPolicyChange, AutoFollowRecord } from './auto-follow.js';
import type { LegacyLanStats } from './legacy-lan.js';
import type { NativeCryptoReport } from './native-crypto.js';
import type { StorageView } from './peer-storage.js';
import type { ReplicationProgress } from './progress.js';

export interface PeerInfo {
  address: string;
  key: string | null;
  state: 'connected' | 'connecting' | 'disconnecting' | 'discovered';
  /** How a discovered peer was found (`lan` for both beacon kinds), if known. */
  type?: string;
  verified?: boolean;
}

export interface PublishedMessage {
  key: string;
  sequence: number;
}

/** Our own edges in the follow graph, and who follows us (as far as the feeds we hold tell). */
export interface Relationships {
  following: string[];
  followers: string[];
  blocked: string[];
}

/** A message as held in the database (public ones only: content is an object). */
export interface StoredMessage {
  key: string;
  author: string;
  sequence: number;
  /** The author's claimed time of writing (ms). */
  timestamp: number;
  /** When it arrived here (ms). */
  received: number;
  content: { type: string; [field: string]: unknown };
}

export interface SsbPeer {
  id: string;
  nativeCrypto: NativeCryptoReport;
  whoami(): { id: string };
  /** Our dialable address, `net:HOST:PORT~shs:KEY`. */
  address(): string;
  publish(content: { type: string; [field: string]: unknown }): Promise<PublishedMessage>;
  follow(id: string): Promise<void>;
  unfollow(id: string): Promise<void>;
  block(id: string): Promise<void>;
  unblock(id: string): Promise<void>;
  /** Every feed held, with its latest sequence. */
  feeds(): Promise<Array<{ id: string; sequence: number }>>;
  peers(): PeerInfo[];
  /** Dials a multiserver address through ssb-conn; resolves with the peer's id once SHS completed. */
  connect(address: string): Promise<string>;
  addBlob(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<string>;
  /** The blob's bytes, asking connected peers for it if we lack it (rejects after timeoutMs). */
  getBlob(id: string, options?: { timeoutMs?: number }): Promise<Buffer>;
  hasBlob(id: string): Promise<boolean>;
  /** The storage budget as the peer applies it: reserve, what is paused, what was evicted (peer-storage.ts). */
  storageView(): Promise<StorageView>;
  replicationProgress(): ReplicationProgress;
  /** Called with true when replication starts and false when it has been idle for a moment. */
  onReplicationChange(listener: (replicating: boolean) => void): () => void;
  autoFollowDecisions(): AutoFollowRecord[];
  autoFollowPolicy(): AutoFollowPolicy;
  /** Changes the switch and the allow/deny lists at run time, and remembers them across restarts. */
  setAutoFollowPolicy(change: AutoFollowPolicyChange): Promise<AutoFollowPolicy>;
  /** The largest blob (bytes) this peer stores. */
  blobsMaxBytes: number;
  relationships(): Promise<Relationships>;
  /** The newest public messages held, newest first. */
  recentMessages(limit: number): Promise<StoredMessage[]>;
  /**
   * Up to `limit` public posts whose jitdb timestamp index (the smaller of arrival and claimed time) lies in
   * [atOrAfter, atOrBefore] (null: open), newest first; posts of the same millisecond come in no particular
   * order (src/web/guest/paging.ts gives them one).
   */
  postsBetween(range: { atOrBefore: number | null; atOrAfter: number | null; limit: number }): Promise<StoredMessage[]>;
  /** Each author's own name and picture, from their `about` messages. */
  profiles(): Promise<Map<string, Profile>>;
  legacyBeaconStats(): LegacyLanStats | null;
  close(): Promise<void>;
}
