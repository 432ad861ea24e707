// `smallworld start` forks its peer from its own flags before anything else loads (cli/early-peer.ts): the
// peer is given the flags that decide its settings, and none when they say no peer or are not valid (then
// `start` itself reports the error, with no process left behind).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { earlyPeerArguments } from '../../src/cli/early-peer.js';

test('the peer gets the data directory and the flags that make its settings', () => {
  const cases: Array<[string[], string[]]> = [
    [
      ['--sim', '--data', '/d'],
      ['peer', '--data', '/d'],
    ],
    [
      ['--sim', '--data', '/d', '--web-host', '127.0.0.1', '--web-port', '8300', '--ssb-port', '0'],
      ['peer', '--data', '/d', '--web-host', '127.0.0.1', '--web-port', '8300', '--ssb-port', '0'],
    ],
    [
      ['--data', '/d', '--config', '/c.json', '--log-level', 'debug', '--no-auto-follow', '--ssb-host', '0.0.0.0'],
      [
        'peer',
        '--data',
        '/d',
        '--config',
        '/c.json',
        '--log-level',
        'debug',
        '--ssb-host',
        '0.0.0.0',
        '--no-auto-follow',
      ],
    ],
    // One port 0 is still a peer (the web page alone, or the SSB peer alone).
    [
      ['--data', '/d', '--web-port', '0'],
      ['peer', '--data', '/d', '--web-port', '0'],
    ],
  ];
  for (const [args, argv] of cases) assert.deepEqual(earlyPeerArguments(args), { dataDir: '/d', argv }, args.join(' '));
});

test('no early peer when the flags want none or are not valid', () => {
  const none = [
    ['--data', '/d', '--web-port', '0', '--ssb-port', '0'],
    ['--data', '/d', '--web-port', 'abc'],
    ['--data', '/d', '--ssb-port', '70000'],
    ['--data', '/d', '--unknown'],
    ['--data'],
    ['extra'],
  ];
  for (const args of none) assert.equal(earlyPeerArguments(args), null, args.join(' '));
});

test('the data directory falls back to $SMALLWORLD_DATA as for every command', () => {
  const before = process.env.SMALLWORLD_DATA;
  process.env.SMALLWORLD_DATA = '/from-env';
  try {
    assert.deepEqual(earlyPeerArguments(['--sim']), { dataDir: '/from-env', argv: ['peer', '--data', '/from-env'] });
  } finally {
    if (before === undefined) delete process.env.SMALLWORLD_DATA;
    else process.env.SMALLWORLD_DATA = before;
  }
});
