// Logging in, the first setup of the admin password (with the one-time setup code where it is required),
// and logging out. Failed attempts are rate-limited per client; a session starts with its CSRF token.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LogSink } from '../../log/logger.js';
import { writeFileAtomic } from '../../store/atomic-file.js';
import { type AdminPassword, checkNewPassword, generateSetupCode, setupCodeMatches } from '../auth.js';
import { HttpError } from '../errors.js';
import { InvalidInput, objectBody } from '../inputs.js';
import type { FailureLimiter } from '../rate-limit.js';
import { csrfOf } from '../request-checks.js';
import { clientKey, csrfTokenFor, PRE_COOKIE, parseCookies, SESSION_COOKIE, serializeCookie } from '../security.js';
import type { SessionStore } from '../sessions.js';

export interface SessionRoutes {
  /** Once listening: logs how the first visit sets the password, writing the setup code when one is needed. */
  announceSetup(url: string): Promise<void>;
}

export function sessionRoutes(
  app: FastifyInstance,
  parts: {
    password: AdminPassword;
    sessions: SessionStore;
    limiter: FailureLimiter;
    /** Signs the CSRF tokens. */
    secret: Buffer;
    setupCode: 'required' | 'off' | undefined;
    setupCodePath: string;
    logger: LogSink;
  },
): SessionRoutes {
  const { password, sessions, limiter, secret, setupCodePath, logger } = parts;
  let setupCode: string | null = null;

  const setupState = () => ({
    needed: !password.isSet(),
    codeRequired: parts.setupCode === 'required',
    codeFile: parts.setupCode === 'required' ? setupCodePath : null,
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

  app.get('/api/session', { config: { public: true } }, async (request, reply) => {
    if (!request.session && !parseCookies(request.headers.cookie).has(PRE_COOKIE)) {
      const pre = randomBytes(24).toString('base64url');
      reply.header('Set-Cookie', serializeCookie(PRE_COOKIE, pre));
      return { authenticated: false, setup: setupState(), csrf: csrfTokenFor(secret, pre) };
    }
    return { authenticated: request.session !== null, setup: setupState(), csrf: csrfOf(secret, request) };
  });

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
    if (parts.setupCode === 'required' && (setupCode === null || !setupCodeMatches(body.code, setupCode))) {
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

  return {
    async announceSetup(url) {
      if (!password.isSet() && parts.setupCode === 'required') {
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
    },
  };
}
