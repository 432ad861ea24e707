// The guest view and the captive portal against a real simulated device with its SSB peer, and Debian's
// Chromium at phone size: connectivity probes are redirected (no data) to the Shared page on the address
// they arrived at; the Shared page and its API work without a session and page through many posts; photos
// are served to guests only when their bytes are images; every admin route refuses a request without a
// session; the owner's switch turns the guest view off; a network the device joined as a client gets none.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/log/logger.js';
import { SHARED_PAGE_SIZE } from '../../src/web/guest/routes.js';
import { startWebServer, type WebServer } from '../../src/web/server.js';
import {
  type AdminSession,
  apiCall,
  CLI,
  launchChromium,
  makePng,
  makeTempDir,
  peerCall,
  type RunningBrowser,
  type RunningDaemon,
  rawRequest,
  removeDir,
  saveArtifact,
  saveScreenshot,
  setUpAdmin,
  startDaemon,
} from '../helpers/browser.js';
import { freePort } from '../helpers/daemon.js';

const run = promisify(execFile);
const LONG = { timeout: 90_000 };
const HOSTILE = '<img src=x onerror="document.title=\'owned\'"><script>document.title="owned"</script> & café';
let dataDir: string | undefined;
let daemon: RunningDaemon | undefined;
let admin: AdminSession;
let photoBlob = '';
let textBlob = '';
let selfId = '';

const started = () => {
  assert.ok(daemon, 'the daemon did not start');
  return daemon;
};
const port = () => Number(new URL(started().url).port);
const at = (path: string) => new URL(path, started().url).href;
const noRedirectBody = (answer: { body: string }) => assert.equal(answer.body, '', 'a redirect with no data');

before(
  async () => {
    dataDir = await makeTempDir();
    // No auto-follow: other test runs on this machine's loopback LAN must not add their posts to the page.
    daemon = await startDaemon(dataDir, 45_000, true, ['--no-auto-follow']);
    admin = await setUpAdmin(daemon);
    const photoFile = join(dataDir, 'sunset.png');
    await writeFile(photoFile, makePng(480, 320, [230, 120, 40]));
    // The Must-show path: a post published with the CLI, photo and all.
    await run(
      process.execPath,
      [CLI, 'ssb', 'publish', '--type', 'post', '--text', 'Sunset at the lake', '--photo', photoFile],
      {
        env: { ...process.env, SMALLWORLD_DATA: dataDir },
        timeout: 30_000,
      },
    );
    selfId = (await peerCall(dataDir, 'ssb.whoami')).id;
    const avatar = makePng(64, 64, [60, 140, 220]).toString('base64');
    const avatarId = (await peerCall(dataDir, 'ssb.blob.add', { data: avatar })).id;
    await peerCall(dataDir, 'ssb.publish', {
      content: { type: 'about', about: selfId, name: 'Alice’s device', image: avatarId },
    });
    await peerCall(dataDir, 'ssb.publish', { content: { type: 'post', text: HOSTILE } });
    const text = (await peerCall(dataDir, 'ssb.blob.add', {
      data: Buffer.from('<html><script>alert(1)</script></html>').toString('base64'),
    })) as string | { id: string };
    textBlob = typeof text === 'string' ? text : text.id;
    // A post whose "photo" is markup, claimed to be a PNG (as a hostile peer could replicate one).
    await peerCall(dataDir, 'ssb.publish', {
      content: { type: 'post', text: 'Not really a photo', mentions: [{ link: textBlob, type: 'image/png' }] },
    });
    const shared = (await rawRequest(at('/api/shared'))).json() as { posts: Array<{ text: string; photos: string[] }> };
    photoBlob = shared.posts.find((p) => p.text === 'Sunset at the lake')?.photos[0] ?? '';
  },
  { timeout: 90_000 },
);

after(
  async () => {
    if (daemon) await saveArtifact('logs/guest-daemon.log', daemon.output());
    await daemon?.stop();
    if (dataDir) await removeDir(dataDir);
  },
  { timeout: 60_000 },
);

