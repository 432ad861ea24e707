// The guest view's pure parts: which requests get the captive-portal redirect and where it points, the
// names accepted as mDNS, the Shared page's paging cursor (parsed strictly; paging through a store with
// many posts of the same millisecond shows each post once), what a guest sees of a hostile post, and the
// owner's switch on disk.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { silentLogger } from '../../src/log/logger.js';
import type { StoredMessage } from '../../src/ssb/peer.js';
import { formatCursor, InvalidCursor, indexTime, parseCursor, type SharedCursor } from '../../src/web/guest/cursor.js';
import { MAX_SAME_TIME, type PostsBetween, sharedPage } from '../../src/web/guest/paging.js';
import { isMdnsName, PROBE_PATHS, portalLocation, wantsPortalRedirect } from '../../src/web/guest/portal.js';
import { guestAddresses } from '../../src/web/guest/routes.js';
import { GuestViewSetting } from '../../src/web/guest/setting.js';
import { sharedPost } from '../../src/web/guest/shared-view.js';

const feed = (c: string) => `@${c.repeat(43)}=.ed25519`;
const blob = (c: string) => `&${c.repeat(43)}=.sha256`;
const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('captive-portal redirects', () => {
  test('each OS probe is redirected, whatever the Host; with GET and HEAD only', () => {
    for (const path of ['/generate_204', '/hotspot-detect.html', '/connecttest.txt', '/ncsi.txt', '/success.txt']) {
      assert.ok(PROBE_PATHS.has(path), path);
      for (const hostIsOurs of [true, false]) {
        assert.equal(wantsPortalRedirect({ method: 'GET', url: path, hostIsOurs }), true, path);
        assert.equal(wantsPortalRedirect({ method: 'HEAD', url: `${path}?x=1`, hostIsOurs }), true, path);
        assert.equal(wantsPortalRedirect({ method: 'POST', url: path, hostIsOurs }), false, `POST ${path}`);
      }
    }
  });

  test('a foreign name gets the redirect for any page, never for the API, the event stream or blobs', () => {
    const table: Array<[string, string, boolean, boolean]> = [
      ['GET', '/', false, true],
      ['GET', '/some/typed/page?q=1', false, true],
      ['GET', '/wifi', false, true],
      ['GET', '/', true, false],
      ['GET', '/shared', true, false],
      ['GET', '/api/status', false, false],
      ['GET', '/api/shared', false, false],
      ['GET', '/events', false, false],
      ['GET', '/blob?id=x', false, false],
      ['POST', '/', false, false],
      ['DELETE', '/x', false, false],
    ];
    for (const [method, url, hostIsOurs, expected] of table)
      assert.equal(wantsPortalRedirect({ method, url, hostIsOurs }), expected, `${method} ${url} ours=${hostIsOurs}`);
  });

  test('the redirect is an absolute URL on the address and port the request arrived at', () => {
    assert.equal(portalLocation('127.0.0.1', 8300, '/shared'), 'http://127.0.0.1:8300/shared');
    assert.equal(portalLocation('::ffff:192.168.4.1', 8300, '/shared'), 'http://192.168.4.1:8300/shared');
    assert.equal(portalLocation('192.168.6.1', 80, '/'), 'http://192.168.6.1/');
    assert.equal(portalLocation('fe80::1', 8300, '/shared'), 'http://[fe80::1]:8300/shared');
  });

  test('mDNS names: one label under .local, with our port (or none on port 80)', () => {
    assert.equal(isMdnsName('smallworld.local:8300', 8300), true);
    assert.equal(isMdnsName('smallworld-2.local:8300', 8300), true);
    assert.equal(isMdnsName('smallworld.local', 80), true);
    assert.equal(isMdnsName('smallworld.local', 8300), false);
    assert.equal(isMdnsName('smallworld.local:1', 8300), false);
    assert.equal(isMdnsName('evil.example.local:8300', 8300), false);
    assert.equal(isMdnsName('-x.local:8300', 8300), false);
    assert.equal(isMdnsName(`${'a'.repeat(64)}.local:8300`, 8300), false);
    assert.equal(isMdnsName('local:8300', 8300), false);
  });

  test('guests are only ever on loopback, the AP address and the USB address', () => {
    assert.deepEqual(
      [...guestAddresses({ ap: '192.168.4.1', usb: '::ffff:192.168.6.1' })].sort(),
      ['127.0.0.1', '192.168.4.1', '192.168.6.1', '::1'].sort(),
    );
    assert.deepEqual([...guestAddresses({ ap: null, usb: null })].sort(), ['127.0.0.1', '::1']);
  });
});

