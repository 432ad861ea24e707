// The Device page's API: the daemon's status (once, and as a live event stream), the buttons pressed from the
// page, the simulator's other devices, the SSB peer's overview and the access point's QR code.
import type { FastifyInstance } from 'fastify';
import { ControlClient } from '../../control/client.js';
import type { DaemonCalls } from '../daemon-calls.js';
import { objectBody } from '../inputs.js';
import type { SsbAccess } from '../ssb-access.js';
import { devicePeersView } from '../views.js';

export function deviceRoutes(app: FastifyInstance, parts: DaemonCalls & { ssb: SsbAccess; socketPath: string }): void {
  const { daemon, daemonUnchecked, ssb: access } = parts;
  app.get('/api/status', async () => daemon('status'));
  app.post<{ Params: { button: string } }>('/api/press/:button', async (request) =>
    daemonUnchecked('press', { button: request.params.button }),
  );
  app.post('/api/sim/other-wps', async (request) => daemonUnchecked('sim.other-wps', objectBody(request.body ?? {})));
  app.post('/api/sim/phone', async (request) => daemonUnchecked('sim.phone', objectBody(request.body ?? {})));

  app.get('/events', async (request, reply) => {
    const client = await ControlClient.connect(parts.socketPath);
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
    const ssb = access.running;
    if (!ssb) return { running: false, reason: access.absence() };
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
}
