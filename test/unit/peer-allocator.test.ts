import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peerUnit } from '../../src/install/templates.js';
import { JEMALLOC_CONF, jemallocPath, peerEnvironment } from '../../src/peer/allocator.js';

const LIB = '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2';

describe('the peer allocator', () => {
  it('finds libjemalloc2 for the CPU it runs on, under the given root, and nothing for another CPU', () => {
    const present = new Set(['/mnt/pi/usr/lib/aarch64-linux-gnu/libjemalloc.so.2']);
    const exists = (p: string) => present.has(p);
    assert.equal(jemallocPath('arm64', '/mnt/pi/', exists), LIB);
    assert.equal(jemallocPath('x64', '/mnt/pi', exists), null);
    assert.equal(jemallocPath('arm64', '/', exists), null);
    assert.equal(
      jemallocPath('riscv64', '/mnt/pi', () => true),
      null,
    );
  });

  it('preloads it with prompt purging, unless the user chose otherwise or it is missing', () => {
    const chosen = peerEnvironment({ PATH: '/usr/bin' }, LIB);
    assert.equal(chosen.allocator, 'jemalloc');
    assert.deepEqual(chosen.env, { PATH: '/usr/bin', LD_PRELOAD: LIB, MALLOC_CONF: JEMALLOC_CONF });
    assert.equal(peerEnvironment({ MALLOC_CONF: 'narenas:1' }, LIB).env.MALLOC_CONF, 'narenas:1');
    assert.deepEqual(peerEnvironment({ SMALLWORLD_ALLOCATOR: 'system' }, LIB), {
      env: { SMALLWORLD_ALLOCATOR: 'system' },
      allocator: 'system',
    });
    assert.equal(peerEnvironment({ LD_PRELOAD: '/opt/other.so' }, LIB).env.LD_PRELOAD, '/opt/other.so');
    assert.equal(peerEnvironment({}, null).allocator, 'system');
    assert.equal(peerEnvironment({}, null).env.LD_PRELOAD, undefined);
  });

  it('goes into the installed peer unit only when the target has it', () => {
    const base = {
      node: '/usr/bin/node',
      app: '/opt/smallworld/dist/src/cli/main.js',
      dataDir: '/var/lib/smallworld',
      runDir: '/run/smallworld',
      wifiInterface: 'wlan0',
    };
    const withLib = peerUnit({ ...base, jemalloc: LIB });
    assert.match(withLib, new RegExp(`^Environment=LD_PRELOAD=${LIB}$`, 'm'));
    assert.match(withLib, /^Environment=MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0$/m);
    const without = peerUnit({ ...base, jemalloc: null });
    assert.doesNotMatch(without, /LD_PRELOAD|MALLOC_CONF/);
    assert.match(without, /^\[Service\]$/m);
    // The heap sizes for the 260 MB the unit's MemoryMax leaves (src/peer/heap-limit.ts), quoted for systemd.
    assert.match(without, /^Environment="NODE_OPTIONS=--max-old-space-size=72 --max-semi-space-size=4"$/m);
  });
});
