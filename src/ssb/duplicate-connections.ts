// Two peers that discover each other on a LAN tend to dial each other at the same moment. Neither
// secret-stack nor ssb-conn prevents the resulting two connections, and ssb-ebt keeps only the most
// recently created replication stream per peer: when the two connections come up within one round trip
// of each other, each side can keep the stream of a *different* connection, both streams then end, and the
// peers stay connected without replicating anything (seen on loopback within seconds).
//
// So: when a second connection with a peer appears, the side with the smaller id closes every connection
// with it and, after a random pause, dials it once more. The other side does nothing; both agree on who
// acts without talking. (ssb-conn's scheduler may still redial from the other side; a repeat collision is
// resolved the same way, and the random pause makes repeats unlikely.)
import type SecretStack from 'secret-stack';
import type { LogSink as PeerLogger } from '../log/logger.js';

export interface DuplicateWatcherDeps {
  self: string;
  onRpcConnect(listener: (rpc: SecretStack.Rpc, isClient: boolean) => void): () => void;
  /** Dials a multiserver address (through ssb-conn, so its hub knows of the connection). */
  dial(address: string): void;
  /**
   * On the side that leaves the resolution to the other (the larger id): the peer is about to close both
   * connections and dial again, so we hold off dialling it (else our dial meets its redial and makes the next
   * duplicate: under load a handshake outlasts our deferral, and the town lab saw pairs loop every 10 s).
   */
  peerWillRedial?(key: string): void;
  logger: PeerLogger;
  random?: () => number;
}

export interface DuplicateWatcher {
  /** How many duplicates were resolved (for diagnostics and tests). */
  resolved(): number;
  stop(): void;
}

export function watchDuplicateConnections(deps: DuplicateWatcherDeps): DuplicateWatcher {
  const live = new Map<string, Set<SecretStack.Rpc>>();
  /** The address we last reached each peer at, as its client: the one to dial again. */
  const dialable = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  const random = deps.random ?? Math.random;
  let resolved = 0;
  let stopped = false;

  const unsubscribe = deps.onRpcConnect((rpc, isClient) => {
    if (rpc.id === deps.self) return;
    if (isClient && rpc.stream.address) dialable.set(rpc.id, rpc.stream.address);
    const set = live.get(rpc.id) ?? new Set<SecretStack.Rpc>();
    set.add(rpc);
    live.set(rpc.id, set);
    const onClosed = () => {
      set.delete(rpc);
      if (set.size === 0 && live.get(rpc.id) === set) live.delete(rpc.id);
    };
    rpc.once('closed', onClosed);

    if (set.size < 2) return;
    if (deps.self > rpc.id) {
      deps.peerWillRedial?.(rpc.id);
      return;
    }
    resolved++;
    const address = dialable.get(rpc.id);
    deps.logger.log('info', 'duplicate connection with a peer: closing both and dialing once more', {
      key: rpc.id,
      connections: set.size,
      redial: address ?? null,
    });
    for (const each of [...set]) each.close(true, () => {});
    if (address === undefined) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!stopped && !live.has(rpc.id)) deps.dial(address);
      },
      300 + Math.floor(random() * 1200),
    );
    timer.unref();
    timers.add(timer);
  });

  return {
    resolved: () => resolved,
    stop() {
      stopped = true;
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
    },
  };
}
