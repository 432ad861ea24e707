// The index of who mentioned each photo (ssb/mention-index.ts): one pass over the posts when first asked,
// kept up to date from added messages after, built again after a reset.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pull from 'pull-stream';
import { MentionIndex } from '../../src/ssb/mention-index.js';

const post = (author: string, timestamp: number, ...blobs: string[]) => ({
  value: { author, timestamp, content: { type: 'post', text: 'x', mentions: blobs.map((link) => ({ link })) } },
});
const asObject = (m: ReadonlyMap<string, ReadonlyMap<string, number>>) =>
  Object.fromEntries([...m].map(([blob, authors]) => [blob, Object.fromEntries(authors)]));

describe('mention index', () => {
  it('reads the posts once, keeps each author’s latest mention, and follows added messages', async () => {
    let passes = 0;
    const log = [post('@a', 1, '&p1', '&p2'), post('@b', 2, '&p1'), post('@a', 5, '&p1')];
    const index = new MentionIndex(() => {
      passes++;
      return pull.values([log.slice(0, 2), log[2]] as unknown[]);
    });
    index.added(post('@c', 9, '&p3').value); // before the first question: not needed yet
    assert.deepEqual(asObject(await index.get()), {
      '&p1': { '@a': 5, '@b': 2 },
      '&p2': { '@a': 1 },
    });
    index.added(post('@c', 10, '&p2').value);
    index.added({ author: '@d', timestamp: 11, content: { type: 'vote', mentions: [{ link: '&p2' }] } });
    index.added(post('@a', 0, '&p2').value); // older than @a's known mention
    assert.deepEqual(asObject(await index.get()), {
      '&p1': { '@a': 5, '@b': 2 },
      '&p2': { '@a': 1, '@c': 10 },
    });
    assert.equal(passes, 1, 'the posts were read again');

    log.splice(0, 2); // @a's and @b's first posts left the database
    index.reset();
    assert.deepEqual(asObject(await index.get()), { '&p1': { '@a': 5 } });
    assert.equal(passes, 2);
  });

  it('counts a message added while the pass is under way, and reports a failed pass', async () => {
    let release: (() => void) | null = null;
    const index = new MentionIndex(() => (_abort, cb) => {
      if (release) return cb(true);
      release = () => cb(null, [post('@a', 1, '&p1')]);
    });
    const answer = index.get();
    index.added(post('@b', 2, '&p1').value);
    (release as unknown as () => void)();
    assert.deepEqual(asObject(await answer), { '&p1': { '@b': 2, '@a': 1 } });

    const failing = new MentionIndex(() => pull.error(new Error('the log is closed')));
    await assert.rejects(failing.get(), /the log is closed/);
  });
});
