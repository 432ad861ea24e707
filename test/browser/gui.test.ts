// The device's web GUI in Debian's Chromium against a real simulated device with its SSB peer: first setup
// with the one-time code, login, the People, Feed and Wi-Fi pages doing what they say (checked on the SSB
// peer's own socket, the daemon's control socket and the generated hostapd.conf, never on the page alone),
// hostile and malformed input refused with a clear message and no change, and screenshots of every page.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import jsqrModule from 'jsqr';
import type { BrowserContext, Page } from 'playwright-core';
import ssbKeys from 'ssb-keys';
import {
  ADMIN_PASSWORD,
  type AdminSession,
  apiCall,
  daemonCall,
  launchChromium,
  makePng,
  makeTempDir,
  multipartBody,
  peerCall,
  type RunningBrowser,
  type RunningDaemon,
  rawRequest,
  removeDir,
  saveArtifact,
  saveScreenshot,
  startDaemon,
} from '../helpers/browser.js';
import { PeerSet, waitFor } from '../helpers/ssb-peers.js';

type DecodeQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
// jsqr is a UMD bundle: its function is the module itself and also its `default`.
const jsQR: DecodeQr = (jsqrModule as unknown as { default?: DecodeQr }).default ?? (jsqrModule as unknown as DecodeQr);
const WAIT = { timeout: 15_000 };
const LONG = { timeout: 60_000 };

let dataDir: string | undefined;
let daemon: RunningDaemon | undefined;
let chromium: RunningBrowser | undefined;
let context: BrowserContext;
let page: Page;
let admin: AdminSession;
const others = new PeerSet();
const pageErrors: string[] = [];
const dialogs: string[] = [];

const started = () => {
  assert.ok(daemon, 'the daemon did not start');
  return daemon;
};
const at = (path: string) => new URL(path, started().url).href;
const graph = async () => peerCall(started().dataDir, 'ssb.graph');
const wifiGet = async () => daemonCall(started().dataDir, 'wifi.get');
const status = async () => daemonCall(started().dataDir, 'status');
const ownSequence = async () => {
  const { id } = await peerCall(started().dataDir, 'ssb.whoami');
  const feeds = await peerCall(started().dataDir, 'ssb.feeds');
  return feeds.find((f) => f.id === id)?.sequence ?? 0;
};
const message = () => page.locator('#message');
const expectMessage = async (pattern: RegExp) => {
  await page.locator('#message:not([hidden])').waitFor(WAIT);
  await waitUntil(
    page,
    `new RegExp(${JSON.stringify(pattern.source)}, ${JSON.stringify(pattern.flags)}).test(document.getElementById('message')?.textContent ?? '')`,
  );
  return message().textContent();
};
const newId = () => ssbKeys.generate().id;
const blobIdOf = (bytes: Buffer) => `&${createHash('sha256').update(bytes).digest('base64')}.sha256`;

before(
  async () => {
    dataDir = await makeTempDir();
    // No auto-follow: the test decides whom the device follows (and switches it on from the page).
    daemon = await startDaemon(dataDir, 40_000, true, ['--no-auto-follow']);
    chromium = await launchChromium();
    context = await chromium.browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  },
  { timeout: 90_000 },
);

after(
  async () => {
    await chromium?.close();
    await others.closeAll();
    if (daemon) await saveArtifact('logs/gui-daemon.log', daemon.output());
    await daemon?.stop();
    if (dataDir) await removeDir(dataDir);
  },
  { timeout: 60_000 },
);

