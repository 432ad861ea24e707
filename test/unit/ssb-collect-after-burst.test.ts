// The peer collects garbage once after a burst of stored messages goes quiet (src/ssb/collect-after-burst.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CollectAfterBurst } from '../../src/ssb/collect-after-burst.js';

describe('CollectAfterBurst', () => {
  it('collects when a burst over the threshold has been quiet (and once more later), not during it, not for a few messages', async () => {
    let collected = 0;
    const c = new CollectAfterBurst(() => collected++, { threshold: 100, quietMs: 60, followUpMs: 200 });
    for (let i = 0; i < 50; i++) c.added();
    await sleep(120);
    assert.equal(collected, 0, 'below the threshold');
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 40; i++) c.added();
      await sleep(20);
    }
    assert.equal(collected, 0, 'still storing');
    await sleep(150);
    assert.equal(collected, 1);
    await sleep(250);
    assert.equal(collected, 2, 'the follow-up');
    await sleep(300);
    assert.equal(collected, 2, 'twice per burst');
    c.stop();
  });

  it('a message stored before the follow-up cancels it (the next burst collects)', async () => {
    let collected = 0;
    const c = new CollectAfterBurst(() => collected++, { threshold: 10, quietMs: 30, followUpMs: 150 });
    for (let i = 0; i < 20; i++) c.added();
    await sleep(80);
    assert.equal(collected, 1);
    c.added();
    await sleep(300);
    assert.equal(collected, 1, 'one message is no burst');
    c.stop();
  });

  it('does nothing without a collector (no --expose-gc)', () => {
    const c = new CollectAfterBurst(undefined, { threshold: 1, quietMs: 1 });
    for (let i = 0; i < 10; i++) c.added();
    assert.equal(c.collections, 0);
    c.stop();
  });
});
