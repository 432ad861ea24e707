// The owner's pages (Device, People, Feed, Wi-Fi) and the login and setup pages, with their scripts and
// styles. Pages are assembled from the shared shell (page-shell.ts); the login and setup pages send people
// on when they are not the step they are at.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { asset, FORMAT_BYTES_MODULE } from '../assets.js';
import type { AdminPassword } from '../auth.js';
import { PAGES, readPage } from '../page-shell.js';

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

export function pageRoutes(app: FastifyInstance, password: AdminPassword): void {
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
  app.get('/format-bytes.js', async (_request, reply) => reply.type(JS).send(await readFile(FORMAT_BYTES_MODULE)));
}
