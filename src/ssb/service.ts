// Serves the SSB peer's local API: each request maps to one call on the peer handle. Photos are one call:
// the blob is stored, then a post that links it is published.
import { ControlError } from '../control/protocol.js';
import type { Handlers } from '../control/server.js';
import type { SsbPeer } from './peer-api.js';
import { postPhoto } from './photo-post.js';
import type { PeerProtocol } from './protocol.js';

export function peerHandlers(peer: SsbPeer): Handlers<PeerProtocol> {
  return {
    'ssb.whoami': async () => peer.whoami(),
    'ssb.status': async () => ({
      id: peer.id,
      address: peer.address(),
      progress: peer.replicationProgress(),
      autoFollow: peer.autoFollowDecisions(),
      autoFollowPolicy: peer.autoFollowPolicy(),
      legacyBeacons: peer.legacyBeaconStats(),
      nativeCrypto: peer.nativeCrypto,
    }),
    'ssb.publish': (request) => peer.publish(request.content),
    'ssb.photo': async (request) => {
      const bytes = Buffer.from(request.data, 'base64');
      if (bytes.length === 0) throw new ControlError('bad_request', 'the photo is empty');
      return postPhoto(peer, { bytes, name: request.name ?? 'photo', text: request.text ?? '', type: request.mime });
    },
    'ssb.follow': async (request) => {
      await peer.follow(request.feed);
      return { following: request.feed };
    },
    'ssb.unfollow': async (request) => {
      await peer.unfollow(request.feed);
      return { unfollowed: request.feed };
    },
    'ssb.block': async (request) => {
      await peer.block(request.feed);
      return { blocked: request.feed };
    },
    'ssb.unblock': async (request) => {
      await peer.unblock(request.feed);
      return { unblocked: request.feed };
    },
    'ssb.feeds': () => peer.feeds(),
    'ssb.graph': () => peer.relationships(),
    'ssb.peers': async () => peer.peers(),
    'ssb.connect': async (request) => ({ id: await peer.connect(request.address) }),
    'ssb.blob.add': async (request) => {
      const bytes = Buffer.from(request.data, 'base64');
      return { id: await peer.addBlob(bytes), size: bytes.length };
    },
    'ssb.blob.get': async (request) => {
      const bytes = await peer.getBlob(request.blob, { timeoutMs: request.timeoutMs ?? 10_000 });
      return { id: request.blob, size: bytes.length, data: bytes.toString('base64') };
    },
  };
}
