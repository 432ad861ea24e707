// The SSB peer's memory allocator. Replicating allocates and frees many small buffers per message; glibc's
// malloc keeps what was freed, fragmented, so a peer that replicated 100,000 messages stayed at 205-286 MB
// resident long after going idle (live JS heap ~20 MB). jemalloc (Debian's libjemalloc2) hands freed pages
// back to the system within about a second when told to: 144-191 MB ten seconds after the same load
// (README "Performance"). It is preloaded into the peer process only, and only when installed for this CPU.
import { existsSync } from 'node:fs';

/** Debian's multiarch directory for each Node.js architecture that a Pi or a development machine runs. */
const MULTIARCH: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
};

/** Purge freed pages after 1 s (default 10 s) from a background thread, so an idle peer shrinks too. */
export const JEMALLOC_CONF = 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0';

/** Where libjemalloc2 puts the library for `arch` under `root`, if it is there. */
export function jemallocPath(
  arch: NodeJS.Architecture = process.arch,
  root = '/',
  exists: (path: string) => boolean = existsSync,
): string | null {
  const dir = MULTIARCH[arch];
  if (!dir) return null;
  const path = `/usr/lib/${dir}/libjemalloc.so.2`;
  return exists(`${root.replace(/\/+$/, '')}${path}`) ? path : null;
}

/**
 * The environment for the peer process: jemalloc preloaded unless the caller chose otherwise (its own
 * LD_PRELOAD, or SMALLWORLD_ALLOCATOR=system) or it is not installed.
 */
export function peerEnvironment(
  env: NodeJS.ProcessEnv,
  library: string | null = jemallocPath(),
): { env: NodeJS.ProcessEnv; allocator: 'jemalloc' | 'system' } {
  if (env.SMALLWORLD_ALLOCATOR === 'system' || env.LD_PRELOAD || library === null) {
    return { env, allocator: env.LD_PRELOAD?.includes('jemalloc') ? 'jemalloc' : 'system' };
  }
  return {
    env: { ...env, LD_PRELOAD: library, MALLOC_CONF: env.MALLOC_CONF ?? JEMALLOC_CONF },
    allocator: 'jemalloc',
  };
}