test('the first visit sets the password: only with the one-time code, stored as an scrypt hash', LONG, async () => {
  await page.goto(started().url);
  await page.waitForURL(/\/setup$/, WAIT);
  await page.locator('#code-label:not([hidden])').waitFor(WAIT);
  const codePath = join(started().dataDir, 'peer', 'web-setup-code');
  const code = (await readFile(codePath, 'utf8')).trim();
  assert.match(code, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);

  await page.fill('#code', 'aaaa-bbbb-cccc');
  await page.fill('#password', ADMIN_PASSWORD);
  await page.fill('#confirm', ADMIN_PASSWORD);
  await page.click('#setup-submit');
  await expectMessage(/wrong setup code/);

  await page.fill('#code', code);
  await page.fill('#password', 'short');
  await page.fill('#confirm', 'short');
  await page.click('#setup-submit');
  await expectMessage(/at least 10 characters/);
  await assert.rejects(stat(join(started().dataDir, 'peer', 'web-admin.json')), 'no password was stored');

  await page.fill('#password', ADMIN_PASSWORD);
  await page.fill('#confirm', ADMIN_PASSWORD);
  await page.click('#setup-submit');
  await page.waitForURL((u) => u.pathname === '/', WAIT);
  await page.waitForSelector('#link[data-state="live"]', WAIT);

  const file = join(started().dataDir, 'peer', 'web-admin.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600, 'the password file is private to the peer user');
  const stored = await readFile(file, 'utf8');
  assert.doesNotMatch(stored, /correct horse/, 'the password itself is not stored');
  const record = JSON.parse(stored) as { algorithm: string; N: number; r: number; p: number };
  assert.equal(record.algorithm, 'scrypt');
  assert.ok(record.N >= 2 ** 15 && record.r >= 8, `strong scrypt parameters (${JSON.stringify(record)})`);
  await assert.rejects(stat(codePath), 'the one-time code is gone once used');
});

test('logging out ends the session; pages then need the login, and a wrong password is refused', LONG, async () => {
  await page.click('#logout');
  await page.waitForURL(/\/login$/, WAIT);
  await page.goto(at('/wifi'));
  await page.waitForURL(/\/login$/, WAIT);
  await page.fill('#password', 'not the password');
  await page.click('#login-submit');
  await expectMessage(/wrong password/);
  await page.fill('#password', ADMIN_PASSWORD);
  await page.click('#login-submit');
  await page.waitForURL((u) => u.pathname === '/', WAIT);

  const cookie = (await context.cookies()).find((c) => c.name === 'sw_session');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');
  assert.equal(await page.evaluate('document.cookie'), '', 'no cookie is visible to scripts');
  const csrf = await page.evaluate<string>("fetch('/api/session').then((r) => r.json()).then((s) => s.csrf)");
  admin = {
    session: cookie.value,
    csrf,
    headers: (extra = {}) => ({ Cookie: `sw_session=${cookie.value}`, 'X-CSRF-Token': csrf, ...extra }),
  };
});

test('Device: the QR code is the standard WIFI: payload of the access point', LONG, async () => {
  await page.goto(started().url);
  await waitUntil(page, "document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0");
  const decoded = await decodeQr(page);
  const wifi = await wifiGet();
  assert.equal(decoded, wifi.qr);
  assert.match(decoded, new RegExp(`^WIFI:T:WPA;S:${wifi.ap.ssid};P:`));
  assert.equal(await page.textContent('#join-ssid'), wifi.ap.ssid);
});

test("Device: the address shows the .local name Avahi announces and the device's own addresses", LONG, async () => {
  // What the server answers here (no avahi-daemon on this machine's system bus: no name), shown as it is ...
  await page.goto(started().url);
  const names = await page.evaluate<{ mdns: string | null; addresses: string[] }>(
    "fetch('/api/device-name').then((r) => r.json())",
  );
  const expected = [names.mdns ? `http://${names.mdns}/` : null, ...names.addresses.map((a) => `http://${a}/`)]
    .filter(Boolean)
    .join('  ·  ');
  await page.locator('#join-address', { hasText: expected || 'this computer only' }).waitFor(WAIT);
  // ... and, as on a device where Avahi answered (the real daemon's answer: test/integration/phone-links.test.ts),
  // the name comes first. The page puts it on screen as text.
  await page.route('**/api/device-name', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ mdns: 'smallworld-2.local', addresses: ['192.168.4.1', '192.168.6.1'] }),
    }),
  );
  try {
    await page.goto(started().url);
    await page
      .locator('#join-address', {
        hasText: 'http://smallworld-2.local/  ·  http://192.168.4.1/  ·  http://192.168.6.1/',
      })
      .waitFor(WAIT);
  } finally {
    await page.unroute('**/api/device-name');
  }
});

