// The town lab's pure parts: the ONE trace parser and its bad input, the window and minimum contact, the
// limit (foremost journey), the post schedule, the follow graph and the command line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTownArgs } from '../../lab/town/args.js';
import { followEdges, parseFollowGraph, parseFollowMode } from '../../lab/town/follow.js';
import { describeLag, linkLag } from '../../lab/town/lag.js';
import { adjacency, foremost } from '../../lab/town/limit.js';
import { contractJson, prepare } from '../../lab/town/main.js';
import { postSchedule } from '../../lab/town/schedule.js';
import { delayStats, percentile, summarize } from '../../lab/town/summary.js';
import { parseTrace, TraceError, windowContacts } from '../../lab/town/trace.js';

const refused: Array<[string, string, RegExp]> = [
  ['unsorted lines', '10 CONN 1 2 up\n5 CONN 1 2 down\n', /line 2: time 5 is before the previous event's 10; .*sorted/],
  ['a negative time', '-1 CONN 1 2 up\n', /line 1: negative time -1/],
  ['a huge time', '1e12 CONN 1 2 up\n', /line 1: time 1e12 is beyond/],
  ['an infinite time', 'Infinity CONN 1 2 up\n', /not a time in seconds/],
  ['a time that is not a number', 'ten CONN 1 2 up\n', /line 1: "ten" is not a time/],
  ['an unknown node id', '0 CONN 1 b@d up\n', /line 1: unknown node id "b@d"/],
  ['a node meeting itself', '0 CONN 3 3 up\n', /node 3 cannot meet itself/],
  ['another action', '0 C 1 2 up\n', /only connection events \("CONN"\)/],
  ['a bad kind', '0 CONN 1 2 sideways\n', /expected "up" or "down", got "sideways"/],
  ['too few fields', '0 CONN 1 up\n', /expected "<time> CONN <a> <b> up\|down", got 4 fields/],
  ['no event at all', '# nothing\n\n', /no connection event/],
];
for (const [what, text, message] of refused) {
  test(`trace: refuses ${what} with a clear message`, () => {
    assert.throws(
      () => parseTrace(text),
      (e: Error) => e instanceof TraceError && message.test(e.message),
    );
  });
}

test('trace: \\r\\n line ends, tabs, comments and blank lines are read as the same trace', () => {
  const unix = parseTrace('0 CONN 1 2 up\n30 CONN 1 2 down\n');
  const dos = parseTrace('# a comment\r\n0\tCONN\t1\t2\tup\r\n\r\n30\tCONN\t1\t2\tdown\r\n');
  assert.deepEqual(dos.contacts, unix.contacts);
  assert.deepEqual(unix.contacts, [{ a: '1', b: '2', start: 0, end: 30 }]);
  assert.deepEqual(unix.nodes, ['1', '2']);
});

test('trace: a down without an up is ignored with a warning, as is an up while up (merged)', () => {
  const t = parseTrace('0 CONN 1 2 down\n5 CONN 2 1 up\n7 CONN 1 2 up\n9 CONN 1 2 down\n');
  assert.deepEqual(t.contacts, [{ a: '2', b: '1', start: 5, end: 9 }]);
  assert.deepEqual(
    t.warnings.map((w) => [w.kind, w.line]),
    [
      ['down-without-up', 1],
      ['up-while-up', 3],
    ],
  );
});

test('trace: a contact never closed ends with the trace, with a warning', () => {
  const t = parseTrace('0 CONN 1 2 up\n50 CONN 3 4 up\n60 CONN 3 4 down\n');
  assert.deepEqual(t.contacts[0], { a: '1', b: '2', start: 0, end: 60 });
  assert.equal(t.warnings[0]?.kind, 'open-at-end');
});

test('window: zero-length contacts last one scan (M), contacts are clipped to the window and merged per pair', () => {
  const t = parseTrace(
    [
      '0 CONN 1 2 up',
      '0 CONN 1 2 down',
      '60 CONN 1 2 up',
      '60 CONN 1 2 down',
      '500 CONN 3 1 up',
      '900 CONN 3 1 down',
    ].join('\n'),
  );
  assert.deepEqual(windowContacts(t.contacts, { start: 0, end: 1000, minContact: 120 }), [
    { a: '1', b: '2', start: 0, end: 180 },
    { a: '1', b: '3', start: 500, end: 900 },
  ]);
  assert.deepEqual(windowContacts(t.contacts, { start: 100, end: 600, minContact: 120 }), [
    { a: '1', b: '2', start: 100, end: 180 },
    { a: '1', b: '3', start: 500, end: 600 },
  ]);
  // With M = 0 a single-scan sighting has no duration: no link can carry anything over it.
  assert.deepEqual(windowContacts(t.contacts, { start: 0, end: 1000, minContact: 0 }), [
    { a: '1', b: '3', start: 500, end: 900 },
  ]);
});

test('window: a window with no contact is refused', () => {
  const t = parseTrace('0 CONN 1 2 up\n10 CONN 1 2 down\n');
  assert.throws(
    () => windowContacts(t.contacts, { start: 1000, end: 2000, minContact: 120 }),
    /no contact in the window/,
  );
  assert.throws(() => windowContacts(t.contacts, { start: 20, end: 20, minContact: 120 }), /is empty/);
});

test('limit: store-carry-forward along contacts that run forward in time, never backwards', () => {
  const contacts = [
    { a: 'A', b: 'B', start: 0, end: 100 },
    { a: 'B', b: 'C', start: 200, end: 300 },
    { a: 'C', b: 'D', start: 50, end: 150 }, // before C has the post: useless
    { a: 'C', b: 'E', start: 250, end: 260 },
  ];
  const g = adjacency(contacts);
  const reach = foremost(g, 'A', 10, 1000);
  assert.equal(reach.get('B')?.time, 10);
  assert.equal(reach.get('C')?.time, 200);
  assert.equal(reach.get('D'), undefined);
  assert.equal(reach.get('E')?.time, 250);
  assert.equal(reach.get('E')?.lastContactLength, 10);
  // Published after A and B parted: nothing leaves A.
  assert.deepEqual([...foremost(g, 'A', 100, 1000).keys()], ['A']);
  // The window ends before the B-C meeting.
  assert.equal(foremost(g, 'A', 10, 200).get('C'), undefined);
  // A handshake of 20 s: the 10 s contact C-E can no longer carry it.
  assert.equal(foremost(g, 'A', 10, 1000, 20).get('E'), undefined);
  assert.equal(foremost(g, 'A', 10, 1000, 20).get('C')?.time, 220);
});

test('schedule: seeded, sorted, within the window, with the asked number of photos', () => {
  const options = { nodes: ['1', '2', '3'], start: 100, end: 200, seed: 42, postsPerNode: 4, photos: 2 };
  const a = postSchedule(options);
  assert.deepEqual(postSchedule(options), a);
  assert.notDeepEqual(postSchedule({ ...options, seed: 43 }), a);
  assert.equal(a.length, 12);
  assert.equal(a.filter((p) => p.photo).length, 2);
  for (const p of a) assert.ok(p.at >= 100 && p.at < 200);
  for (let i = 1; i < a.length; i++) assert.ok((a[i]?.at ?? 0) >= (a[i - 1]?.at ?? 0));
});

test('follow: all, auto and a graph file; unknown ids in the file are refused', () => {
  assert.equal(followEdges(parseFollowMode('all'), ['1', '2', '3']).length, 6);
  assert.deepEqual(followEdges(parseFollowMode('auto'), ['1', '2']), []);
  assert.deepEqual(parseFollowGraph('# who follows whom\r\n1 2\n2\t1\n1 2\n', ['1', '2']), [
    ['1', '2'],
    ['2', '1'],
  ]);
  assert.throws(() => parseFollowGraph('1 9\n', ['1', '2']), /line 1: node 9 has no contact in the window/);
  assert.throws(() => parseFollowGraph('1 1\n', ['1', '2']), /cannot follow itself/);
});

test('args: the contract flags, defaults and clear errors', () => {
  const o = parseTownArgs(
    '--trace t.txt --start 10 --end 20 --speed 5 --min-contact 60 --follow auto --seed 3 --json'.split(' '),
  );
  assert.equal(o.trace, 't.txt');
  assert.deepEqual([o.start, o.end, o.speed, o.minContact, o.seed, o.json], [10, 20, 5, 60, 3, true]);
  assert.deepEqual(o.follow, { kind: 'auto' });
  assert.deepEqual(parseTownArgs(['--trace', 't', '--follow', 'g.txt']).follow, { kind: 'file', path: 'g.txt' });
  const d = parseTownArgs(['--trace', 't']);
  assert.deepEqual([d.minContact, d.follow.kind, d.systems.join()], [120, 'all', 'smallworld,ssb-server']);
  assert.throws(() => parseTownArgs([]), /--trace FILE is required/);
  assert.throws(() => parseTownArgs(['--trace', 't', '--speed', '0']), /--speed: "0"/);
  assert.throws(() => parseTownArgs(['--trace', 't', '--start', '20', '--end', '10']), /empty/);
  assert.throws(() => parseTownArgs(['--trace', 't', '--bogus']), TraceError);
  assert.equal(d.memoryLimitMB, 320, 'a device is a board: 320 MB for programs by default');
  assert.equal(parseTownArgs(['--trace', 't', '--memory-limit', '0']).memoryLimitMB, 0);
  assert.throws(() => parseTownArgs(['--trace', 't', '--memory-limit', '10']), /--memory-limit: "10"/);
});

test('link lag: median, p90, max in real ms, and whether the lab kept up', () => {
  assert.deepEqual(linkLag([]), { changes: 0, median: 0, p90: 0, max: 0, keptUp: true });
  const steady = linkLag([5, 7, 9, 12, 20, 30, 40, 50, 60, 900.4]);
  assert.deepEqual(steady, { changes: 10, median: 20, p90: 60, max: 900, keptUp: true });
  const behind = linkLag([...Array(8).fill(10), 1500, 260_000]);
  assert.equal(behind.keptUp, false);
  assert.equal(behind.p90, 1500);
  assert.match(describeLag(behind), /fell behind/);
  assert.match(describeLag(steady), /median 20 ms, p90 60 ms, max 900 ms over 10: kept up/);
});

test('summary: ratio, delay over the limit, impossible arrivals, and the contract JSON', () => {
  const posts = [
    {
      author: '1',
      at: 0,
      deliveries: [
        { node: '2', limit: 10, delivered: 12, lastContact: 200 },
        { node: '3', limit: 20, delivered: null, lastContact: 1000 },
        { node: '4', limit: null, delivered: null, lastContact: null },
        { node: '5', limit: 30, delivered: 30, lastContact: 5000 },
      ],
    },
  ];
  const s = summarize(posts, 1);
  assert.deepEqual([s.delivered, s.deliverable, s.impossible], [2, 3, 0]);
  assert.equal(s.ratio, 2 / 3);
  assert.deepEqual(s.delayOverLimit, { median: 0, p90: 2, max: 2 });
  assert.equal(
    summarize([{ author: '1', at: 0, deliveries: [{ node: '2', limit: null, delivered: 5 }] }], 1).impossible,
    1,
  );
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.deepEqual(delayStats([]), { median: null, p90: null, max: null });

  const options = parseTownArgs(['--trace', 'x', '--posts', '1', '--photos', '0']);
  const plan = prepare(options, '0 CONN 1 2 up\n300 CONN 1 2 down\n');
  assert.deepEqual(plan.nodes, ['1', '2']);
  assert.equal(plan.replayFrom, 0);
  assert.equal(plan.linkContacts, plan.contacts);

  // --warm-up: the contacts before the window are replayed (from their own start), among the window's devices only.
  const warm = prepare(
    parseTownArgs(['--trace', 'x', '--start', '1000', '--end', '2000', '--warm-up', '600', '--min-contact', '0']),
    '300 CONN 1 3 up\n500 CONN 1 3 down\n500 CONN 1 2 up\n900 CONN 1 4 up\n950 CONN 1 4 down\n1200 CONN 1 2 down\n',
  );
  assert.equal(warm.replayFrom, 400);
  assert.deepEqual(warm.nodes, ['1', '2']);
  assert.deepEqual(warm.contacts, [{ a: '1', b: '2', start: 1000, end: 1200 }]);
  assert.deepEqual(warm.linkContacts, [{ a: '1', b: '2', start: 500, end: 1200 }]);
  assert.throws(() => parseTownArgs(['--trace', 't', '--warm-up=-1']), /--warm-up: "-1"/);
  const system = {
    ...s,
    posts,
    resources: {} as never,
    linkLagMs: linkLag([]),
    failedPosts: [],
    setupSeconds: 0,
    replaySeconds: 0,
    windowStartedAtMs: 0,
  };
  const json = contractJson({
    trace: 'x',
    start: 0,
    end: 300,
    speed: 1,
    minContact: 120,
    warmUp: 0,
    follow: 'all',
    seed: 1,
    nodes: 2,
    contacts: 1,
    shortestContact: 300,
    warnings: [],
    systems: { smallworld: system, ssbServer: null },
  }) as { systems: { smallworld: { posts: Array<{ deliveries: object[] }> } } };
  assert.deepEqual(json.systems.smallworld.posts[0]?.deliveries[0], { node: '2', limit: 10, delivered: 12 });
});
