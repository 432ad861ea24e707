// Backpressure on what peers send: the gate stops reading while the log is behind, and lets go when it drains.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InboundGate, LogBacklog, type Read } from '../../src/ssb/inbound-gate.js';

/** A source of 1..n that counts how often it was read. */
function counting(n: number): { read: Read<number>; reads: () => number } {
  let i = 0;
  return {
    read: (end, cb) => {
      if (end) return cb(end);
      if (i >= n) return cb(true);
      i++;
      cb(null, i);
    },
    reads: () => i,
  };
}

describe('the inbound gate', () => {
  it('passes reads through while open and holds them while closed, then lets them go in order', () => {
    const gate = new InboundGate();
    const source = counting(5);
    const read = gate.through<number>()(source.read);
    const got: number[] = [];
    read(null, (_end, data) => got.push(data as number));
    assert.deepEqual(got, [1]);
    const release = gate.hold();
    read(null, (_end, data) => got.push(data as number));
    read(null, (_end, data) => got.push(data as number));
    assert.equal(source.reads(), 1);
    release();
    release();
    assert.deepEqual(got, [1, 2, 3]);
    assert.equal(gate.isOpen, true);
  });

  it('stays closed while anyone holds it, and lets aborts through at once', () => {
    const gate = new InboundGate();
    const a = gate.hold();
    const b = gate.hold();
    assert.equal(gate.closures, 1);
    a();
    assert.equal(gate.isOpen, false);
    let ended: unknown = null;
    gate.through<number>()(counting(1).read)(true, (end) => {
      ended = end;
    });
    assert.equal(ended, true);
    b();
    assert.equal(gate.isOpen, true);
  });
});

describe('the log backlog', () => {
  it('closes the gate after `limit` stored messages until the log has drained, then counts again', () => {
    const gate = new InboundGate();
    const drains: Array<() => void> = [];
    const backlog = new LogBacklog(gate, (cb) => drains.push(cb), 3);
    backlog.stored1();
    backlog.stored1();
    assert.equal(gate.isOpen, true);
    backlog.stored1();
    assert.equal(gate.isOpen, false);
    backlog.stored1();
    assert.equal(drains.length, 1);
    drains[0]?.();
    assert.equal(gate.isOpen, true);
    backlog.stored1();
    backlog.stored1();
    assert.equal(gate.isOpen, true);
    backlog.stored1();
    assert.equal(gate.isOpen, false);
    // A peer that closes before its log drains lets go of the gate.
    backlog.stop();
    assert.equal(gate.isOpen, true);
    drains[1]?.();
    assert.equal(gate.isOpen, true);
  });
});