test('Wi-Fi: the guest-view switch takes the Shared page away from guests, and gives it back', LONG, async () => {
  const guestSees = async () => (await rawRequest(at('/api/shared'))).status;
  assert.equal(await guestSees(), 200);
  await page.goto(at('/wifi'));
  const box = page.locator('#guest-view');
  await waitUntil(page, "document.getElementById('guest-view').checked === true");
  await box.uncheck();
  await expectMessage(/guest view off/);
  assert.equal(await guestSees(), 403, 'a guest is refused once the owner switched it off');
  const probe = await rawRequest(at('/generate_204'), { headers: { Host: 'connectivitycheck.gstatic.com' } });
  assert.equal(probe.headers.location, `${started().url}`, 'probes now land on the login, not on Shared');
  await page.reload();
  await waitUntil(page, "document.getElementById('guest-view').checked === false");
  await box.check();
  await expectMessage(/guest view on/);
  assert.equal(await guestSees(), 200);
});

test('People: follow, unfollow and block by id take effect in the SSB peer', LONG, async () => {
  const carol = newId();
  const mallory = newId();
  await page.goto(at('/people'));
  await page.waitForSelector('#self-id:not(:empty)', WAIT);

  await page.fill('#person-id', carol);
  await page.click('#person-form button[data-action="follow"]');
  await page.locator(`#following li[data-id="${carol}"]`).waitFor(WAIT);
  assert.ok((await graph()).following.includes(carol), 'the peer follows carol');

  await page.locator(`#following li[data-id="${carol}"] button`, { hasText: 'Unfollow' }).click();
  await page.locator(`#following li[data-id="${carol}"]`).waitFor({ state: 'detached', ...WAIT });
  await waitFor('carol unfollowed', async () => !(await graph()).following.includes(carol), 10_000);

  await page.fill('#person-id', `  ${mallory}  `);
  await page.click('#person-form button[data-action="block"]');
  await page.locator(`#blocked li[data-id="${mallory}"]`).waitFor(WAIT);
  const after = await graph();
  assert.ok(after.blocked.includes(mallory), 'the peer blocks mallory');
  assert.ok(!after.following.includes(mallory));

  await page.fill('#person-id', carol);
  await page.click('#person-form button[data-action="follow"]');
  await page.locator(`#following li[data-id="${carol}"]`).waitFor(WAIT);
});