test(
  'each connectivity probe is answered with a redirect to the Shared page on the address it came to',
  LONG,
  async () => {
    const probes: Array<[host: string, path: string]> = [
      ['connectivitycheck.gstatic.com', '/generate_204'],
      ['clients3.google.com', '/generate_204'],
      ['captive.apple.com', '/hotspot-detect.html'],
      ['www.apple.com', '/library/test/success.html'],
      ['www.msftconnecttest.com', '/connecttest.txt'],
      ['www.msftncsi.com', '/ncsi.txt'],
      ['detectportal.firefox.com', '/success.txt'],
      ['example.org', '/any/typed/page?q=1'],
      ['smallworld', '/'],
      [`127.0.0.1:${port()}`, '/generate_204'],
    ];
    const expected = `http://127.0.0.1:${port()}/shared`;
    for (const [host, path] of probes) {
      for (const method of ['GET', 'HEAD']) {
        const answer = await rawRequest(at(path), { method, headers: { Host: host } });
        assert.equal(answer.status, 302, `${method} ${host}${path}`);
        assert.equal(answer.headers.location, expected, `${host}${path}`);
        if (method === 'GET') assert.equal(answer.headers['content-length'], '0');
        noRedirectBody(answer);
        assert.equal(answer.headers['set-cookie'], undefined, 'no session or cookie handed out');
      }
    }
  },
);

/** The resident memory of the daemon's peer process (the web page's), in MiB. */
async function peerRssMiB(): Promise<number> {
  const children = (await readFile(`/proc/${started().pid}/task/${started().pid}/children`, 'utf8')).trim().split(' ');
  const rss = await Promise.all(
    children.map(async (pid) => {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
    }),
  );
  return Math.max(...rss);
}

