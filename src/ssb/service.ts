// Serves the SSB peer's local API: each request maps to one call on the peer handle. Photos are one call:
// the blob is stored, then a post that links it is published.
import { ControlError } from '../control/protocol.js';
import type { ControlHandlers } from '../control/server.js';
import type { SsbPeer } from './peer.js';
import type { PeerRequest } from './protocol.js';

export function peerHandlers(peer: SsbPeer): ControlHandlers<PeerRequest> {
  return {
    async handle(request) {
      switch (request.cmd) {
        case 'ssb.whoami':
          return peer.whoami();
        case 'ssb.status':
          return {
            id: peer.id,
            address: peer.address(),
            progress: peer.replicationProgress(),
            autoFollow: peer.autoFollowDecisions(),
            autoFollowPolicy: peer.autoFollowPolicy(),
            legacyBeacons: peer.legacyBeaconStats(),
            nativeCrypto: peer.nativeCrypto,
          };
        case 'ssb.publish':
          return peer.publish(request.content);
        case 'ssb.photo': {
          const bytes = Buffer.from(request.data, 'base64');
          if (bytes.length === 0) throw new ControlError('bad_request', 'the photo is empty');
          const blob = await peer.addBlob(bytes);
          const name = request.name ?? 'photo';
          const text = request.text ? `${request.text}\n\n![${name}](${blob})` : `![${name}](${blob})`;
          const mention: Record<string, unknown> = { link: blob, name, size: bytes.length };
          if (request.mime) mention.type = request.mime;
          const message = await peer.publish({ type: 'post', text, mentions: [mention] });
          return { ...message, blob };
        }
        case 'ssb.follow':
          await peer.follow(request.feed);
          return { following: request.feed };
        case 'ssb.unfollow':
          await peer.unfollow(request.feed);
          return { unfollowed: request.feed };
        case 'ssb.block':
          await peer.block(request.feed);
          return { blocked: request.feed };
        case 'ssb.unblock':
          await peer.unblock(request.feed);
          return { unblocked: request.feed };
        case 'ssb.feeds':
          return peer.feeds();
        case 'ssb.graph':
          return peer.relationships();
        case 'ssb.peers':
          return peer.peers();
        case 'ssb.connect':
          return { id: await peer.connect(request.address) };
        case 'ssb.blob.add': {
          const bytes = Buffer.from(request.data, 'base64');
          return { id: await peer.addBlob(bytes), size: bytes.length };
        }
        case 'ssb.blob.get': {
          const bytes = await peer.getBlob(request.blob, { timeoutMs: request.timeoutMs ?? 10_000 });
          return { id: request.blob, size: bytes.length, data: bytes.toString('base64') };
        }
      }
    },
  };
}
