// One log line when a connection with another peer comes up and one when it ends, with how long it lasted:
// what a person (or the town lab, lab/town/misses.ts) needs to tell "never connected" from "connected too late"
// or "connected but did not replicate".
import type SecretStack from 'secret-stack';
import type { LogSink } from '../log/logger.js';

export function logConnections(options: {
  self: string;
  onRpcConnect(listener: (rpc: SecretStack.Rpc, isClient: boolean) => void): () => void;
  logger: LogSink;
  now?: () => number;
}): () => void {
  const now = options.now ?? Date.now;
  return options.onRpcConnect((rpc, isClient) => {
    if (rpc.id === options.self) return;
    const since = now();
    const fields = { key: rpc.id, dialled: isClient, address: rpc.stream.address ?? null };
    options.logger.log('info', 'peer connection up', fields);
    rpc.once('closed', () => options.logger.log('info', 'peer connection down', { ...fields, ms: now() - since }));
  });
}
