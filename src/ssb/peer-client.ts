// A connection to the SSB peer's own socket (DATA/peer/peer.sock), as `smallworld ssb …`, benchmarks and tests
// use it: the peer's protocol (protocol.ts), typed end to end.
import { openSocket, SocketClient, SocketUnreachableError } from '../control/client.js';
import type { PeerProtocol } from './protocol.js';

/** The SSB peer's socket does not answer: the peer process is not running, or runs without SSB. */
export class PeerNotRunningError extends SocketUnreachableError {
  constructor(socketPath: string, reason: string) {
    // Worded as `smallworld ssb …` has always said it.
    super(
      socketPath,
      reason,
      `no Smallworld daemon is running for ${socketPath} (the SSB peer is not running; it starts with "smallworld start" unless --ssb-port is 0); start one with "smallworld start"`,
    );
    this.name = 'PeerNotRunningError';
  }
}

/** A request cut short because the peer process closed its socket: it stopped, or is stopping. */
export const PEER_CLOSED =
  'the SSB peer closed the connection before answering (it stopped or restarted; "smallworld status" and its log say why)';

export class PeerClient extends SocketClient<PeerProtocol> {
  static async connect(socketPath: string, timeoutMs = 3000): Promise<PeerClient> {
    const socket = await openSocket(socketPath, timeoutMs, (path, reason) => new PeerNotRunningError(path, reason));
    return new PeerClient(socket, PEER_CLOSED);
  }
}
