// The checks every request passes, in order (the why of each is in server.ts's opening comment): the local
// address it arrived on, the Host header (or the captive portal's redirect), a POST's Origin, the session (or
// the guest view), and a POST's CSRF token; then the security headers on every answer. The checks themselves
// are the pure functions of security.ts; this is their wiring into Fastify.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminPassword } from './auth.js';
import { isMdnsName, portalLocation, wantsPortalRedirect } from './guest/portal.js';
import type { GuestAccess } from './guest/routes.js';
import {
  CSRF_HEADER,
  csrfTokenFor,
  isSafeMethod,
  isSameOrigin,
  isServedLocalAddress,
  PRE_COOKIE,
  parseCookies,
  SESSION_COOKIE,
  tokensMatch,
} from './security.js';
import type { ServedAt } from './served-at.js';
import type { SessionStore } from './sessions.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const isApi = (url: string) => url.startsWith('/api/') || url.startsWith('/events') || url.startsWith('/blob');

/** The CSRF token a request must carry: the session's, or before login the pre-cookie's; null for none. */
export function csrfOf(secret: Buffer, request: FastifyRequest): string | null {
  if (request.session) return csrfTokenFor(secret, request.session.id);
  const pre = parseCookies(request.headers.cookie).get(PRE_COOKIE);
  return pre === undefined ? null : csrfTokenFor(secret, pre);
}

export function checkEveryRequest(
  app: FastifyInstance,
  parts: {
    servedAt: ServedAt;
    guest: GuestAccess;
    sessions: SessionStore;
    password: AdminPassword;
    /** Signs the CSRF tokens. */
    secret: Buffer;
  },
): void {
  const { servedAt, guest, sessions, password, secret } = parts;
  app.addHook('onRequest', async (request, reply) => {
    if (!isServedLocalAddress(request.raw.socket.localAddress, servedAt.served)) {
      // A network the device joined as a client: say as little as possible.
      return reply.code(403).type('text/plain; charset=utf-8').send('not served on this network\n');
    }
    const host = request.headers.host?.toLowerCase();
    if (!host) return reply.code(400).send({ error: 'missing Host header' });
    const hostIsOurs = servedAt.hosts.has(host) || isMdnsName(host, servedAt.listening.port);
    if (wantsPortalRedirect({ method: request.method, url: request.url, hostIsOurs })) {
      // A connectivity probe, or a page under a name the catch-all DNS sent here: no data, a redirect.
      const page = guest.allows(request) ? '/shared' : '/';
      const local = request.raw.socket.localAddress ?? '127.0.0.1';
      return reply
        .code(302)
        .header('Location', portalLocation(local, request.raw.socket.localPort ?? servedAt.listening.port, page))
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
      const expected = csrfOf(secret, request);
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
}
