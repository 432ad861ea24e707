// The peer collects garbage once after a burst of stored messages goes quiet (src/ssb/collect-after-burst.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CollectAfterBurst } from '../../src/ssb/collect-after-burst.js';

describe('CollectAfterBurst', () => {
  it('collects once when a burst over the threshold has been quiet, not during it, not for a few messages', async () => {
    let collected = 0;
    const c = new CollectAfterBurst(() => collected++, { threshold: 100, quietMs: 60 });
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
    await sleep(150);
    assert.equal(collected, 1, 'once per burst');
    c.stop();
  });

  it('does nothing without a collector (no --expose-gc)', () => {
    const c = new CollectAfterBurst(undefined, { threshold: 1, quietMs: 1 });
    for (let i = 0; i < 10; i++) c.added();
    assert.equal(c.collections, 0);
    c.stop();
  });
});
