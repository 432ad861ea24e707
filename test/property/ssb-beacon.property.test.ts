// The beacon parser faces whatever anyone on the LAN sends: it must never throw, and what it accepts
// must be well-formed. 10,000+ generated inputs in total across the properties below.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatLegacyBeacon, isBeaconError, type LegacyBeaconResult, parseLegacyBeacon } from '../../src/ssb/beacon.js';

function checkShape(result: LegacyBeaconResult): void {
  if (isBeaconError(result)) {
    assert.equal(typeof result.error, 'string');
    return;
  }
  assert.ok(isIP(result.host) !== 0, `host ${result.host}`);
  assert.ok(Number.isInteger(result.port) && result.port >= 1 && result.port <= 65535);
  assert.match(result.key, /^@[A-Za-z0-9+/]{43}=\.ed25519$/);
  assert.ok(result.address.startsWith('net:'));
  assert.ok(Buffer.byteLength(result.address) <= 128 + 40);
}

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64'));
const ipv4 = fc.ipV4();
const port = fc.integer({ min: 1, max: 65535 });
const validBeacon = fc.tuple(ipv4, port, key).map(([h, p, k]) => `net:${h}:${p}~shs:${k}`);

/** Valid beacons with a few bytes flipped, cut or inserted: the inputs most likely to find edge cases. */
const mutatedBeacon = fc
  .tuple(
    validBeacon,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), {
      maxLength: 4,
    }),
  )
  .map(([text, edits]) => {
    let bytes = Buffer.from(text);
    for (const [position, value, kind] of edits) {
      const at = bytes.length === 0 ? 0 : position % bytes.length;
      if (kind === 'flip') bytes[at] = value;
      else if (kind === 'cut') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
      else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([value]), bytes.subarray(at)]);
    }
    return bytes;
  });

const RUNS = 2500;

describe('parseLegacyBeacon (generated inputs)', () => {
  it('never throws on arbitrary bytes, including oversized ones', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        checkShape(parseLegacyBeacon(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on arbitrary strings and non-buffer values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.anything()), (value) => {
        checkShape(parseLegacyBeacon(value));
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on mutated valid beacons, and accepts only well-formed ones', () => {
    fc.assert(
      fc.property(mutatedBeacon, (bytes) => {
        checkShape(parseLegacyBeacon(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('reads back exactly what formatLegacyBeacon wrote, within 128 bytes', () => {
    fc.assert(
      fc.property(
        ipv4.filter((h) => !/^(0\.0\.0\.0|255\.255\.255\.255|2[2-5]\d\.)/.test(h)),
        port,
        key,
        (h, p, k) => {
          const bytes = formatLegacyBeacon({ host: h, port: p, key: `@${k}.ed25519` });
          assert.ok(bytes.byteLength <= 128);
          const parsed = parseLegacyBeacon(bytes);
          assert.deepEqual(parsed, { host: h, port: p, key: `@${k}.ed25519`, address: `net:${h}:${p}~shs:${k}` });
        },
      ),
      { numRuns: RUNS },
    );
  });
});