test('People: invalid, hostile and empty ids get a clear message and change nothing', LONG, async () => {
  const before = await graph();
  const sequence = await ownSequence();
  await page.goto(at('/people'));
  await page.waitForSelector('#self-id:not(:empty)', WAIT);
  const self = (await page.textContent('#self-id')) ?? '';

  await page.fill('#person-id', '<script>alert(1)</script>');
  await page.click('#person-form button[data-action="follow"]');
  await expectMessage(/is not an SSB id/);
  await page.fill('#person-id', '');
  await page.click('#person-form button[data-action="block"]');
  await expectMessage(/enter an SSB id/);
  await page.fill('#person-id', self);
  await page.click('#person-form button[data-action="follow"]');
  await expectMessage(/own id/);
  await page.fill('#allow-id', '@not-a-key.ed25519');
  await page.click('#allow-form button[type="submit"]');
  await expectMessage(/is not an SSB id/);

  const cases: Array<[string, unknown, RegExp]> = [
    ['/api/people/follow', { id: `@${'A'.repeat(300)}=.ed25519` }, /is not an SSB id/],
    ['/api/people/follow', { id: `${newId()}\n${newId()}` }, /is not an SSB id/],
    ['/api/people/block', { id: 42 }, /must be text/],
    ['/api/people/block', {}, /enter an SSB id/],
    ['/api/people/befriend', { id: newId() }, /action must be one of/],
    ['/api/auto-follow', { enabled: 'yes' }, /true or false/],
    ['/api/auto-follow/list', { list: 'maybe', action: 'add', id: newId() }, /list must be one of/],
  ];
  for (const [path, body, pattern] of cases) {
    const answer = await apiCall(started().url, admin, path, body);
    assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.json)}`);
    assert.match(String(answer.json.error), pattern, path);
  }
  assert.deepEqual(await graph(), before, 'the follow graph did not change');
  assert.equal(await ownSequence(), sequence, 'nothing was published');
  assert.equal(dialogs.length, 0, 'no script ran');
});

test(
  'People: a peer met on the LAN shows with its own name and picture and is followed from the seen list',
  LONG,
  async () => {
    const hostileName = 'Alice <b>Garden</b> <img src=x>';
    const picture = makePng(48, 48, [220, 120, 40]);
    const alice = await others.start('alice');
    const avatar = await alice.addBlob(picture);
    await alice.publish({ type: 'about', about: alice.id, name: hostileName, image: avatar });
    await alice.publish({ type: 'post', text: 'Hello from Alice' });
    const device = await peerCall(started().dataDir, 'ssb.status');
    await alice.connect(device.address);

    await page.goto(at('/people'));
    const seen = page.locator(`#seen li[data-id="${alice.id}"]`);
    await seen.waitFor(WAIT);
    await seen.locator('button', { hasText: 'Follow' }).click();
    await page.locator(`#following li[data-id="${alice.id}"]`).waitFor(WAIT);
    assert.ok((await graph()).following.includes(alice.id), 'the peer follows alice');

    // Her feed replicates, with her about message: her name appears, as text.
    const name = page.locator(`#following li[data-id="${alice.id}"] .name`);
    await waitUntil(
      page,
      `document.querySelector(${JSON.stringify(`#following li[data-id="${alice.id}"] .name`)})?.textContent === ${JSON.stringify(hostileName)}`,
      45_000,
    );
    assert.equal(await name.textContent(), hostileName);
    assert.equal(await page.locator('img[src="x"], .name b').count(), 0, 'the name was not parsed as HTML');
    const img = page.locator(`#following li[data-id="${alice.id}"] img.avatar`);
    await img.waitFor(WAIT);
    await waitUntil(page, imageLoaded(`#following li[data-id="${alice.id}"] img.avatar`, 48), 30_000);
    assert.equal(await img.getAttribute('src'), `/blob?id=${encodeURIComponent(avatar)}`);

    // The Device page lists her among the peers, with a replication progress bar.
    await page.goto(started().url);
    await page.locator(`#peers li[data-state="connected"]`, { hasText: 'Alice' }).waitFor(WAIT);
    await page.locator(`#sync-peers li[data-key="${alice.id}"] progress`).waitFor(WAIT);
    assert.equal(dialogs.length, 0, 'no script ran');
  },
);

test('People: the auto-follow switch and its lists change the policy at run time and persist', LONG, async () => {
  await page.goto(at('/people'));
  await page.waitForSelector('#self-id:not(:empty)', WAIT);
  assert.equal(await page.isChecked('#auto-enabled'), false, 'started with --no-auto-follow');
  await page.locator('#decisions li[data-reason="disabled"]').first().waitFor(WAIT);

  await page.check('#auto-enabled');
  await expectMessage(/auto-follow is on/);
  const policyOf = async () => (await peerCall(started().dataDir, 'ssb.status')).autoFollowPolicy;
  assert.equal((await policyOf()).enabled, true);

  const stranger = newId();
  await page.fill('#deny-id', stranger);
  await page.click('#deny-form button[type="submit"]');
  await page.locator(`#deny-list li[data-id="${stranger}"]`).waitFor(WAIT);
  assert.deepEqual((await policyOf()).deny, [stranger]);
  await page.fill('#deny-id', stranger);
  await page.click('#deny-form button[type="submit"]');
  await expectMessage(/already on the deny list/);

  const stored = JSON.parse(
    await readFile(join(started().dataDir, 'peer', 'ssb', 'auto-follow-policy.json'), 'utf8'),
  ) as { enabled: boolean; deny: string[] };
  assert.equal(stored.enabled, true);
  assert.deepEqual(stored.deny, [stranger]);
});

