// A generated corpus of invalid SSB messages from a misbehaving peer — bad and borrowed signatures, wrong
// sequences and previous links, missing, extra and reordered fields, wrong hash names, oversize and
// mistyped content, forks, other authors — pushed over a real EBT connection between honest messages.
// The device stores exactly the honest messages, logs each kind of refusal once, and keeps going.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import ssbKeys from 'ssb-keys';
import { recordFigures } from '../helpers/figures.js';
import { FeedWriter, type MsgValue, msgId, pushUntil, tampered } from '../helpers/rogue-peer.js';
import { seededRandom } from '../helpers/seeded.js';
import { PeerSet, sequenceOf } from '../helpers/ssb-peers.js';

type Raw = Record<string, unknown>;
const sign = (writer: FeedWriter, value: Raw): MsgValue => ssbKeys.signObj(writer.keys, value) as unknown as MsgValue;

/** A hostile variant of the message that would honestly come next after `prev`. */
function variant(writer: FeedWriter, prev: MsgValue, kind: string, i: number, other: FeedWriter): MsgValue {
  const base: Raw = {
    previous: msgId(prev),
    author: writer.id,
    sequence: prev.sequence + 1,
    timestamp: Date.now(),
    hash: 'sha256',
    content: { type: 'post', text: `hostile ${i}` },
  };
  switch (kind) {
    case 'bad-signature':
      return tampered(sign(writer, base));
    case 'borrowed-signature':
      return { ...sign(writer, base), signature: prev.signature };
    case 'signature-garbage':
      return { ...sign(writer, base), signature: `${'A'.repeat(86)}==.sig.ed25519x` };
    case 'wrong-sequence':
      return sign(writer, { ...base, sequence: [prev.sequence + 2, prev.sequence + 1000, 0, -1, 1.5][i % 5] });
    case 'wrong-previous':
      return sign(writer, { ...base, previous: i % 2 ? null : `%${'B'.repeat(43)}=.sha256` });
    case 'missing-field': {
      const { timestamp: _t, ...rest } = base;
      return sign(writer, rest);
    }
    case 'extra-field':
      return sign(writer, { ...base, extra: 'field' });
    case 'reordered-fields': {
      const { previous, ...rest } = base;
      return sign(writer, { ...rest, previous });
    }
    case 'wrong-hash':
      return sign(writer, { ...base, hash: 'sha512' });
    case 'oversize-content':
      return sign(writer, { ...base, content: { type: 'post', text: 'x'.repeat(9000 + i) } });
    case 'mistyped-content':
      return sign(writer, { ...base, content: [42, 'not a box', '', { type: '' }, { type: 'x'.repeat(100) }][i % 5] });
    case 'bad-timestamp':
      return sign(writer, { ...base, timestamp: ['yesterday', null, Number.NaN][i % 3] });
    case 'fork':
      return sign(writer, {
        ...base,
        previous: prev.previous,
        sequence: prev.sequence,
        content: { type: 'post', text: `fork ${i}` },
      });
    default:
      // Another author's message in this feed's stream.
      return sign(other, { ...base, author: other.id, previous: null, sequence: 1 });
  }
}

const KINDS = [
  'bad-signature',
  'borrowed-signature',
  'signature-garbage',
  'wrong-sequence',
  'wrong-previous',
  'missing-field',
  'extra-field',
  'reordered-fields',
  'wrong-hash',
  'oversize-content',
  'mistyped-content',
  'bad-timestamp',
  'fork',
  'other-author',
];

const peers = new PeerSet();
after(() => peers.closeAll());

test('2,100 hostile SSB messages between honest ones: only the honest ones are stored', {
  timeout: 300_000,
}, async () => {
  const device = await peers.start('device-hostile');
  const rogue = new FeedWriter();
  const other = new FeedWriter();
  await device.follow(rogue.id);
  const rand = seededRandom(Number(process.env.SW_HOSTILE_SEED ?? 3));
  const counts: Record<string, number> = {};
  const ROUNDS = 30;
  const PER_ROUND = 70;
  let tried = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const honest = rogue.append({ type: 'post', text: `honest ${round}` });
    const hostile: MsgValue[] = [];
    for (let k = 0; k < PER_ROUND; k++) {
      const kind = KINDS[Math.floor(rand() * KINDS.length)] as string;
      counts[kind] = (counts[kind] ?? 0) + 1;
      hostile.push(variant(rogue, honest, kind, round * PER_ROUND + k, other));
    }
    tried += hostile.length;
    // The honest message first (or the device would have nothing to extend), then the hostile ones.
    await pushUntil(
      rogue,
      device.address(),
      [honest, ...hostile],
      async () => (await sequenceOf(device, rogue.id)) >= round + 1,
      { claim: honest.sequence + 1, lingerMs: 300 },
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(await sequenceOf(device, rogue.id), ROUNDS, 'exactly the honest messages');
  const feeds = await device.feeds();
  assert.deepEqual(feeds.map((f) => f.id).sort(), [device.id, rogue.id].sort(), 'no other author slipped in');
  const refusalLines = device.logger.lines.filter((l) => /refused/.test(l.msg));
  recordFigures('hostile-ssb-messages', {
    inputsTried: tried,
    byKind: counts,
    honestStored: ROUNDS,
    invalidStored: 0,
    refusalLogLines: refusalLines.length,
    refusalReasons: [...new Set(refusalLines.map((l) => String(l.fields?.reason).slice(0, 80)))],
  });
  assert.ok(refusalLines.length < 40, `${refusalLines.length} log lines for ${tried} refusals`);
  // And the device is still an honest peer's friend.
  const last = rogue.append({ type: 'post', text: 'after all that' });
  await pushUntil(rogue, device.address(), [last], async () => (await sequenceOf(device, rogue.id)) === ROUNDS + 1);
});