test('a flood of probes: each answered with the same empty redirect, memory bounded, the page still served', {
  timeout: 180_000,
}, async () => {
  const TOTAL = 5000;
  const probes = [
    ['connectivitycheck.gstatic.com', '/generate_204'],
    ['captive.apple.com', '/hotspot-detect.html'],
    ['www.msftconnecttest.com', '/connecttest.txt'],
    ['detectportal.firefox.com', '/success.txt'],
    ['x'.repeat(253), `/${'y'.repeat(4000)}?${'z'.repeat(4000)}`],
  ] as const;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const expected = `http://127.0.0.1:${port()}/shared`;
  const before = await peerRssMiB();
  const wrong: string[] = [];
  let answered = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const [host, path] = probes[i % probes.length] as readonly [string, string];
      const req = httpRequest(at(path), { agent, headers: { Host: host }, timeout: 30_000 }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => {
          answered++;
          if (res.statusCode !== 302 || res.headers.location !== expected || bytes !== 0)
            wrong.push(`${host.slice(0, 20)}${path.slice(0, 20)}: ${res.statusCode} ${res.headers.location} ${bytes}`);
          resolve();
        });
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.end();
    });
  const startedAt = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < TOTAL) await one(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  agent.destroy();
  const afterwards = await peerRssMiB();
  // A figure for the report, not a timed assertion: the rate depends on the machine and its load.
  console.log(
    `# figure: ${TOTAL} probes over 64 connections in ${seconds.toFixed(2)} s = ${Math.round(TOTAL / seconds)}/s; peer RSS ${before.toFixed(0)} -> ${afterwards.toFixed(0)} MiB`,
  );
  assert.equal(answered, TOTAL);
  assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} probes answered otherwise`);
  // Nothing is kept per probe: thousands of them leave the peer's memory where it was, give or take the heap's slack.
  assert.ok(afterwards - before < 64, `peer RSS grew ${before.toFixed(0)} -> ${afterwards.toFixed(0)} MiB`);
  const shared = await rawRequest(at('/api/shared'));
  assert.equal(shared.status, 200, 'guests are still served');
  assert.equal((await rawRequest(at('/api/status'))).status, 401, 'and the admin API still refuses them');
});

test('a foreign Host still gets nothing that carries data, and cannot change anything', LONG, async () => {
  for (const path of ['/api/status', '/api/shared', '/api/wifi', `/blob?id=${encodeURIComponent(photoBlob)}`]) {
    const answer = await rawRequest(at(path), { headers: { ...admin.headers(), Host: 'evil.example' } });
    assert.equal(answer.status, 421, path);
  }
  const press = await rawRequest(at('/api/press/ap'), {
    method: 'POST',
    headers: admin.headers({ Host: 'evil.example', 'Content-Type': 'application/json' }),
    body: '{}',
  });
  assert.equal(press.status, 421);
  const mdns = await rawRequest(at('/api/shared'), { headers: { Host: `smallworld.local:${port()}` } });
  assert.equal(mdns.status, 200, 'the mDNS name is one of ours');
});

test(
  'Must show: /api/shared lists the post published with `smallworld ssb publish`, without logging in',
  LONG,
  async () => {
    const answer = await rawRequest(at('/api/shared'));
    assert.equal(answer.status, 200, answer.body);
    const body = answer.json() as {
      posts: Array<{
        key: string;
        author: { id: string; name: string | null };
        text: string;
        photos: string[];
        timestamp: number;
      }>;
      next: string | null;
    };
    const sunset = body.posts.find((p) => p.text === 'Sunset at the lake');
    assert.ok(sunset, JSON.stringify(body).slice(0, 400));
    assert.match(sunset.key, /^%.{44}\.sha256$/);
    assert.equal(sunset.author.id, selfId);
    assert.equal(sunset.author.name, 'Alice’s device');
    assert.equal(sunset.photos.length, 1);
    assert.equal(typeof sunset.timestamp, 'number');
    assert.equal(body.posts.find((p) => p.text === HOSTILE)?.text, HOSTILE, 'text is passed on as text');
    assert.equal(body.next, null);
    assert.ok(!body.posts.some((p) => p.text.includes('about')), 'only posts');

    const html = await rawRequest(at('/shared'));
    assert.equal(html.status, 200);
    assert.match(String(html.headers['content-type']), /text\/html/);
  },
);

test('guests get photos whose bytes are images, and nothing else from the blob store', LONG, async () => {
  const photo = await rawRequest(at(`/blob?id=${encodeURIComponent(photoBlob)}`));
  assert.equal(photo.status, 200);
  assert.equal(photo.headers['content-type'], 'image/png');
  assert.match(String(photo.headers['content-security-policy']), /sandbox/);
  const html = await rawRequest(at(`/blob?id=${encodeURIComponent(textBlob)}`));
  assert.equal(html.status, 415, 'bytes that are not an image are not served as one');
  assert.doesNotMatch(html.body, /<script>/);
  const started = Date.now();
  const missing = await rawRequest(at(`/blob?id=${encodeURIComponent(`&${'A'.repeat(43)}=.sha256`)}`));
  assert.equal(missing.status, 404);
  assert.ok(Date.now() - started < 2500, 'a guest does not make the device ask its peers for blobs');
  const bad = await rawRequest(at('/blob?id=../../etc/passwd'));
  assert.equal(bad.status, 400);
});

test('paging: many posts come newest first, each once; bad cursors are refused with bounded work', LONG, async () => {
  const total = SHARED_PAGE_SIZE + 7;
  for (let i = 0; i < total; i++)
    await peerCall(started().dataDir, 'ssb.publish', { content: { type: 'post', text: `paged post ${i}` } });
  const seen: string[] = [];
  let next: string | null = null;
  for (let pages = 0; pages < 10; pages++) {
    const query: string = next === null ? '' : `?before=${encodeURIComponent(next)}`;
    const body = (await rawRequest(at(`/api/shared${query}`))).json() as {
      posts: Array<{ key: string; text: string }>;
      next: string | null;
    };
    assert.ok(body.posts.length <= SHARED_PAGE_SIZE);
    seen.push(...body.posts.map((p) => p.text));
    next = body.next;
    if (next === null) break;
  }
  const paged = seen.filter((t) => t.startsWith('paged post '));
  assert.deepEqual(
    paged,
    Array.from({ length: total }, (_, i) => `paged post ${total - 1 - i}`),
    'newest first, every post once',
  );
  assert.equal(new Set(seen).size, seen.length, 'no post twice');
  assert.ok(seen.includes('Sunset at the lake'));

  for (const cursor of ['abc', '-1.0', '1.0.0', '99999999999999999999.0', `1.${10 ** 6}`, '1'.repeat(8000)]) {
    const answer = await rawRequest(at(`/api/shared?before=${encodeURIComponent(cursor)}`));
    assert.equal(answer.status, 400, cursor.slice(0, 30));
    assert.match((answer.json() as { error: string }).error, /before/);
  }
  const twice = await rawRequest(at('/api/shared?before=1.0&before=2.0'));
  assert.equal(twice.status, 400);
});

test('every admin route refuses a request without a session; guests reach only the guest view', LONG, async () => {
  // The route table comes from the server itself, so a route added later is tried too.
  const stateDir = join(started().dataDir, 'route-table');
  await mkdir(stateDir, { recursive: true });
  const table: WebServer = await startWebServer({
    socketPath: join(started().dataDir, 'control.sock'),
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    stateDir,
  });
  const routes = table.routes;
  await table.close();
  const guestRoutes = routes.filter((r) => r.access === 'guest').map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(guestRoutes.sort(), ['GET /api/shared', 'GET /blob', 'GET /shared'].sort());
  for (const route of routes.filter((r) => r.access === 'public'))
    assert.ok(
      /^\/(login|setup|api\/session|api\/login|api\/setup|[a-z-]+\.(js|css))$/.test(route.url),
      `${route.method} ${route.url} is public: only the login, setup and assets may be`,
    );
  const admins = routes.filter((r) => r.access === 'admin');
  assert.ok(admins.length >= 20, `${admins.length} admin routes`);
  const before = await apiCall(started().url, admin, '/api/wifi');
  for (const route of admins) {
    const path = route.url.replace(':button', 'ap').replace(':action', 'follow');
    const answer = await rawRequest(at(path), {
      method: route.method,
      headers: route.method === 'GET' ? {} : { 'Content-Type': 'application/json' },
      ...(route.method === 'GET' ? {} : { body: JSON.stringify({ enabled: false, ssid: 'x', id: selfId }) }),
    });
    const isPage = route.method === 'GET' && !/^\/(api|events|blob)/.test(path);
    if (isPage) {
      assert.equal(answer.status, 303, `${route.method} ${path}`);
      assert.equal(answer.headers.location, '/login', `${route.method} ${path}`);
    } else {
      assert.equal(answer.status, 401, `${route.method} ${path}: ${answer.body.slice(0, 100)}`);
    }
  }
  const afterwards = await apiCall(started().url, admin, '/api/wifi');
  assert.deepEqual(afterwards.json.ap, before.json.ap, 'nothing changed');
  const guest = await apiCall(started().url, admin, '/api/guest');
  assert.deepEqual(guest.json, { enabled: true }, 'the guest view is still on');
});

test(
  'the owner can switch the guest view off (and on): then guests get the login, probes the device page',
  LONG,
  async () => {
    const withoutToken = await rawRequest(at('/api/guest'), {
      method: 'POST',
      headers: { Cookie: admin.headers().Cookie ?? '', 'Content-Type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    assert.equal(withoutToken.status, 403, 'the switch needs the CSRF token');
    const off = await apiCall(started().url, admin, '/api/guest', { enabled: false });
    assert.deepEqual(off.json, { enabled: false });
    try {
      const api = await rawRequest(at('/api/shared'));
      assert.equal(api.status, 403);
      assert.match(api.body, /switched the guest view off/);
      const page = await rawRequest(at('/shared'));
      assert.equal(page.status, 303);
      assert.equal(page.headers.location, '/login');
      const photo = await rawRequest(at(`/blob?id=${encodeURIComponent(photoBlob)}`));
      assert.equal(photo.status, 403);
      const probe = await rawRequest(at('/generate_204'), { headers: { Host: 'connectivitycheck.gstatic.com' } });
      assert.equal(probe.status, 302);
      assert.equal(probe.headers.location, `http://127.0.0.1:${port()}/`);
      const owner = await apiCall(started().url, admin, '/api/shared');
      assert.equal(owner.status, 200, 'the owner still sees it');
    } finally {
      const on = await apiCall(started().url, admin, '/api/guest', { enabled: true });
      assert.deepEqual(on.json, { enabled: true });
    }
    assert.equal((await rawRequest(at('/api/shared'))).status, 200);
  },
);

