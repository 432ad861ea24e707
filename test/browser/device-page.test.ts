// The simulated device page in a real browser against a real daemon (logged in as the administrator): the
// buttons do what the physical buttons do, the LEDs and status follow the daemon live, the simulator
// controls drive the neighbourhood, and the server refuses foreign Host headers and cross-origin POSTs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  type AdminSession,
  addSession,
  launchChromium,
  makeTempDir,
  type RunningBrowser,
  type RunningDaemon,
  rawRequest,
  removeDir,
  saveArtifact,
  saveScreenshot,
  setUpAdmin,
  startDaemon,
} from '../helpers/browser.js';

const DEMO_PHONE = '02:5e:00:00:00:01';
const WAIT = { timeout: 10_000 };

let dataDir: string | undefined;
let daemon: RunningDaemon | undefined;
let chromium: RunningBrowser | undefined;
let page: Page;
let admin: AdminSession;
const pageErrors: string[] = [];

const led = (name: string) => page.getAttribute(`#led-${name}`, 'data-pattern');
const waitForLed = (name: string, pattern: string) =>
  page.waitForSelector(`#led-${name}[data-pattern="${pattern}"]`, WAIT);
const waitForText = (selector: string, text: string) => page.locator(selector, { hasText: text }).waitFor(WAIT);
const started = () => {
  assert.ok(daemon, 'the daemon did not start');
  return daemon;
};

before(
  async () => {
    dataDir = await makeTempDir();
    daemon = await startDaemon(dataDir);
    admin = await setUpAdmin(daemon);
    chromium = await launchChromium();
    const context = await chromium.browser.newContext({ viewport: { width: 1100, height: 900 } });
    await addSession(context, daemon.url, admin);
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  },
  { timeout: 60_000 },
);

after(
  async () => {
    await chromium?.close();
    if (daemon) await saveArtifact('logs/device-page-daemon.log', daemon.output());
    await daemon?.stop();
    if (dataDir) await removeDir(dataDir);
  },
  { timeout: 60_000 },
);

test('the page draws the device with its buttons, LEDs and the simulator controls', { timeout: 60_000 }, async () => {
  const response = await page.goto(started().url);
  assert.equal(response?.status(), 200);
  const csp = response?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);

  await page.waitForSelector('#link[data-state="live"]', WAIT);
  await waitForText('#mode', 'Client');
  assert.equal(await page.textContent('#btn-ap'), 'AP');
  assert.equal(await page.textContent('#btn-wps'), 'WPS');
  for (const name of ['ap', 'connection', 'replication']) {
    assert.equal(await led(name), 'off', `${name} LED`);
    assert.match((await page.getAttribute(`#led-${name}`, 'aria-label')) ?? '', /LED: off$/);
  }
  assert.equal(await page.isVisible('#sim'), true, 'simulator controls show with --sim');
  await waitForText('#daemons', 'hostapd');
});

test('AP turns the access point on; WPS starts and cancels the search', { timeout: 60_000 }, async () => {
  await page.click('#btn-ap');
  await waitForLed('ap', 'on');
  await waitForText('#mode', 'Access point');
  assert.equal((await started().status()).mode, 'ap', 'the daemon agrees');

  await page.click('#btn-wps');
  await waitForLed('connection', 'blink');
  await waitForText('#wps', 'hosting — press WPS on the other device');
  assert.match((await page.getAttribute('#led-connection', 'aria-label')) ?? '', /blinking/);
  const animation = await page.evaluate(
    "getComputedStyle(document.getElementById('led-connection'), '::after').animationName",
  );
  assert.equal(animation, 'blink', 'a blinking LED is animated by CSS');

  await page.click('#btn-wps');
  await page.waitForSelector('#led-connection:not([data-pattern="blink"])', WAIT);
  assert.equal(await led('connection'), 'off');
  await waitForText('#wps', 'idle');
  await waitForText('#last-wps', 'cancelled');
});

test('another device pressing WPS while we search joins our access point', { timeout: 60_000 }, async () => {
  await page.click('#btn-wps');
  await waitForLed('connection', 'blink');
  await page.click('#sim-other-wps');
  await page.waitForSelector('#associations li[data-via="ap"]', WAIT);
  await waitForLed('connection', 'on');
  await waitForText('#last-wps', 'success');
  await waitForText('#wps', 'idle');
  const status = await started().status();
  assert.equal(status.associations.length, 1);
  assert.equal(await page.textContent('#associations .mac'), status.associations[0]?.mac);
});

test('a phone joins and leaves with the demo address', { timeout: 60_000 }, async () => {
  await page.click('#sim-phone-join');
  await waitForText('#associations', DEMO_PHONE);
  assert.equal(await page.textContent('#association-count'), '2');
  assert.equal(await page.isDisabled('#sim-phone-join'), true, 'the phone is already on');

  await page.click('#sim-phone-leave');
  await page.locator('#association-count', { hasText: /^1$/ }).waitFor(WAIT);
  assert.doesNotMatch((await page.textContent('#associations')) ?? '', new RegExp(DEMO_PHONE));
  await waitForLed('connection', 'on');
});