test('Feed: a photo posted from the browser is published and shown inline; markup stays text', LONG, async () => {
  const photo = makePng(320, 200, [40, 110, 220]);
  const text = '<script>window.pwned = 1</script> Hello <b>world</b>';
  const before = await ownSequence();
  await page.goto(at('/feed'));
  await page.locator('#feed article').first().waitFor(WAIT);
  await page.fill('#post-text', text);
  await page.setInputFiles('#post-photo', { name: 'lake.png', mimeType: 'image/png', buffer: photo });
  await page.click('#post-submit');
  await expectMessage(/published/);

  const blob = blobIdOf(photo);
  const img = page.locator(`#feed article img.photo[data-blob="${blob}"]`);
  await img.waitFor(WAIT);
  await waitUntil(page, imageLoaded(`img.photo[data-blob="${blob}"]`, 320, 200));
  const article = page.locator('#feed article', { has: page.locator(`img.photo[data-blob="${blob}"]`) });
  assert.equal(await article.locator('p.text').textContent(), text, 'the text is shown as typed');
  assert.equal(await page.evaluate('window.pwned'), undefined, 'the script in the post did not run');
  assert.equal(await ownSequence(), before + 1, 'one message was published');
  const stored = await peerCall(started().dataDir, 'ssb.blob.get', { blob });
  assert.deepEqual(Buffer.from(stored.data, 'base64'), photo, 'the blob holds the photo');

  const served = await rawRequest(at(`/blob?id=${encodeURIComponent(blob)}`), { headers: admin.headers() });
  assert.equal(served.status, 200);
  assert.equal(served.headers['content-type'], 'image/png');
  assert.match(String(served.headers['content-security-policy']), /sandbox/);
  // Alice's post arrived by replication and shows too.
  await page.locator('#feed article p.text', { hasText: 'Hello from Alice' }).waitFor(WAIT);
});

test('Feed: too large, empty and non-photo posts get a clear message and publish nothing', LONG, async () => {
  const before = await ownSequence();
  const limit = 5 * 1024 * 1024;
  await page.goto(at('/feed'));
  await page.locator('#feed article').first().waitFor(WAIT);

  await page.fill('#post-text', '');
  await page.click('#post-submit');
  await expectMessage(/write something or choose a photo/);

  const big = Buffer.concat([makePng(8, 8, [0, 0, 0]), Buffer.alloc(limit)]);
  await page.setInputFiles('#post-photo', { name: 'huge.png', mimeType: 'image/png', buffer: big });
  await page.click('#post-submit');
  await expectMessage(/too large.*at most 5 MiB/);

  await page.setInputFiles('#post-photo', {
    name: 'page.png',
    mimeType: 'image/png',
    buffer: Buffer.from('<html><script>alert(1)</script></html>'),
  });
  await page.click('#post-submit');
  await expectMessage(/only photos can be posted/);
  await page.setInputFiles('#post-photo', []);

  // The server checks on its own too (a script need not use the page).
  const post = (fields: Parameters<typeof multipartBody>[0]) => {
    const { body, contentType } = multipartBody(fields);
    return rawRequest(at('/api/feed/post'), {
      method: 'POST',
      headers: admin.headers({ 'Content-Type': contentType }),
      body,
      timeoutMs: 30_000,
    });
  };
  const tooBig = await post([{ name: 'photo', filename: 'big.png', type: 'image/png', data: big }]);
  assert.equal(tooBig.status, 413, tooBig.body);
  assert.match(tooBig.body, /too large: at most 5 MiB/);
  const tooLong = await post([{ name: 'text', value: 'x'.repeat(4001) }]);
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.body, /too long: at most 4000 characters/);
  const svg = await post([
    { name: 'photo', filename: 'x.svg', type: 'image/svg+xml', data: Buffer.from('<svg onload="alert(1)"/>') },
  ]);
  assert.equal(svg.status, 415);
  const json = await apiCall(started().url, admin, '/api/feed/post', { text: 'hi' });
  assert.equal(json.status, 415, 'a post is a form, not JSON');

  assert.equal(await ownSequence(), before, 'nothing was published');
  const notPhoto = await rawRequest(at(`/blob?id=${encodeURIComponent('&not-a-blob')}`), { headers: admin.headers() });
  assert.equal(notPhoto.status, 400);
  assert.equal(dialogs.length, 0);
});

