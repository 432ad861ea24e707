// The peer's memory on a small board: its garbage budget, when it collects, and when a dead peer is restarted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAEMON_MEMORY, PEER_MEMORY } from '../../src/install/templates.js';
import {
  decideRestart,
  isFailure,
  RESTART_DELAY_MS,
  START_LIMIT_BURST,
  START_LIMIT_WINDOW_MS,
} from '../../src/peer/restart-policy.js';
import {
  anonResidentBytes,
  boardMemoryBytes,
  PressureCollector,
  PressurePolicy,
  softLimitFor,
} from '../../src/ssb/memory-pressure.js';

const MB = 1024 * 1024;

describe('the peer memory budget', () => {
  it("is the cgroup's limit when there is one, else the RAM; or what it is told", () => {
    assert.equal(boardMemoryBytes(320e6, 24e9, undefined), 320e6);
    assert.equal(boardMemoryBytes(0, 512e6, undefined), 512e6);
    // cgroup v1 without a limit reports a huge number.
    assert.equal(boardMemoryBytes(9.2e18, 512e6, undefined), 512e6);
    assert.equal(boardMemoryBytes(0, 24e9, '320'), 320e6);
    assert.equal(boardMemoryBytes(0, 24e9, 'lots'), 24e9);
  });

  it('gives the peer 30 % of it, between 96 and 256 MB', () => {
    assert.equal(softLimitFor(320e6), 96 * MB);
    assert.equal(softLimitFor(600e6), 180e6);
    assert.equal(softLimitFor(128e6), 96 * MB);
    assert.equal(softLimitFor(24e9), 256 * MB);
  });

  it('reads anonymous resident memory as resident minus shared pages', () => {
    assert.equal(
      anonResidentBytes(() => '50000 30000 12000 100 0 20000 0', 4096),
      18000 * 4096,
    );
    assert.ok(anonResidentBytes() > 0);
  });
});

describe('collecting under memory pressure', () => {
  it('collects only above the budget, at most once per interval', () => {
    const policy = new PressurePolicy(100, 1000);
    assert.equal(policy.due(99, 0), false);
    assert.equal(policy.due(101, 0), true);
    policy.collected(50);
    assert.equal(policy.due(150, 500), false);
    assert.equal(policy.due(150, 1000), true);
  });

  it('backs off while collections do not help (the memory is live), and recovers once under', () => {
    const policy = new PressurePolicy(100, 1000, 8000);
    let now = 0;
    const times: number[] = [];
    for (; now <= 20_000; now += 100) {
      if (policy.due(200, now)) {
        times.push(now);
        policy.collected(200);
      }
    }
    assert.deepEqual(times, [0, 2000, 6000, 14000]);
    assert.equal(policy.due(50, now), false);
    assert.equal(policy.due(200, now + 1000), true);
  });

  it('calls the collector it was given when memory is over budget, and nothing without one', () => {
    let memory = 300;
    let collections = 0;
    let now = 0;
    const collector = new PressureCollector(
      () => {
        collections++;
        memory = 80;
      },
      { softLimitBytes: 100, now: () => now },
      () => memory,
    );
    collector.check();
    assert.equal(collections, 1);
    memory = 300;
    now = 500;
    collector.check();
    assert.equal(collections, 1);
    now = 1000;
    collector.check();
    assert.equal(collections, 2);
    const none = new PressureCollector(undefined, { softLimitBytes: 1 }, () => 1e9);
    none.check();
    none.start();
    none.stop();
  });
});

describe('restarting a peer that died', () => {
  it('restarts after a crash or a kill, never after a clean stop', () => {
    assert.equal(isFailure({ code: null, signal: 'SIGKILL' }), true);
    assert.equal(isFailure({ code: 1, signal: null }), true);
    assert.equal(isFailure({ code: 0, signal: null }), false);
    assert.equal(isFailure({ code: null, signal: 'SIGTERM' }), false);
    const killed = decideRestart([0], { code: null, signal: 'SIGKILL' }, 60_000);
    assert.deepEqual(killed, { restart: true, delayMs: RESTART_DELAY_MS, starts: [0, 60_000 + RESTART_DELAY_MS] });
    assert.equal(decideRestart([0], { code: 0, signal: null }, 60_000).restart, false);
  });

  it(`gives up after ${START_LIMIT_BURST} starts within the window, and tries again once they have aged out`, () => {
    let starts: number[] = [];
    let now = 0;
    let restarts = 0;
    for (let i = 0; i < 10; i++) {
      const d = decideRestart(starts, { code: null, signal: 'SIGKILL' }, now);
      starts = d.starts;
      if (d.restart) restarts++;
      now += 10_000;
    }
    assert.equal(restarts, START_LIMIT_BURST);
    assert.equal(decideRestart(starts, { code: 1, signal: null }, now + START_LIMIT_WINDOW_MS).restart, true);
  });
});

describe('the installed units under memory pressure', () => {
  it('keep the daemon alive and let the peer give way', () => {
    assert.match(DAEMON_MEMORY, /^OOMScoreAdjust=-900$/m);
    assert.match(DAEMON_MEMORY, /^MemoryMin=/m);
    assert.match(DAEMON_MEMORY, /^OOMPolicy=continue$/m);
    assert.match(PEER_MEMORY, /^OOMScoreAdjust=500$/m);
    assert.match(PEER_MEMORY, /^MemoryHigh=/m);
    assert.match(PEER_MEMORY, /^MemoryMax=/m);
  });
});

describe('the peer heap limit', () => {
  it('is 22.5 % of the board, at least 72 MB, with small semi-spaces below 1 GiB, and left alone when the user set one', async () => {
    const { peerHeapMB, peerSemiSpaceMB, peerHeapOptions } = await import('../../src/peer/heap-limit.js');
    assert.equal(peerHeapMB(320e6), 72);
    assert.equal(peerHeapMB(1e9), 225);
    assert.equal(peerHeapMB(24e9), 1024);
    assert.equal(peerSemiSpaceMB(320e6), 4);
    assert.equal(peerSemiSpaceMB(1e9), 4);
    assert.equal(peerSemiSpaceMB(2 * 1024 ** 3), null);
    assert.deepEqual(peerHeapOptions([], 320e6, ''), ['--max-old-space-size=72', '--max-semi-space-size=4']);
    assert.deepEqual(peerHeapOptions([], 24e9, ''), ['--max-old-space-size=1024']);
    assert.deepEqual(peerHeapOptions(['--max-old-space-size=200'], 320e6, ''), ['--max-semi-space-size=4']);
    assert.deepEqual(peerHeapOptions([], 320e6, '--max-semi-space-size=8'), ['--max-old-space-size=72']);
    assert.match(PEER_MEMORY, /MemoryMax=260M/);
  });
});