test('screenshots: desktop and a 360 px wide phone', { timeout: 60_000 }, async () => {
  await page.waitForSelector('#join-ssid:not(:empty)', WAIT);
  await saveScreenshot(page, 'device-page.png', { docs: true });

  assert.ok(chromium);
  const phoneContext = await chromium.browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  await addSession(phoneContext, started().url, admin);
  const phone = await phoneContext.newPage();
  try {
    await phone.goto(started().url);
    await phone.waitForSelector('#led-ap[data-pattern="on"]', WAIT);
    await phone.locator('#associations li').first().waitFor(WAIT);
    const overflow = await phone.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px on a phone`);
    await saveScreenshot(phone, 'device-page-phone.png');
  } finally {
    await phoneContext.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors or CSP violations on the page');
});

test('one press in client mode: looking for another device, then joining the one that hosts', {
  timeout: 60_000,
}, async () => {
  await page.click('#btn-ap');
  await waitForText('#mode', 'Client');
  await page.click('#btn-wps');
  await waitForText('#wps', 'looking for another device…');
  await waitForLed('connection', 'blink');
  // Another device in push-button mode as registrar: the search finds it and joins it.
  await page.click('#sim-other-wps');
  await waitForText('#last-wps', 'success');
  await waitForText('#wps', 'idle');
  assert.equal((await started().status()).mode, 'client');
  await page.click('#btn-ap');
  await waitForText('#mode', 'Access point');
});

test('a foreign Host header gets no data (DNS rebinding): pages a redirect, the API 421', {
  timeout: 60_000,
}, async () => {
  const url = started().url;
  // A page under a foreign name is what a phone's captive-portal check asks for: a redirect to our own
  // address, with no data in it (src/web/guest/portal.ts).
  const page = await rawRequest(url, { headers: { Host: 'evil.example' } });
  assert.equal(page.status, 302);
  assert.equal(page.body, '');
  assert.equal(page.headers.location, `http://127.0.0.1:${new URL(url).port}/shared`);
  const api = await rawRequest(new URL('/api/status', url).href, {
    headers: { Host: `evil.example:${new URL(url).port}` },
  });
  assert.equal(api.status, 421);
  const press = await rawRequest(new URL('/api/press/ap', url).href, {
    method: 'POST',
    headers: { Host: 'evil.example' },
  });
  assert.equal(press.status, 421);
  const localhost = await rawRequest(new URL('/api/status', url).href, {
    headers: admin.headers({ Host: `localhost:${new URL(url).port}` }),
  });
  assert.equal(localhost.status, 200, 'localhost with the port is one of our names');
});

test('a cross-origin POST is refused and changes nothing', { timeout: 60_000 }, async () => {
  const url = started().url;
  const before = await started().status();
  const answer = await rawRequest(new URL('/api/press/ap', url).href, {
    method: 'POST',
    headers: { Origin: 'http://evil.example' },
  });
  assert.equal(answer.status, 403);
  assert.match(String((answer.json() as { error: string }).error), /cross-origin/);
  assert.equal((await started().status()).mode, before.mode, 'the mode did not change');

  const own = await rawRequest(new URL('/api/sim/other-wps', url).href, {
    method: 'POST',
    headers: admin.headers({ Origin: new URL(url).origin, 'Content-Type': 'application/json' }),
    body: '{}',
  });
  assert.equal(own.status, 200, 'the page’s own origin is accepted');
});

test('bad input gets a 400 with a clear message', { timeout: 60_000 }, async () => {
  const url = started().url;
  const post = (path: string, body?: unknown) =>
    rawRequest(new URL(path, url).href, {
      method: 'POST',
      headers: admin.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const cases: Array<[string, unknown, RegExp]> = [
    ['/api/press/reset', undefined, /button/],
    ['/api/sim/phone', { action: 'dance', mac: DEMO_PHONE }, /action/],
    ['/api/sim/phone', { action: 'join', mac: 'not-a-mac' }, /MAC/],
    ['/api/sim/phone', { action: 'join' }, /mac/],
    ['/api/sim/phone', [1, 2], /JSON object/],
    ['/api/sim/other-wps', { mac: '02:00:00:00:01' }, /MAC/],
  ];
  for (const [path, body, message] of cases) {
    const answer = await post(path, body);
    assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}: ${answer.body}`);
    assert.match(String((answer.json() as { error: string }).error), message, `${path} ${JSON.stringify(body)}`);
  }
  const get = await rawRequest(new URL('/api/press/ap', url).href, { headers: admin.headers() });
  assert.equal(get.status, 404, 'a state change needs POST');
});
