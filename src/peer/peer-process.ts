// The unprivileged peer process: the SSB peer and the web page. It reaches the connectivity daemon only
// through the control socket (reporting its web address and the replication state that drives the third
// LED), and serves the SSB peer's own local API on DATA/peer.sock for `smallworld ssb ...`.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient, socketPathFor } from '../control/client.js';
import { ControlServer } from '../control/server.js';
import type { Logger } from '../log/logger.js';
import type { AutoFollowPolicy } from '../ssb/auto-follow.js';
import type { SsbPeer } from '../ssb/peer.js';
import { MAX_PEER_REQUEST_BYTES, type PeerProtocol, parsePeerRequest } from '../ssb/protocol.js';
import { peerHandlers } from '../ssb/service.js';
import type { WebServer } from '../web/server.js';
import { peerDirFor, peerSocketPathFor } from './paths.js';

export { peerDirFor, peerSocketPathFor } from './paths.js';

export interface PeerSsbSettings {
  host: string;
  /** 0 runs no SSB peer. */
  port: number;
  autoFollow: Partial<AutoFollowPolicy> & { enabled: boolean };
  hops: number;
  /** Bytes of the card kept free (config `storage.reserveBytes`); undefined: the default. */
  reserveBytes?: number | undefined;
}

export interface PeerOptions {
  dataDir: string;
  web: { host: string; port: number };
  ssb: PeerSsbSettings;
  logger: Logger;
}

/** Connects to the daemon, retrying while it starts up (systemd may start us first). */
export async function connectWithRetry(socketPath: string, logger: Logger, attempts = 50): Promise<ControlClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ControlClient.connect(socketPath);
    } catch (error) {
      if (attempt >= attempts) throw error;
      if (attempt === 1) logger.log('info', 'waiting for the connectivity daemon', { socketPath });
      await sleep(Math.min(100 * attempt, 1000));
    }
  }
}

/** What the web page needs from the daemon: whether it is a simulator and the device's own addresses. */
async function deviceFacts(connecting: Promise<ControlClient>) {
  const control = await connecting;
  const [status, wifi] = await Promise.all([control.request('status'), control.request('wifi.get')]);
  return { sim: status.sim, addresses: { ap: wifi.addresses.ap, usb: wifi.addresses.usb } };
}

/** Starts a promise now and leaves its failure to whoever awaits it later. */
function early<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Starts the SSB peer first and serves its socket as soon as it is up, then the web page. Whatever waits on
 * something else starts at once, beside the SSB libraries loading (cold start, issue 17): the connection to
 * the daemon and its answers for the web page, and the web server's modules (imported only when there is a
 * web page).
 */
export async function runPeer(options: PeerOptions): Promise<() => Promise<void>> {
  const { logger } = options;
  // Not left unhandled while the SSB peer starts; awaited (and so thrown) below.
  const connecting = early(connectWithRetry(socketPathFor(options.dataDir), logger));
  const wantsWeb = options.web.port !== 0;
  const webModule = wantsWeb ? early(import('../web/server.js')) : null;
  const facts = wantsWeb ? early(deviceFacts(connecting)) : null;
  let ssb: SsbPeer | null = null;
  let ssbServer: ControlServer<PeerProtocol> | null = null;
  let ssbFailure: string | null = null;
  if (options.ssb.port !== 0) {
    // Loaded only when wanted: the SSB libraries take a while to import on a small board.
    const { startSsbPeer } = await import('../ssb/peer.js');
    const dataDir = join(peerDirFor(options.dataDir), 'ssb');
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    try {
      ssb = await startSsbPeer({
        dataDir,
        host: options.ssb.host,
        port: options.ssb.port,
        autoFollow: options.ssb.autoFollow.enabled ? options.ssb.autoFollow : false,
        lanDiscovery: true,
        hops: options.ssb.hops,
        reserveBytes: options.ssb.reserveBytes,
        storageReportDir: options.dataDir,
        logger,
      });
    } catch (error) {
      if (options.web.port === 0) {
        // The open control connection would keep this process alive, doing nothing, after the SSB peer failed
        // to start (e.g. no sodium-native on 32-bit ARM): close it so the process exits and the failure shows.
        (await connecting.catch(() => null))?.close();
        throw error;
      }
      // The web page still has work to do without SSB (the device, its Wi-Fi and its access point), so it
      // stays up and says why the SSB pages are empty.
      ssbFailure = (error as Error).message.split('\n')[0] ?? String(error);
      logger.log('error', 'the SSB peer could not start; the web page runs without it', { error: ssbFailure });
    }
  }
  if (ssb) {
    logger.log('info', 'ssb peer listening', { id: ssb.id, address: ssb.address() });
    // Told in order, once the daemon is connected (replication may begin before that).
    ssb.onReplicationChange((replicating) => {
      connecting
        .then((control) => control.request('replication', { replicating }))
        .catch((error: Error) =>
          logger.log('warn', 'cannot tell the daemon about replication', { error: error.message }),
        );
    });
    ssbServer = new ControlServer<PeerProtocol>(peerSocketPathFor(options.dataDir), peerHandlers(ssb), logger, {
      parse: parsePeerRequest,
      maxRequestBytes: MAX_PEER_REQUEST_BYTES,
    });
    await ssbServer.listen();
  }
  let control: ControlClient;
  try {
    control = await connecting;
  } catch (error) {
    await ssbServer?.close();
    await ssb?.close();
    throw error;
  }
  let web: WebServer | null = null;
  if (webModule && facts) {
    const { startWebServer } = await webModule;
    // The daemon knows whether it is a simulator and which addresses are the device's own (AP, USB).
    const { sim, addresses } = await facts;
    const stateDir = peerDirFor(options.dataDir);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    web = await startWebServer({
      socketPath: socketPathFor(options.dataDir),
      ...options.web,
      logger,
      stateDir,
      ssb,
      ssbFailure,
      addresses,
      setupCode: sim ? 'required' : 'off',
    });
  }
  if (web) {
    await control.request('peer.report', { web: { url: web.url } });
    logger.log('info', 'web page listening', { url: web.url });
  }
  return async () => {
    await web?.close();
    await ssbServer?.close();
    await ssb?.close();
    control.close();
  };
}
