// How the peer meets others: the follow graph, LAN discovery and dialling (lan-discovery.ts, lan-dialer.ts,
// lan-dial-policy.ts), auto-follow of the devices met, and the second connection two peers dialling each other
// at once make (duplicate-connections.ts), the connections a lost network takes with it (lost-networks.ts), and a
// log line per connection (connection-log.ts). Started together because each needs the others.
import { join } from 'node:path';
import type SecretStack from 'secret-stack';
import type { LogSink } from '../log/logger.js';
import { AutoFollower, type AutoFollowPolicy, loadPolicyOverride, withPolicyChange } from './auto-follow.js';
import { logConnections } from './connection-log.js';
import { watchDuplicateConnections } from './duplicate-connections.js';
import { FollowGraph } from './follow-graph.js';
import { LanDialer } from './lan-dialer.js';
import { type LanDiscovery, startLanDiscovery } from './lan-discovery.js';
import type { SsbServer } from './libraries.js';
import { watchLostNetworks } from './lost-networks.js';
import type { LanSettings } from './peer-options.js';

export interface Meetings {
  graph: FollowGraph;
  dialer: LanDialer;
  follower: AutoFollower;
  discovery: LanDiscovery;
  /** Where a changed auto-follow policy is remembered. */
  policyPath: string;
  /** Stops dialling first (a dial waiting for its turn must not reach a closed hub), then the rest. */
  close(): Promise<void>;
}

export async function startMeetings(options: {
  ssb: SsbServer;
  dataDir: string;
  lan: LanSettings;
  tcpPort: number;
  listenHost: string | undefined;
  policy: AutoFollowPolicy;
  logger: LogSink;
}): Promise<Meetings> {
  const { ssb, dataDir, logger } = options;
  const graph = new FollowGraph(ssb);
  const dialer = new LanDialer({ ssb, hopsOf: (feed) => graph.hops.get(feed), logger });
  const policyPath = join(dataDir, 'auto-follow-policy.json');
  const storedPolicy = await loadPolicyOverride(policyPath, logger);
  const follower = await AutoFollower.open({
    self: ssb.id,
    policy: storedPolicy === null ? options.policy : withPolicyChange(options.policy, storedPolicy),
    statePath: join(dataDir, 'auto-follow.json'),
    publishFollow: (id) =>
      new Promise<void>((resolve, reject) => ssb.friends.follow(id, {}, (err) => (err ? reject(err) : resolve()))),
    probe: (peer) => dialer.probe(peer),
    logger,
  });
  graph.onOwnEdges((edges) => follower.setOwnEdges(edges));
  const onRpcConnect = (listener: (rpc: SecretStack.Rpc, isClient: boolean) => void) => {
    ssb.on('rpc:connect', listener);
    return () => ssb.removeListener('rpc:connect', listener);
  };
  const unlogConnections = logConnections({ self: ssb.id, onRpcConnect, logger });
  const lostNetworks = watchLostNetworks({ ssb, logger });
  const duplicates = watchDuplicateConnections({
    self: ssb.id,
    onRpcConnect,
    dial(address) {
      ssb.conn.connect(address, {}, (err) => {
        if (err) logger.log('info', 'redial after duplicate connection failed', { address, error: err.message });
      });
    },
    peerWillRedial: (key) => dialer.holdOff(key),
    logger,
  });
  const discovery = await startLanDiscovery({
    ssb,
    lan: options.lan,
    tcpPort: options.tcpPort,
    listenHost: options.listenHost ?? null,
    dialer,
    follower,
    logger,
  });
  return {
    graph,
    dialer,
    follower,
    discovery,
    policyPath,
    async close() {
      dialer.stop();
      duplicates.stop();
      lostNetworks.stop();
      unlogConnections();
      await follower.close();
      await discovery.close();
      graph.close();
    },
  };
}
