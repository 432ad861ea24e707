// The device's web GUI, served by the unprivileged peer process: the Device, People, Feed and Wi-Fi pages
// and their JSON API. It decides nothing itself: Wi-Fi and button actions go to the connectivity daemon as
// typed control requests, follow-graph and feed actions to the SSB peer's methods, and every check lives in
// a small module of its own (security.ts, sessions.ts, rate-limit.ts, auth.ts, inputs.ts, views.ts).
//
// This file assembles the server from its parts, one concern each: the request checks (request-checks.ts),
// the answer to every error (errors.ts), and the routes by page and API area in routes/ (pages, session,
// device, people, feed, blobs, wifi) and guest/ (the guest view and the captive portal).
//
// Every request passes, in order: the socket's local address must be loopback, the access point's or the
// USB link's (never a network the device joined as a client) → 403; the Host header must be one of our
// names (DNS rebinding) → 421, except that a connectivity probe, or a page asked for under a foreign name,
// gets a redirect to the device's page with no data (src/web/guest/portal.ts); a POST's Origin, if sent,
// must be ours → 403; then a session is needed except for the login and first-setup pages and their
// assets, and for the guest view on our own links while the owner leaves it on (src/web/guest/routes.ts)
// (API → 401, pages → redirect); and every POST must carry the session's CSRF token in X-CSRF-Token → 403.
// GET never changes anything.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../log/logger.js';
import type { SsbPeer } from '../ssb/peer-api.js';
import { asset } from './assets.js';
import { AdminPassword, type ScryptParams } from './auth.js';
import { daemonCalls } from './daemon-calls.js';
import { answerErrors } from './errors.js';
import { GuestAccess, registerGuestRoutes } from './guest/routes.js';
import { GUEST_VIEW_FILE, GuestViewSetting } from './guest/setting.js';
import { NO_ROUTE_SCHEMAS } from './no-route-schemas.js';
import { FailureLimiter } from './rate-limit.js';
import { checkEveryRequest } from './request-checks.js';
import { blobRoutes } from './routes/blobs.js';
import { deviceRoutes } from './routes/device.js';
import { feedRoutes } from './routes/feed.js';
import { pageRoutes } from './routes/pages.js';
import { peopleRoutes } from './routes/people.js';
import { sessionRoutes } from './routes/session.js';
import { wifiRoutes } from './routes/wifi.js';
import { bracket } from './security.js';
import { ServedAt } from './served-at.js';
import { type Session, SessionStore } from './sessions.js';
import { ssbAccess } from './ssb-access.js';

export interface WebOptions {
  /** The connectivity daemon's control socket. */
  socketPath: string;
  host: string;
  port: number;
  logger: Logger;
  /** The peer's own directory (DATA/peer): the password file and, in the simulator, the setup code. */
  stateDir: string;
  /** The SSB peer, when this process runs one (the People and Feed pages need it). */
  ssb?: SsbPeer | null;
  /** Why there is no SSB peer when one was wanted (it failed to start): shown instead of the SSB pages' data. */
  ssbFailure?: string | null;
  /** The device's own addresses on its access point and USB link (from the daemon's `wifi.get`). */
  addresses?: { ap: string | null; usb: string | null };
  /**
   * `required`: the first setup needs the one-time code written to DATA/peer/web-setup-code and the log.
   * The simulator uses it, because there "the device's own network" is a loopback shared with every local
   * user. On a device the first visit over the AP, USB or loopback sets the password.
   */
  setupCode?: 'required' | 'off';
  /** Tests only: a cheaper password hash. */
  scrypt?: ScryptParams;
}

/** Who may call a route: anyone (login, setup, assets), guests on our links, or the owner only. */
export interface RouteAccess {
  method: string;
  url: string;
  access: 'public' | 'guest' | 'admin';
}

export interface WebServer {
  url: string;
  app: FastifyInstance;
  /** Every route and who may call it (the security tests try each `admin` one without a session). */
  routes: RouteAccess[];
  close(): Promise<void>;
}

export const SETUP_CODE_FILE = 'web-setup-code';
export const PASSWORD_FILE = 'web-admin.json';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a session. */
    public?: boolean;
  }
  interface FastifyRequest {
    session: Session | null;
  }
}

export async function startWebServer(options: WebOptions): Promise<WebServer> {
  const { logger } = options;
  // forceCloseConnections: open event streams must not hold up a shutdown.
  const app = Fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    forceCloseConnections: true,
    schemaController: NO_ROUTE_SCHEMAS,
  });
  const secret = randomBytes(32);
  const sessions = new SessionStore();
  const password = new AdminPassword(join(options.stateDir, PASSWORD_FILE), options.scrypt);
  await password.load();
  const addresses = { ap: options.addresses?.ap ?? null, usb: options.addresses?.usb ?? null };
  const servedAt = new ServedAt({ host: options.host, port: options.port, ...addresses });
  const guestSetting = new GuestViewSetting(join(options.stateDir, GUEST_VIEW_FILE), logger);
  await guestSetting.load();
  const guest = new GuestAccess(guestSetting, servedAt.listening);
  app.decorateRequest('session', null);
  const routes = listRoutes(app);

  checkEveryRequest(app, { servedAt, guest, sessions, password, secret });
  answerErrors(app, { logger, largestPhotoBytes: () => options.ssb?.blobsMaxBytes ?? 0 });
  await app.register(multipart, { throwFileSizeLimit: true });

  const daemon = daemonCalls(options.socketPath);
  const ssb = ssbAccess(options.ssb, options.ssbFailure);
  pageRoutes(app, password);
  const session = sessionRoutes(app, {
    password,
    sessions,
    limiter: new FailureLimiter(),
    secret,
    setupCode: options.setupCode,
    setupCodePath: join(options.stateDir, SETUP_CODE_FILE),
    logger,
  });
  deviceRoutes(app, { ...daemon, ssb, socketPath: options.socketPath });
  peopleRoutes(app, { ssb, logger });
  feedRoutes(app, { ssb, logger });
  blobRoutes(app, { ssb });
  registerGuestRoutes(app, { access: guest, ssbPeer: () => ssb.peer(), asset, addresses });
  wifiRoutes(app, { ...daemon, logger });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  servedAt.listened(port);
  const url = `http://${bracket(options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host)}:${port}/`;
  await session.announceSetup(url);
  return { url, app, routes, close: () => app.close() };
}

/** Every route and who may call it, as they are added. */
function listRoutes(app: FastifyInstance): RouteAccess[] {
  const routes: RouteAccess[] = [];
  app.addHook('onRoute', (route) => {
    const access = route.config?.public === true ? 'public' : route.config?.guest === true ? 'guest' : 'admin';
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access });
  });
  return routes;
}
