// The web GUI's defences, request by request against a real simulated device (and Chromium for the
// redirects): no default credentials and a setup that happens once, sessions, CSRF tokens, the Host
// allow-list, the local-address check that keeps the GUI off networks the device joined as a client, and
// the login rate limit.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import { startWebServer, type WebServer } from '../../src/web/server.js';
import {
  ADMIN_PASSWORD,
  type AdminSession,
  launchChromium,
  logIn,
  makeTempDir,
  preLogin,
  type RunningBrowser,
  type RunningDaemon,
  rawRequest,
  removeDir,
  saveArtifact,
  setCookies,
  setUpAdmin,
  startDaemon,
} from '../helpers/browser.js';
import { freePort } from '../helpers/daemon.js';

const LONG = { timeout: 60_000 };
let dataDir: string | undefined;
let daemon: RunningDaemon | undefined;
let chromium: RunningBrowser | undefined;
let admin: AdminSession;

const started = () => {
  assert.ok(daemon, 'the daemon did not start');
  return daemon;
};
const at = (path: string) => new URL(path, started().url).href;
const wifiJson = () => readFile(join(started().dataDir, 'wifi.json'), 'utf8');
const changeAp = (headers: Record<string, string>) =>
  rawRequest(at('/api/wifi/ap'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ passphrase: 'attacker-chosen-pass' }),
  });

before(
  async () => {
    dataDir = await makeTempDir();
    daemon = await startDaemon(dataDir);
    chromium = await launchChromium();
  },
  { timeout: 60_000 },
);

after(
  async () => {
    await chromium?.close();
    if (daemon) await saveArtifact('logs/gui-security-daemon.log', daemon.output());
    await daemon?.stop();
    if (dataDir) await removeDir(dataDir);
  },
  { timeout: 60_000 },
);

test('before the first setup every page leads to the setup page and the API answers 401', LONG, async () => {
  assert.ok(chromium);
  const context = await chromium.browser.newContext();
  try {
    const page = await context.newPage();
    for (const path of ['/', '/people', '/feed', '/wifi', '/login']) {
      await page.goto(at(path));
      assert.equal(new URL(page.url()).pathname, '/setup', `${path} leads to /setup`);
    }
  } finally {
    await context.close();
  }
  const api = await rawRequest(at('/api/wifi'));
  assert.equal(api.status, 401);
  assert.doesNotMatch(api.body, /passphrase/);
  const setupWithoutCode = await preLogin(started().url).then((pre) =>
    rawRequest(at('/api/setup'), {
      method: 'POST',
      headers: { Cookie: pre.cookie, 'X-CSRF-Token': pre.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: ADMIN_PASSWORD, confirm: ADMIN_PASSWORD }),
    }),
  );
  assert.equal(setupWithoutCode.status, 403, 'the simulator needs the one-time code');
  admin = await setUpAdmin(started());
});

test('the setup happens once: a second one is refused and the first password stays', LONG, async () => {
  const pre = await preLogin(started().url);
  const again = await rawRequest(at('/api/setup'), {
    method: 'POST',
    headers: { Cookie: pre.cookie, 'X-CSRF-Token': pre.csrf, 'Content-Type': 'application/json' },
    body: JSON.stringify({ password: 'a-second-password', confirm: 'a-second-password', code: 'whatever' }),
  });
  assert.equal(again.status, 409);
  assert.match(again.body, /already set/);
  await logIn(started().url, ADMIN_PASSWORD);
});

