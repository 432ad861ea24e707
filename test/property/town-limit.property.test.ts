// Properties of the town's limit on random traces: it is a lower bound that any real replication obeys
// (checked against a step-by-step flooding simulation), and the parser reads back what a trace writer wrote.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { adjacency, foremost } from '../../lab/town/limit.js';
import { type Contact, parseTrace, windowContacts } from '../../lab/town/trace.js';

const contactArb = fc
  .record({
    a: fc.integer({ min: 0, max: 5 }),
    b: fc.integer({ min: 0, max: 5 }),
    start: fc.integer({ min: 0, max: 100 }),
    length: fc.integer({ min: 0, max: 30 }),
  })
  .filter((c) => c.a !== c.b)
  .map((c): Contact => ({ a: String(c.a), b: String(c.b), start: c.start, end: c.start + c.length }));

/** Flooding in unit steps: whoever holds the post at time t gives it to everyone in contact at t. */
function flood(contacts: Contact[], source: string, at: number, end: number): Map<string, number> {
  const has = new Map([[source, at]]);
  for (let t = at; t < end; t++) {
    let changed = true;
    while (changed) {
      changed = false;
      for (const c of contacts) {
        if (!(c.start <= t && t < c.end)) continue;
        for (const [x, y] of [
          [c.a, c.b],
          [c.b, c.a],
        ] as const) {
          if (has.has(x) && !has.has(y)) {
            has.set(y, t);
            changed = true;
          }
        }
      }
    }
  }
  return has;
}

test('the limit equals flooding on integer traces (reach and earliest time)', () => {
  fc.assert(
    fc.property(fc.array(contactArb, { maxLength: 25 }), fc.integer({ min: 0, max: 120 }), (raw, at) => {
      const contacts = raw.filter((c) => c.end > c.start);
      const end = 140;
      const reach = foremost(adjacency(contacts), '0', at, end);
      const flooded = flood(contacts, '0', at, end);
      assert.deepEqual(new Map([...reach].map(([n, r]) => [n, r.time])), flooded);
    }),
  );
});

test('the limit never shrinks when a contact is added (more meetings never hurt)', () => {
  fc.assert(
    fc.property(fc.array(contactArb, { maxLength: 20 }), contactArb, (raw, extra) => {
      const contacts = raw.filter((c) => c.end > c.start);
      const before = foremost(adjacency(contacts), '0', 0, 200);
      const after = foremost(adjacency([...contacts, extra].filter((c) => c.end > c.start)), '0', 0, 200);
      for (const [node, r] of before) assert.ok((after.get(node)?.time ?? Number.POSITIVE_INFINITY) <= r.time);
    }),
  );
});

test('a written trace parses back to its contacts; the window keeps them inside it, one per pair at a time', () => {
  fc.assert(
    fc.property(fc.array(contactArb, { maxLength: 20 }), fc.integer({ min: 0, max: 200 }), (contacts, minContact) => {
      const events = contacts.flatMap((c) => [
        { t: c.start, line: `${c.start} CONN ${c.a} ${c.b} up` },
        { t: c.end, line: `${c.end} CONN ${c.a} ${c.b} down` },
      ]);
      events.sort((x, y) => x.t - y.t);
      if (events.length === 0) return;
      const trace = parseTrace(`${events.map((e) => e.line).join('\r\n')}\r\n`);
      for (const c of trace.contacts) assert.ok(c.end >= c.start);
      try {
        const w = windowContacts(trace.contacts, { start: 10, end: 100, minContact });
        const byPair = new Map<string, Contact[]>();
        for (const c of w) {
          assert.ok(c.start >= 10 && c.end <= 100 && c.end > c.start);
          const key = `${c.a}-${c.b}`;
          for (const other of byPair.get(key) ?? []) assert.ok(c.start > other.end || c.end < other.start);
          byPair.set(key, [...(byPair.get(key) ?? []), c]);
        }
      } catch (error) {
        assert.match((error as Error).message, /no contact in the window/);
      }
    }),
  );
});
