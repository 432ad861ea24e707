import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ThrottledLog } from '../../src/log/throttled.js';

describe('ThrottledLog', () => {
  it('logs each kind once per window and sums up the repeats when the window ends', () => {
    let now = 0;
    const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
    const log = new ThrottledLog({ log: (level, msg, fields) => lines.push([level, msg, fields]) }, () => now, 1000);
    for (let i = 0; i < 500; i++) log.log('warn', 'bad_json', 'refused', { i });
    log.log('warn', 'unknown_command', 'refused', { i: -1 });
    assert.deepEqual(
      lines.map((l) => l[2]),
      [{ i: 0 }, { i: -1 }],
    );
    now = 1000;
    log.log('warn', 'bad_json', 'refused', { i: 500 });
    assert.deepEqual(lines[2], ['warn', 'refused (repeated)', { kind: 'bad_json', more: 499, windowMs: 1000 }]);
    assert.deepEqual(lines[3]?.[2], { i: 500 });
    assert.equal(lines.length, 4);
  });

  it('keeps a bounded number of kinds', () => {
    const lines: string[] = [];
    const log = new ThrottledLog({ log: (_l, msg) => lines.push(msg) }, () => 0, 1000);
    for (let i = 0; i < 10_000; i++) log.log('warn', `kind-${i}`, 'refused');
    assert.equal(lines.length, 100);
  });
});