test('without a session pages redirect to the login, the API answers 401 and nothing changes', LONG, async () => {
  assert.ok(chromium);
  const context = await chromium.browser.newContext();
  try {
    const page = await context.newPage();
    for (const path of ['/', '/people', '/feed', '/wifi']) {
      await page.goto(at(path));
      assert.equal(new URL(page.url()).pathname, '/login', `${path} leads to /login`);
    }
    assert.equal(await page.isVisible('#login-form'), true);
  } finally {
    await context.close();
  }
  const before = await wifiJson();
  for (const [method, path] of [
    ['GET', '/api/status'],
    ['GET', '/api/wifi'],
    ['GET', '/api/people'],
    ['GET', '/api/feed'],
    ['GET', '/events'],
    ['GET', '/api/wifi/qr.svg'],
    ['POST', '/api/press/ap'],
    ['POST', '/api/wifi/ap'],
    ['POST', '/api/people/follow'],
    ['POST', '/api/logout'],
  ] as const) {
    const answer = await rawRequest(at(path), { method });
    assert.equal(answer.status, 401, `${method} ${path}`);
  }
  const page = await rawRequest(at('/wifi'));
  assert.equal(page.status, 303);
  assert.equal(page.headers.location, '/login');
  assert.equal((await rawRequest(at('/device.js'))).status, 303, 'the pages’ scripts need a session too');
  for (const path of ['/login', '/app.css', '/login.js', '/common.js'])
    assert.equal((await rawRequest(at(path))).status, 200, `${path} is public`);
  // Photos are part of the guest view (test/browser/guest.test.ts): served without a session, images only.
  const blob = await rawRequest(at(`/blob?id=${encodeURIComponent(`&${'A'.repeat(43)}=.sha256`)}`));
  assert.notEqual(blob.status, 200, 'a blob the device does not hold is not served');
  assert.equal((await changeAp({})).status, 401);
  assert.equal(await wifiJson(), before);
  assert.equal((await started().status()).mode, 'client', 'the AP button was not pressed');
});

test('every state change needs this session’s CSRF token', LONG, async () => {
  const before = await wifiJson();
  const cookie = { Cookie: `sw_session=${admin.session}` };
  const other = await logIn(started().url);
  const pre = await preLogin(started().url);
  const refused: Array<[string, Record<string, string>]> = [
    ['no token', cookie],
    ['an empty token', { ...cookie, 'X-CSRF-Token': '' }],
    ['a wrong token', { ...cookie, 'X-CSRF-Token': 'A'.repeat(43) }],
    ['another session’s token', { ...cookie, 'X-CSRF-Token': other.csrf }],
    ['the pre-login token', { ...cookie, 'X-CSRF-Token': pre.csrf }],
  ];
  for (const [what, headers] of refused) {
    const answer = await changeAp(headers);
    assert.equal(answer.status, 403, what);
    assert.match(answer.body, /CSRF token/, what);
  }
  const press = await rawRequest(at('/api/press/ap'), { method: 'POST', headers: cookie });
  assert.equal(press.status, 403);
  assert.equal(await wifiJson(), before, 'the passphrase did not change');
  assert.equal((await started().status()).mode, 'client', 'the AP button was not pressed');

  const get = await rawRequest(at('/api/wifi/ap'), { headers: admin.headers() });
  assert.equal(get.status, 404, 'GET never changes anything: there is no GET for a change');
  const ok = await changeAp(admin.headers());
  assert.equal(ok.status, 200, ok.body);
  assert.notEqual(await wifiJson(), before, 'with the token the change is made');

  const loginWithoutToken = await rawRequest(at('/api/login'), {
    method: 'POST',
    headers: { Cookie: pre.cookie, 'Content-Type': 'application/json' },
    body: JSON.stringify({ password: ADMIN_PASSWORD }),
  });
  assert.equal(loginWithoutToken.status, 403, 'the login form has its token too');
});

test(
  'a foreign Host header is refused even with a session; the device’s own addresses are accepted',
  LONG,
  async () => {
    const port = new URL(started().url).port;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `192.168.4.1:1`]) {
      const answer = await rawRequest(at('/api/status'), { headers: admin.headers({ Host: host }) });
      assert.equal(answer.status, 421, host);
    }
    for (const host of [`192.168.4.1:${port}`, `192.168.6.1:${port}`, `localhost:${port}`]) {
      const answer = await rawRequest(at('/api/status'), { headers: admin.headers({ Host: host }) });
      assert.equal(answer.status, 200, `${host} (the AP, USB and loopback names)`);
    }
  },
);

