// The two long-running commands, `smallworld peer` and `smallworld start`, from the bundles the build made of
// each (peer-command.ts, start-command.ts) with everything they load: one CommonJS file each, run with V8's code
// cache (process/cached-bundle.ts), which compiles much faster than our ES modules on a small board. Without a
// bundle (a build that made none), from the modules themselves.
import { fileURLToPath } from 'node:url';
import type { ForkedPeer } from '../peer/peer-supervisor.js';
import { type CachedBundle, runCachedBundle } from '../process/cached-bundle.js';

function bundled<T>(name: string): CachedBundle<T> | null {
  return runCachedBundle<T>(fileURLToPath(new URL(`./${name}`, import.meta.url)));
}

/** Where the command's code came from, for its log. */
function loadedFrom(bundle: CachedBundle<unknown> | null): string {
  return bundle ? `the bundle, code cache ${bundle.codeCache}` : 'its modules';
}

export async function peer(args: string[]): Promise<number> {
  const bundle = bundled<typeof import('./peer-command.js')>('peer.bundle.cjs');
  const command = bundle?.exports ?? (await import('./peer-command.js'));
  return command.peer(args, loadedFrom(bundle));
}

export async function start(args: string[], earlyPeer: ForkedPeer | undefined): Promise<number> {
  const bundle = bundled<typeof import('./start-command.js')>('start.bundle.cjs');
  const command = bundle?.exports ?? (await import('./start-command.js'));
  return command.start(args, earlyPeer, loadedFrom(bundle));
}
