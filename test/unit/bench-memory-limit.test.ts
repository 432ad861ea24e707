// The benchmark's --memory-limit: finding where a memory cgroup can be made, and summarising the runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMountinfo, parseProcCgroup } from '../../bench/ssb/cgroup.js';
import { limitTable, summariseLimit } from '../../bench/ssb/limit-report.js';
import type { LimitOutcome } from '../../bench/ssb/scenarios.js';

const V1_MOUNTS = `24 23 0:21 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
28 24 0:25 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
29 24 0:26 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 24 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

const V2_MOUNTS = `30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate`;

describe('the benchmark memory cgroup', () => {
  it('reads the cgroup mounts: v1 controllers by their super options, v2 by its type', () => {
    const v1 = parseMountinfo(V1_MOUNTS);
    assert.deepEqual(
      v1.filter((m) => m.fstype === 'cgroup' && m.superOptions.includes('memory')).map((m) => m.point),
      ['/sys/fs/cgroup/memory'],
    );
    assert.equal(v1.find((m) => m.fstype === 'cgroup2')?.point, '/sys/fs/cgroup/unified');
    assert.deepEqual(
      parseMountinfo(V2_MOUNTS).map((m) => [m.point, m.fstype]),
      [['/sys/fs/cgroup', 'cgroup2']],
    );
  });

  it("reads this process's cgroup per hierarchy", () => {
    const own = parseProcCgroup('4:memory:/process_api/abc\n3:cpu,cpuacct:/\n0::/user.slice/x.scope\n');
    assert.equal(own.get('memory'), '/process_api/abc');
    assert.equal(own.get('cpu,cpuacct'), '/');
    assert.equal(own.get(''), '/user.slice/x.scope');
  });

  it('summarises the runs: completed only if every run did, the highest peak, the median time', () => {
    const run = (o: Partial<LimitOutcome>): LimitOutcome => ({
      completed: true,
      oomKilled: false,
      oomKills: 0,
      peakMB: 150,
      daemonPeakMB: 70,
      cgroupPeakMB: 260,
      seconds: 20,
      error: null,
      ...o,
    });
    const ok = summariseLimit([run({ peakMB: 180.04 }), run({ seconds: 30 }), run({ seconds: 10 })]);
    assert.equal(ok.completed, true);
    assert.equal(ok.oomKilled, false);
    assert.equal(ok.peakMB, 180);
    assert.equal(ok.seconds, 20);
    const killed = summariseLimit([run({}), run({ completed: false, oomKilled: true, oomKills: 1, seconds: null })]);
    assert.equal(killed.completed, false);
    assert.equal(killed.oomKilled, true);
    assert.equal(killed.seconds, 20);
    assert.equal(summariseLimit([]).completed, false);
    const table = limitTable({
      mb: 320,
      cgroup: { version: 'v1', file: 'memory.limit_in_bytes' },
      smallworld: ok,
      ssbServer: killed,
    });
    assert.match(table, /320 MB memory cgroup \(v1, memory\.limit_in_bytes\)/);
    assert.match(table, /\| Smallworld \| yes \| no \| 180 MB \|/);
    assert.match(table, /\| ssb-server 16 \| no \| yes \|/);
  });
});