test('Wi-Fi: changing the AP passphrase and name rewrites the generated hostapd config', LONG, async () => {
  const wifi = await wifiGet();
  const conf = () => readFile(wifi.files.hostapd, 'utf8');
  const original = await conf();
  assert.match(original, new RegExp(`^wpa_passphrase=${wifi.ap.passphrase}$`, 'm'));

  await page.goto(at('/wifi'));
  await waitUntil(page, "document.getElementById('ap-passphrase-input').value !== ''");
  assert.match((await page.textContent('#ap-warning')) ?? '', /will need the new passphrase/);
  await page.fill('#ap-passphrase-input', 'meadow-lantern-42');
  await page.click('#ap-submit');
  await expectMessage(/tick the box first/);
  assert.equal(await conf(), original, 'nothing changed without the confirmation');

  await page.check('#ap-confirm');
  await page.click('#ap-submit');
  await expectMessage(/connected devices need the new passphrase/);
  const changed = await conf();
  assert.match(changed, /^wpa_passphrase=meadow-lantern-42$/m);
  assert.doesNotMatch(changed, new RegExp(`wpa_passphrase=${wifi.ap.passphrase}`));
  assert.equal((await wifiGet()).ap.passphrase, 'meadow-lantern-42');

  await page.fill('#ap-ssid-input', 'Smallworld Garden');
  await page.check('#ap-confirm');
  await page.click('#ap-submit');
  await page.locator('#ap-ssid', { hasText: 'Smallworld Garden' }).waitFor(WAIT);
  assert.match(await conf(), new RegExp(`^ssid2=${Buffer.from('Smallworld Garden').toString('hex')}$`, 'm'));

  // The Device page's QR code follows.
  await page.goto(started().url);
  await waitUntil(page, "document.getElementById('qr').naturalWidth > 0");
  assert.equal(await decodeQr(page), 'WIFI:T:WPA;S:Smallworld Garden;P:meadow-lantern-42;;');
});

