// The web GUI's pure parts: request checks, sessions, the login rate limit, password hashing and the
// password file, form input checks, image sniffing, the People and Feed views, about-message profiles and
// the run-time auto-follow policy.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import { cleanName, MAX_NAME_LENGTH, profilesFromAbouts } from '../../src/ssb/about.js';
import {
  DEFAULT_AUTO_FOLLOW_POLICY,
  InvalidPolicy,
  loadPolicyOverride,
  savePolicyOverride,
  withPolicyChange,
} from '../../src/ssb/auto-follow.js';
import {
  AdminPassword,
  checkNewPassword,
  hashPassword,
  isPasswordRecord,
  setupCodeMatches,
  verifyPassword,
} from '../../src/web/auth.js';
import { sniffImage } from '../../src/web/images.js';
import {
  feedIdField,
  InvalidInput,
  passphraseField,
  photoNameField,
  postTextField,
  ssidField,
} from '../../src/web/inputs.js';
import { FailureLimiter } from '../../src/web/rate-limit.js';
import {
  allowedHostHeaders,
  clientKey,
  csrfTokenFor,
  isSameOrigin,
  isServedLocalAddress,
  parseCookies,
  serializeCookie,
  servedLocalAddresses,
  tokensMatch,
} from '../../src/web/security.js';
import { SessionStore } from '../../src/web/sessions.js';
import { feedItem, peopleView } from '../../src/web/views.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const feed = (c: string) => `@${c.repeat(43)}=.ed25519`;
const blob = (c: string) => `&${c.repeat(43)}=.sha256`;
const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sw-web-'));
  dirs.push(dir);
  return dir;
};
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('request checks', () => {
  const listening = { host: '0.0.0.0', port: 8300, ap: '192.168.4.1', usb: '192.168.6.1' };

  test('the GUI is served on loopback, the AP and the USB address only', () => {
    const served = servedLocalAddresses(listening);
    for (const ok of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '192.168.4.1', '::ffff:192.168.6.1'])
      assert.equal(isServedLocalAddress(ok, served), true, ok);
    for (const no of ['10.0.0.23', '192.168.1.40', '127.0.0.5', 'fe80::1', '', undefined])
      assert.equal(isServedLocalAddress(no, served), false, String(no));
    const configured = servedLocalAddresses({ ...listening, host: '10.0.0.23' });
    assert.equal(isServedLocalAddress('10.0.0.23', configured), true, 'an address chosen in the config is served');
  });

  test('Host names: ours with the port, bare only on port 80', () => {
    const hosts = allowedHostHeaders(listening);
    for (const ok of ['localhost:8300', '127.0.0.1:8300', '[::1]:8300', '192.168.4.1:8300', '192.168.6.1:8300'])
      assert.ok(hosts.has(ok), ok);
    for (const no of ['localhost', '0.0.0.0:8300', 'evil.example:8300', '192.168.4.1:80'])
      assert.ok(!hosts.has(no), no);
    const on80 = allowedHostHeaders({ ...listening, host: 'fd00::1', port: 80 });
    assert.ok(on80.has('192.168.4.1') && on80.has('[fd00::1]') && on80.has('[fd00::1]:80'));
  });

  test('cookies: parsed defensively, set HttpOnly and SameSite=Strict for the whole site', () => {
    const cookies = parseCookies('a=1; sw_session=abc_DEF-9; sw_session=second; bad; =x; evil=<script>');
    assert.equal(cookies.get('sw_session'), 'abc_DEF-9', 'the first one wins');
    assert.equal(cookies.get('a'), '1');
    assert.equal(cookies.has('evil'), false, 'values outside base64url are ignored');
    assert.equal(parseCookies(undefined).size, 0);
    assert.equal(serializeCookie('sw_session', 'v'), 'sw_session=v; Path=/; HttpOnly; SameSite=Strict');
    assert.match(serializeCookie('sw_session', 'v', { clear: true }), /^sw_session=; .*Max-Age=0$/);
  });

  test('CSRF tokens: bound to the cookie and the server secret, compared in constant time', () => {
    const secret = Buffer.alloc(32, 1);
    const token = csrfTokenFor(secret, 'session-a');
    assert.equal(token, csrfTokenFor(secret, 'session-a'));
    assert.notEqual(token, csrfTokenFor(secret, 'session-b'));
    assert.notEqual(token, csrfTokenFor(Buffer.alloc(32, 2), 'session-a'));
    assert.equal(tokensMatch(token, token), true);
    for (const bad of [undefined, '', token.slice(1), `${token}x`, ['x'], token.toUpperCase()])
      assert.equal(tokensMatch(bad, token), false, String(bad));
  });

  test('Origin, when sent, must be our page; clients are keyed by address (IPv6 by /64)', () => {
    assert.equal(isSameOrigin(undefined, 'localhost:8300'), true);
    assert.equal(isSameOrigin('http://localhost:8300', 'localhost:8300'), true);
    assert.equal(isSameOrigin('http://evil.example', 'localhost:8300'), false);
    assert.equal(isSameOrigin('null', 'localhost:8300'), false);
    assert.equal(clientKey('::ffff:192.168.4.7'), '192.168.4.7');
    assert.equal(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2::99'), clientKey('2001:db8:1:2:aaaa::1'));
  });
});

