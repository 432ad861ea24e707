// The device's web page, served by the unprivileged peer process. Every action goes to the
// connectivity daemon through the typed control client; the page never touches the system itself.
// Until login and CSRF tokens arrive, three checks guard it: a Host allow-list (DNS rebinding), an
// Origin check on every POST (cross-site requests), and a strict CSP with no inline script or style.
import { readFile } from 'node:fs/promises';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ControlClient, DaemonNotRunningError, RemoteError } from '../control/client.js';
import { type Command, requestSchema } from '../control/protocol.js';
import type { Logger } from '../log/logger.js';

export interface WebOptions {
  socketPath: string;
  host: string;
  port: number;
  logger: Logger;
}

export interface WebServer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const ASSETS: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/device.js': ['device.js', 'text/javascript; charset=utf-8'],
  '/device.css': ['device.css', 'text/css; charset=utf-8'],
};
const asset = (name: string) => new URL(`../../../src/web/public/${name}`, import.meta.url);
const bracket = (host: string) => (host.includes(':') ? `[${host}]` : host);
/** Daemon error codes as HTTP statuses: bad input 400, not a simulator 404, refused in this state 409. */
const HTTP_OF: Record<string, number> = { bad_request: 400, bad_json: 400, not_simulated: 404 };

export async function startWebServer(options: WebOptions): Promise<WebServer> {
  // forceCloseConnections: open event streams must not hold up a shutdown.
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024, forceCloseConnections: true });
  const allowedHosts = new Set<string>(); // filled in once the port is known

  const fail = (reply: FastifyReply, error: unknown) => {
    const status =
      error instanceof RemoteError ? (HTTP_OF[error.code] ?? 409) : error instanceof DaemonNotRunningError ? 503 : 502;
    return reply.code(status).send({ error: (error as Error).message });
  };
  /** Validates a command with the control protocol's own schema, then sends it to the daemon. */
  const forward = async (reply: FastifyReply, cmd: Command, body: unknown) => {
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      return reply.code(400).send({ error: 'the request body must be a JSON object' });
    }
    const parsed = requestSchema.safeParse({ ...((body ?? {}) as object), cmd });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.code(400).send({ error: `${issue?.path.join('.') || cmd}: ${issue?.message ?? 'invalid'}` });
    }
    const { cmd: _cmd, ...args } = parsed.data;
    const client = await ControlClient.connect(options.socketPath).catch((error: unknown) => error as Error);
    if (client instanceof Error) return fail(reply, client);
    try {
      return await client.request(cmd, args as never);
    } catch (error) {
      return fail(reply, error);
    } finally {
      client.close();
    }
  };

  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host?.toLowerCase();
    if (!host) return reply.code(400).send({ error: 'missing Host header' });
    if (!allowedHosts.has(host))
      return reply.code(421).send({ error: `this device does not answer to host "${host.slice(0, 100)}"` });
    const origin = request.headers.origin;
    if (
      request.method !== 'GET' &&
      request.method !== 'HEAD' &&
      origin !== undefined &&
      origin.toLowerCase() !== `http://${host}`
    ) {
      return reply.code(403).send({ error: 'cross-origin request refused' });
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cache-Control', 'no-store');
  });

  for (const [path, [file, type]] of Object.entries(ASSETS)) {
    app.get(path, async (_request, reply) => reply.type(type).send(await readFile(asset(file))));
  }
  app.get('/api/status', async (_request, reply) => forward(reply, 'status', undefined));
  app.post<{ Params: { button: string } }>('/api/press/:button', async (request, reply) =>
    forward(reply, 'press', { button: request.params.button }),
  );
  app.post('/api/sim/other-wps', async (request, reply) => forward(reply, 'sim.other-wps', request.body));
  app.post('/api/sim/phone', async (request, reply) => forward(reply, 'sim.phone', request.body ?? {}));

  app.get('/events', async (request, reply) => {
    const client = await ControlClient.connect(options.socketPath).catch((error: unknown) => error as Error);
    if (client instanceof Error) return fail(reply, client);
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

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  for (const name of ['127.0.0.1', 'localhost', '[::1]', ...(wildcard ? [] : [bracket(options.host.toLowerCase())])]) {
    allowedHosts.add(`${name}:${port}`);
    if (port === 80) allowedHosts.add(name);
  }
  return { url: `http://${bracket(options.host)}:${port}/`, app, close: () => app.close() };
}