test('no guest view (nor anything else) on a network the device joined as a client', LONG, async () => {
  const stateDir = join(started().dataDir, 'client-net');
  await mkdir(stateDir, { recursive: true });
  const webPort = await freePort();
  let web: WebServer | undefined;
  try {
    web = await startWebServer({
      socketPath: join(started().dataDir, 'control.sock'),
      host: '0.0.0.0',
      port: webPort,
      logger: silentLogger,
      stateDir,
      addresses: { ap: '192.168.4.1', usb: '192.168.6.1' },
      setupCode: 'required',
    });
    // 127.0.0.5 stands for the address the device got from a café's Wi-Fi.
    for (const [path, host] of [
      ['/shared', `127.0.0.5:${webPort}`],
      ['/api/shared', `192.168.4.1:${webPort}`],
      ['/generate_204', 'connectivitycheck.gstatic.com'],
      ['/', 'example.org'],
    ] as const) {
      const answer = await rawRequest(`http://127.0.0.5:${webPort}${path}`, { headers: { Host: host } });
      assert.equal(answer.status, 403, `${path} on a client network`);
      assert.equal(answer.headers.location, undefined);
    }
    const own = await rawRequest(`http://127.0.0.1:${webPort}/api/shared`, {
      headers: { Host: `127.0.0.1:${webPort}` },
    });
    assert.equal(own.status, 503, 'on loopback the guest view answers (this server has no SSB peer)');
  } finally {
    await web?.close();
  }
  // An address set by hand as web.host serves the owner, but is not one of the device's own links.
  const explicitDir = join(started().dataDir, 'explicit-host');
  await mkdir(explicitDir, { recursive: true });
  const explicitPort = await freePort();
  try {
    web = await startWebServer({
      socketPath: join(started().dataDir, 'control.sock'),
      host: '127.0.0.6',
      port: explicitPort,
      logger: silentLogger,
      stateDir: explicitDir,
    });
    const api = await rawRequest(`http://127.0.0.6:${explicitPort}/api/shared`, {
      headers: { Host: `127.0.0.6:${explicitPort}` },
    });
    assert.equal(api.status, 403);
    assert.match(api.body, /only on this device’s own network/);
    const probe = await rawRequest(`http://127.0.0.6:${explicitPort}/generate_204`, {
      headers: { Host: 'connectivitycheck.gstatic.com' },
    });
    assert.equal(probe.headers.location, `http://127.0.0.6:${explicitPort}/`);
  } finally {
    await web?.close();
  }
});

