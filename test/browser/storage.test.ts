// The owner is told when the card is full (issue 19), in a real browser against a real daemon whose data
// directory is on a 40 MB loop-mounted ext4: the Device page shows the storage figures and what is paused,
// and the Feed page's post form refuses a photo with "the device's storage is full".
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { STORAGE_FULL } from '../../src/storage/errors.js';
import {
  type AdminSession,
  addSession,
  launchChromium,
  makePng,
  peerCall,
  type RunningBrowser,
  type RunningDaemon,
  saveArtifact,
  saveScreenshot,
  setUpAdmin,
  startDaemon,
} from '../helpers/browser.js';
import { mountSmallFs, type SmallFs } from '../helpers/small-fs.js';

const WAIT = { timeout: 20_000 };
const LONG = { timeout: 90_000 };

let fs: SmallFs | undefined;
let daemon: RunningDaemon | undefined;
let chromium: RunningBrowser | undefined;
let page: Page;
let admin: AdminSession;

const freeBytes = (dir: string) => {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
};
const started = () => {
  assert.ok(daemon, 'the daemon did not start');
  return daemon;
};
const at = (path: string) => new URL(path, started().url).toString();

before(
  async () => {
    fs = await mountSmallFs(40);
    daemon = await startDaemon(join(fs.dir, 'data'), 30_000, true, ['--no-auto-follow']);
    admin = await setUpAdmin(daemon);
    chromium = await launchChromium();
    const context = await chromium.browser.newContext({ viewport: { width: 1100, height: 1400 } });
    await addSession(context, daemon.url, admin);
    page = await context.newPage();
  },
  { timeout: 90_000 },
);

after(
  async () => {
    await chromium?.close();
    if (daemon) await saveArtifact('logs/storage-daemon.log', daemon.output());
    await daemon?.stop();
    await fs?.unmount();
  },
  { timeout: 60_000 },
);

test('the Device page shows storage; a full card refuses a photo from the post form clearly', LONG, async () => {
  await page.goto(started().url);
  await page.locator('#storage-state[data-state="ok"]').waitFor(WAIT);
  await page.locator('#storage-paused', { hasText: 'fetched as they arrive' }).waitFor(WAIT);
  assert.match((await page.textContent('#storage-free')) ?? '', /^\d+(\.\d)? MB$/);
  assert.match((await page.textContent('#storage-reserve')) ?? '', /^\d+(\.\d)? MB$/);
  assert.match((await page.textContent('#storage-used')) ?? '', /^\d+(\.\d)? (kB|MB)$/);

  // Something else fills the card to 1.2 MB free: inside the reserve, above the posts' last floor.
  const filler = join(fs?.dir ?? '/nonexistent', 'filler');
  await writeFile(filler, Buffer.alloc(Math.max(0, freeBytes(fs?.dir ?? '/') - 1_200_000)));
  await page.locator('#storage-state[data-state="full"]').waitFor(WAIT);
  await page.locator('#storage-paused', { hasText: 'paused until space is freed (posts still flow)' }).waitFor(WAIT);
  await saveScreenshot(page, 'storage-full-device.png');

  const sequence = async () => {
    const feeds = await peerCall(started().dataDir, 'ssb.feeds');
    return feeds[0]?.sequence ?? 0;
  };
  const before = await sequence();
  await page.goto(at('/feed'));
  await page.fill('#post-text', 'a photo that does not fit');
  await page.setInputFiles('#post-photo', {
    name: 'big.png',
    mimeType: 'image/png',
    buffer: Buffer.concat([makePng(64, 64, [200, 40, 40]), Buffer.alloc(800_000)]),
  });
  await page.click('#post-submit');
  const message = page.locator('#message:not([hidden])');
  await message.waitFor(WAIT);
  const text = (await message.textContent()) ?? '';
  assert.ok(text.includes(STORAGE_FULL), `unclear refusal: ${text}`);
  assert.match(text, /the photo \(\d+(\.\d)? kB\) was not stored/);
  await saveScreenshot(page, 'storage-full-feed.png');
  assert.equal(await sequence(), before, 'a post was published for the refused photo');

  // A post without a photo still goes through while photos are refused.
  await page.setInputFiles('#post-photo', []);
  await page.fill('#post-text', 'words still fit');
  await page.click('#post-submit');
  await page.locator('#message:not([hidden])', { hasText: /published/ }).waitFor(WAIT);
  assert.equal(await sequence(), before + 1);

  await rm(filler);
  await page.goto(started().url);
  await page.locator('#storage-paused', { hasText: 'fetched as they arrive' }).waitFor(WAIT);
});