test(
  'logging in sets an HttpOnly, SameSite=Strict session cookie for the whole page, and a new one each time',
  LONG,
  async () => {
    const pre = await preLogin(started().url);
    const answer = await rawRequest(at('/api/login'), {
      method: 'POST',
      headers: { Cookie: pre.cookie, 'X-CSRF-Token': pre.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: ADMIN_PASSWORD }),
    });
    assert.equal(answer.status, 200);
    const raw = ([] as string[]).concat(answer.headers['set-cookie'] ?? []);
    const session = raw.find((line) => line.startsWith('sw_session='));
    assert.ok(session);
    assert.match(session, /; HttpOnly/);
    assert.match(session, /; SameSite=Strict/);
    assert.match(session, /; Path=\//);
    assert.notEqual(setCookies(answer).get('sw_session'), admin.session, 'a fresh session id');

    const logout = await rawRequest(at('/api/logout'), { method: 'POST', headers: admin.headers() });
    assert.equal(logout.status, 200);
    assert.equal((await rawRequest(at('/api/status'), { headers: admin.headers() })).status, 401, 'the session ended');
  },
);

test(
  'the GUI answers only on loopback, the AP and the USB addresses, not on a network joined as a client',
  LONG,
  async () => {
    // Listening everywhere, as on a device; 127.0.0.5 stands for the address a café's Wi-Fi gave us.
    const stateDir = join(started().dataDir, 'other-web');
    await mkdir(stateDir, { recursive: true });
    const port = await freePort();
    let web: WebServer | undefined;
    try {
      web = await startWebServer({
        socketPath: join(started().dataDir, 'control.sock'),
        host: '0.0.0.0',
        port,
        logger: silentLogger,
        stateDir,
        addresses: { ap: '192.168.4.1', usb: '192.168.6.1' },
        setupCode: 'required',
      });
      const own = await rawRequest(`http://127.0.0.1:${port}/login`, { headers: { Host: `127.0.0.1:${port}` } });
      assert.equal(own.status, 303, 'loopback is served (no password yet: on to /setup)');
      const joined = await rawRequest(`http://127.0.0.5:${port}/login`, { headers: { Host: `127.0.0.1:${port}` } });
      assert.equal(joined.status, 403);
      assert.match(joined.body, /not served on this network/);
      const api = await rawRequest(`http://127.0.0.5:${port}/api/session`, {
        headers: { Host: `192.168.4.1:${port}` },
      });
      assert.equal(api.status, 403, 'not even the session API');
    } finally {
      await web?.close();
    }
  },
);

test(
  'the login is rate-limited per client: the sixth failure in a minute gets 429 with Retry-After',
  LONG,
  async () => {
    const attempt = async (password: string, localAddress?: string) => {
      const pre = await preLogin(started().url);
      return rawRequest(at('/api/login'), {
        method: 'POST',
        headers: { Cookie: pre.cookie, 'X-CSRF-Token': pre.csrf, 'Content-Type': 'application/json' },
        body: JSON.stringify({ password }),
        ...(localAddress ? { localAddress } : {}),
      });
    };
    for (let i = 1; i <= 5; i++) {
      const answer = await attempt(`guess number ${i}`, '127.0.0.3');
      assert.equal(answer.status, 401, `failure ${i}`);
      assert.match(answer.body, /wrong password/);
    }
    const sixth = await attempt('guess number 6', '127.0.0.3');
    assert.equal(sixth.status, 429);
    const retryAfter = Number(sixth.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${sixth.headers['retry-after']}`);
    assert.match(sixth.body, /too many failed attempts/);
    const right = await attempt(ADMIN_PASSWORD, '127.0.0.3');
    assert.equal(right.status, 429, 'locked out: the password is not even checked');
    const elsewhere = await attempt(ADMIN_PASSWORD, '127.0.0.1');
    assert.equal(elsewhere.status, 200, 'another client is not locked out');
  },
);
