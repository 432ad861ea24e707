// A throwaway project on disk (package-lock.json, node_modules/…) for the tests of how library modules are
// found and loaded (module paths, the module pack), removed afterwards whatever happens.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes `files` (paths relative to the project's root) and runs `fn` with the root. */
export async function withFakeProject(
  prefix: string,
  files: Record<string, string>,
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Drops the project's modules from a `require`'s CommonJS cache, so the next test loads them anew. */
export function forgetModulesUnder(req: NodeJS.Require, root: string): void {
  for (const key of Object.keys(req.cache)) if (key.startsWith(root)) delete req.cache[key];
}
