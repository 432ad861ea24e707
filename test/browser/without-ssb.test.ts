// When the SSB peer cannot start (here: its port is taken; on a 32-bit Pi: no native crypto), the web page
// stays up for what does not need SSB — the device, its buttons, its Wi-Fi — and says why the SSB parts are
// empty, in the API and on the Device page in Chromium.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import {
  addSession,
  apiCall,
  launchChromium,
  makeTempDir,
  type RunningBrowser,
  type RunningDaemon,
  removeDir,
  setUpAdmin,
  startDaemon,
} from '../helpers/browser.js';
import { cli } from '../helpers/daemon.js';

let dataDir = '';
let daemon: RunningDaemon | undefined;
let chromium: RunningBrowser | undefined;
let squatter: Server | undefined;
let takenPort = 0;

before(async () => {
  squatter = createServer();
  await new Promise<void>((resolve) => squatter?.listen(0, '127.0.0.1', resolve));
  const address = squatter.address();
  takenPort = typeof address === 'object' && address ? address.port : 0;
  dataDir = await makeTempDir('sw-without-ssb-');
  daemon = await startDaemon(dataDir, 60_000, true, ['--ssb-port', String(takenPort)]);
});

after(async () => {
  await chromium?.close();
  await daemon?.stop();
  await new Promise((resolve) => squatter?.close(resolve));
  if (dataDir) await removeDir(dataDir);
});

test('the peer says why SSB is missing and keeps the web page up', { timeout: 120_000 }, async () => {
  assert.ok(daemon);
  const reason = new RegExp(`the SSB peer could not start: cannot listen on 127\\.0\\.0\\.1:${takenPort}`);
  assert.match(daemon.output(), /the SSB peer could not start; the web page runs without it/);
  const admin = await setUpAdmin(daemon);
  const overview = await apiCall(daemon.url, admin, '/api/ssb/overview');
  assert.equal(overview.status, 200);
  assert.equal(overview.json.running, false);
  assert.match(String(overview.json.reason), reason);
  const people = await apiCall(daemon.url, admin, '/api/people');
  assert.equal(people.status, 503);
  assert.match(JSON.stringify(people.json), reason);
  // What needs no SSB works: the device's status and its buttons.
  const pressed = await apiCall(daemon.url, admin, '/api/press/ap', {});
  assert.equal(pressed.status, 200, JSON.stringify(pressed.json));
  assert.equal((await daemon.status()).mode, 'ap');
  const wifi = await apiCall(daemon.url, admin, '/api/wifi');
  assert.equal(wifi.status, 200);
  // The CLI's SSB commands have no peer to talk to, and say so.
  const whoami = cli(['ssb', 'whoami', '--data', dataDir]);
  assert.equal(whoami.code, 3, whoami.stderr);

  chromium = await launchChromium();
  const context = await chromium.browser.newContext();
  await addSession(context, daemon.url, admin);
  const page = await context.newPage();
  await page.goto(daemon.url);
  await page.locator('#peers', { hasText: 'could not start' }).waitFor({ timeout: 15_000 });
  assert.match((await page.locator('#peers').textContent()) ?? '', /The SSB peer could not start: cannot listen on/);
  await context.close();
});