describe('the Shared page cursor and paging', () => {
  const key = (n: number) => `%${String(n).padStart(4, '0')}${'A'.repeat(39)}=.sha256`;

  test('valid cursors round-trip; everything else is refused before any query', () => {
    assert.equal(parseCursor(undefined), null);
    assert.equal(parseCursor(''), null);
    const cursor = { time: 1_796_517_187_183, key: key(7) };
    assert.deepEqual(parseCursor(formatCursor(cursor)), cursor);
    const encode = (text: string) => Buffer.from(text).toString('base64url');
    const bad: unknown[] = [
      'abc',
      '1',
      '1.',
      `.${encode(key(1))}`,
      `-1.${encode(key(1))}`,
      `1e3.${encode(key(1))}`,
      ` 1.${encode(key(1))}`,
      `1.${encode(key(1))}\n`,
      `9999999999999999.${encode(key(1))}`,
      `1.${encode('<script>alert(1)</script>')}`,
      `1.${encode('%x.sha256\n')}`,
      '1.0',
      '1'.repeat(100_000),
      [`1.${encode(key(1))}`, `2.${encode(key(1))}`],
      { a: 1 },
    ];
    for (const raw of bad) assert.throws(() => parseCursor(raw), InvalidCursor, JSON.stringify(raw).slice(0, 40));
  });

  test('paging shows every post exactly once, in one order, whatever order the database gives ties', async () => {
    const post = fc.record({ timestamp: fc.integer({ min: 0, max: 12 }), received: fc.integer({ min: 0, max: 12 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(post, { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        async (raw, limit, noise) => {
          const store = raw.map((p, i) => ({ ...p, key: key(i) }));
          // What jitdb does: filter on the index time, sort newest first with ties in no stable order, take.
          const query: PostsBetween<(typeof store)[number]> = async ({ atOrBefore, atOrAfter, limit: n }) =>
            store
              .filter(
                (p) =>
                  (atOrBefore === null || indexTime(p) <= atOrBefore) &&
                  (atOrAfter === null || indexTime(p) >= atOrAfter),
              )
              .map((p) => ({ p, r: noise.next().value as number }))
              .sort((a, b) => indexTime(b.p) - indexTime(a.p) || a.r - b.r)
              .slice(0, n)
              .map(({ p }) => p);
          const seen: string[] = [];
          let cursor: SharedCursor | null = null;
          for (let pages = 0; pages <= store.length + 1; pages++) {
            const page: { posts: Array<{ key: string }>; next: SharedCursor | null } = await sharedPage(
              query,
              cursor,
              limit,
            );
            assert.ok(page.posts.length <= limit);
            if (page.next !== null) assert.equal(page.posts.length, limit, 'only the last page is short');
            seen.push(...page.posts.map((p) => p.key));
            if (page.next === null) break;
            assert.deepEqual(parseCursor(formatCursor(page.next)), page.next);
            cursor = page.next;
          }
          const expected = [...store]
            .sort((a, b) => indexTime(b) - indexTime(a) || (a.key < b.key ? 1 : -1))
            .map((p) => p.key);
          assert.deepEqual(seen, expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a millisecond with more posts than MAX_SAME_TIME (forged timestamps) costs bounded queries', async () => {
    let asked = 0;
    let largest = 0;
    const query: PostsBetween<{ key: string; timestamp: number; received: number }> = async ({ limit }) => {
      asked++;
      largest = Math.max(largest, limit);
      return Array.from({ length: Math.min(limit, 50_000) }, (_, i) => ({ key: key(i), timestamp: 5, received: 5 }));
    };
    const page = await sharedPage(query, { time: 5, key: key(9999) }, 20);
    assert.equal(page.posts.length, 20);
    assert.ok(asked <= 3 && largest <= MAX_SAME_TIME, `${asked} queries, up to ${largest} posts each`);
  });
});

describe('what a guest sees of a post', () => {
  const message = (content: Record<string, unknown>): StoredMessage => ({
    key: '%key',
    author: feed('a'),
    sequence: 1,
    timestamp: 1_700_000_000_000,
    received: 1_700_000_000_500,
    content: { type: 'post', ...content },
  });

  test('hostile text stays text; photo links become blob ids; names are bounded', () => {
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const view = sharedPost(
      message({ text: `${hostile}\n\n![p](${blob('b')})`, mentions: [{ link: blob('c'), type: 'image/png' }] }),
      new Map([[feed('a'), { name: 'N'.repeat(500), image: blob('d') }]]),
    );
    assert.equal(view.text, hostile, 'passed on unchanged, as data: the page puts it on screen with textContent');
    assert.deepEqual(view.photos, [blob('c'), blob('b')]);
    assert.equal(view.author.name?.length, 100);
    assert.equal(view.author.image, blob('d'));
    assert.equal(view.timestamp, 1_700_000_000_000);
    assert.deepEqual(Object.keys(view).sort(), ['author', 'key', 'photos', 'text', 'timestamp']);
  });

  test('non-image mentions, malformed links and non-string text give no photos and empty text', () => {
    const view = sharedPost(
      message({ text: 42, mentions: [{ link: blob('c'), type: 'text/html' }, { link: 'javascript:alert(1)' }, null] }),
      new Map(),
    );
    assert.equal(view.text, '');
    assert.deepEqual(view.photos, []);
    assert.equal(view.author.name, null);
    const long = sharedPost(message({ text: 'x'.repeat(50_000) }), new Map());
    assert.ok(long.text.length <= 10_000);
  });
});

describe("the owner's guest-view switch", () => {
  test('on by default, remembered, and off when its file is damaged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sw-guest-'));
    dirs.push(dir);
    const path = join(dir, 'guest-view.json');
    const first = new GuestViewSetting(path, silentLogger);
    await first.load();
    assert.equal(first.isEnabled(), true);
    await first.set(false);
    const again = new GuestViewSetting(path, silentLogger);
    await again.load();
    assert.equal(again.isEnabled(), false);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { enabled: false });
    await writeFile(path, '{"enabled":"yes"');
    const damaged = new GuestViewSetting(path, silentLogger);
    await damaged.load();
    assert.equal(damaged.isEnabled(), false, 'a damaged file is the safe side: off');
  });
});

describe("the device's .local name from Avahi's socket", () => {
  test('only a well-formed success line gives a name', async () => {
    const { parseResolveAddress } = await import('../../src/net/mdns-name.js');
    assert.equal(parseResolveAddress('+ 2 0 smallworld.local\n'), 'smallworld.local');
    assert.equal(parseResolveAddress('+ 3 0 smallworld-2.local'), 'smallworld-2.local');
    for (const bad of ['- Timeout reached', '+ 2 0 evil.example', '+ 2 0 <b>x</b>.local', '', '+ 2 0 a.b.local'])
      assert.equal(parseResolveAddress(bad), null, bad);
  });
});
