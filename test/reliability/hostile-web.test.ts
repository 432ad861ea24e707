// A generated corpus of hostile web form submissions from a logged-in session (the worst case: the admin's
// own browser driven by a malicious page would not even get past CSRF): script and HTML in names, newlines
// and quotes in SSIDs, passphrases of every wrong length, ids that are almost ids, wrong JSON types, bodies
// that are not objects. Each gets a 4xx with a message, never a 5xx; the Wi-Fi files, the follow graph and
// the feed stay byte for byte what they were; the log does not echo them.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import {
  apiCall,
  daemonCall,
  makeTempDir,
  peerCall,
  rawRequest,
  removeDir,
  setUpAdmin,
  startDaemon,
} from '../helpers/browser.js';
import { recordFigures } from '../helpers/figures.js';
import { seededRandom } from '../helpers/seeded.js';

const rand = seededRandom(Number(process.env.SW_HOSTILE_SEED ?? 11));
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

// Values each field must refuse (by its rules: length, characters, type); weird-but-valid values are
// checked separately below, because refusing them would be wrong.
const BAD_SSIDS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'name\nwpa_passphrase=owned',
  'ssid"; rm -rf / #',
  '\u0000',
  ' padded ',
  '',
  'x'.repeat(33),
  'y'.repeat(5000),
  'tab\tinside',
  'back\\slash',
];
const BAD_PASSPHRASES = [
  'short',
  '',
  'z'.repeat(64),
  'y'.repeat(5000),
  'new\nline-passphrase',
  'ünïcödé-passphrase',
  '\u0007bell-pass',
];
const WRONG_TYPES: unknown[] = [42, true, null, [], {}, ['a'], { toString: 'x' }];
const ECHO_CHECK = ['<script>alert(1)</script>', 'wpa_passphrase=owned', 'rm -rf /', 'onerror=alert'];
const badSsid = () => (rand() < 0.8 ? pick(BAD_SSIDS) : pick(WRONG_TYPES));
const badPassphrase = () => (rand() < 0.8 ? pick(BAD_PASSPHRASES) : pick(WRONG_TYPES));
const almostId = () =>
  pick([
    `@${'A'.repeat(43)}=.ed25519x`,
    `@${'A'.repeat(42)}=.ed25519`,
    `%${'A'.repeat(43)}=.sha256`,
    '@<script>.ed25519',
    `@${'A'.repeat(43)}=.ed25519;reboot`,
    '',
    pick(BAD_SSIDS),
    ...WRONG_TYPES,
  ]);

/** One hostile submission: the route and the body. */
function submission(): [string, string, unknown] {
  switch (Math.floor(rand() * 9)) {
    case 0:
      return ['wifi-ap', '/api/wifi/ap', { ssid: badSsid() }];
    case 1:
      return ['wifi-ap', '/api/wifi/ap', { passphrase: badPassphrase(), ...(rand() < 0.3 ? { ssid: badSsid() } : {}) }];
    case 2:
      return [
        'known-network',
        '/api/wifi/networks/add',
        { ssid: rand() < 0.5 ? badSsid() : 'Fine', passphrase: badPassphrase() },
      ];
    case 3:
      return [
        'known-network-order',
        '/api/wifi/networks/order',
        // (An empty list is a valid order when no networks are known.)
        { ssids: rand() < 0.5 ? pick([42, 'x', null, {}]) : [badSsid()] },
      ];
    case 4:
      return ['people', `/api/people/${pick(['follow', 'unfollow', 'block', 'unblock'])}`, { id: almostId() }];
    case 5:
      return [
        'auto-follow-list',
        '/api/auto-follow/list',
        { list: pick(['allow', 'deny', 'both', badSsid()]), action: pick(['add', 'remove', 'x']), id: almostId() },
      ];
    case 6:
      return [
        'revoke',
        '/api/wifi/keys/revoke',
        { mac: pick(['', 'zz:zz:zz:zz:zz:zz', '02:00:00:00:00', '; reboot']) },
      ];
    case 7:
      return ['wrong-body', pick(['/api/wifi/ap', '/api/people/follow', '/api/auto-follow']), pick(WRONG_TYPES)];
    default:
      return ['press', `/api/press/${encodeURIComponent(pick(['reset', 'AP', 'wps2', '..%2f', pick(BAD_SSIDS)]))}`, {}];
  }
}