test('Wi-Fi: hostile or malformed settings get a clear message and change nothing', LONG, async () => {
  const wifi = await wifiGet();
  const files = async () => [
    await readFile(wifi.files.hostapd, 'utf8'),
    await readFile(join(started().dataDir, 'wifi.json'), 'utf8'),
  ];
  const before = await files();
  await page.goto(at('/wifi'));
  await waitUntil(page, "document.getElementById('ap-ssid-input').value !== ''");
  const tryAp = async (ssid: string, passphrase: string, pattern: RegExp) => {
    await page.fill('#ap-ssid-input', ssid);
    await page.fill('#ap-passphrase-input', passphrase);
    await page.check('#ap-confirm');
    await page.click('#ap-submit');
    await expectMessage(pattern);
  };
  await tryAp('<script>alert(1)</script>', wifi.ap.passphrase, /must not contain < or >/);
  await tryAp('', wifi.ap.passphrase, /enter a network name/);
  await tryAp('x'.repeat(33), wifi.ap.passphrase, /1 to 32 bytes/);
  await tryAp(wifi.ap.ssid, 'short', /8 to 63 characters/);
  await tryAp(wifi.ap.ssid, 'has "quotes" inside', /quotes or backslashes/);

  await page.fill('#known-ssid', 'Cafe<img src=x>');
  await page.fill('#known-passphrase', 'coffee-and-cake');
  await page.click('#known-submit');
  await expectMessage(/must not contain < or >/);

  const cases: Array<[string, unknown, RegExp]> = [
    ['/api/wifi/ap', { ssid: 'Two\nLines' }, /control characters or newlines/],
    ['/api/wifi/ap', { passphrase: 'tab\there-is-fine?' }, /printable ASCII/],
    ['/api/wifi/ap', { passphrase: 'p'.repeat(64) }, /8 to 63 characters/],
    ['/api/wifi/ap', {}, /enter a new network name, a new passphrase, or both/],
    ['/api/wifi/ap', [1, 2], /JSON object/],
    ['/api/wifi/networks/add', { ssid: 'Home', passphrase: '' }, /enter a passphrase/],
    ['/api/wifi/networks/add', { ssid: ' Home', passphrase: 'long-enough-pass' }, /start or end with spaces/],
    ['/api/wifi/networks/remove', { ssid: 'Nowhere' }, /no known network named/],
    ['/api/wifi/networks/order', { ssids: ['Nowhere'] }, /every known network exactly once/],
    ['/api/wifi/keys/revoke', { mac: '<b>02:00</b>' }, /MAC/],
    ['/api/wifi/keys/one-time', { enabled: 'off' }, /true or false/],
  ];
  for (const [path, body, pattern] of cases) {
    const answer = await apiCall(started().url, admin, path, body);
    assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.json)}`);
    assert.match(String(answer.json.error), pattern, `${path} ${JSON.stringify(body)}`);
  }
  assert.deepEqual(await files(), before, 'hostapd.conf and wifi.json are unchanged');
  assert.equal(dialogs.length, 0);
});

test('Wi-Fi: known networks are added, reordered and removed', LONG, async () => {
  await page.goto(at('/wifi'));
  await waitUntil(page, "document.getElementById('ap-ssid-input').value !== ''");
  for (const [ssid, passphrase] of [
    ['Home', 'home-sweet-home'],
    ['Library Wi-Fi', 'quiet-please-123'],
    ['Café Öst', 'espresso-doppio'],
  ] as const) {
    await page.fill('#known-ssid', ssid);
    await page.fill('#known-passphrase', passphrase);
    await page.click('#known-submit');
    await page.locator(`#known li[data-ssid="${ssid}"]`).waitFor(WAIT);
  }
  const order = async () => (await wifiGet()).knownNetworks.map((n) => n.ssid);
  assert.deepEqual(await order(), ['Home', 'Library Wi-Fi', 'Café Öst']);

  await page.locator('#known li[data-ssid="Home"] button', { hasText: 'Down' }).click();
  await waitUntil(page, "document.querySelector('#known li')?.dataset.ssid === 'Library Wi-Fi'");
  assert.deepEqual(await order(), ['Library Wi-Fi', 'Home', 'Café Öst']);

  await page.locator('#known li[data-ssid="Library Wi-Fi"] button', { hasText: 'Remove' }).click();
  await page.locator('#known li[data-ssid="Library Wi-Fi"]').waitFor({ state: 'detached', ...WAIT });
  assert.deepEqual(await order(), ['Home', 'Café Öst']);
});