test(
  'Chromium at 360 px: a probe URL lands on Shared, the photo shows and enlarges, admin pages ask for the password',
  LONG,
  async () => {
    // The newest post has a photo, so the first screen shows one; the CLI's first post is further down by now.
    const forest = join(started().dataDir, 'forest.png');
    await writeFile(forest, makePng(360, 480, [40, 150, 80]));
    await run(
      process.execPath,
      [CLI, 'ssb', 'publish', '--type', 'post', '--text', 'The forest path', '--photo', forest],
      {
        env: { ...process.env, SMALLWORLD_DATA: started().dataDir },
        timeout: 30_000,
      },
    );
    const rules = ['connectivitycheck.gstatic.com', 'captive.apple.com']
      .map((host) => `MAP ${host} 127.0.0.1:${port()}`)
      .join(', ');
    let chromium: RunningBrowser | undefined;
    try {
      chromium = await launchChromium([`--host-resolver-rules=${rules}`]);
      const context = await chromium.browser.newContext({
        viewport: { width: 360, height: 740 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        // Chromium notes that it ignores our Cross-Origin-Opener-Policy on plain-HTTP origins that are not
        // loopback (the probe's name here, 192.168.4.1 on a device): a notice, not a failure of the page.
        const text = message.text();
        if (
          message.type() === 'error' &&
          !/Failed to load resource|Cross-Origin-Opener-Policy header has been ignored/.test(text)
        )
          errors.push(text);
      });
      for (const probe of [
        'http://connectivitycheck.gstatic.com/generate_204',
        'http://captive.apple.com/hotspot-detect.html',
      ]) {
        await page.goto(probe);
        assert.equal(page.url(), `http://127.0.0.1:${port()}/shared`, probe);
      }
      const forestPost = page.locator('.shared-post', { hasText: 'The forest path' });
      const photo = forestPost.locator('.thumb img');
      await photo.waitFor({ state: 'visible', timeout: 15_000 });
      await photo.evaluate((img) => (img as unknown as { decode(): Promise<void> }).decode(), undefined, {
        timeout: 15_000,
      });
      assert.ok(
        (await photo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) > 0,
        'the photo decoded',
      );
      const box = await photo.boundingBox();
      assert.ok(box && box.width >= 300, `the photo fills the phone's width (${box?.width} px)`);
      const byline = forestPost.locator('.byline');
      assert.equal(await byline.locator('.name').textContent(), 'Alice’s device');
      assert.equal(await byline.locator('img.avatar').count(), 1, "the author's picture");
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px)`);
      assert.equal(await page.locator('#owner-link').textContent(), 'Owner? Log in');
      await saveScreenshot(page, 'guest-shared-phone.png', { fullPage: false, docs: true });

      await photo.click();
      await page.locator('#viewer[open] img').waitFor({ state: 'visible', timeout: 5000 });
      await saveScreenshot(page, 'guest-photo-phone.png', { fullPage: false, docs: true });
      await page.locator('#viewer .viewer-close').click();
      await page.locator('#viewer[open]').waitFor({ state: 'detached', timeout: 5000 });

      // Older posts, a page at a time, until the CLI's photo post and the hostile one are on the page.
      const sunset = page.locator('.shared-post', { hasText: 'Sunset at the lake' });
      for (let pages = 0; pages < 5 && (await sunset.count()) === 0; pages++) {
        const before = await page.locator('.shared-post').count();
        await page.locator('#more').click();
        await page.locator('.shared-post').nth(before).waitFor({ timeout: 10_000 });
      }
      await sunset.locator(`.thumb img[src*="${encodeURIComponent(photoBlob)}"]`).waitFor({ state: 'visible' });
      const fake = page.locator('.shared-post', { hasText: 'Not really a photo' });
      await fake.locator('.missing').waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(
        await fake.locator('.missing').textContent(),
        'photo not shown: not on this device yet, or not a photo',
      );
      assert.equal(await fake.locator('img').count(), await fake.locator('img.avatar').count(), 'no broken image');
      const hostile = page.locator('.shared-post .text', { hasText: 'onerror' });
      assert.equal(await hostile.textContent(), HOSTILE, 'markup in a post is shown as text');
      assert.equal(await page.locator('img[src="x"]').count(), 0);
      assert.notEqual(await page.title(), 'owned');
      assert.equal(await page.locator('#more').isVisible(), false, 'the last page has no "Older posts"');

      for (const admin of ['/', '/wifi', '/people', '/feed']) {
        await page.goto(`http://127.0.0.1:${port()}${admin}`);
        assert.equal(new URL(page.url()).pathname, '/login', `${admin} asks for the password`);
      }
      await page.goto(`http://127.0.0.1:${port()}/shared`);
      await page.locator('#owner-link').click();
      await page.waitForURL(/\/login$/);
      assert.deepEqual(errors, [], 'no script errors or CSP violations');
      await context.close();
    } finally {
      await chromium?.close();
    }
  },
);
