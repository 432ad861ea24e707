// The `peer` command line the development daemon forks (src/peer/peer-supervisor.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PeerSupervisorOptions, peerArguments } from '../../src/peer/peer-supervisor.js';

const base: PeerSupervisorOptions = {
  dataDir: '/data',
  web: { host: '127.0.0.1', port: 8300 },
  ssb: { host: '0.0.0.0', port: 8008, hops: 2, autoFollow: { enabled: true } },
  logger: { log() {} },
};

describe('peerArguments', () => {
  it('passes the data, web and SSB addresses', () => {
    assert.deepEqual(peerArguments(base), [
      'peer',
      '--data',
      '/data',
      '--web-host',
      '127.0.0.1',
      '--web-port',
      '8300',
      '--ssb-host',
      '0.0.0.0',
      '--ssb-port',
      '8008',
    ]);
  });
  it('passes the config file and log level when given, and auto-follow switched off', () => {
    const args = peerArguments({
      ...base,
      configPath: '/etc/smallworld.json',
      logLevel: 'debug',
      ssb: { ...base.ssb, autoFollow: { ...base.ssb.autoFollow, enabled: false } },
    });
    assert.deepEqual(args.slice(0, 7), [
      'peer',
      '--data',
      '/data',
      '--config',
      '/etc/smallworld.json',
      '--log-level',
      'debug',
    ]);
    assert.equal(args.at(-1), '--no-auto-follow');
  });
});
