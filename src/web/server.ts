// The device's web page, served by the unprivileged peer process. Every action goes to the
// connectivity daemon through the typed control client; the page never touches the system itself.
import { readFile } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { ControlClient, RemoteError } from '../control/client.js';
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

const asset = (name: string) => new URL(`../../../src/web/public/${name}`, import.meta.url);

export async function startWebServer(options: WebOptions): Promise<WebServer> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  const call = async (cmd: 'status' | 'press', args?: Record<string, unknown>) => {
    const client = await ControlClient.connect(options.socketPath);
    try {
      return await client.request(cmd as 'status', args as never);
    } finally {
      client.close();
    }
  };

  app.addHook('onSend', async (_request, reply) => {
    reply.header('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'same-origin');
  });

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(await readFile(asset('index.html'))));
  app.get('/device.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(await readFile(asset('device.js'))));
  app.get('/device.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(await readFile(asset('device.css'))));
  app.get('/api/status', async () => call('status'));
  app.post<{ Params: { button: string } }>('/api/press/:button', async (request, reply) => {
    const { button } = request.params;
    if (button !== 'ap' && button !== 'wps') return reply.code(400).send({ error: 'unknown button' });
    try {
      return await call('press', { button });
    } catch (error) {
      const status = error instanceof RemoteError ? 400 : 502;
      return reply.code(status).send({ error: (error as Error).message });
    }
  });

  app.get('/events', async (request, reply) => {
    const client = await ControlClient.connect(options.socketPath);
    reply.raw.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    const send = (status: unknown) => reply.raw.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
    client.onPush((message) => {
      if (message.event === 'status') send(message.status);
    });
    client.onClose(() => reply.raw.end());
    request.raw.on('close', () => client.close());
    send(await client.request('subscribe'));
    return reply;
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}/`, app, close: () => app.close() };
}
