import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiscoveryGate } from '../../src/ssb/discovery-gate.js';

describe('DiscoveryGate', () => {
  it('admits a burst of new keys, then about the rate, and always the keys it knows', () => {
    const gate = new DiscoveryGate({ newKeysPerMinute: 30, tracked: 1000 }, 0);
    let admitted = 0;
    for (let i = 0; i < 10_000; i++) if (gate.admit(`@k${i}`, 0).admitted) admitted++;
    assert.equal(admitted, 30);
    assert.equal(gate.dropped, 9970);
    assert.equal(gate.admit('@k0', 1).admitted, true, 'a known key passes');
    assert.equal(gate.admit('@new', 1000).admitted, false, 'half a token after a second');
    assert.equal(gate.admit('@new', 2000).admitted, true, 'one token after two seconds');
    let later = 0;
    for (let i = 0; i < 10_000; i++) if (gate.admit(`@m${i}`, 62_000).admitted) later++;
    assert.equal(later, 30, 'refilled to the burst, no more');
  });

  it('remembers a bounded set and says which keys it forgot', () => {
    const gate = new DiscoveryGate({ newKeysPerMinute: 1000, tracked: 3 }, 0);
    for (const k of ['@a', '@b', '@c']) assert.deepEqual(gate.admit(k, 0).evicted, []);
    gate.admit('@a', 1); // @a is now the most recent
    assert.deepEqual(gate.admit('@d', 2).evicted, ['@b']);
    assert.deepEqual(gate.trust('@e', 3), ['@c']);
    assert.equal(gate.admit('@e', 4).admitted, true);
  });
});
