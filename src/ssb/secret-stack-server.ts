// The secret-stack 6 server itself: the plugin set and its configuration (libraries.ts loads the plugins),
// started on a port checked free first, with the patches that need the running server applied, answering
// once it listens.
import { createServer } from 'node:net';
import type { LogSink } from '../log/logger.js';
import type { loadOrCreateKeys } from './keys.js';
import { isServer, type SsbLibraries, type SsbServer, ssbLanBroadcastDestination } from './libraries.js';
import { classicValidator } from './patches/classic-validate-batch.js';
import { logPatches, patchServer } from './patches/index.js';
import type { PatchOutcome } from './patches/patch.js';

export interface ServerConfig {
  dataDir: string;
  keys: Awaited<ReturnType<typeof loadOrCreateKeys>>;
  caps: { shs: string; sign?: string };
  hops: number;
  port: number;
  /** The address to listen on; undefined for everywhere. */
  listenHost: string | undefined;
  /** ssb-lan's signed beacons. */
  lanVerified: boolean;
  blobsMaxBytes: number;
}

/** secret-stack reports "listening" even when the port was taken, so find out before starting. */
function assertPortFree(host: string | undefined, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(new Error(`cannot listen on ${host ?? '*'}:${port}: ${error.message}`)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function assemble(libs: SsbLibraries, config: ServerConfig): SsbServer {
  const { SecretStack, plugins } = libs;
  const scope = ['device', 'local', 'private'];
  let app = SecretStack({ caps: { shs: config.caps.shs } })
    .use(plugins.db2)
    .use(plugins.compatDb)
    .use(plugins.compatEbt)
    .use(plugins.friends)
    .use(plugins.ebt)
    .use(plugins.scheduler)
    .use(plugins.conn);
  // ssb-conn's scheduler starts ssb-lan when the plugin is present.
  if (config.lanVerified) app = app.use(plugins.lan);
  app = app.use(plugins.blobs);
  const { listenHost } = config;
  const created = app({
    path: config.dataDir,
    keys: config.keys,
    caps: config.caps,
    friends: { hops: config.hops, hookAuth: true },
    // publish and addBlob answer only once the data is fsynced (durable.ts); the log's default 250 ms
    // write delay would make every acknowledged post wait that long.
    db2: { writeTimeout: 50 },
    // Our own legacy beacon replaces ssb-lan's (see legacy-lan.ts).
    lan: { legacy: false },
    conn: { autostart: true, populatePubs: false },
    // It batches its requests to ssb-ebt after 150 ms of calm by default: that wait is part of "meet to
    // synced" (a follow's first messages), and 20 ms still batches a whole follow graph loaded at start.
    replicationScheduler: { autostart: true, partialReplication: null, debouncePeriod: 20 },
    // ssb-blobs refuses sizes >= max; our option is the largest size accepted.
    blobs: { max: config.blobsMaxBytes + 1 },
    // With no `timers` secret-stack drops connections idle for 5 s; a Pi also needs time for SHS.
    timers: { handshake: 15_000, inactivity: 600_000 },
    connections: {
      incoming: {
        net: [{ scope, port: config.port, transform: 'shs', ...(listenHost ? { host: listenHost } : {}) }],
      },
      outgoing: { net: [{ transform: 'shs' }] },
    },
  });
  if (!isServer(created)) throw new Error('secret-stack did not assemble the expected SSB server');
  return created;
}

/** Assembles the server on a free port, applies and logs every patch, and answers once it listens. */
export async function startSecretStackServer(
  libs: SsbLibraries,
  config: ServerConfig,
  modulePatches: readonly PatchOutcome[],
  logger: LogSink,
): Promise<SsbServer> {
  await assertPortFree(config.listenHost, config.port);
  const ssb = assemble(libs, config);
  const wildcard = config.listenHost === undefined;
  logPatches(logger, [...modulePatches, ...patchServer({ ssb, logger, port: config.port, wildcard })]);
  // The signature worker loads in ~0.1 s on an idle board but took 0.7 s once a transfer had the cores busy,
  // and until it is ready the event loop checks signatures itself (3,400 of 20,000 in the benchmark): start
  // loading it while the connection sets up. Not for our own clients (same key): they replicate nothing.
  ssb.on('rpc:connect', (rpc) => {
    if (rpc.id !== ssb.id) classicValidator()?.warm();
  });
  await new Promise<void>((resolve) => {
    ssb.once('multiserver:listening', resolve);
  });
  logger.log('info', 'ssb peer listening', { id: ssb.id, address: ssb.getAddress('device'), hops: config.hops });
  if (config.lanVerified) {
    logger.log('info', 'ssb-lan signed beacons', {
      udpPort: 26830,
      broadcastTo: ssbLanBroadcastDestination(),
      announces: ssb.getAddress('private') ?? ssb.getAddress('local'),
    });
  }
  return ssb;
}

/** Closes the server, waiting for the database; an error in closing is logged, not thrown. */
export function closeSecretStackServer(ssb: SsbServer, logger: LogSink): Promise<void> {
  return new Promise<void>((resolve) => {
    ssb.close(true, (err) => {
      if (err) logger.log('warn', 'ssb close reported an error', { error: err.message });
      resolve();
    });
  });
}
