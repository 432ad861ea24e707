// Child process of the benchmark: ed25519 signature verifications per second on one core, through the
// chloride binding a system's message validation uses (ssb-keys -> chloride -> sodium-native), resolved
// from that system's own dependency tree. For Smallworld it also reports whether the peer's native-crypto
// check (src/ssb/native-crypto.ts) finds libsodium loaded.
// Usage: node verify-rate.js smallworld | SSB_SERVER_BIN   -> {"verifiesPerSecond", "native"}
import { createRequire } from 'node:module';
import { checkNativeCrypto } from '../../src/ssb/native-crypto.js';

interface Chloride {
  crypto_sign_keypair(): { publicKey: Buffer; secretKey: Buffer };
  crypto_sign_detached(message: Buffer, secretKey: Buffer): Buffer;
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
}

const [which] = process.argv.slice(2);
if (!which) throw new Error('usage: verify-rate smallworld|SSB_SERVER_BIN');
const root = createRequire(which === 'smallworld' ? import.meta.url : which);
const chloride = createRequire(root.resolve('ssb-keys'))('chloride') as Chloride;
const native = which === 'smallworld' ? checkNativeCrypto(10).native : null;

const { publicKey, secretKey } = chloride.crypto_sign_keypair();
// The size of a typical signed message's JSON.
const message = Buffer.alloc(600, 'a');
const signature = chloride.crypto_sign_detached(message, secretKey);
const rates: number[] = [];
for (let round = 0; round < 4; round++) {
  const started = process.hrtime.bigint();
  let done = 0;
  while (process.hrtime.bigint() - started < 500_000_000n) {
    for (let i = 0; i < 100; i++) {
      if (!chloride.crypto_sign_verify_detached(signature, message, publicKey)) throw new Error('verify failed');
    }
    done += 100;
  }
  rates.push(done / (Number(process.hrtime.bigint() - started) / 1e9));
}
// The first round warms up; the median of the other three.
const verifiesPerSecond = Math.round(rates.slice(1).sort((a, b) => a - b)[1] ?? 0);
process.stdout.write(`${JSON.stringify({ verifiesPerSecond, native })}\n`);
