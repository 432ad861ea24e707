// No import cycle among src/ files, type-only imports included: a cycle ties modules that should stand in
// layers (e.g. the daemon, the peer process and the web page) and makes load order matter.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static, type-only, re-exports and dynamic), as absolute .ts paths. */
export function importsOf(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/(?:^|\n)\s*import\s*['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] ?? '');
  return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** The cycles of a graph, each as a path that starts and ends at the same node (one per strongly linked group). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  it('finds a cycle in a graph that has one, and none in a layered one', () => {
    const cyclic = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    assert.deepEqual(findCycles(cyclic), [['a', 'b', 'c', 'a']]);
    const layered = new Map([
      ['a', ['b', 'c']],
      ['b', ['c']],
      ['c', []],
    ]);
    assert.deepEqual(findCycles(layered), []);
  });

  it('reads static, type-only, re-exported and dynamic imports', () => {
    const text = [
      "import { x } from './x.js';",
      "import type { Y } from '../y/y.js';",
      "export type { Z } from './z.js';",
      'import {\n  a,\n  b,\n} from "./ab.js";',
      "const m = await import('./lazy.js');",
      "import pull from 'pull-stream';",
    ].join('\n');
    const found = importsOf('/r/src/d/f.ts', text).map((p) => relative('/r/src', p));
    assert.deepEqual(found.sort(), ['d/ab.ts', 'd/lazy.ts', 'd/x.ts', 'd/z.ts', 'y/y.ts'].sort());
  });

  it('there is none among src/ files', () => {
    const files = sourceFiles(SRC);
    assert.ok(files.length > 50, `found ${files.length} files under ${SRC}`);
    const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(file, 'utf8'))]));
    const cycles = findCycles(graph).map((cycle) => cycle.map((f) => relative(SRC, f)).join(' -> '));
    assert.deepEqual(cycles, []);
  });
});
