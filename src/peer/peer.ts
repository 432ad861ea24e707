// The unprivileged peer process: it serves the web page (and, later, runs the SSB peer). It reaches the
// connectivity daemon only through the control socket, so it needs no privileges of its own.
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient, socketPathFor } from '../control/client.js';
import type { Logger } from '../log/logger.js';
import { startWebServer } from '../web/server.js';

export interface PeerOptions {
  dataDir: string;
  web: { host: string; port: number };
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

export async function runPeer(options: PeerOptions): Promise<() => Promise<void>> {
  const { logger } = options;
  const socketPath = socketPathFor(options.dataDir);
  const control = await connectWithRetry(socketPath, logger);
  const web = options.web.port === 0 ? null : await startWebServer({ socketPath, ...options.web, logger });
  if (web) {
    await control.request('peer.report', { web: { url: web.url } });
    logger.log('info', 'web page listening', { url: web.url });
  }
  return async () => {
    await web?.close();
    control.close();
  };
}