describe('sessions', () => {
  test('a session ends after 12 h idle or 7 days in all; the least recently used goes first', () => {
    let now = 0;
    let n = 0;
    const store = new SessionStore({ now: () => now, newId: () => `id${n++}`, max: 2 });
    const a = store.create();
    assert.equal(store.get(a.id)?.id, 'id0');
    now = 11 * 3600_000;
    assert.ok(store.get(a.id), 'still within 12 h of the last visit');
    now += 12 * 3600_000 + 1;
    assert.equal(store.get(a.id), null, 'idle too long');

    now = 0;
    const b = store.create();
    for (now = 6 * 3600_000; now <= 7 * 24 * 3600_000; now += 6 * 3600_000) assert.ok(store.get(b.id));
    now = 7 * 24 * 3600_000 + 1;
    assert.equal(store.get(b.id), null, 'at most 7 days in all');

    const c = store.create();
    const d = store.create();
    store.get(c.id);
    store.create();
    assert.ok(store.get(c.id), 'recently used');
    assert.equal(store.get(d.id), null, 'evicted');
    store.destroy(c.id);
    assert.equal(store.get(c.id), null);
    assert.equal(store.get(undefined), null);
  });

  test('real ids are 256 random bits', () => {
    const store = new SessionStore();
    const ids = new Set(Array.from({ length: 20 }, () => store.create().id));
    assert.equal(ids.size, 20);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{43}$/);
  });
});

describe('the login rate limit', () => {
  test('5 failures a minute per client, then 429 until the oldest leaves the window', () => {
    let now = 1_000_000;
    const limiter = new FailureLimiter({ now: () => now });
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(limiter.check('a'), { allowed: true });
      limiter.fail('a');
      now += 1000;
    }
    assert.deepEqual(limiter.check('a'), { allowed: false, retryAfterS: 55 });
    assert.deepEqual(limiter.check('b'), { allowed: true }, 'another client is not affected');
    now += 55_000;
    assert.deepEqual(limiter.check('a'), { allowed: true }, 'the first failure left the window');
    limiter.fail('a');
    assert.equal(limiter.check('a').allowed, false);
    limiter.succeed('a');
    assert.equal(limiter.check('a').allowed, true, 'a success clears the client');
  });

  test('30 failures a minute from all clients together stop everyone', () => {
    let now = 0;
    const limiter = new FailureLimiter({ now: () => now, maxTracked: 8 });
    for (let i = 0; i < 30; i++) limiter.fail(`client-${i}`);
    const verdict = limiter.check('newcomer');
    assert.equal(verdict.allowed, false);
    now = 60_000;
    assert.equal(limiter.check('newcomer').allowed, true);
  });
});