test('3,000 hostile web form submissions: a clear 4xx each, nothing changed, nothing echoed', {
  timeout: 300_000,
}, async () => {
  const dataDir = await makeTempDir('sw-hostile-web-');
  const daemon = await startDaemon(dataDir, 60_000, true);
  try {
    const admin = await setUpAdmin(daemon);
    const wifiBefore = await daemonCall(dataDir, 'wifi.get');
    const snapshot = async () => ({
      hostapd: await readFile(wifiBefore.files.hostapd, 'utf8'),
      wifiJson: await readFile(`${dataDir}/wifi.json`, 'utf8'),
      graph: await peerCall(dataDir, 'ssb.graph'),
      feeds: await peerCall(dataDir, 'ssb.feeds'),
      status: (await daemonCall(dataDir, 'status')).mode,
    });
    const before = await snapshot();
    const logBefore = daemon.output().length;
    const counts: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    const TOTAL = 3000;
    const unexplained: string[] = [];
    for (let i = 0; i < TOTAL; i++) {
      const [kind, path, body] = submission();
      counts[kind] = (counts[kind] ?? 0) + 1;
      const answer =
        kind === 'wrong-body'
          ? await rawRequest(new URL(path, daemon.url).href, {
              method: 'POST',
              headers: admin.headers({ 'Content-Type': 'application/json' }),
              body: JSON.stringify(body),
            }).then((a) => ({
              status: a.status,
              json: (() => {
                try {
                  return a.json() as Record<string, unknown>;
                } catch {
                  return {};
                }
              })(),
            }))
          : await apiCall(daemon.url, admin, path, body);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status < 400 || answer.status >= 500 || typeof answer.json.error !== 'string' || !answer.json.error) {
        unexplained.push(
          `${path} ${JSON.stringify(body).slice(0, 80)} -> ${answer.status} ${JSON.stringify(answer.json).slice(0, 80)}`,
        );
      }
    }
    const after = await snapshot();
    const logAdded = daemon.output().slice(logBefore);
    const echoed = ECHO_CHECK.filter((t) => logAdded.includes(t));
    const warnings = logAdded.split('\n').filter((l) => /"level":"(warn|error)"/.test(l));
    recordFigures('hostile-web-forms', {
      inputsTried: TOTAL,
      byKind: counts,
      byStatus: statuses,
      answeredWithoutAClearError: unexplained.length,
      warningLines: warnings.length,
    });
    assert.deepEqual(unexplained.slice(0, 10), [], 'every hostile submission gets a 4xx with a message');
    assert.deepEqual(after, before, 'nothing changed');
    assert.deepEqual(echoed, [], 'hostile values do not reach the log');
    assert.ok(warnings.length < 30, `${warnings.length} warning lines`);

    // Weird but valid values are accepted, and land in hostapd.conf literally (nothing runs them).
    const weird = { ssid: '../../etc/$(reboot)', passphrase: '`id`; $(reboot) <b>' };
    const accepted = await apiCall(daemon.url, admin, '/api/wifi/ap', weird);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.json));
    const hostapd = await readFile(wifiBefore.files.hostapd, 'utf8');
    assert.ok(hostapd.includes(`\nwpa_passphrase=${weird.passphrase}\n`));
    assert.ok(hostapd.includes(`\nssid2=${Buffer.from(weird.ssid).toString('hex')}\n`));
  } finally {
    await daemon.stop();
    await removeDir(dataDir);
  }
});
