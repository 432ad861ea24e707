// A generated corpus of bad requests on the daemon's control socket: garbage bytes, JSON of the wrong
// shape, unknown commands, known commands with hostile arguments (SSIDs with newlines and quotes,
// passphrases of the wrong length, bad MACs), prototype-pollution keys and oversized lines. Every line
// gets an error answer (an oversized one closes its connection), nothing changes, the daemon keeps
// running, and the log holds a handful of lines, not one per request.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliJson, DaemonProcess, removeDir, tempDir } from '../helpers/daemon.js';
import { recordFigures } from '../helpers/figures.js';
import { seededRandom } from '../helpers/seeded.js';

const rand = seededRandom(Number(process.env.SW_HOSTILE_SEED ?? 99));
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const junk = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');

const BAD_SSIDS = ['', 'a\nb', 'with "quotes"', 'back\\slash', ' leading', 'x'.repeat(33), 'tab\there', '\u0000nul'];
const BAD_PASSPHRASES = ['short', 'x'.repeat(64), 'new\nline', 'ünicode-pass', 'quote"inside', '\u0007bell-bell'];
const BAD_MACS = ['', 'zz:zz:zz:zz:zz:zz', '02:00:00:00:00', '02-00-00-00-00-00', '; rm -rf /', '02:00:00:00:00:00:00'];

/** One hostile request line per call, and its category. */
function hostile(i: number): [string, string] {
  const id = i;
  switch (i % 8) {
    case 0:
      return ['garbage', junk(1 + Math.floor(rand() * 300)).replace(/[{[]/g, '(')];
    case 1:
      return ['wrong-json-shape', pick(['42', '"status"', 'null', '[]', '[{"cmd":"status"}]', 'true', '{}'])];
    case 2:
      return ['unknown-command', JSON.stringify({ id, cmd: pick(['reboot', 'exec', 'sh', 'STATUS', 'wifi', '']) })];
    case 3:
      return ['bad-ssid', JSON.stringify({ id, cmd: 'wifi.ap.set', ssid: pick(BAD_SSIDS) })];
    case 4:
      return ['bad-passphrase', JSON.stringify({ id, cmd: 'wifi.ap.set', passphrase: pick(BAD_PASSPHRASES) })];
    case 5:
      return [
        'bad-network',
        JSON.stringify({ id, cmd: 'wifi.networks.add', ssid: pick(BAD_SSIDS), passphrase: pick(BAD_PASSPHRASES) }),
      ];
    case 6:
      return ['bad-mac', JSON.stringify({ id, cmd: 'keys.revoke', mac: pick(BAD_MACS) })];
    default:
      return [
        'wrong-types',
        pick([
          `{"id":${id},"cmd":"press","button":"reset"}`,
          `{"id":${id},"cmd":"ap","on":"yes"}`,
          `{"id":${id},"cmd":"wps","action":42}`,
          `{"id":${id},"cmd":"keys.one-time","enabled":null}`,
          `{"id":${id},"cmd":"wifi.networks.order","ssids":"not-a-list"}`,
          `{"id":${id},"cmd":"ap","__proto__":{"on":true}}`,
          `{"id":${id},"cmd":"press","constructor":{"prototype":{"button":"ap"}}}`,
        ]),
      ];
  }
}

async function exchange(socketPath: string, lines: string[]): Promise<Array<{ ok?: boolean }>> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const replies: Array<{ ok?: boolean }> = [];
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only ${replies.length} of ${lines.length} answers`));
    }, 60_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        replies.push(JSON.parse(buffered.slice(0, newline)));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
      if (replies.length >= lines.length) {
        clearTimeout(timer);
        socket.end();
        resolve(replies);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(replies);
    });
    socket.on('error', reject);
    socket.write(`${lines.join('\n')}\n`);
  });
}

/**
 * The status without the disk's free space and the budget taken from it: those measure the filesystem, which
 * any process on the machine (and the daemon's own log) changes; the storage state stays compared.
 */
function withoutDiskFigures(status: unknown): unknown {
  const { storage, ...rest } = status as { storage?: Record<string, unknown> };
  if (storage === undefined) return status;
  const { freeBytes: _free, budgetBytes: _budget, ...kept } = storage;
  return { ...rest, storage: kept };
}

test('20,000 hostile control requests change nothing and are logged, not echoed line by line', {
  timeout: 300_000,
}, async () => {
  const dir = await tempDir('sw-hostile-ctl-');
  const daemon = await DaemonProcess.start(dir);
  try {
    const socketPath = join(dir, 'control.sock');
    const before = {
      status: withoutDiskFigures(cliJson(['status', '--data', dir])),
      wifi: cliJson(['wifi', 'show', '--data', dir]),
    };
    const logBefore = daemon.output().split('\n').length;
    const counts: Record<string, number> = {};
    let answered = 0;
    let refused = 0;
    const TOTAL = 20_000;
    for (let start = 0; start < TOTAL; start += 1000) {
      const batch = Array.from({ length: 1000 }, (_, k) => hostile(start + k));
      for (const [kind] of batch) counts[kind] = (counts[kind] ?? 0) + 1;
      const replies = await exchange(
        socketPath,
        batch.map(([, line]) => line),
      );
      answered += replies.length;
      refused += replies.filter((r) => r.ok === false).length;
    }
    // Oversized lines close their connection after one error; the daemon takes the next one.
    let oversizedClosed = 0;
    for (let i = 0; i < 10; i++) {
      const replies = await exchange(socketPath, [`{"cmd":"status","pad":"${'x'.repeat(70_000)}"}`]);
      if (replies.length === 1 && replies[0]?.ok === false) oversizedClosed++;
    }
    counts.oversized = 10;

    const after = {
      status: withoutDiskFigures(cliJson(['status', '--data', dir])),
      wifi: cliJson(['wifi', 'show', '--data', dir]),
    };
    assert.deepEqual(after, before, 'nothing changed');
    const logLines = daemon.output().split('\n').length - logBefore;
    recordFigures('hostile-control', {
      inputsTried: TOTAL + 10,
      byKind: counts,
      answered,
      refused,
      oversizedClosed,
      logLines,
    });
    assert.equal(answered, TOTAL, 'every line answered');
    assert.equal(refused, TOTAL, 'every line refused');
    assert.equal(oversizedClosed, 10);
    assert.ok(logLines < 60, `${logLines} log lines for ${TOTAL} refused requests`);
  } finally {
    await daemon.stop();
    await removeDir(dir);
  }
});
