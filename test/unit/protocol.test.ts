import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequest } from '../../src/control/protocol.js';

test('valid requests are typed', () => {
  assert.deepEqual(parseRequest('{"id":7,"cmd":"press","button":"wps"}'), {
    id: 7,
    ok: true,
    request: { cmd: 'press', button: 'wps' },
  });
  const revoke = parseRequest('{"cmd":"keys.revoke","mac":"02:00:00:00:00:AA"}');
  assert.ok(revoke.ok && revoke.request.cmd === 'keys.revoke' && revoke.request.mac === '02:00:00:00:00:aa');
});

test('bad requests get a precise error code, never an exception', () => {
  const cases: Array<[string, string]> = [
    ['{not json', 'bad_json'],
    ['[1,2]', 'bad_request'],
    ['null', 'bad_request'],
    ['42', 'bad_request'],
    ['{"id":1}', 'bad_request'],
    ['{"id":1,"cmd":"reboot"}', 'unknown_command'],
    ['{"cmd":"__proto__"}', 'unknown_command'],
    ['{"cmd":"press","button":"reset"}', 'bad_request'],
    ['{"cmd":"press"}', 'bad_request'],
    ['{"cmd":"ap","on":"yes"}', 'bad_request'],
    ['{"cmd":"keys.revoke","mac":"02:00:00:00:00:aa; rm -rf /"}', 'bad_request'],
  ];
  for (const [line, code] of cases) {
    const parsed = parseRequest(line);
    assert.equal(parsed.ok, false, line);
    if (!parsed.ok) assert.equal(parsed.error.code, code, line);
  }
  const withId = parseRequest('{"id":"abc","cmd":"nope"}');
  assert.equal(withId.id, 'abc');
});
