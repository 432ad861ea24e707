// Where the unprivileged peer process keeps its files and its socket (no imports: the CLI reads these
// without loading the peer).
import { join } from 'node:path';

export const PEER_SOCKET_NAME = 'peer.sock';

/** Everything the unprivileged peer writes lives here (on a device: owned by the smallworld user). */
export function peerDirFor(dataDir: string): string {
  return join(dataDir, 'peer');
}

export function peerSocketPathFor(dataDir: string): string {
  return join(peerDirFor(dataDir), PEER_SOCKET_NAME);
}