describe('the admin password', () => {
  test('new passwords: 10 to 256 characters, not blank, no control characters', () => {
    const refused: Array<[unknown, RegExp]> = [
      ['', /choose a password/],
      [undefined, /choose a password/],
      ['short', /at least 10/],
      [' '.repeat(12), /only spaces/],
      ['x'.repeat(257), /at most 256/],
      ['good length\u0000', /control characters/],
    ];
    for (const [value, pattern] of refused) assert.throws(() => checkNewPassword(value), pattern);
    assert.equal(checkNewPassword('ten chars!'), 'ten chars!');
  });

  test('scrypt: the right password verifies, others do not; salts differ', async () => {
    const record = await hashPassword('correct horse battery', FAST);
    assert.equal(await verifyPassword('correct horse battery', record), true);
    assert.equal(await verifyPassword('correct horse batterY', record), false);
    assert.equal(await verifyPassword('', record), false);
    assert.notEqual((await hashPassword('correct horse battery', FAST)).hash, record.hash);
    assert.equal(isPasswordRecord(record), true);
    assert.equal(isPasswordRecord({ ...record, N: 2 ** 30 }), false, 'parameters a Pi cannot afford');
    assert.equal(isPasswordRecord({ ...record, N: 3000 }), false);
    assert.equal(isPasswordRecord({ ...record, salt: 'AAAA' }), false);
  });

  test('the file is created once, mode 0600; a second or concurrent setup does not overwrite it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'web-admin.json');
    const password = new AdminPassword(path, FAST);
    await password.load();
    assert.equal(password.isSet(), false);
    const results = await Promise.all([password.set('first password!'), password.set('second password')]);
    assert.deepEqual(results, ['set', 'already-set']);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const again = new AdminPassword(path, FAST);
    await again.load();
    assert.equal(await again.verify('first password!'), true);
    assert.equal(await again.verify('second password'), false);
    assert.equal(await again.set('third password'), 'already-set');
    await assert.rejects(new AdminPassword(join(dir, 'new.json'), FAST).set('short'), /at least 10/);

    const other = new AdminPassword(join(dir, 'elsewhere.json'), FAST);
    await other.load();
    // Another process got there between our load and our write: its password stands.
    const theirs = await hashPassword('the other process', FAST);
    await writeFile(join(dir, 'elsewhere.json'), JSON.stringify(theirs), { flag: 'wx' });
    assert.equal(await other.set('racing another process'), 'already-set');
    assert.equal(await other.verify('the other process'), true);
  });

  test('a damaged password file is an error, never a reset to "no password"', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'web-admin.json'), '{"version":1}');
    await assert.rejects(new AdminPassword(join(dir, 'web-admin.json')).load(), /not a Smallworld password file/);
  });

  test('setup codes: case, spaces and dashes do not matter', () => {
    assert.equal(setupCodeMatches('ABCD efgh-2345', 'abcd-efgh-2345'), true);
    assert.equal(setupCodeMatches('abcd-efgh-2346', 'abcd-efgh-2345'), false);
    assert.equal(setupCodeMatches(undefined, 'abcd-efgh-2345'), false);
    assert.equal(setupCodeMatches('a'.repeat(65), 'abcd-efgh-2345'), false);
  });
});