test('Wi-Fi: with one-time keys off a WPS device stays trusted until revoked here', LONG, async () => {
  await page.goto(at('/wifi'));
  await waitUntil(page, "document.getElementById('ap-ssid-input').value !== ''");
  assert.equal(await page.isChecked('#one-time'), true, 'one-time keys by default');
  await page.uncheck('#one-time');
  await expectMessage(/one-time keys off/);
  assert.equal((await status()).keys.oneTime, false);

  const enrol = async () => {
    if ((await status()).mode !== 'ap') await daemonCall(started().dataDir, 'press', { button: 'ap' });
    await daemonCall(started().dataDir, 'press', { button: 'wps' });
    await daemonCall(started().dataDir, 'sim.other-wps', {});
    let trusted: string[] = [];
    await waitFor(
      'a trusted WPS device',
      async () => {
        trusted = (await status()).keys.trusted;
        return trusted.length > 0;
      },
      10_000,
    );
    return trusted;
  };
  const [mac] = await enrol();
  assert.ok(mac);
  await page.locator(`#trusted li[data-mac="${mac}"]`).waitFor(WAIT);
  await page.locator(`#trusted li[data-mac="${mac}"] button`, { hasText: 'Revoke' }).click();
  await page.locator(`#trusted li[data-mac="${mac}"]`).waitFor({ state: 'detached', ...WAIT });
  assert.ok(!(await status()).keys.trusted.includes(mac), 'the daemon no longer trusts it');

  // One more, for the screenshot.
  await daemonCall(started().dataDir, 'sim.phone', { action: 'leave', mac });
  await enrol();
});

test('screenshots: every page on a desktop and on a 360 px phone, without sideways scrolling', LONG, async () => {
  const pages: Array<[path: string, name: string, ready: string]> = [
    ['/', 'device', '#sync-peers li[data-key]'],
    ['/people', 'people', '#following li[data-id] img.avatar'],
    ['/feed', 'feed', '#feed img.photo'],
    ['/wifi', 'wifi', '#trusted li[data-mac]'],
  ];
  for (const [path, name, ready] of pages) {
    await page.goto(at(path));
    await page.locator(ready).first().waitFor(WAIT);
    await page.waitForTimeout(300);
    await saveScreenshot(page, `gui-${name}.png`, { docs: true });
  }
  assert.ok(chromium);
  const phone = await chromium.browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  await phone.addCookies((await context.cookies()).filter((c) => c.name === 'sw_session'));
  try {
    const tab = await phone.newPage();
    for (const [path, name, ready] of pages) {
      await tab.goto(at(path));
      await tab.locator(ready).first().waitFor(WAIT);
      const overflow = await tab.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow} px on a phone`);
      await saveScreenshot(tab, `gui-${name}-phone.png`, { docs: name === 'device' });
    }
  } finally {
    await phone.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors or CSP violations');
  assert.deepEqual(dialogs, [], 'no script from the data ran');
});

/**
 * Waits until a page expression is true. (Playwright's waitForFunction evaluates strings with eval, which
 * the page's CSP rightly forbids; page.evaluate does not need it.)
 */
async function waitUntil(on: Page, expression: string, timeoutMs = WAIT.timeout): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await on.evaluate<boolean>(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A page expression: the image is loaded and decoded at this natural size. */
function imageLoaded(selector: string, width: number, height = width): string {
  return `(() => { const n = document.querySelector(${JSON.stringify(selector)}); return n !== null && n.complete && n.naturalWidth === ${width} && n.naturalHeight === ${height}; })()`;
}

/** Reads the QR code on the page: the image drawn on a canvas, decoded by jsQR. */
async function decodeQr(on: Page): Promise<string> {
  const { width, height, data } = await on.evaluate<{ width: number; height: number; data: number[] }>(`(() => {
    const img = document.getElementById('qr');
    const canvas = document.createElement('canvas');
    canvas.width = 400;
    canvas.height = 400;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 400, 400);
    ctx.drawImage(img, 20, 20, 360, 360);
    const pixels = ctx.getImageData(0, 0, 400, 400);
    return { width: pixels.width, height: pixels.height, data: Array.from(pixels.data) };
  })()`);
  const code = jsQR(Uint8ClampedArray.from(data), width, height);
  assert.ok(code, 'a QR code could be read');
  return code.data;
}
