import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, defaultFormat } from '../../src/log/logger.js';
import { prettyLine } from '../../src/log/pretty.js';

const NOW = Date.parse('2026-12-06T01:02:03.456Z');

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const logger = createLogger({ write: (line) => lines.push(line), now: () => NOW, base: { proc: 'daemon' }, level });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the logger, not on a terminal: one JSON object per line', () => {
  it('keeps the record contract: level by name, ts in ISO 8601, msg, base and fields', () => {
    const { logger, lines, records } = capture();
    logger.log('info', 'peer process started', { pid: 42, allocator: 'jemalloc' });
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('\n'), 'one line, no newline inside');
    assert.deepEqual(records()[0], {
      level: 'info',
      ts: '2026-12-06T01:02:03.456Z',
      proc: 'daemon',
      pid: 42,
      allocator: 'jemalloc',
      msg: 'peer process started',
    });
  });

  it('drops what is below the level; children add their fields; errors are logged as their message', () => {
    const { logger, records } = capture('warn');
    logger.log('info', 'dropped');
    logger.child({ peer: '@abc' }).log('error', 'failed', { error: new Error('boom'), err: new TypeError('bad') });
    logger.log('warn', 'no fields');
    assert.deepEqual(records(), [
      {
        level: 'error',
        ts: '2026-12-06T01:02:03.456Z',
        proc: 'daemon',
        peer: '@abc',
        error: { message: 'boom' },
        err: { message: 'bad' },
        msg: 'failed',
      },
      { level: 'warn', ts: '2026-12-06T01:02:03.456Z', proc: 'daemon', msg: 'no fields' },
    ]);
  });

  it('logs a record it cannot stringify plainly (a cycle) instead of throwing', () => {
    const { logger, records } = capture();
    const cycle: Record<string, unknown> = { name: 'x' };
    cycle.self = cycle;
    logger.log('info', 'cyclic', { cycle });
    assert.equal(records()[0]?.msg, 'cyclic');
  });
});

describe('which format', () => {
  it('is readable text on a terminal and JSON otherwise, unless SMALLWORLD_LOG_FORMAT says', () => {
    assert.equal(defaultFormat({}, true), 'pretty');
    assert.equal(defaultFormat({}, false), 'json');
    assert.equal(defaultFormat({ SMALLWORLD_LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(defaultFormat({ SMALLWORLD_LOG_FORMAT: 'pretty' }, false), 'pretty');
    assert.equal(defaultFormat({ SMALLWORLD_LOG_FORMAT: 'xml' }, false), 'json');
  });
});

describe('the logger on a terminal: short lines for a person', () => {
  const record = (fields: Record<string, unknown>) =>
    JSON.stringify({ level: 'warn', ts: '2026-12-06T01:02:03.456Z', proc: 'peer', ...fields });

  it('shows time, level, process, message and the other fields as key=value on one line', () => {
    const text = prettyLine(record({ msg: 'web login failed', client: '127.0.0.1', tries: 3 }), { colors: false });
    assert.equal(text.split('\n').length, 1);
    assert.match(text, /^\[\d\d:\d\d:\d\d\] WARN: peer web login failed {2}client=127\.0\.0\.1 tries=3$/);
  });

  it('puts the page address and the setup code on lines of their own', () => {
    const text = prettyLine(
      record({
        msg: 'web page: no password yet; the first visit needs this setup code',
        url: 'http://127.0.0.1:8300/setup',
        setupCode: 'ABCD-EFGH-IJKL',
        file: '/data/peer/web-setup-code',
      }),
      { colors: false },
    );
    const lines = text.split('\n');
    assert.equal(lines.length, 3, text);
    assert.match(lines[0] ?? '', /WARN: peer web page: no password yet.* file=\/data\/peer\/web-setup-code$/);
    assert.match(lines[1] ?? '', /^ {4}▶ open {7}http:\/\/127\.0\.0\.1:8300\/setup$/);
    assert.match(lines[2] ?? '', /^ {4}▶ setup code ABCD-EFGH-IJKL$/);
    assert.ok(!text.includes('{'), 'no JSON left to dig through');
  });

  it('quotes values with spaces and shortens long ones', () => {
    const text = prettyLine(record({ msg: 'x', path: 'a b', big: 'y'.repeat(200), list: [1, 2] }), { colors: false });
    assert.match(text, /path="a b"/);
    assert.match(text, /big=y{79}…/);
    assert.match(text, /list=\[1,2\]/);
  });

  it('colours only when asked', () => {
    assert.ok(!prettyLine(record({ msg: 'plain' }), { colors: false }).includes('\u001b['));
    assert.ok(prettyLine(record({ msg: 'coloured' }), { colors: true }).includes('\u001b['));
  });
});

describe('events and effects on a terminal', () => {
  it('read as Type(key=value …)', () => {
    const json = JSON.stringify({
      level: 'info',
      ts: '2026-12-06T01:02:03.456Z',
      proc: 'daemon',
      msg: 'effect',
      id: 'boot:2',
      effect: { type: 'SetLed', led: 'ap', pattern: 'off' },
    });
    assert.match(
      prettyLine(json, { colors: false }),
      /daemon effect {2}id=boot:2 effect=SetLed\(led=ap pattern=off\)$/,
    );
  });
});