describe('form input', () => {
  test('SSB ids: trimmed; markup, newlines, wrong lengths and empty refused with a message', () => {
    assert.equal(feedIdField(`  ${feed('A')}\n`), feed('A'));
    const refused: Array<[unknown, RegExp]> = [
      ['', /enter an SSB id/],
      [null, /enter an SSB id/],
      [7, /must be text/],
      ['<script>alert(1)</script>', /is not an SSB id/],
      [`${feed('A')}\n${feed('B')}`, /is not an SSB id/],
      [`@${'A'.repeat(44)}=.ed25519`, /is not an SSB id/],
      [blob('A'), /is not an SSB id/],
    ];
    for (const [value, pattern] of refused) {
      assert.throws(() => feedIdField(value), InvalidInput);
      assert.throws(() => feedIdField(value), pattern);
    }
    assert.ok(
      (() => {
        try {
          feedIdField(`<b>${'x'.repeat(200)}`);
        } catch (error) {
          return (error as Error).message.length < 120;
        }
        return false;
      })(),
      'the message quotes at most a little of what was sent',
    );
  });

  test('SSIDs and passphrases: the daemon’s rules, and no markup in a network name', () => {
    assert.equal(ssidField('Café Öst'), 'Café Öst');
    assert.throws(() => ssidField('<script>'), /must not contain < or >/);
    assert.throws(() => ssidField('Two\nLines'), /control characters or newlines/);
    assert.throws(() => ssidField('x'.repeat(33)), /1 to 32 bytes/);
    assert.throws(() => ssidField('say "hi"'), /quotes/);
    assert.throws(() => ssidField(''), /enter a network name/);
    assert.equal(passphraseField('correct-horse'), 'correct-horse');
    assert.throws(() => passphraseField('seven77'), /8 to 63/);
    assert.throws(() => passphraseField('naïve-passphrase'), /printable ASCII/);
    assert.throws(() => passphraseField(''), /enter a passphrase/);
  });

  test('post text: markup kept (shown as text), control characters dropped, at most 4000 characters', () => {
    assert.equal(postTextField('<b>hi</b>\r\nline\u0007 two\t!'), '<b>hi</b>\nline two\t!');
    assert.equal(postTextField(undefined), '');
    assert.equal(postTextField('🌻'.repeat(4000)).length, 8000, 'characters, not UTF-16 units');
    assert.throws(() => postTextField('x'.repeat(4001)), /too long/);
    assert.equal(photoNameField('my [photo](evil).png'), 'my photoevil.png');
    assert.equal(photoNameField(undefined), 'photo');
  });
});

