// The device's web GUI, served by the unprivileged peer process: the Device, People, Feed and Wi-Fi pages
// and their JSON API. It decides nothing itself: Wi-Fi and button actions go to the connectivity daemon as
// typed control requests, follow-graph and feed actions to the SSB peer's methods, and every check lives in
// a small module of its own (security.ts, sessions.ts, rate-limit.ts, auth.ts, inputs.ts, views.ts).
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
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ControlClient, DaemonNotRunningError, RemoteError } from '../control/client.js';
import {
  type ArgsParameters,
  type Command,
  type ControlReplies,
  type DeviceProtocol,
  requestSchema,
} from '../control/protocol.js';
import type { Logger } from '../log/logger.js';
import { InvalidPolicy } from '../ssb/auto-follow.js';
import type { SsbPeer } from '../ssb/peer.js';
import { asStorageError, isStorageFull } from '../storage/errors.js';
import { formatBinaryBytes } from '../storage/format-bytes.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { AdminPassword, checkNewPassword, generateSetupCode, type ScryptParams, setupCodeMatches } from './auth.js';
import { isMdnsName, portalLocation, wantsPortalRedirect } from './guest/portal.js';
import { GuestAccess, registerGuestRoutes } from './guest/routes.js';
import { GUEST_VIEW_FILE, GuestViewSetting } from './guest/setting.js';
import { sniffImage } from './images.js';
import {
  booleanField,
  feedIdField,
  InvalidInput,
  isBlobId,
  macField,
  objectBody,
  oneOf,
  passphraseField,
  photoNameField,
  postTextField,
  ssidField,
  ssidListField,
} from './inputs.js';
import { PAGES, readPage } from './page-shell.js';
import { FailureLimiter } from './rate-limit.js';
import {
  allowedHostHeaders,
  bracket,
  CSRF_HEADER,
  clientKey,
  csrfTokenFor,
  isSafeMethod,
  isSameOrigin,
  isServedLocalAddress,
  type Listening,
  PRE_COOKIE,
  parseCookies,
  SESSION_COOKIE,
  serializeCookie,
  servedLocalAddresses,
  tokensMatch,
} from './security.js';
import { type Session, SessionStore } from './sessions.js';
import { devicePeersView, feedItem, peopleView } from './views.js';

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

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** A blob is shown as an image and nothing else, even if opened on its own. */
const BLOB_CSP = "default-src 'none'; sandbox";

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
/** Pages, scripts and styles; `public` ones are served without a session (the login and setup pages). */
const OWNER_PAGES = [PAGES.device, PAGES.people, PAGES.feed, PAGES.wifi, PAGES.login, PAGES.setup];
const ASSETS: Array<[path: string, file: string, type: string, isPublic: boolean]> = [
  ['/common.js', 'common.js', JS, true],
  ['/login.js', 'login.js', JS, true],
  ['/device.js', 'device.js', JS, false],
  ['/people.js', 'people.js', JS, false],
  ['/feed.js', 'feed.js', JS, false],
  ['/wifi.js', 'wifi.js', JS, false],
  ['/app.css', 'app.css', CSS, true],
  ['/device.css', 'device.css', CSS, false],
];
const FORMAT_BYTES_MODULE = new URL('../storage/format-bytes.js', import.meta.url);
const asset = (name: string) => new URL(`../../../src/web/public/${name}`, import.meta.url);
/** Daemon error codes as HTTP statuses: bad input 400, not a simulator 404, refused in this state 409. */
const HTTP_OF: Record<string, number> = { bad_request: 400, bad_json: 400, not_simulated: 404 };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

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
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024, forceCloseConnections: true });
  const secret = randomBytes(32);
  const sessions = new SessionStore();
  const limiter = new FailureLimiter();
  const password = new AdminPassword(join(options.stateDir, PASSWORD_FILE), options.scrypt);
  await password.load();
  const setupCodePath = join(options.stateDir, SETUP_CODE_FILE);
  let setupCode: string | null = null;
  let listening: Listening = {
    host: options.host,
    port: options.port,
    ap: options.addresses?.ap ?? null,
    usb: options.addresses?.usb ?? null,
  };
  let served = servedLocalAddresses(listening);
  const guestSetting = new GuestViewSetting(join(options.stateDir, GUEST_VIEW_FILE), logger);
  await guestSetting.load();
  const guest = new GuestAccess(guestSetting, listening);
  let hosts = new Set<string>(); // filled in once the port is known
  app.decorateRequest('session', null);
  const routes: RouteAccess[] = [];
  app.addHook('onRoute', (route) => {
    const access = route.config?.public === true ? 'public' : route.config?.guest === true ? 'guest' : 'admin';
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access });
  });

  // ---- the daemon and the SSB peer -------------------------------------------------------------------

  /**
   * A request to the daemon with arguments from a browser, checked here against the protocol's schema first:
   * a bad one is a 400 in the schema's words.
   */
  const daemonUnchecked = async <C extends Command>(
    cmd: C,
    args: Record<string, unknown>,
  ): Promise<ControlReplies[C]> => {
    const parsed = requestSchema.safeParse({ ...args, cmd });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `${issue?.path.join('.') || cmd}: ${issue?.message ?? 'invalid'}`);
    }
    const client = await ControlClient.connect(options.socketPath);
    try {
      // The schema gave back a request of the same command.
      return await client.send(parsed.data as Extract<DeviceProtocol['request'], { cmd: C }>);
    } finally {
      client.close();
    }
  };
  /** A request to the daemon built here, typed by the protocol (and checked all the same). */
  const daemon = <C extends Command>(cmd: C, ...[args]: ArgsParameters<DeviceProtocol, C>) =>
    daemonUnchecked(cmd, args ?? {});
  const ssbAbsence = () =>
    options.ssbFailure
      ? `the SSB peer could not start: ${options.ssbFailure}`
      : 'the SSB peer is not running on this device (--ssb-port 0)';
  const ssbPeer = (): SsbPeer => {
    if (!options.ssb) throw new HttpError(503, ssbAbsence());
    return options.ssb;
  };

  // ---- request checks ---------------------------------------------------------------------------------

  const isApi = (url: string) => url.startsWith('/api/') || url.startsWith('/events') || url.startsWith('/blob');
  const csrfOf = (request: FastifyRequest): string | null => {
    if (request.session) return csrfTokenFor(secret, request.session.id);
    const pre = parseCookies(request.headers.cookie).get(PRE_COOKIE);
    return pre === undefined ? null : csrfTokenFor(secret, pre);
  };

  app.addHook('onRequest', async (request, reply) => {
    if (!isServedLocalAddress(request.raw.socket.localAddress, served)) {
      // A network the device joined as a client: say as little as possible.
      return reply.code(403).type('text/plain; charset=utf-8').send('not served on this network\n');
    }
    const host = request.headers.host?.toLowerCase();
    if (!host) return reply.code(400).send({ error: 'missing Host header' });
    const hostIsOurs = hosts.has(host) || isMdnsName(host, listening.port);
    if (wantsPortalRedirect({ method: request.method, url: request.url, hostIsOurs })) {
      // A connectivity probe, or a page under a name the catch-all DNS sent here: no data, a redirect.
      const page = guest.allows(request) ? '/shared' : '/';
      const local = request.raw.socket.localAddress ?? '127.0.0.1';
      return reply
        .code(302)
        .header('Location', portalLocation(local, request.raw.socket.localPort ?? listening.port, page))
        .send();
    }
    if (!hostIsOurs)
      return reply.code(421).send({ error: `this device does not answer to host "${host.slice(0, 100)}"` });
    if (!isSafeMethod(request.method) && !isSameOrigin(request.headers.origin, host))
      return reply.code(403).send({ error: 'cross-origin request refused' });

    request.session = sessions.get(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
    const config = request.routeOptions.config;
    if (!request.session && config?.guest === true && !guest.allows(request)) {
      if (isApi(request.url)) return reply.code(403).send({ error: guest.refusal(), login: '/login' });
      return reply.redirect(password.isSet() ? '/login' : '/setup', 303);
    }
    const isPublic = config?.public === true || config?.guest === true;
    if (!request.session && !isPublic) {
      if (isApi(request.url) || !isSafeMethod(request.method))
        return reply.code(401).send({ error: 'log in first', login: '/login' });
      return reply.redirect(password.isSet() ? '/login' : '/setup', 303);
    }
    if (!isSafeMethod(request.method)) {
      const expected = csrfOf(request);
      if (expected === null || !tokensMatch(request.headers[CSRF_HEADER], expected))
        return reply.code(403).send({ error: 'missing or wrong CSRF token: reload the page and try again' });
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('Content-Security-Policy')) reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    let status: number;
    let message = error.message;
    if (error instanceof HttpError) status = error.status;
    else if (error instanceof InvalidInput || error instanceof InvalidPolicy) status = 400;
    else if (error instanceof RemoteError) status = HTTP_OF[error.code] ?? 409;
    else if (error instanceof DaemonNotRunningError) {
      status = 503;
      message = 'the connectivity daemon is not running';
    } else if (isStorageFull(error)) {
      // "the device's storage is full: the photo (3.0 MB) was not stored; …", as the CLI says it.
      status = 507;
      message = asStorageError(error).message;
    } else if (error.code === 'FST_REQ_FILE_TOO_LARGE') {
      status = 413;
      message = `the photo is too large: at most ${formatBinaryBytes(options.ssb?.blobsMaxBytes ?? 0)}`;
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
    } else {
      status = 500;
      logger.log('error', 'web request failed', { error: error.message });
      message = 'internal error (see the peer log)';
    }
    return reply.code(status).send({ error: message });
  });

  await app.register(multipart, { throwFileSizeLimit: true });

  // ---- pages and assets -------------------------------------------------------------------------------

  for (const page of OWNER_PAGES) {
    const { path } = page;
    const isPublic = path === '/login' || path === '/setup';
    app.get(path, { config: { public: isPublic } }, async (request, reply) => {
      // The login and setup pages only make sense in one state; send people where they can go on.
      if (isPublic) {
        if (request.session) return reply.redirect('/', 303);
        if (path === '/login' && !password.isSet()) return reply.redirect('/setup', 303);
        if (path === '/setup' && password.isSet()) return reply.redirect('/login', 303);
      }
      return reply.type(HTML).send(await readPage(page, asset));
    });
  }
  for (const [path, file, type, isPublic] of ASSETS) {
    app.get(path, { config: { public: isPublic } }, async (_request, reply) =>
      reply.type(type).send(await readFile(asset(file))),
    );
  }
  // The page says sizes as the server does: it loads the compiled module itself.
  app.get('/format-bytes.js', async (_request, reply) => reply.type(JS).send(await readFile(FORMAT_BYTES_MODULE)));

  // ---- login, first setup, logout ---------------------------------------------------------------------

  app.get('/api/session', { config: { public: true } }, async (request, reply) => {
    if (!request.session && !parseCookies(request.headers.cookie).has(PRE_COOKIE)) {
      const pre = randomBytes(24).toString('base64url');
      reply.header('Set-Cookie', serializeCookie(PRE_COOKIE, pre));
      return { authenticated: false, setup: setupState(), csrf: csrfTokenFor(secret, pre) };
    }
    return { authenticated: request.session !== null, setup: setupState(), csrf: csrfOf(request) };
  });
  const setupState = () => ({
    needed: !password.isSet(),
    codeRequired: options.setupCode === 'required',
    codeFile: options.setupCode === 'required' ? setupCodePath : null,
  });
  const limited = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const verdict = limiter.check(clientKey(request.raw.socket.remoteAddress));
    if (verdict.allowed) return false;
    reply
      .code(429)
      .header('Retry-After', String(verdict.retryAfterS))
      .send({ error: `too many failed attempts: try again in ${verdict.retryAfterS} s` });
    return true;
  };
  const startSession = (reply: FastifyReply) => {
    const session = sessions.create();
    reply.header('Set-Cookie', [
      serializeCookie(SESSION_COOKIE, session.id),
      serializeCookie(PRE_COOKIE, '', { clear: true }),
    ]);
    return { ok: true, csrf: csrfTokenFor(secret, session.id) };
  };

  app.post('/api/login', { config: { public: true } }, async (request, reply) => {
    if (limited(request, reply)) return reply;
    if (!password.isSet()) throw new HttpError(409, 'no password has been set yet: set one at /setup');
    const body = objectBody(request.body);
    const given = typeof body.password === 'string' ? body.password : '';
    if (given === '') throw new InvalidInput('enter the password');
    if (!(await password.verify(given))) {
      limiter.fail(clientKey(request.raw.socket.remoteAddress));
      logger.log('warn', 'web login failed', { client: request.raw.socket.remoteAddress });
      throw new HttpError(401, 'wrong password');
    }
    limiter.succeed(clientKey(request.raw.socket.remoteAddress));
    logger.log('info', 'web login', { client: request.raw.socket.remoteAddress });
    return startSession(reply);
  });

  app.post('/api/setup', { config: { public: true } }, async (request, reply) => {
    if (limited(request, reply)) return reply;
    if (password.isSet()) throw new HttpError(409, 'a password is already set: log in at /login');
    const body = objectBody(request.body);
    if (options.setupCode === 'required' && (setupCode === null || !setupCodeMatches(body.code, setupCode))) {
      limiter.fail(clientKey(request.raw.socket.remoteAddress));
      throw new HttpError(403, `wrong setup code: it is in ${setupCodePath} and in the log`);
    }
    const chosen = checkNewPassword(body.password);
    if (body.confirm !== chosen) throw new InvalidInput('the two passwords differ');
    if ((await password.set(chosen)) === 'already-set')
      throw new HttpError(409, 'a password is already set: log in at /login');
    setupCode = null;
    await rm(setupCodePath, { force: true });
    logger.log('info', 'web admin password set', { client: request.raw.socket.remoteAddress });
    return startSession(reply);
  });

  app.post('/api/logout', async (request, reply) => {
    if (request.session) sessions.destroy(request.session.id);
    reply.header('Set-Cookie', serializeCookie(SESSION_COOKIE, '', { clear: true }));
    return { ok: true };
  });

  // ---- Device ---------------------------------------------------------------------------------------------

  app.get('/api/status', async () => daemon('status'));
  app.post<{ Params: { button: string } }>('/api/press/:button', async (request) =>
    daemonUnchecked('press', { button: request.params.button }),
  );
  app.post('/api/sim/other-wps', async (request) => daemonUnchecked('sim.other-wps', objectBody(request.body ?? {})));
  app.post('/api/sim/phone', async (request) => daemonUnchecked('sim.phone', objectBody(request.body ?? {})));

  app.get('/events', async (request, reply) => {
    const client = await ControlClient.connect(options.socketPath);
    reply.hijack();
    reply.raw.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      Connection: 'keep-alive',
    });
    const send = (status: unknown) => reply.raw.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
    client.onPush((message) => {
      if (message.event === 'status') send(message.status);
    });
    client.onClose(() => reply.raw.end());
    request.raw.on('close', () => client.close());
    try {
      send(await client.request('subscribe'));
    } catch {
      client.close();
    }
  });

  app.get('/api/ssb/overview', async () => {
    if (!options.ssb) return { running: false, reason: ssbAbsence() };
    const ssb = options.ssb;
    const [relationships, profiles, storage] = await Promise.all([
      ssb.relationships(),
      ssb.profiles(),
      ssb.storageView(),
    ]);
    const view = devicePeersView({
      self: ssb.id,
      relationships,
      profiles,
      peers: ssb.peers(),
      progress: ssb.replicationProgress(),
    });
    return { running: true, id: ssb.id, ...view, storage };
  });

  app.get('/api/wifi/qr.svg', async (_request, reply) => {
    const wifi = await daemon('wifi.get');
    // Loaded on the first QR code asked for, not at every start (cold start).
    const { default: QRCode } = await import('qrcode');
    const svg = await QRCode.toString(wifi.qr, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return reply.type('image/svg+xml').send(svg);
  });

  // ---- People ---------------------------------------------------------------------------------------------

  const people = async () => {
    const ssb = ssbPeer();
    const [relationships, profiles] = await Promise.all([ssb.relationships(), ssb.profiles()]);
    return peopleView({
      self: ssb.id,
      relationships,
      profiles,
      peers: ssb.peers(),
      policy: ssb.autoFollowPolicy(),
      decisions: ssb.autoFollowDecisions(),
    });
  };
  app.get('/api/people', people);
  app.post<{ Params: { action: string } }>('/api/people/:action', async (request) => {
    const action = oneOf(request.params.action, ['follow', 'unfollow', 'block', 'unblock'] as const, 'the action');
    const id = feedIdField(objectBody(request.body).id);
    const ssb = ssbPeer();
    if (id === ssb.id) throw new InvalidInput('that is this device’s own id');
    await ssb[action](id);
    logger.log('info', `web: ${action}`, { id });
    return people();
  });
  app.post('/api/auto-follow', async (request) => {
    const enabled = booleanField(objectBody(request.body).enabled, 'enabled');
    await ssbPeer().setAutoFollowPolicy({ enabled });
    return people();
  });
  app.post('/api/auto-follow/list', async (request) => {
    const body = objectBody(request.body);
    const list = oneOf(body.list, ['allow', 'deny'] as const, 'list');
    const action = oneOf(body.action, ['add', 'remove'] as const, 'action');
    const id = feedIdField(body.id);
    const ssb = ssbPeer();
    const current = ssb.autoFollowPolicy()[list];
    if (action === 'add' && current.includes(id)) throw new InvalidInput(`that id is already on the ${list} list`);
    if (action === 'remove' && !current.includes(id)) throw new InvalidInput(`that id is not on the ${list} list`);
    const next = action === 'add' ? [...current, id] : current.filter((x) => x !== id);
    await ssb.setAutoFollowPolicy({ [list]: next });
    return people();
  });

  // ---- Feed -----------------------------------------------------------------------------------------------

  app.get('/api/feed', async () => {
    const ssb = ssbPeer();
    const [messages, relationships, profiles] = await Promise.all([
      ssb.recentMessages(60),
      ssb.relationships(),
      ssb.profiles(),
    ]);
    return {
      self: ssb.id,
      maxPhotoBytes: ssb.blobsMaxBytes,
      items: messages.map((m) => feedItem(m, ssb.id, relationships, profiles)),
    };
  });

  app.post('/api/feed/post', async (request) => {
    const ssb = ssbPeer();
    if (!request.isMultipart()) throw new HttpError(415, 'send the post as a form (multipart/form-data)');
    let text = '';
    let photo: { bytes: Buffer; name: string } | null = null;
    const parts = request.parts({
      limits: { fileSize: ssb.blobsMaxBytes, files: 1, fields: 4, fieldSize: 64 * 1024, parts: 6 },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (part.fieldname === 'photo' && bytes.length > 0) photo = { bytes, name: photoNameField(part.filename) };
      } else if (part.fieldname === 'text') {
        text = postTextField(part.value);
      }
    }
    if (text === '' && photo === null) throw new InvalidInput('write something or choose a photo');
    if (photo === null) {
      const message = await ssb.publish({ type: 'post', text });
      return { ok: true, ...message };
    }
    const type = sniffImage(photo.bytes);
    if (type === null) throw new HttpError(415, 'only photos can be posted: JPEG, PNG, GIF or WebP');
    const blob = await ssb.addBlob(photo.bytes);
    const link = `![${photo.name}](${blob})`;
    const message = await ssb.publish({
      type: 'post',
      text: text === '' ? link : `${text}\n\n${link}`,
      mentions: [{ link: blob, name: photo.name, size: photo.bytes.length, type }],
    });
    logger.log('info', 'web: posted a photo', { blob, size: photo.bytes.length });
    return { ok: true, ...message, blob };
  });

  app.get<{ Querystring: { id?: string } }>('/blob', { config: { guest: true } }, async (request, reply) => {
    const id = request.query.id;
    if (!isBlobId(id)) throw new InvalidInput('expected ?id=&<base64>.sha256');
    const ssb = ssbPeer();
    // A guest sees the photos the device holds; only the owner's page makes it ask other peers.
    if (!request.session && !(await ssb.hasBlob(id))) throw new HttpError(404, 'this photo is not on the device');
    let bytes: Buffer;
    try {
      // A photo we do not hold yet is asked of the connected peers, briefly.
      bytes = await ssb.getBlob(id, { timeoutMs: 3000 });
    } catch {
      throw new HttpError(404, 'this photo is not on the device (yet)');
    }
    const type = sniffImage(bytes);
    if (type === null) throw new HttpError(415, 'this blob is not a photo, so it is not shown');
    return reply
      .type(type)
      .header('Content-Security-Policy', BLOB_CSP)
      .header('Content-Disposition', 'inline')
      .header('Cache-Control', 'private, max-age=86400, immutable')
      .send(bytes);
  });

  // ---- the guest view (src/web/guest) -----------------------------------------------------------------------

  registerGuestRoutes(app, { access: guest, ssbPeer, asset, addresses: { ap: listening.ap, usb: listening.usb } });

  // ---- Wi-Fi ----------------------------------------------------------------------------------------------

  const wifi = async () => {
    const [settings, status] = await Promise.all([daemon('wifi.get'), daemon('status')]);
    return { ap: settings.ap, knownNetworks: settings.knownNetworks, keys: status.keys, mode: status.mode };
  };
  app.get('/api/wifi', wifi);
  app.post('/api/wifi/ap', async (request) => {
    const body = objectBody(request.body);
    const change: { ssid?: string; passphrase?: string } = {};
    if (body.ssid !== undefined) change.ssid = ssidField(body.ssid);
    if (body.passphrase !== undefined) change.passphrase = passphraseField(body.passphrase);
    if (change.ssid === undefined && change.passphrase === undefined)
      throw new InvalidInput('enter a new network name, a new passphrase, or both');
    await daemon('wifi.ap.set', change);
    logger.log('info', 'web: access point settings changed', { ssid: change.ssid !== undefined });
    return wifi();
  });
  app.post('/api/wifi/networks/add', async (request) => {
    const body = objectBody(request.body);
    await daemon('wifi.networks.add', { ssid: ssidField(body.ssid), passphrase: passphraseField(body.passphrase) });
    return wifi();
  });
  app.post('/api/wifi/networks/remove', async (request) => {
    const ssid = objectBody(request.body).ssid;
    if (typeof ssid !== 'string' || ssid === '' || ssid.length > 64) throw new InvalidInput('which network?');
    await daemon('wifi.networks.remove', { ssid });
    return wifi();
  });
  app.post('/api/wifi/networks/order', async (request) => {
    await daemon('wifi.networks.order', { ssids: ssidListField(objectBody(request.body).ssids) });
    return wifi();
  });
  app.post('/api/wifi/keys/one-time', async (request) => {
    await daemon('keys.one-time', { enabled: booleanField(objectBody(request.body).enabled, 'enabled') });
    return wifi();
  });
  app.post('/api/wifi/keys/revoke', async (request) => {
    await daemon('keys.revoke', { mac: macField(objectBody(request.body).mac) });
    return wifi();
  });

  // ---- listen -----------------------------------------------------------------------------------------

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  listening = { ...listening, port };
  served = servedLocalAddresses(listening);
  hosts = allowedHostHeaders(listening);
  const url = `http://${bracket(options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host)}:${port}/`;

  if (!password.isSet() && options.setupCode === 'required') {
    setupCode = (await readFile(setupCodePath, 'utf8').catch(() => '')).trim() || null;
    if (setupCode === null) {
      setupCode = generateSetupCode();
      await writeFileAtomic(setupCodePath, `${setupCode}\n`, { mode: 0o600 });
    }
    logger.log('warn', 'web page: no password yet; the first visit needs this setup code', {
      url: `${url}setup`,
      setupCode,
      file: setupCodePath,
    });
  } else if (!password.isSet()) {
    logger.log('warn', 'web page: no password yet; the first visit over the AP, USB or loopback sets it', {
      url: `${url}setup`,
    });
  }
  return { url, app, routes, close: () => app.close() };
}
