// The command line's calls over the two sockets, each typed by its protocol: a request's reply is its
// command's type (control/protocol.ts for the daemon, ssb/protocol.ts for the peer), with no cast.
import { resolveDataDir } from '../config/config.js';
import { ControlClient, socketPathFor } from '../control/client.js';
import type { ControlReplies, Request } from '../control/protocol.js';
import { peerSocketPathFor } from '../peer/paths.js';
import { PeerClient } from '../ssb/peer-client.js';
import type { PeerProtocol } from '../ssb/protocol.js';

/** One request to the daemon; the reply is the request's command's type (control/protocol.ts). */
export async function request<Q extends Request>(
  dataDir: string | undefined,
  body: Q,
): Promise<ControlReplies[Q['cmd']]> {
  const client = await ControlClient.connect(socketPathFor(resolveDataDir(dataDir)));
  try {
    return await client.send(body);
  } finally {
    client.close();
  }
}

/** One request to the SSB peer's own socket; the reply is the command's type (ssb/protocol.ts). */
export async function callPeer<Q extends PeerProtocol['request']>(
  dataDir: string | undefined,
  body: Q,
): Promise<PeerProtocol['replies'][Q['cmd']]> {
  const client = await PeerClient.connect(peerSocketPathFor(resolveDataDir(dataDir)));
  try {
    return await client.send(body, 60_000);
  } finally {
    client.close();
  }
}
