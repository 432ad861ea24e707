// Is the SSB stack really using libsodium? chloride (used by ssb-keys for signatures and by
// secret-handshake for SHS) silently falls back to a pure-JS implementation when sodium-native fails to
// load — e.g. a 32-bit ARM Pi, for which sodium-native 3.4 ships no prebuild and npm 11 runs no install
// scripts to compile one. Everything still works, about 800 times slower (27 instead of ~21,000
// signature checks per second), which on a Pi means replication that seems to hang. So we check, and
// measure, instead of trusting.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface NativeCryptoReport {
  /** True only if every chloride copy the stack uses is the sodium-native binding. */
  native: boolean;
  /** Each distinct chloride copy: who uses it and whether its bindings loaded. */
  chloride: Array<{ usedBy: string; path: string; native: boolean; error?: string }>;
  /**
   * sodium-native itself. Unlike chloride, sodium-universal (ssb-box2 → envelope-js, loaded by ssb-db2)
   * has no fallback: without a loadable sodium-native, ssb-db2 cannot even be imported.
   */
  sodiumNative: { loaded: boolean; version: string | null; binding: string | null; error?: string };
  /** Measured ed25519 signature verifications per second through chloride (one core). */
  verifiesPerSecond: number;
}

interface ChlorideLike {
  crypto_sign_keypair(): { publicKey: Buffer; secretKey: Buffer };
  crypto_sign_detached(message: Buffer, secretKey: Buffer): Buffer;
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
}

function isChlorideLike(value: unknown): value is ChlorideLike {
  const v = value as Partial<Record<keyof ChlorideLike, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.crypto_sign_keypair === 'function' &&
    typeof v.crypto_sign_detached === 'function' &&
    typeof v.crypto_sign_verify_detached === 'function'
  );
}

/** Follows a chain of package names, each resolved from the previous one's directory. */
function resolveChain(chain: readonly string[]): string {
  let req = createRequire(import.meta.url);
  let resolved = '';
  for (const name of chain) {
    resolved = req.resolve(name);
    req = createRequire(resolved);
  }
  return resolved;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `benchmarkIterations`: enough for the figure's order of magnitude (all it is used for: native or not, and
 * how fast a board is), few enough not to hold up the peer's start (cold start, issue 17).
 */
export function checkNativeCrypto(benchmarkIterations = 100): NativeCryptoReport {
  // The two consumers that matter: message signatures (ssb-keys) and the handshake (secret-handshake).
  const consumers: Array<[string, string[]]> = [
    ['ssb-keys', ['ssb-keys', 'chloride']],
    ['secret-handshake', ['secret-stack', 'multiserver/plugins/shs', 'secret-handshake', 'chloride']],
  ];
  const chloride: NativeCryptoReport['chloride'] = [];
  let benchTarget: ChlorideLike | null = null;
  const seen = new Set<string>();
  for (const [usedBy, chain] of consumers) {
    let path: string;
    try {
      path = resolveChain(chain);
    } catch (error) {
      chloride.push({ usedBy, path: '', native: false, error: `cannot resolve chloride: ${message(error)}` });
      continue;
    }
    if (seen.has(path)) continue;
    seen.add(path);
    const req = createRequire(path);
    try {
      const loaded: unknown = req(path);
      // chloride/index.js exports require('./bindings') when sodium-native loads, else its JS fallback;
      // requiring the bindings again returns the cached module only if that first load succeeded.
      const bindings: unknown = req(join(dirname(path), 'bindings.js'));
      const native = loaded === bindings && process.env.CHLORIDE_JS === undefined;
      chloride.push({ usedBy, path, native });
      if (benchTarget === null && isChlorideLike(loaded)) benchTarget = loaded;
    } catch (error) {
      chloride.push({ usedBy, path, native: false, error: message(error) });
      if (benchTarget === null) {
        try {
          const loaded: unknown = req(path);
          if (isChlorideLike(loaded)) benchTarget = loaded;
        } catch {
          // nothing to measure
        }
      }
    }
  }

  const sodiumNative: NativeCryptoReport['sodiumNative'] = { loaded: false, version: null, binding: null };
  try {
    const sodiumPath = resolveChain(['ssb-keys', 'chloride', 'sodium-native']);
    const req = createRequire(sodiumPath);
    const pkg: unknown = req(join(dirname(sodiumPath), 'package.json'));
    const version = (pkg as { version?: unknown }).version;
    sodiumNative.version = typeof version === 'string' ? version : null;
    // node-gyp-build names the prebuild (or local build) it would load for this platform and ABI.
    const gypBuild: unknown = req('node-gyp-build');
    const locate = (gypBuild as { path?: unknown }).path;
    if (typeof locate === 'function') sodiumNative.binding = String(locate(dirname(sodiumPath)));
    req(sodiumPath);
    sodiumNative.loaded = true;
  } catch (error) {
    sodiumNative.error = message(error).split('\n')[0] ?? 'unknown error';
  }

  return {
    native: sodiumNative.loaded && chloride.length > 0 && chloride.every((c) => c.native),
    chloride,
    sodiumNative,
    verifiesPerSecond: benchTarget === null ? 0 : measureVerifies(benchTarget, benchmarkIterations),
  };
}

function measureVerifies(sodium: ChlorideLike, iterations: number): number {
  const { publicKey, secretKey } = sodium.crypto_sign_keypair();
  const msg = Buffer.alloc(256, 7);
  const sig = sodium.crypto_sign_detached(msg, secretKey);
  // Bounded in time too: the pure-JS fallback manages a few dozen per second, an emulated CPU a few hundred.
  const budgetNs = 100_000_000n;
  const start = process.hrtime.bigint();
  let done = 0;
  while (done < iterations && process.hrtime.bigint() - start < budgetNs) {
    if (!sodium.crypto_sign_verify_detached(sig, msg, publicKey)) return 0;
    done++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return Math.round(done / Math.max(seconds, 1e-9));
}