test('images are recognised by their bytes; SVG, HTML and text are not images', () => {
  assert.equal(sniffImage(Buffer.from('89504e470d0a1a0a0000', 'hex')), 'image/png');
  assert.equal(sniffImage(Buffer.from('ffd8ffe000104a464946', 'hex')), 'image/jpeg');
  assert.equal(sniffImage(Buffer.from('GIF89a....')), 'image/gif');
  assert.equal(sniffImage(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1')), 'image/webp');
  for (const other of ['<svg onload=alert(1)>', '<!doctype html><script>', 'GIF90a', 'RIFF1234WAVE', ''])
    assert.equal(sniffImage(Buffer.from(other)), null, other);
});

describe('views', () => {
  const self = feed('S');
  const rel = { following: [feed('A')], followers: [feed('A'), feed('B')], blocked: [feed('X')] };
  const profiles = new Map([[feed('A'), { name: 'Alice <b>', image: blob('I') }]]);

  test('a post’s photos come from blob mentions and image links; other links are not photos', () => {
    const item = feedItem(
      {
        key: '%k',
        author: feed('A'),
        sequence: 3,
        timestamp: 0,
        received: 0,
        content: {
          type: 'post',
          text: `Look ![lake](${blob('P')}) and [a file](${blob('F')}) ![x](javascript:alert(1))`,
          mentions: [
            { link: blob('M'), name: 'mention.jpg', type: 'image/jpeg' },
            { link: blob('D'), name: 'doc.pdf', type: 'application/pdf' },
            { link: 'https://evil.example/x.png', name: 'remote' },
            'junk',
          ],
        },
      },
      self,
      rel,
      profiles,
    );
    assert.deepEqual(
      item.photos.map((p) => p.blob),
      [blob('M'), blob('P')],
    );
    assert.equal(item.text, `Look  and [a file](${blob('F')}) ![x](javascript:alert(1))`);
    assert.equal(item.author.name, 'Alice <b>', 'names pass as data, to be shown as text');
    assert.equal(item.author.following && item.author.follower, true);
  });

  test('contact and about messages become one line about their subject', () => {
    const contact = feedItem(
      {
        key: '%c',
        author: self,
        sequence: 1,
        timestamp: 0,
        received: 0,
        content: { type: 'contact', contact: feed('X'), blocking: true },
      },
      self,
      rel,
      profiles,
    );
    assert.equal(contact.summary, 'blocked');
    assert.equal(contact.subject?.blocked, true);
    const other = feedItem(
      { key: '%o', author: feed('B'), sequence: 1, timestamp: 0, received: 0, content: { type: 'vote' } },
      self,
      rel,
      profiles,
    );
    assert.equal(other.summary, 'published a “vote” message');
  });

  test('People: one row per seen peer (connected wins), never ourselves; newest decisions first', () => {
    const view = peopleView({
      self,
      relationships: rel,
      profiles,
      peers: [
        { address: 'net:a1', key: feed('A'), state: 'discovered', verified: false },
        { address: 'net:a2', key: feed('A'), state: 'connected' },
        { address: 'net:s', key: self, state: 'discovered' },
        { address: 'net:anon', key: null, state: 'connecting' },
      ],
      policy: DEFAULT_AUTO_FOLLOW_POLICY,
      decisions: [1, 2, 3].map((at) => ({
        at,
        key: feed('B'),
        source: 'lan' as const,
        verified: true,
        follow: false,
        reason: 'disabled' as const,
        repeats: 0,
      })),
      maxDecisions: 2,
    });
    assert.deepEqual(
      view.seen.map((s) => [s.address, s.state]),
      [
        ['net:a2', 'connected'],
        ['net:anon', 'connecting'],
      ],
    );
    assert.equal(view.seen[0]?.person?.name, 'Alice <b>');
    assert.deepEqual(
      view.autoFollow.decisions.map((d) => d.at),
      [new Date(3).toISOString(), new Date(2).toISOString()],
    );
    assert.equal(view.blocked[0]?.id, feed('X'));
    assert.equal(view.self.self, true);
  });
});

describe('about messages', () => {
  test('only what people say about themselves counts, the latest per field', () => {
    const about = (author: string, sequence: number, content: Record<string, unknown>) => ({
      author,
      sequence,
      content: { type: 'about', about: author, ...content },
    });
    const profiles = profilesFromAbouts([
      about(feed('A'), 5, { name: 'Alice' }),
      about(feed('A'), 2, { name: 'Old name', image: blob('1') }),
      about(feed('A'), 7, { image: { link: blob('2'), size: 100 } }),
      { author: feed('B'), sequence: 1, content: { type: 'about', about: feed('A'), name: 'Not her choice' } },
      about(feed('C'), 1, { name: '  \u202eevil\u0000 name \n', image: 'https://x/y.png' }),
    ]);
    assert.deepEqual(profiles.get(feed('A')), { name: 'Alice', image: blob('2') });
    assert.deepEqual(profiles.get(feed('C')), { name: 'evil name' });
    assert.equal(profiles.has(feed('B')), false);
    assert.equal([...(cleanName('n'.repeat(500)) ?? '')].length, MAX_NAME_LENGTH);
    assert.equal(cleanName('   '), undefined);
  });
});

describe('the run-time auto-follow policy', () => {
  test('changes are checked; duplicates dropped; other settings kept', () => {
    const next = withPolicyChange(DEFAULT_AUTO_FOLLOW_POLICY, { enabled: false, deny: [feed('A'), feed('A')] });
    assert.equal(next.enabled, false);
    assert.deepEqual(next.deny, [feed('A')]);
    assert.deepEqual(next.allow, []);
    assert.equal(next.maxPerMinute, DEFAULT_AUTO_FOLLOW_POLICY.maxPerMinute);
    assert.throws(() => withPolicyChange(next, { allow: ['<b>'] }), InvalidPolicy);
  });

  test('it persists; an unreadable file is set aside and the config applies', async () => {
    const dir = await tempDir();
    const path = join(dir, 'auto-follow-policy.json');
    assert.equal(await loadPolicyOverride(path, silentLogger), null);
    await savePolicyOverride(path, { ...DEFAULT_AUTO_FOLLOW_POLICY, enabled: false, allow: [feed('Q')] });
    assert.deepEqual(await loadPolicyOverride(path, silentLogger), { enabled: false, allow: [feed('Q')], deny: [] });
    await writeFile(path, '{"version":1,"enabled":true,"allow":["not an id"],"deny":[]}');
    assert.equal(await loadPolicyOverride(path, silentLogger), null);
    const aside = (await readdir(dir)).find((name) => name.startsWith('auto-follow-policy.json.corrupt-'));
    assert.ok(aside, 'the unreadable file is kept for a person to look at');
    assert.match(await readFile(join(dir, aside), 'utf8'), /not an id/);
  });
});
