// The town lab's diagnosis of lost deliveries (lab/town/misses.ts) on a three-device chain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adjacency } from '../../lab/town/limit.js';
import { connectionsFrom, type DeviceLog, diagnose } from '../../lab/town/misses.js';
import type { PostResult } from '../../lab/town/summary.js';
import type { Contact } from '../../lab/town/trace.js';

// Trace time t happens at real ms t * 100 (speed 10).
const SPEED = 10;
const ts = (t: number) => new Date(t * 100).toISOString();
const traceAt = (ms: number) => ms / 100;
const contacts: Contact[] = [
  { a: 'A', b: 'B', start: 0, end: 100 },
  { a: 'B', b: 'C', start: 200, end: 300 },
];

function log(node: string, connections: Array<[peer: string, up: number, down: number | null]>): DeviceLog {
  const lines: DeviceLog['lines'] = [{ ts: ts(0), msg: 'ssb peer listening', id: `@${node}` }];
  for (const [peer, up, down] of connections) {
    const fields = { key: `@${peer}`, dialled: node < peer, address: `net:x:${up}~shs:${peer}` };
    lines.push({ ts: ts(up), msg: 'peer connection up', ...fields });
    if (down !== null) lines.push({ ts: ts(down), msg: 'peer connection down', ...fields, ms: (down - up) * 100 });
  }
  return { node, id: `@${node}`, lines };
}

const post = (b: number | null, c: number | null): PostResult => ({
  author: 'A',
  at: 10,
  deliveries: [
    { node: 'B', limit: 10, delivered: b },
    { node: 'C', limit: 200, delivered: c },
  ],
});

function run(posts: PostResult[], logs: DeviceLog[]) {
  return diagnose({ posts, contacts, graph: adjacency(contacts), end: 400, speed: SPEED, logs, traceAt });
}

describe('town misses', () => {
  it('pairs up and down lines into connections on the trace clock, an unclosed one open-ended', () => {
    const connections = connectionsFrom(
      [
        log('B', [
          ['C', 210, 250],
          ['A', 5, null],
        ]),
        log('C', []),
        log('A', []),
      ],
      traceAt,
    );
    assert.deepEqual(connections, [
      { node: 'B', peer: 'C', start: 210, end: 250 },
      { node: 'B', peer: 'A', start: 5, end: null },
    ]);
  });

  it('a connection that came up and carried nothing: connected-not-replicated, with its set-up time', () => {
    const d = run(
      [post(20, null)],
      [
        log('A', [['B', 2, 100]]),
        log('B', [
          ['A', 2, 100],
          ['C', 230, 300],
        ]),
        log('C', []),
      ],
    );
    assert.equal(d.misses, 1);
    assert.deepEqual(d.byCause, { 'sender-lacked-it': 0, 'never-connected': 0, 'connected-not-replicated': 1 });
    const [miss] = d.list;
    assert.equal(miss?.via, 'B');
    assert.equal(miss?.contactRealSeconds, 10);
    assert.equal(miss?.connectedAfterRealSeconds, 3);
    assert.equal(miss?.usableRealSeconds, 7);
    assert.deepEqual(d.setup.delayRealSeconds, { median: 0.2, p90: 3, max: 3 });
  });

  it('no connection in the contact: never-connected, counted by contact length', () => {
    const d = run([post(20, null)], [log('A', [['B', 2, 100]]), log('B', [['A', 2, 100]]), log('C', [])]);
    assert.deepEqual(d.byCause, { 'sender-lacked-it': 0, 'never-connected': 1, 'connected-not-replicated': 0 });
    assert.deepEqual(d.setup.neverConnectedByLength, { under10: 0, from10to30: 1, over30: 0 });
  });

  it('the last hop never had it: sender-lacked-it (the first hop is a miss of its own)', () => {
    const d = run([post(null, null)], [log('A', []), log('B', []), log('C', [])]);
    assert.deepEqual(d.byCause, { 'sender-lacked-it': 1, 'never-connected': 1, 'connected-not-replicated': 0 });
  });

  it('delivered posts are not misses', () => {
    assert.equal(run([post(20, 210)], []).misses, 0);
  });
});
