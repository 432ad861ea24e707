// The guest view: a read-only Shared page for anyone on the device's own links (access point, USB,
// loopback), without the admin password, and the owner's switch for it. Routes marked `guest` are served
// without a session only when the switch is on and the request arrived on one of those links; never on an
// address the device holds on a network it joined as a client, nor on one set by hand as `web.host`.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { avahiHostName } from '../../net/mdns-name.js';
import type { SsbPeer } from '../../ssb/peer.js';
import { booleanField, objectBody } from '../inputs.js';
import { PAGES, readPage } from '../page-shell.js';
import { type Listening, unmapIpv4 } from '../security.js';
import { formatCursor, parseCursor } from './cursor.js';
import { sharedPage } from './paging.js';
import type { GuestViewSetting } from './setting.js';
import { type SharedPage, sharedPost } from './shared-view.js';

export const SHARED_PAGE_SIZE = 20;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a session to guests, when the guest view is on and they are on one of our links. */
    guest?: boolean;
  }
}

/** Loopback, the access point's and the USB link's address: where a guest may be. */
export function guestAddresses(listening: Pick<Listening, 'ap' | 'usb'>): Set<string> {
  const addresses = new Set(['127.0.0.1', '::1']);
  if (listening.ap) addresses.add(unmapIpv4(listening.ap));
  if (listening.usb) addresses.add(unmapIpv4(listening.usb));
  return addresses;
}

export class GuestAccess {
  private addresses: Set<string>;

  constructor(
    readonly setting: GuestViewSetting,
    listening: Pick<Listening, 'ap' | 'usb'>,
  ) {
    this.addresses = guestAddresses(listening);
  }

  /** Why a request without a session gets no guest view. */
  refusal(): string {
    if (!this.setting.isEnabled()) return 'the owner has switched the guest view off: log in';
    return 'the guest view is only on this device’s own network (its access point or USB link): log in';
  }

  /** Whether a request without a session may see the guest view. */
  allows(request: FastifyRequest): boolean {
    const local = request.raw.socket.localAddress;
    return this.setting.isEnabled() && local !== undefined && this.addresses.has(unmapIpv4(local));
  }
}

export function registerGuestRoutes(
  app: FastifyInstance,
  deps: {
    access: GuestAccess;
    ssbPeer: () => SsbPeer;
    asset: (file: string) => URL;
    addresses: { ap: string | null; usb: string | null };
  },
): void {
  const { access, ssbPeer, asset } = deps;
  const page = (file: string, type: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type(type).send(await readFile(asset(file)));

  app.get('/shared', { config: { guest: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(await readPage(PAGES.shared, asset)),
  );
  app.get('/shared.js', { config: { public: true } }, page('shared.js', 'text/javascript; charset=utf-8'));
  app.get('/shared.css', { config: { public: true } }, page('shared.css', 'text/css; charset=utf-8'));

  app.get<{ Querystring: { before?: unknown } }>(
    '/api/shared',
    { config: { guest: true } },
    async (request): Promise<SharedPage> => {
      const cursor = parseCursor(request.query.before);
      const ssb = ssbPeer();
      const [page, profiles, relationships] = await Promise.all([
        sharedPage((range) => ssb.postsBetween(range), cursor, SHARED_PAGE_SIZE),
        ssb.profiles(),
        ssb.relationships(),
      ]);
      const blocked = new Set(relationships.blocked);
      return {
        posts: page.posts.filter((m) => !blocked.has(m.author)).map((m) => sharedPost(m, profiles)),
        next: page.next === null ? null : formatCursor(page.next),
      };
    },
  );

  // The Device page's "Address": the .local name Avahi announces for us, and the AP and USB addresses.
  app.get('/api/device-name', async () => {
    const addresses = [deps.addresses.ap, deps.addresses.usb].filter((a): a is string => a !== null);
    const own = addresses[0];
    return { mdns: own === undefined ? null : await avahiHostName(own), addresses };
  });

  // The owner's switch (Wi-Fi page): a session is needed, and the change carries the CSRF token.
  app.get('/api/guest', async () => ({ enabled: access.setting.isEnabled() }));
  app.post('/api/guest', async (request) => {
    await access.setting.set(booleanField(objectBody(request.body).enabled, 'enabled'));
    return { enabled: access.setting.isEnabled() };
  });
}
