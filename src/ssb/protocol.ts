// The SSB peer's local API, spoken on DATA/peer.sock by `smallworld ssb ...` (same line-oriented JSON as
// the daemon's control socket). Blobs travel as base64, so the limit on a request is larger here.
// ("id" is the request's own id in this protocol, so feeds and blobs are named "feed" and "blob".)
// Each command's reply type is in PeerReplies, used by the handlers (service.ts), the CLI and tests.
import * as z from 'zod';
import { createParser, type RepliesCover } from '../control/protocol.js';
import type { AutoFollowPolicy, AutoFollowRecord } from './auto-follow.js';
import { BLOB_ID, FEED_ID } from './ids.js';
import type { LegacyLanStats } from './legacy-lan.js';
import type { NativeCryptoReport } from './native-crypto.js';
import type { PeerInfo, PublishedMessage, Relationships } from './peer-api.js';
import type { ReplicationProgress } from './progress.js';

/** Room for a 5 MiB blob in base64 and the JSON around it. */
export const MAX_PEER_REQUEST_BYTES = 8 * 1024 * 1024;

export const feedId = z.string().regex(FEED_ID, 'expected a feed id like @<base64>.ed25519');
export const blobId = z.string().regex(BLOB_ID, 'expected a blob id like &<base64>.sha256');
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64 data');

export const peerRequestSchema = z.discriminatedUnion('cmd', [
  z.object({ cmd: z.literal('ssb.whoami') }),
  z.object({ cmd: z.literal('ssb.status') }),
  z.object({
    cmd: z.literal('ssb.publish'),
    content: z
      .object({
        type: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[\x21-\x7e]+$/, 'the type is one word'),
      })
      .catchall(z.unknown()),
  }),
  z.object({
    cmd: z.literal('ssb.photo'),
    data: base64,
    name: z.string().max(200).optional(),
    mime: z
      .string()
      .max(100)
      .regex(/^image\/[a-z0-9.+-]+$/, 'expected an image MIME type')
      .optional(),
    text: z.string().max(4000).optional(),
  }),
  z.object({ cmd: z.literal('ssb.follow'), feed: feedId }),
  z.object({ cmd: z.literal('ssb.unfollow'), feed: feedId }),
  z.object({ cmd: z.literal('ssb.block'), feed: feedId }),
  z.object({ cmd: z.literal('ssb.unblock'), feed: feedId }),
  z.object({ cmd: z.literal('ssb.feeds') }),
  z.object({ cmd: z.literal('ssb.graph') }),
  z.object({ cmd: z.literal('ssb.peers') }),
  z.object({ cmd: z.literal('ssb.connect'), address: z.string().min(1).max(500) }),
  z.object({ cmd: z.literal('ssb.blob.add'), data: base64 }),
  z.object({
    cmd: z.literal('ssb.blob.get'),
    blob: blobId,
    timeoutMs: z.number().int().min(0).max(120_000).optional(),
  }),
]);

export type PeerRequest = z.infer<typeof peerRequestSchema>;
export type PeerCommand = PeerRequest['cmd'];
export const PEER_COMMANDS: readonly PeerCommand[] = peerRequestSchema.options.map((o) => o.shape.cmd.value);
export const parsePeerRequest = createParser<PeerRequest>(peerRequestSchema, PEER_COMMANDS);

/** `ssb.status`: who we are, where we listen, and what replication and auto-follow are doing. */
export interface PeerStatus {
  id: string;
  address: string;
  progress: ReplicationProgress;
  autoFollow: AutoFollowRecord[];
  autoFollowPolicy: AutoFollowPolicy;
  legacyBeacons: LegacyLanStats | null;
  nativeCrypto: NativeCryptoReport;
}

/** A blob as `ssb.blob.get` sends it. */
export interface BlobReply {
  id: string;
  size: number;
  /** The bytes in base64. */
  data: string;
}

/** What the SSB peer answers to each command. */
export interface PeerReplies {
  'ssb.whoami': { id: string };
  'ssb.status': PeerStatus;
  'ssb.publish': PublishedMessage;
  'ssb.photo': PublishedMessage & { blob: string };
  'ssb.follow': { following: string };
  'ssb.unfollow': { unfollowed: string };
  'ssb.block': { blocked: string };
  'ssb.unblock': { unblocked: string };
  'ssb.feeds': Array<{ id: string; sequence: number }>;
  'ssb.graph': Relationships;
  'ssb.peers': PeerInfo[];
  'ssb.connect': { id: string };
  'ssb.blob.add': { id: string; size: number };
  'ssb.blob.get': BlobReply;
}

/** The SSB peer's local protocol on DATA/peer/peer.sock. */
export interface PeerProtocol {
  request: PeerRequest;
  replies: RepliesCover<PeerCommand, PeerReplies>;
}
