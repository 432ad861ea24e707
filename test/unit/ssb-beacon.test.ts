import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatLegacyBeacon,
  isBeaconError,
  MAX_RECEIVED_BEACON_BYTES,
  MAX_SENT_BEACON_BYTES,
  parseLegacyBeacon,
} from '../../src/ssb/beacon.js';

const KEY = 'hlvL+4mGps34ezMBCj4/CA2IezNEacUVSC/KeiSW9Jk=';
const ID = `@${KEY}.ed25519`;

function ok(input: unknown) {
  const result = parseLegacyBeacon(input);
  if (isBeaconError(result)) assert.fail(`expected a beacon, got ${result.error} for ${String(input)}`);
  return result;
}

function err(input: unknown): string {
  const result = parseLegacyBeacon(input);
  assert.ok(isBeaconError(result), `expected an error for ${String(input)}`);
  return result.error;
}

describe('parseLegacyBeacon', () => {
  it('parses what ssb-server 16 and go-ssb send', () => {
    const beacon = ok(Buffer.from(`net:192.168.4.5:8008~shs:${KEY}`));
    assert.deepEqual(beacon, { host: '192.168.4.5', port: 8008, key: ID, address: `net:192.168.4.5:8008~shs:${KEY}` });
  });

  it('takes the first net: entry of several, skipping other transports', () => {
    const beacon = ok(`ws:192.168.4.5:8989~shs:${KEY};net:10.0.0.7:26831~shs:${KEY};net:10.0.0.8:1~shs:${KEY}`);
    assert.equal(beacon.host, '10.0.0.7');
    assert.equal(beacon.port, 26831);
  });

  it('accepts IPv6 hosts as multiserver writes them (no brackets)', () => {
    const beacon = ok(`net:fd00::2:8008~shs:${KEY}`);
    assert.equal(beacon.host, 'fd00::2');
    assert.equal(beacon.port, 8008);
  });

  it('tolerates trailing NUL padding and a newline', () => {
    assert.equal(ok(Buffer.concat([Buffer.from(`net:10.0.0.1:8008~shs:${KEY}\n`), Buffer.alloc(20)])).host, '10.0.0.1');
  });

  it('rejects malformed input with a reason', () => {
    assert.equal(err(Buffer.alloc(0)), 'empty');
    assert.equal(err(42), 'not-bytes');
    assert.equal(err(null), 'not-bytes');
    assert.equal(err(Buffer.from([0xff, 0xfe, 0x00])), 'not-utf8');
    assert.equal(err(`net:10.0.0.1:8008~shs:${KEY} extra`), 'bad-characters');
    assert.equal(err('hello'), 'no-net-address');
    assert.equal(err(`net:10.0.0.1:8008~shs:${KEY.slice(1)}`), 'bad-key');
    assert.equal(err(`net:10.0.0.1:8008~shs:${KEY.replace('k=', 'l=')}`), 'bad-key'); // stray low bits
    assert.equal(err(`net:10.0.0.1:0~shs:${KEY}`), 'bad-port');
    assert.equal(err(`net:10.0.0.1:65536~shs:${KEY}`), 'bad-port');
    assert.equal(err(`net:10.0.0.1:08008~shs:${KEY}`), 'bad-port');
    assert.equal(err(`net:10.0.0.1~shs:${KEY}`), 'bad-port');
    assert.equal(err(`net:example.com:8008~shs:${KEY}`), 'bad-host');
    assert.equal(err(`net:010.0.0.1:8008~shs:${KEY}`), 'bad-host');
    assert.equal(err(`net:0.0.0.0:8008~shs:${KEY}`), 'bad-host');
    assert.equal(err(`net:255.255.255.255:8008~shs:${KEY}`), 'bad-host');
    assert.equal(err(`net:224.0.0.1:8008~shs:${KEY}`), 'bad-host');
    assert.equal(err(`net:10.0.0.1:8008~noauth`), 'not-net-shs');
    assert.equal(err(`net:10.0.0.1:8008~shs:${KEY}~extra`), 'not-net-shs');
    assert.equal(err(`net:10.0.0.1:8008~shs:${KEY}:seedseed`), 'bad-key');
  });

  it('rejects oversized datagrams before looking at them', () => {
    const big = Buffer.alloc(MAX_RECEIVED_BEACON_BYTES + 1, 'a');
    assert.equal(err(big), 'oversized');
    assert.equal(err(big.toString()), 'oversized');
  });

  it('rejects more addresses than a real peer announces', () => {
    assert.equal(err(Array(9).fill('ws:x').join(';')), 'too-many-addresses');
  });
});

describe('formatLegacyBeacon', () => {
  it('writes net: first and stays within 128 bytes for the longest IPv4 address and port', () => {
    const bytes = formatLegacyBeacon({ host: '192.168.255.254', port: 65535, key: ID });
    assert.ok(bytes.toString().startsWith('net:'));
    assert.ok(bytes.byteLength <= MAX_SENT_BEACON_BYTES, `${bytes.byteLength} bytes`);
    assert.equal(ok(bytes).key, ID);
  });

  it('refuses to announce what it could not parse back', () => {
    assert.throws(() => formatLegacyBeacon({ host: '0.0.0.0', port: 8008, key: ID }), RangeError);
    assert.throws(() => formatLegacyBeacon({ host: '10.0.0.1', port: 8008, key: '@nope.ed25519' }), RangeError);
  });
});
